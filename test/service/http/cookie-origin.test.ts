import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { buildCoreService } from '#service/app';
import { connectEmbedded } from '#service/db/connect';
import type { Database } from '#service/db/schema';

/*
 * The API's authorizer is cached per session cookie, so it cannot judge a write's Origin: the service does,
 * before any route runs. The database is an empty PGlite: nothing here may reach it.
 */
let app: FastifyInstance;
let url: string;
let db: Kysely<Database>;
const verified: string[] = [];
const token = (name: string) =>
  `e30.${Buffer.from(JSON.stringify({ exp: 4_102_444_800, name })).toString('base64url')}.sig`;

beforeAll(async () => {
  db = await connectEmbedded();
  app = await buildCoreService({
    db,
    prepareDatabase: false,
    appOrigins: ['https://app.example.com'],
    verifyToken: async (t) => {
      verified.push(t);
      return { sub: 'manager-1', email: undefined, roles: ['institution-manager'] };
    },
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
}, 60_000); // PGlite's start on a busy machine
afterAll(async () => {
  await app.close();
  await db.destroy();
});
beforeEach(() => (verified.length = 0));

async function post(headers: Record<string, string>) {
  const res = await fetch(`${url}/companies`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: '{}',
  });
  return { statusCode: res.status, contentType: res.headers.get('content-type'), json: await res.json() };
}

describe('cookie writes', () => {
  it('refuses one from a foreign origin with a problem, before the route', async () => {
    const res = await post({ cookie: `lms_access=${token('a')}`, origin: 'https://evil.example.com' });
    expect(res.statusCode).toBe(403);
    expect(res.contentType).toMatch(/^application\/problem\+json/);
    expect(res.json).toMatchObject({
      detail: 'Origin https://evil.example.com may not use the session cookies',
    });
  });

  it('lets the app, a client without Origin and a bearer caller reach the route, which judges the body', async () => {
    const callers: Record<string, string>[] = [
      { cookie: `lms_access=${token('a')}`, origin: 'https://app.example.com' },
      { cookie: `lms_access=${token('a')}` },
      { authorization: `Bearer ${token('b')}`, origin: 'https://evil.example.com' },
    ];
    for (const headers of callers) {
      expect((await post(headers)).statusCode).toBe(400);
    }
  });

  it('acts on the cookie the authorizer admitted when a bearer token comes with it', async () => {
    await post({ cookie: `lms_access=${token('cookie')}`, authorization: `Bearer ${token('bearer')}` });
    expect(verified).toEqual([token('cookie')]);
  });
});
