import { buildCoreService } from '#service/app';
import { connectEmbedded, connectPostgres } from '#service/db/connect';
import type { Database } from '#service/db/schema';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';

/*
 * Every answer that is a problem carries the request's id, and an unexpected error leaves one log line with
 * the same id. The database here is an empty PGlite without the schema, so any query fails as a bug would;
 * a second service's database refuses every connection, as an outage would.
 */
const lines: string[] = [];
let app: FastifyInstance;
let url: string;
let db: Kysely<Database>;
const unreachable = connectPostgres({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });
// A token's shape is all the service's token cache reads; the verifier itself is not under test here.
const token = `e30.${Buffer.from(JSON.stringify({ exp: 4_102_444_800 })).toString('base64url')}.sig`;

beforeAll(async () => {
  db = await connectEmbedded();
  app = await buildCoreService({
    db,
    prepareDatabase: false,
    verifyToken: async () => ({ sub: 'learner-1', email: undefined, roles: ['learner'] }),
    logger: { level: 'error', stream: { write: (line: string) => lines.push(line) } },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}, 60_000); // PGlite's start on a busy machine
afterAll(async () => {
  await app.close();
  await db.destroy();
  await unreachable.destroy();
});

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } });
  const body = (await res.json()) as Record<string, unknown>;
  return { statusCode: res.status, json: () => body };
}

describe('request ids', () => {
  it('answers an unexpected error with a 500 that carries only the id, and logs the error under it', async () => {
    lines.length = 0;
    const res = await get('/me/enrollments');
    expect(res.statusCode).toBe(500);
    const problem = res.json();
    expect(problem).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toEqual([
      expect.objectContaining({
        level: 50,
        reqId: problem.requestId,
        msg: 'unhandled error',
        err: expect.anything(),
      }),
    ]);
  });

  it('answers an outage with a 503 and Retry-After, logged as a warning under the id', async () => {
    const down = await buildCoreService({
      db: unreachable,
      prepareDatabase: false,
      verifyToken: async () => ({ sub: 'learner-1', email: undefined, roles: ['learner'] }),
      logger: { level: 'warn', stream: { write: (line: string) => lines.push(line) } },
    });
    await down.listen({ port: 0, host: '127.0.0.1' });
    lines.length = 0;
    try {
      const port = (down.server.address() as { port: number }).port;
      const res = await fetch(`http://127.0.0.1:${port}/me/enrollments`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect([res.status, res.headers.get('retry-after')]).toEqual([503, '5']);
      const { requestId } = (await res.json()) as { requestId: string };
      expect(lines.map((l) => JSON.parse(l))).toEqual([
        expect.objectContaining({ level: 40, reqId: requestId, msg: 'database unavailable' }),
      ]);
    } finally {
      await down.close();
    }
  });

  it('takes the gateway’s id when it is one, and makes its own otherwise', async () => {
    const given = 'Yx3kLhDkIAMEbQw=';
    expect((await get('/courses/42', { 'x-request-id': given })).json()).toMatchObject({
      status: 400,
      requestId: given,
    });
    for (const odd of ['a b c d e f g h', 'x'.repeat(65), '../../etc', 'short']) {
      const { requestId } = (await get('/courses/42', { 'x-request-id': odd })).json();
      expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('logs nothing for refusals: they are the client’s to read', async () => {
    lines.length = 0;
    await get('/courses/42');
    await get('/nowhere');
    expect(lines).toEqual([]);
  });
});
