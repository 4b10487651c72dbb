import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Kysely } from 'kysely';
import { DynamoDbThrottle, TcpFaultProxy } from '#local/faults';
import { LOCAL_AWS } from '#local/dynamodb-local';
import { startLocalPlatform, type LocalPlatform } from '#local/platform';
import { connectPostgres } from '#service/db/connect';
import type { Database } from '#service/db/schema';
import { businessNumberFrom } from '../service/service-fixture';
import { testDatabase, type TestDatabase } from '../service/test-database';

/*
 * npm start under faults: DynamoDB throttling, the event bus gone for a while, PostgreSQL gone for a while.
 * Requests succeed or fail cleanly (problem+json with Retry-After), nothing is lost, and the platform comes
 * back by itself. The PostgreSQL part needs a server to cut (DATABASE_URL), as in CI.
 */
let platform: LocalPlatform;
let database: TestDatabase;
let serviceDb: Kysely<Database>;
let throttle: DynamoDbThrottle;
let proxy: TcpFaultProxy | undefined;
let ddb: DynamoDBDocumentClient;

beforeAll(async () => {
  database = await testDatabase('local_faults');
  throttle = await DynamoDbThrottle.start(process.env.DYNAMODB_ENDPOINT!);
  if (database.url) {
    const url = new URL(database.url);
    proxy = await TcpFaultProxy.start({ host: url.hostname, port: Number(url.port || 5432) });
    url.host = `127.0.0.1:${proxy.port}`;
    serviceDb = connectPostgres({ connectionString: url.toString(), maxConnections: 4 });
  } else serviceDb = database.db;
  platform = await startLocalPlatform({
    database: serviceDb,
    dynamoEndpoint: throttle.endpoint,
    port: 0,
    host: '127.0.0.1',
    tablePrefix: `faults-${process.pid}-`,
    log: () => undefined,
  });
  ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT!, ...LOCAL_AWS }),
  );
});
afterEach(() => {
  throttle.restore();
  proxy?.restore();
  platform.bus.reachable = true;
});
afterAll(async () => {
  await platform.close();
  if (serviceDb !== database.db) await serviceDb.destroy();
  await database.close();
  await throttle.close();
  await proxy?.close();
  ddb.destroy();
});

const get = (path: string, init: RequestInit = {}) =>
  fetch(`${platform.url}${path}`, { redirect: 'manual', ...init });
const itemsIn = async (table: string) => (await ddb.send(new ScanCommand({ TableName: table }))).Items ?? [];

/** Waits for a condition the platform's own workers bring about; fails after `ms`, never sleeps blind. */
async function until(condition: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('the platform did not get there in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('local platform under faults', () => {
  it('rides out a short DynamoDB throttle on the SDK’s own retries', async () => {
    throttle.throttle(2);
    const res = await get('/auth/login?returnTo=%2F');
    expect(res.status).toBe(302);
    expect(throttle.throttled).toBeGreaterThanOrEqual(2);
  });

  it('answers 503 with Retry-After while DynamoDB throttles for good, writes nothing, and recovers', async () => {
    const before = await itemsIn(platform.tables.authFlow!);
    throttle.throttle(Infinity);
    const res = await get('/auth/login?returnTo=%2F');
    expect([res.status, res.headers.get('content-type'), res.headers.get('retry-after')]).toEqual([
      503,
      expect.stringMatching(/^application\/problem\+json/),
      '2',
    ]);
    expect(await res.json()).toMatchObject({ status: 503, requestId: expect.any(String) });
    throttle.restore();
    expect(await itemsIn(platform.tables.authFlow!)).toEqual(before);
    expect((await get('/auth/login?returnTo=%2F')).status).toBe(302);
  });

  it('keeps events in the outbox while the bus is down and delivers each once when it is back', async () => {
    platform.bus.reachable = false;
    const published = platform.bus.published.length;
    const token = await get('/local/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identity: 'manager' }),
    }).then((r) => r.json() as Promise<{ access_token: string; identity: { sub: string } }>);
    const created: string[] = [];
    for (const i of [1, 2, 3]) {
      const res = await get('/institutions', {
        method: 'POST',
        headers: { cookie: `lms_access=${token.access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: `Academy ${i}`,
          ownerName: 'Choi',
          businessNumber: businessNumberFrom(`31000000${i}`),
          certificationNumber: `CERT-${i}`,
          contactEmail: `office${i}@academy.example.com`,
          contactPhone: '051-123-4567',
        }),
      });
      // One person manages one institution: the first is created, the others refused, none half-made.
      expect([201, 409]).toContain(res.status);
      if (res.status === 201) created.push(((await res.json()) as { id: string }).id);
    }
    expect(created).toHaveLength(1);
    const pending = await database.db
      .selectFrom('outbox')
      .select(['id'])
      .where('published_at', 'is', null)
      .execute();
    expect(pending.length).toBeGreaterThan(0);
    expect(platform.bus.published.length).toBe(published);

    platform.bus.reachable = true;
    await until(async () => {
      const left = await database.db
        .selectFrom('outbox')
        .select(['id'])
        .where('published_at', 'is', null)
        .execute();
      return left.length === 0;
    });
    await platform.bus.settled();
    const ids = platform.bus.published.map((e) => (e.detail as { eventId: string }).eventId);
    for (const { id } of pending) expect(ids.filter((x) => x === `core-${id}`)).toHaveLength(1);
    // And the consumer applied them: the access projection knows the new institution's manager.
    const access = await itemsIn(platform.tables.access!);
    expect(access).toContainEqual(
      expect.objectContaining({ pk: `institution#${created[0]}`, sk: `member#${token.identity.sub}` }),
    );
  });

  (process.env.DATABASE_URL ? it : it.skip)(
    'says degraded on /health while PostgreSQL is down, and ok again once it is back, without a restart',
    async () => {
      expect((await get('/health')).status).toBe(200);
      proxy!.down();
      // The probe's answer is reused for a second, so the next probe is the one that sees the outage.
      await until(async () => (await get('/health')).status === 503);
      expect(await (await get('/health')).json()).toEqual({
        status: 'degraded',
        checks: { database: 'unreachable' },
      });
      proxy!.restore();
      await until(async () => (await get('/health')).status === 200);
      expect(await (await get('/health')).json()).toEqual({ status: 'ok', checks: { database: 'ok' } });
    },
  );
});
