import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { Pool } from 'pg';
import type { Role } from '#contracts/resources';
import type { Database } from '#service/db/schema';
import type { Caller } from '#service/http/identity';
import { RegistrationRefused } from '#service/sessions/refusals';
import { cancel, register } from '#service/sessions/registrations';
import { changeSession, offerSession } from '#service/sessions/sessions';
import { seedVideoCourse } from '../seed';
import { testDatabase, type TestDatabase } from '../test-database';

/*
 * The opening burst of an open session, through the domain functions on a pool of 32 connections this test
 * owns (no HTTP: what is under test is the seat counting in PostgreSQL). Exactness only means something with
 * real concurrent connections, so this file needs a PostgreSQL server (DATABASE_URL).
 */

const onPostgres = process.env.DATABASE_URL ? describe : describe.skip;

const OPENS = new Date('2027-03-02T09:00:00.000Z');
const CLOSES = new Date('2027-03-09T09:00:00.000Z');
const DEADLINE = new Date('2027-03-20T00:00:00.000Z');

function callerOf(sub: string, roles: Role[], extra: Partial<Caller> = {}): Caller {
  return {
    sub,
    email: `${sub.slice(0, 8)}@example.com`,
    roles,
    institutionId: undefined,
    institutionRole: undefined,
    managedCompanyIds: [],
    employerCompanyIds: [],
    has: (role) => roles.includes(role),
    ...extra,
  } as Caller;
}

let t: TestDatabase;
let pool: Kysely<Database>;
let courseId: string;
let manager: Caller;

beforeAll(async () => {
  t = await testDatabase('registration_burst');
  if (t.kind !== 'postgres') return;
  const connections = new Pool({ connectionString: t.url, max: 32 });
  // The database is dropped with its connections at the end; an idle one's error must not fail the file.
  connections.on('error', () => undefined);
  pool = new Kysely<Database>({ dialect: new PostgresDialect({ pool: connections }) });
  const seeded = await seedVideoCourse(t.db, { videos: 1, ready: true });
  courseId = seeded.courseId;
  manager = callerOf(randomUUID(), ['institution-manager'], {
    institutionId: seeded.institutionId,
    institutionRole: 'institution-manager',
  });
});
afterAll(async () => {
  await pool?.destroy();
  await t.close();
});

const newSession = (capacity: number, times: { startTime?: string; endTime?: string } = {}) =>
  offerSession(t.db, manager, {
    ...times,
    courseId,
    capacity,
    startsOn: '2027-04-01',
    endsOn: '2027-04-30',
    opensAt: OPENS.toISOString(),
    closesAt: CLOSES.toISOString(),
    cancelDeadline: DEADLINE.toISOString(),
  });

const learners = (n: number) => Array.from({ length: n }, () => callerOf(randomUUID(), ['learner']));
const during = new Date(OPENS.getTime() + 1000);

async function rows(sessionId: string) {
  return t.db
    .selectFrom('registrations')
    .select(['user_sub', 'state', sql<number>`arrival::int`.as('arrival'), 'enrollment_id'])
    .where('session_id', '=', sessionId)
    .orderBy('arrival')
    .execute();
}

const waitingCount = async (sessionId: string) =>
  (
    await t.db
      .selectFrom('sessions')
      .select('waiting_count')
      .where('id', '=', sessionId)
      .executeTakeFirstOrThrow()
  ).waiting_count;

const outboxCount = async (type: string) =>
  (
    await t.db
      .selectFrom('outbox')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('type', '=', type)
      .executeTakeFirstOrThrow()
  ).n;

onPostgres('the opening burst of a 300-seat session', () => {
  let sessionId: string;
  let answers: Awaited<ReturnType<typeof register>>[];
  let crowd: Caller[];

  beforeAll(async () => {
    sessionId = (await newSession(300)).id;
    crowd = learners(2000);
    answers = await Promise.all(crowd.map((c) => register(pool, c, sessionId, { waitlist: true }, during)));
    // Generous for a loaded machine; on an idle one the burst takes a few seconds.
  }, 120_000);

  it('seats exactly 300 and lines up the other 1,700 in arrival order', async () => {
    const all = await rows(sessionId);
    const seated = all.filter((r) => r.state === 'registered');
    const waiting = all.filter((r) => r.state === 'waiting');
    expect([all.length, seated.length, waiting.length]).toEqual([2000, 300, 1700]);
    // Arrival numbers are drawn under the seat lock: every seat was decided before every place in line.
    expect(Math.max(...seated.map((r) => r.arrival))).toBeLessThan(
      Math.min(...waiting.map((r) => r.arrival)),
    );
    const provision = await t.db
      .selectFrom('provisions')
      .select(['enrolled_count', 'attendee_count'])
      .where('id', '=', sessionId)
      .executeTakeFirstOrThrow();
    expect(provision).toEqual({ enrolled_count: 300, attendee_count: 300 });
    expect(await waitingCount(sessionId)).toBe(1700);
    const enrollments = await t.db
      .selectFrom('enrollments')
      .select('user_sub')
      .where('provision_id', '=', sessionId)
      .execute();
    expect(enrollments.map((e) => e.user_sub).sort()).toEqual(seated.map((r) => r.user_sub).sort());
  });

  it('told each waiting learner their place: 1 to 1,700, in arrival order', async () => {
    expect(answers.every((a) => a.created)).toBe(true);
    const arrivalOf = new Map((await rows(sessionId)).map((r) => [r.user_sub, r.arrival] as const));
    const placed = answers
      .map((a, i) => ({ ...a.registration, arrival: arrivalOf.get(crowd[i]!.sub)! }))
      .filter((r) => r.state === 'waiting')
      .sort((a, b) => a.arrival - b.arrival);
    expect(placed.map((p) => p.position)).toEqual(Array.from({ length: 1700 }, (_, i) => i + 1));
  });

  it('gives 100 cancelled seats to exactly the first 100 in line, each in the cancelling transaction', async () => {
    const before = await rows(sessionId);
    const firstInLine = before
      .filter((r) => r.state === 'waiting')
      .slice(0, 100)
      .map((r) => r.user_sub);
    const leaving = before
      .filter((r) => r.state === 'registered')
      .slice(0, 100)
      .map((r) => r.user_sub);
    const promotedBefore = await outboxCount('waitlist.promoted');
    await Promise.all(leaving.map((sub) => cancel(pool, callerOf(sub, ['learner']), sessionId, during)));
    const after = await rows(sessionId);
    const state = new Map(after.map((r) => [r.user_sub, r.state] as const));
    expect(firstInLine.map((s) => state.get(s))).toEqual(firstInLine.map(() => 'registered'));
    expect(leaving.map((s) => state.get(s))).toEqual(leaving.map(() => 'cancelled'));
    expect(after.filter((r) => r.state === 'registered')).toHaveLength(300);
    expect(after.filter((r) => r.state === 'waiting')).toHaveLength(1600);
    expect(await waitingCount(sessionId)).toBe(1600);
    expect(await outboxCount('waitlist.promoted')).toBe(promotedBefore + 100);
    const seats = await t.db
      .selectFrom('provisions')
      .select('enrolled_count')
      .where('id', '=', sessionId)
      .executeTakeFirstOrThrow();
    expect(seats.enrolled_count).toBe(300);
    const enrolled = await t.db
      .selectFrom('enrollments')
      .select('user_sub')
      .where('provision_id', '=', sessionId)
      .execute();
    expect(new Set(enrolled.map((e) => e.user_sub))).toEqual(
      new Set(after.filter((r) => r.state === 'registered').map((r) => r.user_sub)),
    );
  });
});

onPostgres('duplicates', () => {
  it('gives a learner’s 50 concurrent requests one registration, one enrollment and one seat', async () => {
    const { id } = await newSession(5);
    const learner = learners(1)[0]!;
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => register(pool, learner, id, { waitlist: true }, during)),
    );
    expect(new Set(answers.map((a) => a.registration.id)).size).toBe(1);
    expect(answers.filter((a) => a.created)).toHaveLength(1);
    expect((await rows(id)).map((r) => r.state)).toEqual(['registered']);
    const seats = await t.db
      .selectFrom('provisions')
      .select('enrolled_count')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(seats.enrolled_count).toBe(1);
  });

  it('lets one of a learner’s concurrent requests for two overlapping sessions through, never both', async () => {
    const times = { startTime: '09:00', endTime: '12:00' };
    const [a, b] = [await newSession(5, times), await newSession(5, times)];
    const learner = learners(1)[0]!;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        register(pool, learner, i % 2 ? a.id : b.id, { waitlist: true }, during),
      ),
    );
    const held = [...(await rows(a.id)), ...(await rows(b.id))];
    expect(held).toHaveLength(1);
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(refused.map((o) => (o as PromiseRejectedResult).reason.reason)).toEqual(
      refused.map(() => 'schedule-overlap'),
    );
    expect(refused).toHaveLength(10);
  });

  it('refuses a full session with `full` to a learner who did not ask to wait, changing nothing', async () => {
    const { id } = await newSession(1);
    await register(pool, learners(1)[0]!, id, { waitlist: false }, during);
    await expect(register(pool, learners(1)[0]!, id, { waitlist: false }, during)).rejects.toEqual(
      expect.objectContaining({ reason: 'full' }),
    );
    expect(await rows(id)).toHaveLength(1);
  });
});

onPostgres('the registration window, by the server’s clock', () => {
  let id: string;
  beforeAll(async () => {
    id = (await newSession(10)).id;
  });
  const at = (base: Date, ms: number) => new Date(base.getTime() + ms);

  it.each([
    ['one millisecond before it opens', at(OPENS, -1), 'not-open-yet'],
    ['the moment it closes', CLOSES, 'closed'],
    ['one millisecond after it closes', at(CLOSES, 1), 'closed'],
  ])('refuses %s', async (_what, now, reason) => {
    const refusal = await register(pool, learners(1)[0]!, id, { waitlist: false }, now).catch((e) => e);
    expect(refusal).toBeInstanceOf(RegistrationRefused);
    expect(refusal.reason).toBe(reason);
  });

  it.each([
    ['the moment it opens', OPENS],
    ['one millisecond before it closes', at(CLOSES, -1)],
  ])('takes %s', async (_what, now) => {
    const { registration } = await register(pool, learners(1)[0]!, id, { waitlist: false }, now);
    expect(registration.state).toBe('registered');
  });

  it('cancels one millisecond before the deadline, and refuses at the deadline', async () => {
    const [early, late] = learners(2);
    for (const l of [early!, late!]) await register(pool, l, id, { waitlist: false }, during);
    expect((await cancel(pool, early!, id, at(DEADLINE, -1))).state).toBe('cancelled');
    await expect(cancel(pool, late!, id, DEADLINE)).rejects.toEqual(
      expect.objectContaining({ reason: 'cancel-deadline-passed' }),
    );
  });
});

onPostgres('a capacity raise beside cancellations', () => {
  it.each([1, 2, 3, 4, 5])(
    'round %i: seats exactly the first 6 in line for 3 new seats and 3 freed ones, each promoted once',
    async () => {
      const { id } = await newSession(5);
      const crowd = learners(15);
      // One at a time, so arrival order is the crowd's order.
      for (const c of crowd) await register(pool, c, id, { waitlist: true }, during);
      const [seated, waiting] = [crowd.slice(0, 5), crowd.slice(5)];
      await Promise.all([
        changeSession(pool, manager, id, { capacity: 8 }),
        ...seated.slice(0, 3).map((c) => cancel(pool, c, id, during)),
      ]);
      const after = await rows(id);
      const registered = after.filter((r) => r.state === 'registered').map((r) => r.user_sub);
      expect(registered.sort()).toEqual(
        [...seated.slice(3), ...waiting.slice(0, 6)].map((c) => c.sub).sort(),
      );
      expect(after.filter((r) => r.state === 'waiting').map((r) => r.user_sub)).toEqual(
        waiting.slice(6).map((c) => c.sub),
      );
      const seats = await t.db
        .selectFrom('provisions')
        .select(['enrolled_count', 'attendee_count'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      expect(seats).toEqual({ enrolled_count: 8, attendee_count: 8 });
      expect(await waitingCount(id)).toBe(4);
      const promoted = await sql<{ sub: string }>`
        select payload->>'userSub' as sub from outbox
        where type = 'waitlist.promoted' and payload->>'sessionId' = ${id}`.execute(t.db);
      expect(promoted.rows.map((r) => r.sub).sort()).toEqual(
        waiting
          .slice(0, 6)
          .map((c) => c.sub)
          .sort(),
      );
      const enrolled = await t.db
        .selectFrom('enrollments')
        .select('user_sub')
        .where('provision_id', '=', id)
        .execute();
      expect(enrolled.map((e) => e.user_sub).sort()).toEqual([...registered].sort());
    },
  );

  it('refuses a cut below the seats taken while registrations race it, never leaving more seats than capacity', async () => {
    const { id } = await newSession(10);
    const crowd = learners(12);
    const outcomes = await Promise.allSettled([
      ...crowd.map((c) => register(pool, c, id, { waitlist: true }, during)),
      changeSession(pool, manager, id, { capacity: 6 }),
    ]);
    const cut = outcomes.at(-1)!;
    const seats = await t.db
      .selectFrom('provisions')
      .select(['enrolled_count', 'attendee_count'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    // The cut lands only if at most 6 seats were taken when it took the seat row's lock.
    if (cut.status === 'fulfilled') expect(seats.attendee_count).toBe(6);
    else {
      expect(cut.reason).toEqual(expect.objectContaining({ reason: 'capacity-below-taken' }));
      expect(seats.attendee_count).toBe(10);
    }
    const all = await rows(id);
    expect(all.filter((r) => r.state === 'registered')).toHaveLength(seats.enrolled_count);
    expect(seats.enrolled_count).toBe(seats.attendee_count);
    expect(all.filter((r) => r.state === 'waiting')).toHaveLength(12 - seats.attendee_count);
  });
});
