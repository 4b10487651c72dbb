import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import Fastify, { type FastifyInstance } from 'fastify';
import { NOTIFICATIONS } from '#contracts/notifications';
import { ENV } from '#contracts/resources';
import { unsubscribeTokenFor } from '#lambda/notifications/unsubscribe-token';
import { createTables, LOCAL_AWS } from '#local/dynamodb-local';
import { registerLocalSecrets } from '#local/secrets-manager';
import { bodyOf, fieldsOf, type Handler, loadHandlers, requestOf } from '../board/board-fixture';
import { overrideEnv } from '../env';
import { apiEvent } from '../event-fixture';
import { snapshot } from '../live/quiz-fixture';

/*
 * The notification routes as deployed: each handler module loaded after its environment names this file's
 * table in DynamoDB Local and the unsubscribe key in a local Secrets Manager. Who may call them, which
 * inputs are refused naming their field, and that a refusal writes nothing.
 */

const endpoint = process.env.DYNAMODB_ENDPOINT!;
const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS });
const ddb = DynamoDBDocumentClient.from(client);
const KEY = 'routes-key-'.repeat(6);
const SECRET_ARN = 'arn:aws:secretsmanager:ap-northeast-2:000000000000:secret:routes-unsubscribe';
let tables: Record<string, string>;
let secrets: FastifyInstance;
let restoreEnv: () => void;
let h: Record<string, Handler>;

const reader = `reader-${randomUUID()}`;
const other = `other-${randomUUID()}`;

beforeAll(async () => {
  tables = await createTables(endpoint, `notification-routes-${process.pid}-`);
  secrets = Fastify();
  // As the local platform hands every body over: the SDK's JSON 1.1 content type has no parser of its own.
  secrets.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  registerLocalSecrets(secrets, '/secrets', new Map([[SECRET_ARN, KEY]]));
  const url = await secrets.listen({ port: 0, host: '127.0.0.1' });
  restoreEnv = overrideEnv({
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: `${url}/secrets`,
    [ENV.notificationsTable]: tables.notifications!,
    [NOTIFICATIONS.env.unsubscribeSecretArn]: SECRET_ARN,
  });
  h = await loadHandlers('notifications', [
    'list-notifications',
    'mark-notifications-read',
    'get-notification-preferences',
    'update-notification-preferences',
    'unsubscribe-page',
    'unsubscribe',
  ]);
  // One notification of the reader's, unread.
  await ddb.send(
    new PutCommand({
      TableName: tables.notifications!,
      Item: {
        pk: `person#${reader}`,
        sk: 'notification#0192f000-0000-7000-8000-000000000001',
        notificationId: '0192f000-0000-7000-8000-000000000001',
        kind: 'exam-graded',
        title: 'Your result',
        body: '88 of 100',
        link: '/courses/c',
        occurredAt: '2026-12-01T09:00:00.000Z',
        gsi1pk: `unread#${reader}`,
        gsi1sk: '0192f000-0000-7000-8000-000000000001',
      },
    }),
  );
});
afterAll(async () => {
  restoreEnv();
  await secrets.close();
  for (const name of Object.values(tables)) await client.send(new DeleteTableCommand({ TableName: name }));
});

const as = (sub: string, r: Parameters<typeof requestOf>[2] = {}) => requestOf(sub, 'learner', r);
const anonymous = (r: { params?: Record<string, string>; method?: string; accept?: string } = {}) =>
  apiEvent({
    method: r.method ?? 'GET',
    ...(r.params ? { pathParameters: r.params } : {}),
    headers: r.accept ? { accept: r.accept } : {},
  });

describe('who may call them', () => {
  it('answers only the signed-in about their own inbox and preferences', async () => {
    for (const name of [
      'list-notifications',
      'mark-notifications-read',
      'get-notification-preferences',
      'update-notification-preferences',
    ]) {
      expect((await h[name]!(anonymous())).statusCode).toBe(401);
    }
    expect(bodyOf(await h['list-notifications']!(as(reader)))).toMatchObject({ unreadCount: 1 });
    const others = bodyOf<{ notifications: unknown[] }>(await h['list-notifications']!(as(other)));
    expect(others).toEqual({ notifications: [], unreadCount: 0 });
    // Someone else's notification id marks nothing.
    const marked = await h['mark-notifications-read']!(
      as(other, { body: { notificationIds: ['0192f000-0000-7000-8000-000000000001'] } }),
    );
    expect(bodyOf(marked)).toEqual({ marked: 0, unreadCount: 0 });
    expect(bodyOf(await h['list-notifications']!(as(reader)))).toMatchObject({ unreadCount: 1 });
  });
});

describe('bad input', () => {
  const cases: [string, Parameters<typeof requestOf>[2], string][] = [
    ['list-notifications', { query: { limit: '0' } }, 'query.limit'],
    ['list-notifications', { query: { limit: '101' } }, 'query.limit'],
    ['list-notifications', { query: { unread: 'yes' } }, 'query.unread'],
    ['list-notifications', { query: { cursor: 'bm90IGEgY3Vyc29y' } }, 'query.cursor'],
    ['list-notifications', { query: { sort: 'asc' } }, 'query'],
    ['mark-notifications-read', { body: {} }, 'body'],
    ['mark-notifications-read', { body: { notificationIds: [] } }, 'body'],
    ['mark-notifications-read', { body: { notificationIds: ['x'] } }, 'body'],
    [
      'mark-notifications-read',
      { body: { notificationIds: Array.from({ length: 101 }, () => randomUUID()) } },
      'body',
    ],
    ['mark-notifications-read', { body: { upTo: 'x', notificationIds: [randomUUID()] } }, 'body'],
    ['mark-notifications-read', { rawBody: '{"upTo":' }, 'body'],
    ['update-notification-preferences', { body: { email: {} } }, 'body.email'],
    ['update-notification-preferences', { body: { email: { 'no-such-kind': false } } }, 'body.email'],
    ['update-notification-preferences', { body: { email: { 'exam-graded': 'no' } } }, 'body.email'],
    ['update-notification-preferences', { body: { email: { 'exam-graded': false }, sms: {} } }, 'body'],
  ];

  it.each(cases)('%s refuses bad input naming its field (case %#)', async (name, request, field) => {
    const before = await snapshot(ddb, tables.notifications!);
    const res = await h[name]!(as(reader, request));
    expect(res.statusCode).toBe(400);
    expect(res.headers?.['content-type']).toBe('application/problem+json');
    expect(fieldsOf(res).some((f) => f === field || f.startsWith(`${field}.`))).toBe(true);
    expect(await snapshot(ddb, tables.notifications!)).toEqual(before);
  });
});

describe('unsubscribe links', () => {
  it('need no sign-in; a changed or malformed token is refused, as a page for browsers', async () => {
    const token = unsubscribeTokenFor(KEY, reader, 'exam-graded');
    const page = await h['unsubscribe-page']!(anonymous({ params: { token }, accept: 'text/html' }));
    expect(page.statusCode).toBe(200);
    expect(page.headers?.['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('Exam results');

    const before = await snapshot(ddb, tables.notifications!);
    const forged = unsubscribeTokenFor(
      'not the platform key, but long enough to look like one',
      reader,
      'exam-graded',
    );
    for (const accept of ['text/html', 'application/json']) {
      const res = await h['unsubscribe']!(anonymous({ method: 'POST', params: { token: forged }, accept }));
      expect(res.statusCode).toBe(400);
      if (accept === 'application/json') expect(fieldsOf(res)).toEqual(['path.token']);
      else expect(res.body).toContain('This link is not valid');
    }
    const malformed = await h['unsubscribe']!(anonymous({ method: 'POST', params: { token: 'v1.x' } }));
    expect([malformed.statusCode, [...new Set(fieldsOf(malformed))]]).toEqual([400, ['path.token']]);
    expect(await snapshot(ddb, tables.notifications!)).toEqual(before);

    const done = await h['unsubscribe']!(anonymous({ method: 'POST', params: { token } }));
    expect(done.statusCode).toBe(200);
    const prefs = bodyOf<{ email: Record<string, boolean> }>(
      await h['get-notification-preferences']!(as(reader)),
    );
    expect(prefs.email['exam-graded']).toBe(false);
    expect(prefs.email['pace-reminder']).toBe(true);
  });
});
