import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { TcpFaultProxy } from '#local/faults';
import { connectPostgres } from '#service/db/connect';
import { seedProvision, seedVideoCourse } from '../seed';
import { serviceFixture, type Person, type ServiceFixture } from '../service-fixture';
import { buildWorld, joinAndApprove, snapshot, type World } from '../world';

/*
 * The database connection breaks under the service: cut just before a transaction's COMMIT, gone for a
 * while, or silent. Each request either succeeds or fails cleanly (503 problem+json, Retry-After), nothing
 * half-written remains, and the service recovers on its own once the database is back. PGlite has no
 * connection to cut: these run against the PostgreSQL server DATABASE_URL names (as CI does).
 */
const server = process.env.DATABASE_URL;
const describeWithServer = server ? describe : describe.skip;

let proxy: TcpFaultProxy;
let f: ServiceFixture;
let w: World;
let nowMs = Date.parse('2026-12-10T01:00:00Z');
let video: string;
let provisionId: string;
let courseId: string;

beforeAll(async () => {
  if (!server) return;
  const { hostname, port } = new URL(server);
  proxy = await TcpFaultProxy.start({ host: hostname, port: Number(port || 5432) });
  f = await serviceFixture('faults', {
    clock: () => new Date(nowMs),
    // Every /health call asks, and a silent server counts as down after a short wait.
    health: { reuseMs: 0, timeoutMs: 300 },
    connect: (database) => {
      const url = new URL(database.url!);
      url.host = `127.0.0.1:${proxy.port}`;
      return connectPostgres({ connectionString: url.toString(), maxConnections: 4 });
    },
  });
  w = await buildWorld(f);
  const seeded = await seedVideoCourse(f.database.db, { videos: 1, ready: true });
  video = seeded.videoIds[0]!;
  courseId = seeded.courseId;
  ({ provisionId } = await seedProvision(f.database.db, {
    institutionId: seeded.institutionId,
    courseId,
    startsOn: '2026-12-01',
    endsOn: '2027-02-28',
  }));
});
afterEach(() => proxy?.restore());
afterAll(async () => {
  await f?.close();
  await proxy?.close();
});

async function learnerWithEnrollment(): Promise<{ who: Person; enrollmentId: string }> {
  const who = await f.person(['learner']);
  const { id } = await f.database.db
    .insertInto('enrollments')
    .values({ provision_id: provisionId, course_id: courseId, user_sub: who.sub })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { who, enrollmentId: id };
}

/** A player's tab: each beat ten seconds of server time after the last. */
function player(who: Person, enrollmentId: string) {
  const sessionId = randomUUID();
  let sequence = 0;
  return () => {
    nowMs += 10_000;
    sequence++;
    return f.call(who, {
      method: 'POST',
      url: `/me/enrollments/${enrollmentId}/heartbeats`,
      payload: { contentId: video, sessionId, sequence, position: sequence * 10, playbackRate: 1 },
    });
  };
}

function expectCleanFailure(res: Awaited<ReturnType<ServiceFixture['call']>>) {
  expect([res.statusCode, res.headers['content-type'], res.headers['retry-after']]).toEqual([
    503,
    expect.stringMatching(/^application\/problem\+json/),
    '5',
  ]);
  expect(res.json()).toMatchObject({ status: 503, requestId: expect.any(String) });
}

/**
 * What the learning record holds for an enrollment: the credits in its audit (the trail and the viewing runs
 * still open, as the export reads them) and the progress they made.
 */
async function record(enrollmentId: string) {
  const { rows } = await sql<{ credited: number; covered: number | null; sessions: number }>`
    select
      (select coalesce(sum((detail->>'seconds')::int), 0)::int from (
        select detail from learning_audit where enrollment_id = ${enrollmentId} and kind = 'credit'
        union all
        select detail from learning_audit_open_runs where enrollment_id = ${enrollmentId}) credits) as credited,
      (select covered_seconds from content_progress where enrollment_id = ${enrollmentId}) as covered,
      (select count(*)::int from playback_sessions where enrollment_id = ${enrollmentId}) as sessions`.execute(
    f.database.db,
  );
  return rows[0]!;
}

describeWithServer('the database connection, broken on purpose', () => {
  it('rolls a heartbeat cut before its COMMIT back, answers 503, and credits the next beat', async () => {
    const { who, enrollmentId } = await learnerWithEnrollment();
    const beat = player(who, enrollmentId);
    expect((await beat()).statusCode).toBe(200);
    expect((await beat()).statusCode).toBe(200);
    const before = await snapshot(f.database.db);
    const cuts = proxy.cuts;
    proxy.cutBeforeNext(/commit/i);
    expectCleanFailure(await beat());
    expect(proxy.cuts).toBe(cuts + 1);
    expect(await snapshot(f.database.db)).toEqual(before);
    // The pool replaces the broken connection: the next beat goes through and is credited.
    const next = await beat();
    expect(next.statusCode).toBe(200);
    expect(next.json().creditedSeconds).toBeGreaterThan(0);
    const { credited, covered } = await record(enrollmentId);
    expect(covered).toBe(credited);
  });

  it('enrolls nobody when the attendee list’s COMMIT is cut, and everyone once when sent again', async () => {
    const [company] = w.companies;
    const people = [await f.person(['learner'], 'new1'), await f.person(['learner'], 'new2')];
    for (const p of people) await joinAndApprove(f, company.id, company.manager, p);
    const submit = () =>
      f.call(company.manager, {
        method: 'POST',
        url: `/provisions/${company.provisionId}/attendees`,
        payload: { userSubs: people.map((p) => p.sub) },
      });
    const before = await snapshot(f.database.db);
    proxy.cutBeforeNext(/commit/i);
    expectCleanFailure(await submit());
    expect(await snapshot(f.database.db)).toEqual(before);

    const again = await submit();
    expect(again.statusCode).toBe(200);
    expect(again.json().enrolled.sort()).toEqual(people.map((p) => p.sub).sort());
    // The seat count, the enrollments and their events moved together.
    const { rows } = await sql<{ seats: number; enrolled: number; events: number }>`
      select p.enrolled_count as seats,
        (select count(*)::int from enrollments e where e.provision_id = p.id) as enrolled,
        (select count(*)::int from outbox o where o.type = 'enrollment.created'
           and o.payload->>'provisionId' = p.id::text) as events
      from provisions p where p.id = ${company.provisionId}`.execute(f.database.db);
    expect(rows[0]!.seats).toBe(rows[0]!.enrolled);
    expect(rows[0]!.events).toBe(rows[0]!.enrolled);
  });

  it('reports degraded health and answers 503 while the database is down, and recovers by itself', async () => {
    const { who, enrollmentId } = await learnerWithEnrollment();
    const beat = player(who, enrollmentId);
    expect((await beat()).statusCode).toBe(200);
    proxy.down();
    const health = await f.call(undefined, { method: 'GET', url: '/health' });
    expect([health.statusCode, health.json()]).toEqual([
      503,
      { status: 'degraded', checks: { database: 'unreachable' } },
    ]);
    expect((await f.call(undefined, { method: 'GET', url: '/health/live' })).statusCode).toBe(200);
    expectCleanFailure(await beat());
    expectCleanFailure(await f.call(who, { method: 'GET', url: '/me/enrollments' }));

    proxy.restore();
    expect((await f.call(undefined, { method: 'GET', url: '/health' })).json()).toEqual({
      status: 'ok',
      checks: { database: 'ok' },
    });
    expect((await beat()).statusCode).toBe(200);
    expect((await f.call(who, { method: 'GET', url: '/me/enrollments' })).statusCode).toBe(200);
  });

  it('answers /health in bounded time when the database takes connections and says nothing', async () => {
    proxy.hang();
    const started = Date.now();
    const health = await f.call(undefined, { method: 'GET', url: '/health' });
    expect(health.json()).toEqual({ status: 'degraded', checks: { database: 'unreachable' } });
    // Not a timing assertion on the machine's speed: without the bound, this call would never return.
    expect(Date.now() - started).toBeLessThan(60_000);
    proxy.restore();
    expect((await f.call(undefined, { method: 'GET', url: '/health' })).statusCode).toBe(200);
  });

  it('keeps every learner’s record whole when connections are cut under concurrent heartbeats', async () => {
    const learners = await Promise.all([1, 2, 3, 4].map(() => learnerWithEnrollment()));
    const players = learners.map(({ who, enrollmentId }) => player(who, enrollmentId));
    const statuses: number[] = [];
    for (let round = 0; round < 12; round++) {
      const answers = Promise.all(players.map((beat) => beat()));
      // Some rounds lose their connections mid-conversation, wherever each request was.
      if (round % 3 === 1) setImmediate(() => proxy.cut());
      statuses.push(...(await answers).map((r) => r.statusCode));
    }
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    // The last round ran on connections nobody cut.
    expect(statuses.slice(-players.length)).toEqual(players.map(() => 200));
    for (const { enrollmentId } of learners) {
      const { credited, covered, sessions } = await record(enrollmentId);
      expect(covered).toBe(credited);
      expect(sessions).toBe(1);
    }
  });
});
