import { sql } from 'kysely';
import { serviceFixture, type Person, type ServiceFixture } from '../service-fixture';
import { buildWorld, expectStatus, snapshot, type Json, type World } from '../world';

/*
 * The institution's side of an open session over HTTP: who registered and who waits, a page at a time,
 * and changes to capacity and window, with the seats a raise adds going to the first in line.
 */

let f: ServiceFixture;
let w: World;
let now = new Date('2027-01-10T00:00:00.000Z');

const OPENS = '2027-02-01T09:00:00.000Z';
const CLOSES = '2027-02-08T09:00:00.000Z';
const DEADLINE = '2027-02-20T00:00:00.000Z';

beforeAll(async () => {
  f = await serviceFixture('session_staff', { clock: () => now });
  w = await buildWorld(f);
});
afterAll(() => f.close());

const manager = () => w.institutions[0].manager;
const offer = async (capacity: number) => {
  now = new Date('2027-01-10T00:00:00.000Z');
  const s = await expectStatus(
    f.call(manager(), {
      method: 'POST',
      url: '/sessions',
      payload: {
        courseId: w.institutions[0].course.id,
        capacity,
        startsOn: '2027-03-02',
        endsOn: '2027-03-31',
        opensAt: OPENS,
        closesAt: CLOSES,
        cancelDeadline: DEADLINE,
      },
    }),
    201,
  );
  now = new Date(OPENS);
  return s.id as string;
};
const registerAs = (who: Person, id: string) =>
  expectStatus(
    f.call(who, { method: 'POST', url: `/sessions/${id}/registrations`, payload: { waitlist: true } }),
    201,
  );
/** A session with `seated` learners in its seats (it is full) and `waiting` in line, in arrival order. */
async function fullSession(seated: number, waiting: number) {
  const id = await offer(seated);
  const people: Person[] = [];
  for (let i = 0; i < seated + waiting; i += 1) {
    const p = await f.person(['learner']);
    await registerAs(p, id);
    people.push(p);
  }
  return { id, seated: people.slice(0, seated), waiting: people.slice(seated) };
}
const roster = async (id: string, query = '', who: Person = manager()) =>
  (await expectStatus(
    f.call(who, { method: 'GET', url: `/sessions/${id}/registrations${query}` }),
    200,
  )) as unknown as { registrations: Json[]; cursor?: string };
const patch = (id: string, payload: Json) =>
  f.call(manager(), { method: 'PATCH', url: `/sessions/${id}`, payload });
const outboxFor = async (sessionId: string, type: string) =>
  (
    await sql<{ payload: Json }>`
      select payload from outbox where type = ${type} and payload->>'sessionId' = ${sessionId}
      order by id`.execute(f.database.db)
  ).rows.map((r) => r.payload);

describe('the roster of a session', () => {
  it('lists seats and the line in arrival order, a page at a time, with places in line', async () => {
    const { id, seated, waiting } = await fullSession(3, 4);
    // An approved employee of a company: the core knows their address.
    await registerAs(w.companies[0].employee, id);
    const everyone = [...seated, ...waiting, w.companies[0].employee];

    const seen: Json[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await roster(id, `?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.registrations.length).toBeLessThanOrEqual(3);
      seen.push(...page.registrations);
      cursor = page.cursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen.map((r) => r.userSub)).toEqual(everyone.map((p) => p.sub));
    expect(seen.map((r) => [r.state, r.position])).toEqual([
      ['registered', null],
      ['registered', null],
      ['registered', null],
      ['waiting', 1],
      ['waiting', 2],
      ['waiting', 3],
      ['waiting', 4],
      ['waiting', 5],
    ]);
    expect(seen[0]).toEqual({
      id: expect.any(String),
      userSub: seated[0]!.sub,
      email: null,
      state: 'registered',
      position: null,
      enrollmentId: expect.any(String),
      createdAt: expect.any(String),
      registeredAt: expect.any(String),
    });
    expect(seen[7]).toMatchObject({ email: w.companies[0].employee.email, enrollmentId: null });

    // The line alone, from its second page: places keep counting from the first page.
    const line = await roster(id, '?state=waiting&limit=2');
    expect(line.registrations.map((r) => r.position)).toEqual([1, 2]);
    const rest = await roster(id, `?state=waiting&limit=200&cursor=${line.cursor}`);
    expect(rest.registrations.map((r) => [r.userSub, r.position])).toEqual([
      [waiting[2]!.sub, 3],
      [waiting[3]!.sub, 4],
      [w.companies[0].employee.sub, 5],
    ]);
    expect(rest.cursor).toBeUndefined();
    const seats = await roster(id, '?state=registered');
    expect(seats.registrations.map((r) => r.userSub)).toEqual(seated.map((p) => p.sub));

    // A cancelled seat leaves the roster; its place goes to the first in line, who is listed as seated.
    await expectStatus(f.call(seated[0]!, { method: 'DELETE', url: `/me/registrations/${id}` }), 200);
    const after = await roster(id, '?limit=200');
    expect(after.registrations.map((r) => [r.userSub, r.state, r.position])).toEqual([
      [seated[1]!.sub, 'registered', null],
      [seated[2]!.sub, 'registered', null],
      [waiting[0]!.sub, 'registered', null],
      [waiting[1]!.sub, 'waiting', 1],
      [waiting[2]!.sub, 'waiting', 2],
      [waiting[3]!.sub, 'waiting', 3],
      [w.companies[0].employee.sub, 'waiting', 4],
    ]);
  });

  it('shows the roster to the institution’s instructors too, and to nobody outside it', async () => {
    const { id } = await fullSession(1, 1);
    expect((await roster(id, '', w.institutions[0].instructor)).registrations).toHaveLength(2);
    for (const who of [w.institutions[1].manager, w.learner, w.companies[0].manager])
      expect((await f.call(who, { method: 'GET', url: `/sessions/${id}/registrations` })).statusCode).toBe(
        403,
      );
  });
});

describe('changing a session', () => {
  it('gives the seats a raise of 3 adds to exactly the first 3 of 5 in line, announcing each once', async () => {
    const { id, seated, waiting } = await fullSession(2, 5);
    const promotedBefore = await outboxFor(id, 'waitlist.promoted');
    expect(promotedBefore).toEqual([]);

    const changed = await expectStatus(patch(id, { capacity: 5 }), 200);
    expect(changed).toMatchObject({ capacity: 5, seatsTaken: 5, seatsLeft: 0, waiting: 2 });

    const after = await roster(id, '?limit=200');
    expect(after.registrations.map((r) => [r.userSub, r.state, r.position])).toEqual([
      ...seated.map((p) => [p.sub, 'registered', null]),
      ...waiting.slice(0, 3).map((p) => [p.sub, 'registered', null]),
      [waiting[3]!.sub, 'waiting', 1],
      [waiting[4]!.sub, 'waiting', 2],
    ]);
    const promoted = await outboxFor(id, 'waitlist.promoted');
    expect(promoted.map((e) => e.userSub)).toEqual(waiting.slice(0, 3).map((p) => p.sub));
    const enrollmentIds = after.registrations.slice(2, 5).map((r) => r.enrollmentId);
    expect(promoted.map((e) => e.enrollmentId)).toEqual(enrollmentIds);
    const created = await sql<{ payload: Json }>`
      select payload from outbox where type = 'enrollment.created' and payload->>'provisionId' = ${id}
      order by id`.execute(f.database.db);
    // Two for the first seats, one for each promotion.
    expect(created.rows.map((r) => r.payload.userSub)).toEqual(
      [...seated, ...waiting.slice(0, 3)].map((p) => p.sub),
    );
    // The promoted learners see their seat.
    const mine = await expectStatus(f.call(waiting[0]!, { method: 'GET', url: '/me/registrations' }), 200);
    expect((mine as unknown as Json[])[0]).toMatchObject({ state: 'registered', position: null });

    // The same change again has nothing left to do: no second promotion.
    await expectStatus(patch(id, { capacity: 5 }), 200);
    expect(await outboxFor(id, 'waitlist.promoted')).toHaveLength(3);
  });

  it('refuses a capacity below the seats taken with 409 naming body.capacity, changing nothing', async () => {
    const { id } = await fullSession(3, 1);
    const before = await snapshot(f.database.db);
    const res = await patch(id, { capacity: 2, closesAt: '2027-02-09T09:00:00.000Z' });
    expect([res.statusCode, res.headers['content-type']]).toEqual([
      409,
      expect.stringMatching(/^application\/problem\+json/),
    ]);
    expect(res.json().errors).toEqual([{ field: 'body.capacity', message: expect.any(String) }]);
    expect(await snapshot(f.database.db)).toEqual(before);
    // Down to the seats taken is allowed: nobody is promoted, nobody loses a seat.
    expect(await expectStatus(patch(id, { capacity: 3 }), 200)).toMatchObject({
      capacity: 3,
      seatsTaken: 3,
      waiting: 1,
    });
  });

  it('moves the window, and refuses one that contradicts what it keeps, naming the field given', async () => {
    const id = await offer(4);
    const moved = await expectStatus(
      patch(id, { closesAt: '2027-02-10T09:00:00.000Z', cancelDeadline: '2027-02-25T00:00:00.000Z' }),
      200,
    );
    expect(moved).toMatchObject({
      opensAt: OPENS,
      closesAt: '2027-02-10T09:00:00.000Z',
      cancelDeadline: '2027-02-25T00:00:00.000Z',
    });
    const before = await snapshot(f.database.db);
    for (const [body, field] of [
      [{ closesAt: '2027-01-31T09:00:00.000Z' }, 'body.closesAt'],
      [{ opensAt: '2027-02-11T00:00:00.000Z' }, 'body.opensAt'],
      [{ cancelDeadline: '2027-01-01T00:00:00.000Z' }, 'body.cancelDeadline'],
    ] as const) {
      const res = await patch(id, body);
      expect([res.statusCode, res.json().errors?.map((e: Json) => e.field)]).toEqual([400, [field]]);
    }
    expect(await snapshot(f.database.db)).toEqual(before);
  });
});
