import { sql } from 'kysely';
import { companyMemberSet, institutionMemberSet } from '#contracts/platform-events';
import { emit } from '#service/events/outbox';
import type { OutgoingEvent } from '#service/events/publisher';
import { relayOutbox } from '#service/events/relay';
import { replayMembershipFacts } from '#service/memberships/replay-facts';
import { serviceFixture, type Person, type ServiceFixture } from '../service-fixture';
import { buildWorld, castOf, CALLERS, expectStatus, joinAndApprove, snapshot, type World } from '../world';

/*
 * POST /admin/membership-facts: every current membership stated again as a member-set event, for consumers
 * deployed after the memberships were made; nothing for people removed or only asking to join.
 */

let f: ServiceFixture;
let w: World;
/** Outbox rows up to here were written before the test that reads them. */
let seen = '0';
/** The last outbox row the world's own changes wrote. */
let worldEnd = '0';
/** People who were members once, or asked to be: the replay must say nothing of them. */
let applicant: Person;
let removedEmployee: Person;
let leaver: Person;
let removedInstructor: Person;
let unassignedManager: Person;
/** A second manager of companies[1], assigned by a platform admin; an employee of companies[0] too. */
let secondManager: Person;

type Fact = { type: string; payload: Record<string, unknown> };

async function newRows() {
  const rows = await f.database.db
    .selectFrom('outbox')
    .select(['id', 'type', 'payload', 'created_at'])
    .where('id', '>', seen)
    .orderBy('id')
    .execute();
  if (rows.length > 0) seen = rows.at(-1)!.id;
  return rows;
}
const facts = (rows: { type: string; payload: Record<string, unknown> }[]): Fact[] =>
  rows.map(({ type, payload }) => ({ type, payload })).sort(byFact);
/** Key order aside (jsonb keeps its own), one fact sorts like its equal. */
const keyOf = ({ type, payload: p }: Fact) =>
  [type, p.institutionId ?? p.companyId, p.userSub, p.role].join(' ');
const byFact = (a: Fact, b: Fact) => keyOf(a).localeCompare(keyOf(b));

const institutionSet = (institutionId: string, who: Person, role: string): Fact => ({
  type: 'institution.member-set',
  payload: { institutionId, userSub: who.sub, role },
});
const companySet = (companyId: string, who: Person, role: string): Fact => ({
  type: 'company.member-set',
  payload: { companyId, userSub: who.sub, role },
});

/** What the world's memberships are now, as the changes that made them stated them. */
const expected = (): Fact[] =>
  [
    ...w.institutions.flatMap((i) => [
      institutionSet(i.id, i.manager, 'institution-manager'),
      institutionSet(i.id, i.instructor, 'instructor'),
    ]),
    ...w.companies.flatMap((c) => [
      companySet(c.id, c.manager, 'company-manager'),
      companySet(c.id, c.employee, 'employee'),
    ]),
    companySet(w.companies[1].id, secondManager, 'company-manager'),
    companySet(w.companies[0].id, secondManager, 'employee'),
  ].sort(byFact);

const replay = (who: Person | undefined) => f.call(who, { method: 'POST', url: '/admin/membership-facts' });

beforeAll(async () => {
  f = await serviceFixture('replay-facts');
  w = await buildWorld(f);
  const [own, other] = w.institutions;
  const [ownCompany, otherCompany] = w.companies;
  const as = (who: Person, method: 'PUT' | 'POST' | 'DELETE', url: string, status = 200, payload?: unknown) =>
    expectStatus(f.call(who, { method, url, ...(payload !== undefined ? { payload } : {}) }), status);

  applicant = await f.person(['learner'], 'applicant');
  await as(applicant, 'POST', `/companies/${ownCompany.id}/join-requests`);
  removedEmployee = await f.person(['learner'], 'removed');
  await joinAndApprove(f, ownCompany.id, ownCompany.manager, removedEmployee);
  await as(ownCompany.manager, 'DELETE', `/companies/${ownCompany.id}/employees/${removedEmployee.sub}`);
  leaver = await f.person(['learner'], 'leaver');
  await joinAndApprove(f, otherCompany.id, otherCompany.manager, leaver);
  await as(leaver, 'DELETE', `/me/memberships/companies/${otherCompany.id}`, 204);
  removedInstructor = await f.person(['instructor'], 'former');
  await as(other.manager, 'PUT', `/institutions/${other.id}/members/${removedInstructor.sub}`, 200, {
    role: 'instructor',
  });
  await as(other.manager, 'DELETE', `/institutions/${other.id}/members/${removedInstructor.sub}`, 204);
  unassignedManager = await f.person(['company-manager'], 'unassigned');
  await as(w.admin, 'PUT', `/companies/${ownCompany.id}/managers/${unassignedManager.sub}`);
  await as(w.admin, 'DELETE', `/companies/${ownCompany.id}/managers/${unassignedManager.sub}`, 204);
  secondManager = await f.person(['company-manager'], 'second');
  await as(w.admin, 'PUT', `/companies/${otherCompany.id}/managers/${secondManager.sub}`);
  await as(ownCompany.manager, 'PUT', `/companies/${ownCompany.id}/employees/${secondManager.sub}`, 200, {
    email: secondManager.email,
  });
  // An instructor promoted to manager is stated with the role they hold now.
  await as(own.manager, 'PUT', `/institutions/${own.id}/members/${own.instructor.sub}`, 200, {
    role: 'institution-manager',
  });
  await as(own.manager, 'PUT', `/institutions/${own.id}/members/${own.instructor.sub}`, 200, {
    role: 'instructor',
  });
  await newRows();
  worldEnd = seen;
});
afterAll(() => f.close());

describe('POST /admin/membership-facts', () => {
  it('emits one member-set per current membership, with the detail the changes emitted, and nothing else', async () => {
    const before = await sql<{ now: Date }>`select clock_timestamp() as now`.execute(f.database.db);
    const counts = await expectStatus(replay(w.admin), 202);

    const rows = await newRows();
    expect(facts(rows)).toEqual(expected());
    expect(counts).toEqual({ institutionMembers: 4, companyMembers: 6 });
    for (const r of rows)
      expect(r.created_at.getTime()).toBeGreaterThanOrEqual(before.rows[0]!.now.getTime());
    const silent = [applicant, removedEmployee, leaver, removedInstructor, unassignedManager];
    for (const r of rows) expect(silent.map((p) => p.sub)).not.toContain(r.payload.userSub);
  });

  it('is what the normal changes stated last for each person, as consumers parse it', async () => {
    await newRows();
    const start = BigInt(seen);
    await expectStatus(replay(w.admin), 202);
    const published: OutgoingEvent[] = [];
    for (;;) {
      const found = await relayOutbox(f.database.db, async (events) => {
        published.push(...events);
        return events.map((_e, i) => i);
      });
      if (found === 0) break;
    }
    const idOf = (e: OutgoingEvent) => BigInt(String(e.detail.eventId).replace(/^core-/, ''));
    const normal = published.filter((e) => idOf(e) <= BigInt(worldEnd));
    const replayed = published.filter((e) => idOf(e) > start);
    expect(replayed).toHaveLength(expected().length);
    for (const e of replayed) {
      const schema = e.detailType === 'institution.member-set' ? institutionMemberSet : companyMemberSet;
      const fact = schema.parse(e.detail);
      const scope = 'institutionId' in fact ? 'institutionId' : 'companyId';
      const last = normal.findLast(
        (n) => n.detail.userSub === fact.userSub && n.detail[scope] === e.detail[scope],
      );
      expect(last?.detailType).toBe(e.detailType);
      expect(e.detail).toEqual({
        ...last!.detail,
        eventId: expect.any(String),
        occurredAt: expect.any(String),
      });
    }
  });

  it('emits the same facts again with new event ids when run again, which consumers apply to no effect', async () => {
    await newRows();
    await expectStatus(replay(w.admin), 202);
    const first = await newRows();
    await expectStatus(replay(w.admin), 202);
    const second = await newRows();
    expect(facts(second)).toEqual(facts(first));
    const ids = new Set([...first, ...second].map((r) => r.id));
    expect(ids.size).toBe(first.length + second.length);
  });

  it('refuses everyone but platform admins, and changes nothing', async () => {
    const cast = castOf(w);
    for (const caller of CALLERS.filter((c) => c !== 'platform admin')) {
      const before = await snapshot(f.database.db);
      const res = await replay(cast[caller]);
      expect([caller, res.statusCode]).toEqual([caller, caller === 'anonymous' ? 401 : 403]);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(await snapshot(f.database.db)).toEqual(before);
    }
  });
});

describe('replayMembershipFacts in pages', () => {
  it.each([1, 2, 3, 4, 1000])('states the same facts with pages of %i', async (pageSize) => {
    await newRows();
    const counts = await replayMembershipFacts(f.database.db, pageSize);
    expect(facts(await newRows())).toEqual(expected());
    expect(counts).toEqual({ institutionMembers: 4, companyMembers: 6 });
  });

  // PGlite has one connection: a transaction waiting on another's lock needs a server.
  const onServer = process.env.DATABASE_URL ? it : it.skip;
  onServer('leaves out an employee whose removal held their row while the page read it', async () => {
    const company = w.companies[0];
    const employee = await f.person(['learner'], 'racing');
    await joinAndApprove(f, company.id, company.manager, employee);
    await newRows();
    // A removal under way, as decideEmployee makes one: the row locked, changed, its event recorded.
    let commit!: () => void;
    const committed = new Promise<void>((resolve) => (commit = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const removal = f.database.db.transaction().execute(async (trx) => {
      await trx
        .updateTable('affiliations')
        .set({ state: 'removed', decided_at: new Date() })
        .where('company_id', '=', company.id)
        .where('user_sub', '=', employee.sub)
        .execute();
      await emit(trx, 'company.member-removed', { companyId: company.id, userSub: employee.sub });
      locked();
      await committed;
    });
    await isLocked;
    const replaying = replayMembershipFacts(f.database.db, 2);
    await waitingOnALock(replaying);
    commit();
    await removal;
    const counts = await replaying;

    const rows = await newRows();
    expect(rows[0]).toMatchObject({ type: 'company.member-removed', payload: { userSub: employee.sub } });
    expect(facts(rows.slice(1))).toEqual(expected());
    expect(counts.companyMembers).toBe(6);
  });
});

/**
 * Until another session of this database waits for a row lock (the replay's page, behind the removal), or
 * `settled` settles first (a replay that did not wait, which the assertions then catch).
 */
async function waitingOnALock(settled: Promise<unknown>): Promise<void> {
  let done = false;
  const end = () => {
    done = true;
  };
  settled.then(end, end);
  while (!done) {
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from pg_stat_activity
      where datname = current_database() and wait_event_type = 'Lock'`.execute(f.database.db);
    if (rows[0]!.n > 0) return;
  }
}
