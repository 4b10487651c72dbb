import { randomUUID } from 'node:crypto';
import { businessNumberFrom, serviceFixture, type Person, type ServiceFixture } from '../service-fixture';
import { expectStatus, type Json, snapshot } from '../world';

/*
 * Who belongs to a company, and the facts the users domain turns into Cognito groups: each change writes
 * exactly its event in the same transaction, a change that changes nobody's place writes none, and every
 * refusal writes nothing at all.
 */

let f: ServiceFixture;
let admin: Person;
let manager: Person;
let companyId: string;
let otherManager: Person;
let otherCompanyId: string;
let seen = '0';

/** The outbox rows written since the last look, oldest first. */
async function newEvents(): Promise<{ type: string; payload: Json }[]> {
  const rows = await f.database.db
    .selectFrom('outbox')
    .select(['id', 'type', 'payload'])
    .where('id', '>', seen)
    .orderBy('id')
    .execute();
  if (rows.length > 0) seen = rows.at(-1)!.id;
  return rows.map(({ type, payload }) => ({ type, payload }));
}
const set = (companyId: string, userSub: string, role: 'company-manager' | 'employee') => ({
  type: 'company.member-set',
  payload: { companyId, userSub, role },
});
const removed = (companyId: string, userSub: string) => ({
  type: 'company.member-removed',
  payload: { companyId, userSub },
});

const call = (
  who: Person,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  status: number,
  payload?: unknown,
) => expectStatus(f.call(who, { method, url, ...(payload !== undefined ? { payload } : {}) }), status);
const affiliation = (company: string, sub: string) =>
  f.database.db
    .selectFrom('affiliations')
    .selectAll()
    .where('company_id', '=', company)
    .where('user_sub', '=', sub)
    .execute();

async function register(who: Person, nine: string) {
  const { id } = await call(who, 'POST', '/companies', 201, {
    name: `Company ${nine}`,
    ownerName: 'Park',
    businessNumber: businessNumberFrom(nine),
    email: `hr-${nine}@example.com`,
    phone: '031-555-0101',
  });
  return id as string;
}

/** The call's refusal, with nothing written anywhere. */
async function refused(
  who: Person,
  method: 'PUT' | 'DELETE',
  url: string,
  status: number,
  payload?: unknown,
) {
  const before = await snapshot(f.database.db);
  const res = await f.call(who, { method, url, ...(payload !== undefined ? { payload } : {}) });
  expect(res.statusCode === status ? status : `${res.statusCode} ${res.body}`).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(await snapshot(f.database.db)).toEqual(before);
}

beforeAll(async () => {
  f = await serviceFixture('company-members');
  admin = await f.person(['platform-admin'], 'admin');
  manager = await f.person(['company-manager'], 'manager');
  otherManager = await f.person(['company-manager'], 'other');
  companyId = await register(manager, '701810001');
  otherCompanyId = await register(otherManager, '701810002');
});
afterAll(() => f.close());

describe('company members and their facts', () => {
  it('makes a company’s registrant its manager, and says so', async () => {
    expect(await newEvents()).toEqual([
      set(companyId, manager.sub, 'company-manager'),
      set(otherCompanyId, otherManager.sub, 'company-manager'),
    ]);
  });

  it('sets an employee when approved and removes them when removed; a refused request states nothing', async () => {
    const [approved, refusedOne] = [await f.person(['learner']), await f.person(['learner'])];
    for (const l of [approved, refusedOne])
      await call(l, 'POST', `/companies/${companyId}/join-requests`, 200);
    await call(manager, 'PUT', `/companies/${companyId}/employees/${approved.sub}/approval`, 200);
    await call(manager, 'DELETE', `/companies/${companyId}/employees/${refusedOne.sub}`, 200);
    await call(manager, 'DELETE', `/companies/${companyId}/employees/${approved.sub}`, 200);
    expect(await newEvents()).toEqual([
      set(companyId, approved.sub, 'employee'),
      removed(companyId, approved.sub),
    ]);
    await refused(manager, 'DELETE', `/companies/${companyId}/employees/${approved.sub}`, 409);
  });

  it('affiliates an invited person at once, again without a second affiliation, and a removed one again', async () => {
    const invited = await f.person(['learner'], 'invited');
    const url = `/companies/${companyId}/employees/${invited.sub}`;
    const first = await call(manager, 'PUT', url, 200, { email: 'kim@example.com' });
    expect(first).toMatchObject({ userSub: invited.sub, email: 'kim@example.com', state: 'approved' });
    const again = await call(manager, 'PUT', url, 200, { email: 'kim@example.com' });
    expect(again).toEqual(first);
    expect(await affiliation(companyId, invited.sub)).toHaveLength(1);

    await call(manager, 'DELETE', url, 200);
    const back = await call(manager, 'PUT', url, 200, { email: 'kim@example.com' });
    expect(back.state).toBe('approved');
    expect(new Date(back.decidedAt).getTime()).toBeGreaterThan(new Date(first.decidedAt).getTime());
    expect(await newEvents()).toEqual([
      set(companyId, invited.sub, 'employee'),
      set(companyId, invited.sub, 'employee'),
      removed(companyId, invited.sub),
      set(companyId, invited.sub, 'employee'),
    ]);
  });

  it('approves an open request by invitation', async () => {
    const asking = await f.person(['learner']);
    await call(asking, 'POST', `/companies/${companyId}/join-requests`, 200);
    const row = await call(manager, 'PUT', `/companies/${companyId}/employees/${asking.sub}`, 200, {
      email: asking.email,
    });
    expect(row).toMatchObject({ state: 'approved', decidedAt: expect.any(String) });
    expect(await newEvents()).toEqual([set(companyId, asking.sub, 'employee')]);
  });

  it('refuses an invitation of the company’s own manager, or by anyone but its managers', async () => {
    const learner = await f.person(['learner']);
    const employee = await f.person(['learner']);
    await call(manager, 'PUT', `/companies/${companyId}/employees/${employee.sub}`, 200, {
      email: employee.email,
    });
    await newEvents();
    const body = { email: 'x@example.com' };
    await refused(manager, 'PUT', `/companies/${companyId}/employees/${manager.sub}`, 409, body);
    // Another company's manager, its employee, a learner giving themselves a place, a platform admin.
    await refused(otherManager, 'PUT', `/companies/${companyId}/employees/${learner.sub}`, 404, body);
    await refused(employee, 'PUT', `/companies/${companyId}/employees/${learner.sub}`, 403, body);
    await refused(learner, 'PUT', `/companies/${companyId}/employees/${learner.sub}`, 404, body);
    await refused(admin, 'PUT', `/companies/${companyId}/employees/${learner.sub}`, 404, body);
    // A company manager cannot reach another company's employee through either company.
    await refused(otherManager, 'DELETE', `/companies/${companyId}/employees/${employee.sub}`, 404);
    await refused(otherManager, 'DELETE', `/companies/${otherCompanyId}/employees/${employee.sub}`, 404);
    await refused(
      otherManager,
      'PUT',
      `/companies/${otherCompanyId}/employees/${employee.sub}/approval`,
      404,
    );
    expect(await newEvents()).toEqual([]);
  });

  it('lets an employee leave, and a learner withdraw their request, stating only the removal', async () => {
    const [employee, asking] = [await f.person(['learner']), await f.person(['learner'])];
    await call(manager, 'PUT', `/companies/${companyId}/employees/${employee.sub}`, 200, {
      email: employee.email,
    });
    await call(asking, 'POST', `/companies/${companyId}/join-requests`, 200);
    await call(employee, 'DELETE', `/me/memberships/companies/${companyId}`, 204);
    await call(asking, 'DELETE', `/me/memberships/companies/${companyId}`, 204);
    expect(await newEvents()).toEqual([
      set(companyId, employee.sub, 'employee'),
      removed(companyId, employee.sub),
    ]);
    expect((await affiliation(companyId, employee.sub))[0]).toMatchObject({ state: 'removed' });
    expect((await affiliation(companyId, asking.sub))[0]).toMatchObject({ state: 'removed' });

    // Gone already, never there, or a manager (whom a platform admin unassigns).
    await refused(employee, 'DELETE', `/me/memberships/companies/${companyId}`, 404);
    await refused(employee, 'DELETE', `/me/memberships/companies/${randomUUID()}`, 404);
    await refused(manager, 'DELETE', `/me/memberships/companies/${companyId}`, 409);
  });

  it('lets platform admins assign and unassign managers, keeping one, and nobody else', async () => {
    const [second, employee] = [await f.person(['learner']), await f.person(['learner'])];
    const managers = `/companies/${companyId}/managers`;
    const assigned = await call(admin, 'PUT', `${managers}/${second.sub}`, 200);
    expect(assigned).toMatchObject({ userSub: second.sub, role: 'company-manager', state: 'approved' });
    expect(await call(admin, 'PUT', `${managers}/${second.sub}`, 200)).toEqual(assigned);
    // An employee is promoted.
    await call(manager, 'PUT', `/companies/${companyId}/employees/${employee.sub}`, 200, {
      email: employee.email,
    });
    await call(admin, 'PUT', `${managers}/${employee.sub}`, 200);
    await call(admin, 'DELETE', `${managers}/${employee.sub}`, 204);
    await call(admin, 'DELETE', `${managers}/${second.sub}`, 204);
    expect(await newEvents()).toEqual([
      set(companyId, second.sub, 'company-manager'),
      set(companyId, second.sub, 'company-manager'),
      set(companyId, employee.sub, 'employee'),
      set(companyId, employee.sub, 'company-manager'),
      removed(companyId, employee.sub),
      removed(companyId, second.sub),
    ]);
    // An unassigned manager may ask to join as an employee like anyone removed.
    expect(await call(second, 'POST', `/companies/${companyId}/join-requests`, 200)).toMatchObject({
      state: 'requested',
    });
    await newEvents();

    await refused(admin, 'DELETE', `${managers}/${manager.sub}`, 409);
    await refused(admin, 'DELETE', `${managers}/${second.sub}`, 404);
    await refused(admin, 'PUT', `/companies/${randomUUID()}/managers/${second.sub}`, 404);
    await refused(admin, 'DELETE', `/companies/${randomUUID()}/managers/${second.sub}`, 404);
    // A learner cannot give themselves a role, nor a manager another one.
    const learner = await f.person(['learner']);
    await refused(learner, 'PUT', `${managers}/${learner.sub}`, 403);
    await refused(manager, 'PUT', `${managers}/${learner.sub}`, 403);
    await refused(manager, 'DELETE', `/companies/${otherCompanyId}/managers/${otherManager.sub}`, 403);
    expect(await newEvents()).toEqual([]);
  });

  it('keeps one affiliation when the same invitation arrives ten times at once', async () => {
    const invited = await f.person(['learner']);
    const url = `/companies/${companyId}/employees/${invited.sub}`;
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        f.call(manager, { method: 'PUT', url, payload: { email: invited.email } }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array(10).fill(200));
    expect(await affiliation(companyId, invited.sub)).toHaveLength(1);
    expect(await newEvents()).toEqual(Array(10).fill(set(companyId, invited.sub, 'employee')));
  });

  it('removes an employee once when they leave as their manager removes them', async () => {
    const employee = await f.person(['learner']);
    await call(manager, 'PUT', `/companies/${companyId}/employees/${employee.sub}`, 200, {
      email: employee.email,
    });
    await newEvents();
    const [leave, removal] = await Promise.all([
      f.call(employee, { method: 'DELETE', url: `/me/memberships/companies/${companyId}` }),
      f.call(manager, { method: 'DELETE', url: `/companies/${companyId}/employees/${employee.sub}` }),
    ]);
    // Whichever came second found the affiliation removed already.
    expect([leave!.statusCode, removal!.statusCode].sort()).toEqual(
      leave!.statusCode === 204 ? [204, 409] : [200, 404],
    );
    expect(await newEvents()).toEqual([removed(companyId, employee.sub)]);
  });

  it('keeps a company’s last manager when two admins unassign its two managers at once', async () => {
    const [a, b] = [await f.person(['company-manager']), await f.person(['company-manager'])];
    const companyB = await register(a, '701810003');
    await call(admin, 'PUT', `/companies/${companyB}/managers/${b.sub}`, 200);
    await newEvents();
    const results = await Promise.all(
      [a, b].map((m) => f.call(admin, { method: 'DELETE', url: `/companies/${companyB}/managers/${m.sub}` })),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([204, 409]);
    const left = await f.database.db
      .selectFrom('affiliations')
      .select('user_sub')
      .where('company_id', '=', companyB)
      .where('state', '=', 'approved')
      .execute();
    expect(left).toHaveLength(1);
    const events = await newEvents();
    expect(events).toEqual([removed(companyB, [a, b].find((m) => m.sub !== left[0]!.user_sub)!.sub)]);
  });
});
