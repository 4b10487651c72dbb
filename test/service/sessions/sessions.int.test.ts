import { sql } from 'kysely';
import {
  enrollmentCreated,
  registrationCancelled,
  registrationCreated,
  waitlistPromoted,
} from '#contracts/platform-events';
import { serviceFixture, type Person, type ServiceFixture } from '../service-fixture';
import { buildWorld, expectStatus, snapshot, type Json, type World } from '../world';

/*
 * Open registration over HTTP, as learners and an institution's manager use it, on the server's clock
 * (the fixture's clock, moved by the test).
 */

let f: ServiceFixture;
let w: World;
let now = new Date('2027-01-10T00:00:00.000Z');

const OPENS = '2027-02-01T09:00:00.000Z';
const CLOSES = '2027-02-08T09:00:00.000Z';
const DEADLINE = '2027-02-20T00:00:00.000Z';

beforeAll(async () => {
  f = await serviceFixture('sessions', { clock: () => now });
  w = await buildWorld(f);
});
afterAll(() => f.close());

const manager = () => w.institutions[0].manager;
const offer = async (over: Json = {}) =>
  expectStatus(
    f.call(manager(), {
      method: 'POST',
      url: '/sessions',
      payload: {
        courseId: w.institutions[0].course.id,
        capacity: 2,
        startsOn: '2027-03-02',
        endsOn: '2027-03-31',
        startTime: '09:30',
        endTime: '17:00',
        opensAt: OPENS,
        closesAt: CLOSES,
        cancelDeadline: DEADLINE,
        ...over,
      },
    }),
    201,
  );
const registerAs = (who: Person, id: string, waitlist = false) =>
  f.call(who, { method: 'POST', url: `/sessions/${id}/registrations`, payload: { waitlist } });
const mine = async (who: Person) =>
  (await expectStatus(f.call(who, { method: 'GET', url: '/me/registrations' }), 200)) as unknown as Json[];

describe('offering and listing sessions', () => {
  it('answers the session as offered, with its seats and times', async () => {
    const s = await offer();
    expect(s).toMatchObject({
      courseId: w.institutions[0].course.id,
      courseTitle: 'Course 0',
      institutionId: w.institutions[0].id,
      capacity: 2,
      seatsTaken: 0,
      seatsLeft: 2,
      waiting: 0,
      startsOn: '2027-03-02',
      endsOn: '2027-03-31',
      startTime: '09:30',
      endTime: '17:00',
      opensAt: OPENS,
      closesAt: CLOSES,
      cancelDeadline: DEADLINE,
      eligibleCompanyIds: null,
    });
    // The session's provision is no company's: the provision routes never show it.
    const provisions = await expectStatus(
      f.call(manager(), { method: 'GET', url: '/provisions?limit=200' }),
      200,
    );
    expect((provisions as unknown as Json[]).map((p) => p.id)).not.toContain(s.id);
    await expectStatus(f.call(manager(), { method: 'GET', url: `/provisions/${s.id}` }), 404);
  });

  it('filters by course, starting day and seats left', async () => {
    const april = await offer({ startsOn: '2027-04-01', endsOn: '2027-04-30', capacity: 1 });
    const other = await expectStatus(
      f.call(w.institutions[1].manager, {
        method: 'POST',
        url: '/sessions',
        payload: {
          courseId: w.institutions[1].course.id,
          capacity: 3,
          startsOn: '2027-04-01',
          endsOn: '2027-04-30',
          opensAt: OPENS,
          closesAt: CLOSES,
          cancelDeadline: DEADLINE,
        },
      }),
      201,
    );
    const list = async (query: string) =>
      (
        (await expectStatus(
          f.call(w.learner, { method: 'GET', url: `/sessions?${query}` }),
          200,
        )) as unknown as Json[]
      ).map((s) => s.id);
    expect(await list(`courseId=${w.institutions[1].course.id}`)).toEqual([other.id]);
    // An institution's console keeps to its own sessions among the public ones of others.
    expect(await list(`institutionId=${w.institutions[1].id}&from=2027-04-01`)).toEqual([other.id]);
    expect(await list('q=%20cOURSE%20%201%20')).toEqual([other.id]);
    expect((await list('q=course&from=2027-04-01')).sort()).toEqual([april.id, other.id].sort());
    // LIKE's wildcards are what they look like.
    expect(await list('q=%25')).toEqual([]);
    expect(await list('q=_')).toEqual([]);
    const inApril = await list('from=2027-04-01&to=2027-04-30');
    expect(inApril.sort()).toEqual([april.id, other.id].sort());
    now = new Date(OPENS);
    await expectStatus(registerAs(await f.person(['learner']), april.id), 201);
    expect(await list('from=2027-04-01&seatsLeft=true')).toEqual([other.id]);
    expect((await list('from=2027-04-01&seatsLeft=false')).sort()).toEqual([april.id, other.id].sort());
  });
});

describe('registering, waiting and cancelling', () => {
  it('seats two, lines up two, and gives a cancelled seat to the first in line', async () => {
    now = new Date('2027-01-10T00:00:00.000Z');
    const s = await offer();
    const [a, b, c, d] = [
      await f.person(['learner']),
      await f.person(['learner']),
      await f.person(['learner']),
      await f.person(['learner']),
    ] as const;
    now = new Date(Date.parse(OPENS) - 1);
    const early = await registerAs(a, s.id);
    expect([early.statusCode, early.json().detail]).toEqual([409, `Registration opens at ${OPENS}`]);
    now = new Date(OPENS);
    const first = await expectStatus(registerAs(a, s.id), 201);
    expect(first).toMatchObject({ sessionId: s.id, state: 'registered', position: null });
    expect(await expectStatus(registerAs(a, s.id, true), 200)).toEqual(first);
    await expectStatus(registerAs(b, s.id), 201);
    const full = await registerAs(c, s.id);
    expect([full.statusCode, full.headers['content-type']]).toEqual([
      409,
      expect.stringMatching(/problem\+json/),
    ]);
    expect(await expectStatus(registerAs(c, s.id, true), 201)).toMatchObject({
      state: 'waiting',
      position: 1,
    });
    expect(await expectStatus(registerAs(d, s.id, true), 201)).toMatchObject({
      state: 'waiting',
      position: 2,
    });
    expect((await mine(d))[0]).toMatchObject({ sessionId: s.id, courseTitle: 'Course 0', position: 2 });
    expect(
      await expectStatus(f.call(w.learner, { method: 'GET', url: `/sessions/${s.id}` }), 200),
    ).toMatchObject({
      seatsTaken: 2,
      seatsLeft: 0,
      waiting: 2,
    });

    const cancelled = await expectStatus(
      f.call(a, { method: 'DELETE', url: `/me/registrations/${s.id}` }),
      200,
    );
    expect(cancelled).toMatchObject({
      state: 'cancelled',
      enrollmentId: null,
      cancelledAt: expect.any(String),
    });
    expect((await mine(c))[0]).toMatchObject({
      state: 'registered',
      position: null,
      enrollmentId: expect.any(String),
    });
    expect((await mine(d))[0]).toMatchObject({ state: 'waiting', position: 1 });
    // The promoted learner's seat is an enrollment like a company's: the course is on their list.
    const courses = await expectStatus(f.call(c, { method: 'GET', url: '/me/enrollments' }), 200);
    expect((courses as unknown as Json[]).map((e) => e.courseId)).toEqual([w.institutions[0].course.id]);
    expect(await expectStatus(f.call(a, { method: 'GET', url: '/me/enrollments' }), 200)).toEqual([]);
    await expectStatus(f.call(a, { method: 'DELETE', url: `/me/registrations/${s.id}` }), 404);

    // A learner who cancelled may register again, and goes to the back of the line.
    expect(await expectStatus(registerAs(a, s.id, true), 201)).toMatchObject({
      state: 'waiting',
      position: 2,
    });
  });

  it('keeps a seat whose learning has begun, and changes nothing', async () => {
    now = new Date('2027-01-10T00:00:00.000Z');
    const s = await offer();
    const learner = await f.person(['learner']);
    now = new Date(OPENS);
    const seat = await expectStatus(registerAs(learner, s.id), 201);
    await f.database.db
      .insertInto('content_progress')
      .values({
        enrollment_id: seat.enrollmentId,
        content_id: w.institutions[0].course.contentIds[0]!,
        covered_seconds: 30,
      })
      .execute();
    const before = await snapshot(f.database.db);
    const res = await f.call(learner, { method: 'DELETE', url: `/me/registrations/${s.id}` });
    expect([res.statusCode, res.headers['content-type']]).toEqual([
      409,
      expect.stringMatching(/problem\+json/),
    ]);
    expect(await snapshot(f.database.db)).toEqual(before);
  });

  it('refuses a session whose hours overlap one the learner holds or waits for, naming it', async () => {
    now = new Date('2027-01-10T00:00:00.000Z');
    const held = await offer({
      startsOn: '2027-05-03',
      endsOn: '2027-05-07',
      startTime: '09:00',
      endTime: '12:00',
    });
    const clash = await offer({
      startsOn: '2027-05-07',
      endsOn: '2027-05-10',
      startTime: '11:59',
      endTime: '12:00',
    });
    const afternoon = await offer({
      startsOn: '2027-05-03',
      endsOn: '2027-05-07',
      startTime: '12:00',
      endTime: '15:00',
    });
    const selfPaced = await offer({
      startsOn: '2027-05-01',
      endsOn: '2027-05-31',
      startTime: undefined,
      endTime: undefined,
    });
    const learner = await f.person(['learner']);
    now = new Date(OPENS);
    await expectStatus(registerAs(learner, held.id), 201);
    const before = await snapshot(f.database.db);
    const refused = await registerAs(learner, clash.id, true);
    expect([refused.statusCode, refused.json().detail]).toEqual([409, expect.stringContaining(held.id)]);
    expect(await snapshot(f.database.db)).toEqual(before);
    await expectStatus(registerAs(learner, afternoon.id), 201);
    await expectStatus(registerAs(learner, selfPaced.id), 201);
    // Once the held seat is given up, the other session fits.
    await expectStatus(f.call(learner, { method: 'DELETE', url: `/me/registrations/${held.id}` }), 200);
    await expectStatus(registerAs(learner, clash.id), 201);
  });

  it('takes employees of the named companies only', async () => {
    now = new Date('2027-01-10T00:00:00.000Z');
    const s = await offer({ eligibleCompanyIds: [w.companies[0].id] });
    now = new Date(OPENS);
    await expectStatus(registerAs(w.companies[0].employee, s.id), 201);
    await expectStatus(registerAs(w.companies[1].employee, s.id), 404);
    await expectStatus(registerAs(w.learner, s.id), 404);
  });
});

describe('a cart of several sessions', () => {
  it('takes each item on its own, in order, and says why each refused one was refused', async () => {
    now = new Date('2027-01-10T00:00:00.000Z');
    const morning = { startsOn: '2027-06-07', endsOn: '2027-06-11', startTime: '09:00', endTime: '12:00' };
    const [first, overlapping, full, later] = [
      await offer(morning),
      await offer(morning),
      await offer({ capacity: 1 }),
      await offer({
        opensAt: '2027-03-01T00:00:00Z',
        closesAt: '2027-03-02T00:00:00Z',
        cancelDeadline: '2027-03-02T00:00:00Z',
      }),
    ];
    const learner = await f.person(['learner']);
    now = new Date(OPENS);
    await expectStatus(registerAs(await f.person(['learner']), full.id), 201);
    const missing = '00000000-0000-4000-8000-000000000000';
    const cart = await expectStatus(
      f.call(learner, {
        method: 'POST',
        url: '/me/registrations',
        payload: {
          items: [
            { sessionId: first.id },
            { sessionId: overlapping.id },
            { sessionId: full.id },
            { sessionId: later.id },
            { sessionId: missing },
          ],
        },
      }),
      200,
    );
    expect(cart.items).toEqual([
      {
        sessionId: first.id,
        ok: true,
        created: true,
        registration: expect.objectContaining({ state: 'registered' }),
      },
      {
        sessionId: overlapping.id,
        ok: false,
        reason: 'schedule-overlap',
        detail: expect.stringContaining(first.id),
      },
      { sessionId: full.id, ok: false, reason: 'full', detail: expect.any(String) },
      { sessionId: later.id, ok: false, reason: 'not-open-yet', detail: expect.any(String) },
      { sessionId: missing, ok: false, reason: 'not-found', detail: expect.any(String) },
    ]);
    expect((await mine(learner)).map((r) => r.sessionId)).toEqual([first.id]);
  });
});

describe('the per-learner rate limit', () => {
  it('answers a learner’s eleventh call in the same second with 429, others and later calls as usual', async () => {
    now = new Date('2027-01-10T00:00:00.000Z');
    const s = await offer();
    const [eager, other] = [await f.person(['learner']), await f.person(['learner'])];
    now = new Date(OPENS);
    await expectStatus(registerAs(eager, s.id), 201);
    for (let i = 0; i < 9; i += 1) await expectStatus(registerAs(eager, s.id), 200);
    const before = await snapshot(f.database.db);
    const refused = await f.call(eager, { method: 'DELETE', url: `/me/registrations/${s.id}` });
    expect([refused.statusCode, refused.headers['retry-after'], refused.headers['content-type']]).toEqual([
      429,
      '1',
      expect.stringMatching(/^application\/problem\+json/),
    ]);
    expect(await snapshot(f.database.db)).toEqual(before);
    await expectStatus(registerAs(other, s.id), 201);
    now = new Date(Date.parse(OPENS) + 1000);
    await expectStatus(f.call(eager, { method: 'DELETE', url: `/me/registrations/${s.id}` }), 200);
  });
});

describe('events', () => {
  it('publishes every registration fact as its contract says', async () => {
    const { rows } = await sql<{ type: string; payload: Json; created_at: Date; id: string }>`
      select id, type, payload, created_at from outbox
      where type in ('registration.created', 'registration.cancelled', 'waitlist.promoted', 'enrollment.created')
      order by id`.execute(f.database.db);
    const contracts: Record<string, { parse(x: unknown): unknown }> = {
      'registration.created': registrationCreated,
      'registration.cancelled': registrationCancelled,
      'waitlist.promoted': waitlistPromoted,
      'enrollment.created': enrollmentCreated,
    };
    const types = new Set(rows.map((r) => r.type));
    expect(types).toEqual(new Set(Object.keys(contracts)));
    for (const r of rows)
      expect(() =>
        contracts[r.type]!.parse({
          ...r.payload,
          eventId: `core-${r.id}`,
          occurredAt: r.created_at.toISOString(),
        }),
      ).not.toThrow();
    // A strict reading too: no field the contracts do not name (the SQL function builds its own JSON).
    const created = rows
      .filter((r) => r.type === 'registration.created')
      .map((r) => Object.keys(r.payload).sort());
    expect(new Set(created.map((k) => k.join()))).toEqual(
      new Set([
        ['courseId', 'institutionId', 'position', 'registrationId', 'sessionId', 'state', 'userSub'].join(),
      ]),
    );
    // A seat taken, at registration or from the line, names its course for the learner's notice.
    const keysOf = (type: string) =>
      new Set(rows.filter((r) => r.type === type).map((r) => Object.keys(r.payload).sort().join()));
    expect(keysOf('enrollment.created')).toEqual(
      new Set([['courseId', 'courseTitle', 'enrollmentId', 'provisionId', 'userSub'].join()]),
    );
    expect(keysOf('waitlist.promoted')).toEqual(
      new Set([['courseId', 'courseTitle', 'enrollmentId', 'registrationId', 'sessionId', 'userSub'].join()]),
    );
    const titles = new Map(
      (await f.database.db.selectFrom('courses').select(['id', 'title']).execute()).map((c) => [
        c.id,
        c.title,
      ]),
    );
    const seats = rows.filter((r) => r.type === 'enrollment.created' || r.type === 'waitlist.promoted');
    expect(seats.map((r) => r.payload.courseTitle)).toEqual(
      seats.map((r) => titles.get(r.payload.courseId as string)),
    );
  });
});
