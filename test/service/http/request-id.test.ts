import { buildCoreService } from '#service/app';
import { connectPostgres } from '#service/db/connect';
import type { FastifyInstance } from 'fastify';

/*
 * Every answer that is a problem carries the request's id, and an unexpected error leaves one log line with
 * the same id. The database here refuses every connection, so any query fails as an outage would.
 */
const lines: string[] = [];
let app: FastifyInstance;
let url: string;
const db = connectPostgres({ connectionString: 'postgres://nobody@127.0.0.1:1/none' });
// A token's shape is all the service's token cache reads; the verifier itself is not under test here.
const token = `e30.${Buffer.from(JSON.stringify({ exp: 4_102_444_800 })).toString('base64url')}.sig`;

beforeAll(async () => {
  app = await buildCoreService({
    db,
    verifyToken: async () => ({ sub: 'learner-1', email: undefined, roles: ['learner'] }),
    logger: { level: 'error', stream: { write: (line: string) => lines.push(line) } },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await app.close();
  await db.destroy();
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
