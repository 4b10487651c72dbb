import { randomUUID } from 'node:crypto';
import { businessNumberFrom, serviceFixture, type Person, type ServiceFixture } from '../service-fixture';
import { expectStatus, type Json, snapshot } from '../world';

/*
 * An institution's people as platform admins and its managers set them, with their facts, and the public
 * profile the companies buying its courses read.
 */

let f: ServiceFixture;
let admin: Person;
let manager: Person;
let institutionId: string;
let otherId: string;
let seen = '0';

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
const set = (userSub: string, role: string, id = institutionId) => ({
  type: 'institution.member-set',
  payload: { institutionId: id, userSub, role },
});
const removed = (userSub: string) => ({
  type: 'institution.member-removed',
  payload: { institutionId, userSub },
});
const call = (
  who: Person,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  status: number,
  payload?: unknown,
) => expectStatus(f.call(who, { method, url, ...(payload !== undefined ? { payload } : {}) }), status);

async function refused(
  who: Person,
  method: 'GET' | 'PUT' | 'DELETE',
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

const registration = (nine: string) => ({
  name: `Academy ${nine}`,
  ownerName: 'Kim Minji',
  businessNumber: businessNumberFrom(nine),
  certificationNumber: `CERT-${nine}`,
  contactEmail: `office-${nine}@academy.example.com`,
  contactPhone: '02-1234-5678',
});

beforeAll(async () => {
  f = await serviceFixture('institution-people');
  admin = await f.person(['platform-admin'], 'admin');
  manager = await f.person(['institution-manager'], 'manager');
  institutionId = (await call(manager, 'POST', '/institutions', 201, registration('801810001'))).id;
  const otherManager = await f.person(['institution-manager'], 'other');
  otherId = (await call(otherManager, 'POST', '/institutions', 201, registration('801810002'))).id;
  await newEvents();
});
afterAll(() => f.close());

describe('an institution’s people', () => {
  it('adds an instructor again without a second membership, stating the fact each time', async () => {
    const instructor = await f.person(['learner'], 'invited');
    const url = `/institutions/${institutionId}/members/${instructor.sub}`;
    const first = await call(manager, 'PUT', url, 200, { role: 'instructor' });
    expect(await call(manager, 'PUT', url, 200, { role: 'instructor' })).toEqual(first);
    const rows = await f.database.db
      .selectFrom('institution_members')
      .selectAll()
      .where('user_sub', '=', instructor.sub)
      .execute();
    expect(rows).toHaveLength(1);
    expect(await newEvents()).toEqual([set(instructor.sub, 'instructor'), set(instructor.sub, 'instructor')]);
  });

  it('invites an instructor, again without a change, and never demotes a manager by invitation', async () => {
    const invited = await f.person(['learner'], 'invited');
    const url = (sub: string) => `/institutions/${institutionId}/instructors/${sub}`;
    const first = await call(manager, 'PUT', url(invited.sub), 200);
    expect(first).toMatchObject({ userSub: invited.sub, role: 'instructor' });
    expect(await call(manager, 'PUT', url(invited.sub), 200)).toEqual(first);
    expect(await call(manager, 'PUT', url(manager.sub), 200)).toMatchObject({ role: 'institution-manager' });
    expect(await newEvents()).toEqual([
      set(invited.sub, 'instructor'),
      set(invited.sub, 'instructor'),
      set(manager.sub, 'institution-manager'),
    ]);
    const elsewhere = await f.database.db
      .selectFrom('institution_members')
      .select('user_sub')
      .where('institution_id', '=', otherId)
      .executeTakeFirstOrThrow();
    await refused(manager, 'PUT', url(elsewhere.user_sub), 409);
    await refused(await f.person(['instructor'], 'instructor', invited.sub), 'PUT', url(randomUUID()), 403);
    await refused(admin, 'PUT', url(randomUUID()), 404);
    await refused(await f.person(['learner']), 'PUT', url(randomUUID()), 404);
    expect(await newEvents()).toEqual([]);
  });

  it('lets platform admins assign and unassign managers, keeping one', async () => {
    const [second, instructor] = [await f.person(['learner']), await f.person(['learner'])];
    const managers = `/institutions/${institutionId}/managers`;
    const assigned = await call(admin, 'PUT', `${managers}/${second.sub}`, 200);
    expect(assigned).toMatchObject({ userSub: second.sub, role: 'institution-manager' });
    expect(await call(admin, 'PUT', `${managers}/${second.sub}`, 200)).toEqual(assigned);
    await call(manager, 'PUT', `/institutions/${institutionId}/members/${instructor.sub}`, 200, {
      role: 'instructor',
    });
    await call(admin, 'PUT', `${managers}/${instructor.sub}`, 200);
    await call(admin, 'DELETE', `${managers}/${instructor.sub}`, 204);
    await call(admin, 'DELETE', `${managers}/${second.sub}`, 204);
    expect(await newEvents()).toEqual([
      set(second.sub, 'institution-manager'),
      set(second.sub, 'institution-manager'),
      set(instructor.sub, 'instructor'),
      set(instructor.sub, 'institution-manager'),
      removed(instructor.sub),
      removed(second.sub),
    ]);
  });

  it('refuses the last manager’s removal, a person of another institution, strangers and self-promotion', async () => {
    const managers = `/institutions/${institutionId}/managers`;
    const instructor = await f.person(['learner']);
    await call(manager, 'PUT', `/institutions/${institutionId}/members/${instructor.sub}`, 200, {
      role: 'instructor',
    });
    await newEvents();
    await refused(admin, 'DELETE', `${managers}/${manager.sub}`, 409);
    // Not a manager here: an instructor, or nobody.
    await refused(admin, 'DELETE', `${managers}/${instructor.sub}`, 404);
    await refused(admin, 'DELETE', `${managers}/${randomUUID()}`, 404);
    await refused(admin, 'PUT', `/institutions/${randomUUID()}/managers/${randomUUID()}`, 404);
    const elsewhere = await f.database.db
      .selectFrom('institution_members')
      .select('user_sub')
      .where('institution_id', '=', otherId)
      .executeTakeFirstOrThrow();
    await refused(admin, 'PUT', `${managers}/${elsewhere.user_sub}`, 409);
    const learner = await f.person(['learner']);
    await refused(learner, 'PUT', `${managers}/${learner.sub}`, 403);
    // An institution's own instructor cannot promote themselves, nor its manager act as a platform admin.
    const asInstructor = await f.person(['instructor'], 'instructor', instructor.sub);
    await refused(asInstructor, 'PUT', `${managers}/${instructor.sub}`, 403);
    await refused(manager, 'PUT', `${managers}/${learner.sub}`, 403);
    await refused(manager, 'DELETE', `/institutions/${otherId}/managers/${elsewhere.user_sub}`, 403);
    expect(await newEvents()).toEqual([]);
  });

  it('shows its public profile, with its published courses counted, to the companies buying from it', async () => {
    const instructor = await f.person(['instructor']);
    await call(manager, 'PUT', `/institutions/${institutionId}/members/${instructor.sub}`, 200, {
      role: 'instructor',
    });
    for (const title of ['Published', 'Draft']) {
      const course = await call(manager, 'POST', '/courses', 201, { title });
      if (title === 'Draft') continue;
      const chapter = await call(manager, 'POST', `/courses/${course.id}/chapters`, 201, { title: 'One' });
      await call(manager, 'POST', `/courses/${course.id}/chapters/${chapter.id}/contents`, 201, {
        kind: 'material',
        title: 'Handout',
      });
      await call(manager, 'POST', `/courses/${course.id}/publish`, 200);
    }
    const profile = {
      id: institutionId,
      name: 'Academy 801810001',
      certificationNumber: 'CERT-801810001',
      contactEmail: 'office-801810001@academy.example.com',
      contactPhone: '02-1234-5678',
      publishedCourseCount: 1,
    };
    const url = `/institutions/${institutionId}/public-profile`;
    for (const who of [await f.person(['company-manager']), admin, manager, instructor])
      expect(await call(who, 'GET', url, 200)).toEqual(profile);
    expect(await call(admin, 'GET', `/institutions/${otherId}/public-profile`, 200)).toMatchObject({
      publishedCourseCount: 0,
    });
    await refused(await f.person(['learner']), 'GET', url, 403);
    await refused(admin, 'GET', `/institutions/${randomUUID()}/public-profile`, 404);
  });
});
