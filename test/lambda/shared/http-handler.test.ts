import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import * as z from 'zod';
import type { RouteDef } from '#contracts/routes';
import { httpHandler } from '#lambda/shared/http-handler';
import { Busy } from '#lambda/shared/unavailable';
import { conflict, notFound } from '#lambda/shared/domain-error';
import { HttpError } from '#contracts/problem';
import { ENV } from '#contracts/resources';
import { apiEvent } from '../event-fixture';
import { overrideEnv } from '../env';

const route = {
  method: 'POST',
  path: '/things',
  handler: 'test/things',
  access: ['institution-manager', 'instructor'],
  summary: 'test route',
  query: z.strictObject({ dryRun: z.enum(['true', 'false']).optional() }),
  body: z.strictObject({ title: z.string().min(1).max(10), seats: z.number().int().positive() }),
} as const satisfies RouteDef;

const manager = { sub: 'u-1', email: 'm@example.com', roles: 'institution-manager' };
const calls: unknown[] = [];
const handler = httpHandler(route, async (req) => {
  calls.push(req);
  if (req.body.title === 'boom') throw new Error('database exploded: secret detail');
  if (req.body.title === 'taken') throw new HttpError(409, 'That title is taken');
  if (req.body.title === 'gone')
    throw notFound('No such thing', { field: 'path.thingId', message: 'unknown' });
  if (req.body.title === 'stale') throw conflict('Changed meanwhile');
  if (req.body.title === 'markdown')
    return { status: 200, headers: { 'content-type': 'text/markdown' }, text: '# Hi' };
  if (req.body.title === 'full queue') throw new Busy('The queue is full; try again in 7 s', 7);
  if (req.body.title === 'busy')
    throw new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
  if (req.body.title === 'down')
    throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
  return { status: 201, body: { title: req.body.title, by: req.identity.sub } };
});
const json = { 'content-type': 'application/json' };
const problemOf = (res: Awaited<ReturnType<typeof handler>>) => {
  expect(res.headers?.['content-type']).toBe('application/problem+json');
  return JSON.parse(res.body!);
};

beforeEach(() => (calls.length = 0));

describe('httpHandler', () => {
  it('hands validated input and the identity to the domain call', async () => {
    const res = await handler(
      apiEvent({ method: 'POST', headers: json, body: '{"title":"Safety","seats":3}', authorizer: manager }),
    );
    expect(res.statusCode).toBe(201);
    expect(JSON.parse(res.body!)).toEqual({ title: 'Safety', by: 'u-1' });
    expect(calls).toEqual([
      expect.objectContaining({
        body: { title: 'Safety', seats: 3 },
        identity: { sub: 'u-1', email: 'm@example.com', roles: ['institution-manager'] },
      }),
    ]);
  });

  it('answers 401 without an identity and 403 for a role the route does not allow', async () => {
    const body = '{"title":"x","seats":1}';
    expect((await handler(apiEvent({ method: 'POST', headers: json, body }))).statusCode).toBe(401);
    const res = await handler(
      apiEvent({
        method: 'POST',
        headers: json,
        body,
        authorizer: { ...manager, roles: 'learner,company-manager' },
      }),
    );
    expect(res.statusCode).toBe(403);
    expect(problemOf(res).detail).toMatch(/institution-manager, instructor/);
    expect(calls).toHaveLength(0);
  });

  it('refuses a cookie write from another origin before reading the body, as the authorizer no longer can', async () => {
    const restore = overrideEnv({ [ENV.appOrigins]: 'https://app.example.com,https://admin.example.com' });
    try {
      const body = '{"title":"x","seats":1}';
      const send = (headers: Record<string, string>, cookies?: string[], method = 'POST') =>
        handler(
          apiEvent({
            method,
            headers: { ...json, ...headers },
            body,
            authorizer: manager,
            ...(cookies ? { cookies } : {}),
          }),
        );
      const session = ['lms_access=token'];
      const foreign = await send({ origin: 'https://evil.example.com' }, session);
      expect(foreign.statusCode).toBe(403);
      expect(problemOf(foreign).detail).toBe(
        'Origin https://evil.example.com may not use the session cookies',
      );
      expect((await send({ origin: 'null' }, session)).statusCode).toBe(403);
      expect(calls).toHaveLength(0);
      // The app's origins; a client that is not a browser (no Origin); a read; no session cookie at all.
      expect((await send({ origin: 'https://admin.example.com' }, session)).statusCode).toBe(201);
      expect((await send({}, session)).statusCode).toBe(201);
      expect((await send({ origin: 'https://evil.example.com' })).statusCode).toBe(201);
      expect(calls).toHaveLength(3);
    } finally {
      restore();
    }
  });

  it.each([
    ['a missing field', '{"title":"x"}', 'body.seats'],
    ['a wrong type', '{"title":"x","seats":"3"}', 'body.seats'],
    ['an oversized string', `{"title":"${'x'.repeat(11)}","seats":1}`, 'body.title'],
    ['an unknown field', '{"title":"x","seats":1,"admin":true}', 'body.admin'],
    ['broken JSON', '{"title":', 'body'],
  ])('refuses %s with a problem naming the field', async (_what, body, field) => {
    const res = await handler(apiEvent({ method: 'POST', headers: json, body, authorizer: manager }));
    expect(res.statusCode).toBe(400);
    expect(problemOf(res)).toMatchObject({
      status: 400,
      title: 'Bad Request',
      errors: [expect.objectContaining({ field })],
    });
    expect(calls).toHaveLength(0);
  });

  it('validates the query too', async () => {
    const res = await handler(
      apiEvent({
        method: 'POST',
        headers: json,
        body: '{"title":"x","seats":1}',
        query: { dryRun: 'maybe' },
        authorizer: manager,
      }),
    );
    expect(problemOf(res).errors).toEqual([expect.objectContaining({ field: 'query.dryRun' })]);
  });

  it('validates the path parameters and hands them over parsed', async () => {
    const byId = { ...route, path: '/things/{thingId}', params: z.strictObject({ thingId: z.uuid() }) };
    const seen: unknown[] = [];
    const get = httpHandler(byId, async ({ params }) => {
      seen.push(params);
      return { status: 204 };
    });
    const request = (thingId: string) =>
      apiEvent({
        method: 'POST',
        headers: json,
        body: '{"title":"x","seats":1}',
        pathParameters: { thingId },
        authorizer: manager,
      });
    const id = '0f6f5e3c-8a44-4c5e-b6a3-6f1d2b7c9e10';
    expect((await get(request(id))).statusCode).toBe(204);
    expect(problemOf(await get(request('../etc'))).errors).toEqual([
      expect.objectContaining({ field: 'path.thingId' }),
    ]);
    expect(seen).toEqual([{ thingId: id }]);
  });

  it('answers 415 to a body that is not JSON, naming the content type', async () => {
    const res = await handler(
      apiEvent({ method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x', authorizer: manager }),
    );
    expect(res.statusCode).toBe(415);
    expect(problemOf(res).errors).toEqual([expect.objectContaining({ field: 'headers.content-type' })]);
  });

  it('refuses deeply nested JSON with a 400 before anything walks it', async () => {
    for (const body of ['['.repeat(200_000), `{"title":${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}}`]) {
      const res = await handler(apiEvent({ method: 'POST', headers: json, body, authorizer: manager }));
      expect(res.statusCode).toBe(400);
      expect(problemOf(res).errors).toEqual([{ field: 'body', message: 'nested deeper than 32 levels' }]);
    }
  });

  it('decodes base64 bodies as API Gateway may send them', async () => {
    const event = {
      ...apiEvent({ method: 'POST', headers: json, authorizer: manager }),
      isBase64Encoded: true,
    };
    event.body = Buffer.from('{"title":"b64","seats":2}').toString('base64');
    expect((await handler(event)).statusCode).toBe(201);
  });

  it('answers 503 with Retry-After when an AWS service throttles or cannot be reached', async () => {
    for (const title of ['busy', 'down']) {
      const res = await handler(
        apiEvent({
          method: 'POST',
          headers: json,
          body: JSON.stringify({ title, seats: 1 }),
          authorizer: manager,
        }),
      );
      expect([res.statusCode, res.headers?.['retry-after']]).toEqual([503, '2']);
      expect(problemOf(res)).toMatchObject({ status: 503, title: 'Service Unavailable', requestId: 'req-1' });
    }
  });

  it('answers a Busy in its own words and with its own Retry-After', async () => {
    const res = await handler(
      apiEvent({
        method: 'POST',
        headers: json,
        body: JSON.stringify({ title: 'full queue', seats: 1 }),
        authorizer: manager,
      }),
    );
    expect([res.statusCode, res.headers?.['retry-after']]).toEqual([503, '7']);
    expect(problemOf(res)).toMatchObject({
      status: 503,
      detail: 'The queue is full; try again in 7 s',
      requestId: 'req-1',
    });
  });

  it('turns expected refusals into problems and hides unexpected errors', async () => {
    const conflict = await handler(
      apiEvent({ method: 'POST', headers: json, body: '{"title":"taken","seats":1}', authorizer: manager }),
    );
    expect(problemOf(conflict)).toEqual({
      type: 'about:blank',
      title: 'Conflict',
      status: 409,
      detail: 'That title is taken',
      requestId: 'req-1',
    });
    const boom = await handler(
      apiEvent({ method: 'POST', headers: json, body: '{"title":"boom","seats":1}', authorizer: manager }),
    );
    expect(boom.statusCode).toBe(500);
    expect(boom.body).not.toMatch(/secret detail/);
    // The id API Gateway gave the request: what support looks for in the logs.
    expect(problemOf(boom)).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      requestId: 'req-1',
    });
  });

  it('maps domain refusals to their statuses, naming their fields', async () => {
    const send = (title: string) =>
      handler(
        apiEvent({
          method: 'POST',
          headers: json,
          body: JSON.stringify({ title, seats: 1 }),
          authorizer: manager,
        }),
      );
    expect(problemOf(await send('gone'))).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'No such thing',
      errors: [{ field: 'path.thingId', message: 'unknown' }],
      requestId: 'req-1',
    });
    expect(problemOf(await send('stale'))).toMatchObject({ status: 409, detail: 'Changed meanwhile' });
    expect(problemOf(await send('stale'))).not.toHaveProperty('errors');
  });

  it('sends a text reply as it is, with its own content type', async () => {
    const res = await handler(
      apiEvent({
        method: 'POST',
        headers: json,
        body: '{"title":"markdown","seats":1}',
        authorizer: manager,
      }),
    );
    expect(res).toEqual({ statusCode: 200, headers: { 'content-type': 'text/markdown' }, body: '# Hi' });
  });
});
