import { randomUUID } from 'node:crypto';
import { COMPLIANCE_PROFILES } from '#contracts/compliance-profiles';
import {
  businessNumberFrom,
  serviceFixture,
  type CallOptions,
  type ServiceFixture,
} from '../service-fixture';
import {
  buildWorld,
  CALLERS,
  castOf,
  type CallerName,
  expectStatus,
  joinAndApprove,
  routesOf,
  runningProvision,
  snapshot,
  type Json,
  type World,
} from '../world';

/*
 * Every route, called by every kind of caller, against records of the "own" institution and company
 * (institutions[0], companies[0] of the world). The principles the table encodes:
 *  - no token: 401, before anything else;
 *  - a role that can never use a route: 403;
 *  - someone else's record, or one the caller may not see: 404, and nothing changes;
 *  - inside an institution, managers do everything, instructors build courses but do not publish, archive,
 *    edit the profile, change members or decide provisions (403);
 *  - platform admins read institutions, companies, courses and provisions, and change no tenant's data.
 * Where the service chose 404 over 403 for a role that can never use a route (it answers 404 to anyone
 * outside the record's tenant, whatever their role), the table follows the service.
 */

let f: ServiceFixture;
let w: World;

const own = () => w.institutions[0];
const ownCompany = () => w.companies[0];
const manager = () => own().manager;
const as = (options: CallOptions, status: number) => expectStatus(f.call(manager(), options), status);

let serial = 0;
/** A registration nobody has made yet, so only who calls decides the answer. */
const freshRegistration = () => {
  serial += 1;
  return {
    name: `New ${serial}`,
    ownerName: 'Someone',
    businessNumber: businessNumberFrom(`3${String(serial).padStart(8, '0')}`),
  };
};

/** A draft course of the own institution, with a chapter holding one content when asked. */
async function draftCourse(withContent: boolean): Promise<{ id: string; contentId?: string }> {
  const course = await as({ method: 'POST', url: '/courses', payload: { title: 'Draft' } }, 201);
  if (!withContent) return { id: course.id };
  const chapter = await as(
    { method: 'POST', url: `/courses/${course.id}/chapters`, payload: { title: 'Only' } },
    201,
  );
  const content = await as(
    {
      method: 'POST',
      url: `/courses/${course.id}/chapters/${chapter.id}/contents`,
      payload: { kind: 'material', title: 'Handout' },
    },
    201,
  );
  return { id: course.id, contentId: content.id };
}

/** An open session of the own course, open for registration now, for the own company's employees. */
const sessionBody = (eligibleCompanyIds?: string[]) => ({
  courseId: own().course.id,
  capacity: 5,
  startsOn: '2027-08-01',
  endsOn: '2027-08-31',
  opensAt: new Date(Date.now() - 86_400_000).toISOString(),
  closesAt: new Date(Date.now() + 86_400_000).toISOString(),
  cancelDeadline: new Date(Date.now() + 86_400_000).toISOString(),
  ...(eligibleCompanyIds ? { eligibleCompanyIds } : {}),
});

async function ownCompanySession(): Promise<string> {
  return (await as({ method: 'POST', url: '/sessions', payload: sessionBody([ownCompany().id]) }, 201)).id;
}

type Statuses = readonly [number, number, number, number, number, number, number, number, number, number];

interface Row {
  readonly route: string;
  /**
   * Columns in the order of CALLERS:
   *  anonymous, platform admin, own manager, own instructor, other institution manager,
   *  own company manager, other company manager, enrolled employee, other company employee, plain learner
   */
  readonly statuses: Statuses;
  /**
   * Makes the record a mutating call acts on (an id or a user sub). It is made again after any call that
   * changed the database, so a call that used it up leaves the next caller a record of the same kind.
   */
  readonly target?: () => Promise<string>;
  readonly request: (target: string) => CallOptions;
  /** Callers whose successful call finds nothing left to change (every other success writes). */
  readonly idempotentFor?: readonly CallerName[];
}

const MATRIX: readonly Row[] = [
  {
    route: 'GET /health',
    statuses: [200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    request: () => ({ method: 'GET', url: '/health' }),
  },
  {
    route: 'GET /health/live',
    statuses: [200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    request: () => ({ method: 'GET', url: '/health/live' }),
  },
  {
    route: 'GET /openapi.json',
    statuses: [200, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    request: () => ({ method: 'GET', url: '/openapi.json' }),
  },
  // Institutions
  {
    route: 'POST /institutions',
    // Managers already in an institution may not register a second one; platform admins register for others.
    statuses: [401, 201, 409, 403, 409, 403, 403, 403, 403, 403],
    request: () => ({
      method: 'POST',
      url: '/institutions',
      payload: {
        ...freshRegistration(),
        certificationNumber: 'C-9',
        contactEmail: 'x@example.com',
        contactPhone: '02-999-0000',
      },
    }),
  },
  {
    route: 'GET /institutions',
    statuses: [401, 200, 403, 403, 403, 403, 403, 403, 403, 403],
    request: () => ({ method: 'GET', url: '/institutions?limit=5' }),
  },
  {
    route: 'GET /institutions/:institutionId',
    statuses: [401, 200, 200, 200, 404, 404, 404, 404, 404, 404],
    request: () => ({ method: 'GET', url: `/institutions/${own().id}` }),
  },
  {
    route: 'PATCH /institutions/:institutionId',
    statuses: [401, 404, 200, 403, 404, 404, 404, 404, 404, 404],
    request: () => ({
      method: 'PATCH',
      url: `/institutions/${own().id}`,
      payload: { contactPhone: '02-555-0000' },
    }),
  },
  {
    route: 'GET /institutions/:institutionId/members',
    statuses: [401, 200, 200, 200, 404, 404, 404, 404, 404, 404],
    request: () => ({ method: 'GET', url: `/institutions/${own().id}/members` }),
  },
  {
    route: 'PUT /institutions/:institutionId/members/:userSub',
    statuses: [401, 404, 200, 403, 404, 404, 404, 404, 404, 404],
    request: () => ({
      method: 'PUT',
      url: `/institutions/${own().id}/members/${randomUUID()}`,
      payload: { role: 'instructor' },
    }),
  },
  {
    // An invitation's membership: the institution's managers only.
    route: 'PUT /institutions/:institutionId/instructors/:userSub',
    statuses: [401, 404, 200, 403, 404, 404, 404, 404, 404, 404],
    request: () => ({ method: 'PUT', url: `/institutions/${own().id}/instructors/${randomUUID()}` }),
  },
  {
    route: 'DELETE /institutions/:institutionId/members/:userSub',
    statuses: [401, 404, 204, 403, 404, 404, 404, 404, 404, 404],
    target: async () => {
      const sub = randomUUID();
      await as(
        { method: 'PUT', url: `/institutions/${own().id}/members/${sub}`, payload: { role: 'instructor' } },
        200,
      );
      return sub;
    },
    request: (sub) => ({ method: 'DELETE', url: `/institutions/${own().id}/members/${sub}` }),
  },
  {
    // What the companies buying from an institution see of it: company managers, its own people, admins.
    route: 'GET /institutions/:institutionId/public-profile',
    statuses: [401, 200, 200, 200, 403, 200, 200, 403, 403, 403],
    request: () => ({ method: 'GET', url: `/institutions/${own().id}/public-profile` }),
  },
  {
    // Platform admins alone assign an institution's managers; nobody gives themselves the role.
    route: 'PUT /institutions/:institutionId/managers/:userSub',
    statuses: [401, 200, 403, 403, 403, 403, 403, 403, 403, 403],
    request: () => ({ method: 'PUT', url: `/institutions/${own().id}/managers/${randomUUID()}` }),
  },
  {
    route: 'DELETE /institutions/:institutionId/managers/:userSub',
    statuses: [401, 204, 403, 403, 403, 403, 403, 403, 403, 403],
    target: async () => {
      const sub = randomUUID();
      await expectStatus(
        f.call(w.admin, { method: 'PUT', url: `/institutions/${own().id}/managers/${sub}` }),
        200,
      );
      return sub;
    },
    request: (sub) => ({ method: 'DELETE', url: `/institutions/${own().id}/managers/${sub}` }),
  },
  // Analytics and ratings
  {
    route: 'GET /institutions/:institutionId/analytics/popular-courses',
    statuses: [401, 200, 200, 200, 404, 404, 404, 404, 404, 404],
    request: () => ({
      method: 'GET',
      url: `/institutions/${own().id}/analytics/popular-courses?from=2027-01&to=2027-12`,
    }),
  },
  {
    route: 'GET /institutions/:institutionId/analytics/activity',
    statuses: [401, 200, 200, 200, 404, 404, 404, 404, 404, 404],
    request: () => ({
      method: 'GET',
      url: `/institutions/${own().id}/analytics/activity?period=quarter&from=2027-01&to=2027-12`,
    }),
  },
  {
    route: 'GET /institutions/:institutionId/analytics/completion',
    statuses: [401, 200, 200, 200, 404, 404, 404, 404, 404, 404],
    request: () => ({ method: 'GET', url: `/institutions/${own().id}/analytics/completion` }),
  },
  {
    route: 'GET /institutions/:institutionId/analytics/ratings',
    statuses: [401, 200, 200, 200, 404, 404, 404, 404, 404, 404],
    request: () => ({ method: 'GET', url: `/institutions/${own().id}/analytics/ratings` }),
  },
  {
    // Only the learner rates, and only their own completed enrollment.
    route: 'POST /me/enrollments/:enrollmentId/rating',
    statuses: [401, 404, 404, 404, 404, 404, 404, 201, 404, 404],
    target: ownCompletedEnrollment,
    request: (enrollmentId) => ({
      method: 'POST',
      url: `/me/enrollments/${enrollmentId}/rating`,
      payload: { stars: 5 },
    }),
  },
  // Companies
  {
    route: 'POST /companies',
    statuses: [401, 201, 403, 403, 403, 409, 409, 403, 403, 403],
    request: () => {
      const { name, ownerName, businessNumber } = freshRegistration();
      return {
        method: 'POST',
        url: '/companies',
        payload: {
          name,
          ownerName,
          businessNumber,
          email: `${randomUUID()}@example.com`,
          phone: '031-999-0000',
        },
      };
    },
  },
  {
    // The directory: anyone signed in finds companies by name (ids and names only).
    route: 'GET /companies',
    statuses: [401, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    request: () => ({ method: 'GET', url: '/companies?search=company' }),
  },
  {
    route: 'GET /companies/:companyId',
    statuses: [401, 200, 404, 404, 404, 200, 404, 200, 404, 404],
    request: () => ({ method: 'GET', url: `/companies/${ownCompany().id}` }),
  },
  {
    route: 'PATCH /companies/:companyId',
    statuses: [401, 404, 404, 404, 404, 200, 404, 403, 404, 404],
    request: () => ({
      method: 'PATCH',
      url: `/companies/${ownCompany().id}`,
      payload: { phone: '031-555-0000' },
    }),
  },
  {
    route: 'POST /companies/:companyId/join-requests',
    // Any learner may ask to join any company: the request is theirs, and the company's managers decide.
    statuses: [401, 403, 403, 403, 403, 403, 403, 200, 200, 200],
    request: () => ({ method: 'POST', url: `/companies/${ownCompany().id}/join-requests` }),
    // Already an approved employee: asking again reports the affiliation as it is.
    idempotentFor: ['enrolled employee'],
  },
  {
    route: 'GET /companies/:companyId/employees',
    statuses: [401, 404, 404, 404, 404, 200, 404, 403, 404, 404],
    request: () => ({ method: 'GET', url: `/companies/${ownCompany().id}/employees` }),
  },
  {
    route: 'PUT /companies/:companyId/employees/:userSub/approval',
    statuses: [401, 404, 404, 404, 404, 200, 404, 403, 404, 404],
    target: async () => {
      const learner = await f.person(['learner']);
      await expectStatus(
        f.call(learner, { method: 'POST', url: `/companies/${ownCompany().id}/join-requests` }),
        200,
      );
      return learner.sub;
    },
    request: (sub) => ({ method: 'PUT', url: `/companies/${ownCompany().id}/employees/${sub}/approval` }),
  },
  {
    route: 'DELETE /companies/:companyId/employees/:userSub',
    statuses: [401, 404, 404, 404, 404, 200, 404, 403, 404, 404],
    target: async () => {
      const learner = await f.person(['learner']);
      await joinAndApprove(f, ownCompany().id, ownCompany().manager, learner);
      return learner.sub;
    },
    request: (sub) => ({ method: 'DELETE', url: `/companies/${ownCompany().id}/employees/${sub}` }),
  },
  {
    // An invitation's affiliation: the company's own managers only, and a learner cannot invite themselves.
    route: 'PUT /companies/:companyId/employees/:userSub',
    statuses: [401, 404, 404, 404, 404, 200, 404, 403, 404, 404],
    request: () => ({
      method: 'PUT',
      url: `/companies/${ownCompany().id}/employees/${randomUUID()}`,
      payload: { email: 'invited@example.com' },
    }),
  },
  {
    // Platform admins alone see who manages a company (its managers see themselves on /me/memberships).
    route: 'GET /companies/:companyId/managers',
    statuses: [401, 200, 403, 403, 403, 403, 403, 403, 403, 403],
    request: () => ({ method: 'GET', url: `/companies/${ownCompany().id}/managers` }),
  },
  {
    // Platform admins alone assign a company's managers.
    route: 'PUT /companies/:companyId/managers/:userSub',
    statuses: [401, 200, 403, 403, 403, 403, 403, 403, 403, 403],
    request: () => ({ method: 'PUT', url: `/companies/${ownCompany().id}/managers/${randomUUID()}` }),
  },
  {
    route: 'DELETE /companies/:companyId/managers/:userSub',
    statuses: [401, 204, 403, 403, 403, 403, 403, 403, 403, 403],
    target: async () => {
      const sub = randomUUID();
      await expectStatus(
        f.call(w.admin, { method: 'PUT', url: `/companies/${ownCompany().id}/managers/${sub}` }),
        200,
      );
      return sub;
    },
    request: (sub) => ({ method: 'DELETE', url: `/companies/${ownCompany().id}/managers/${sub}` }),
  },
  {
    route: 'GET /me/memberships',
    statuses: [401, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    request: () => ({ method: 'GET', url: '/me/memberships' }),
  },
  {
    // An employee leaves, and learners whose join requests the row above left open withdraw them; the
    // company's manager is unassigned by an admin (409); the others have nothing to leave. The target puts
    // the enrolled employee back once they left.
    route: 'DELETE /me/memberships/companies/:companyId',
    statuses: [401, 404, 404, 404, 404, 409, 404, 204, 204, 204],
    target: async () => {
      const employee = ownCompany().employee;
      await expectStatus(
        f.call(ownCompany().manager, {
          method: 'PUT',
          url: `/companies/${ownCompany().id}/employees/${employee.sub}`,
          payload: { email: employee.email },
        }),
        200,
      );
      return ownCompany().id;
    },
    request: (companyId) => ({ method: 'DELETE', url: `/me/memberships/companies/${companyId}` }),
  },
  {
    // Platform operations, not a tenant's: only an admin states every membership again (into the outbox).
    route: 'POST /admin/membership-facts',
    statuses: [401, 202, 403, 403, 403, 403, 403, 403, 403, 403],
    request: () => ({ method: 'POST', url: '/admin/membership-facts' }),
  },
  {
    // Platform operations: only an admin (the scheduler's caller) records the day's pace reminders. The
    // target is a learner with nothing done on their provision's last day (by UTC, the default profile's
    // zone), whom the admin's call reminds.
    route: 'POST /admin/pace-reminders',
    statuses: [401, 200, 403, 403, 403, 403, 403, 403, 403, 403],
    target: async () => {
      const today = new Date().toISOString().slice(0, 10);
      const provision = await f.database.db
        .insertInto('provisions')
        .values({
          company_id: ownCompany().id,
          course_id: own().course.id,
          institution_id: own().id,
          starts_on: '2020-01-01',
          ends_on: today,
          attendee_count: 1,
          enrolled_count: 1,
          deposit_amount: 0,
          state: 'accepted',
          requested_by: ownCompany().manager.sub,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await f.database.db
        .insertInto('enrollments')
        .values({ provision_id: provision.id, course_id: own().course.id, user_sub: randomUUID() })
        .execute();
      return today;
    },
    request: (today) => ({ method: 'POST', url: `/admin/pace-reminders?day=${today}` }),
  },
  // Courses
  {
    route: 'POST /courses',
    // The other institution's manager creates the course in their own institution.
    statuses: [401, 403, 201, 201, 201, 403, 403, 403, 403, 403],
    request: () => ({ method: 'POST', url: '/courses', payload: { title: 'Made in the matrix' } }),
  },
  {
    route: 'GET /courses',
    statuses: [401, 200, 200, 200, 200, 200, 200, 403, 403, 403],
    request: () => ({ method: 'GET', url: '/courses' }),
  },
  {
    route: 'GET /courses/:courseId',
    // Company managers read the published catalogue they request courses from.
    statuses: [401, 200, 200, 200, 404, 200, 200, 200, 404, 404],
    request: () => ({ method: 'GET', url: `/courses/${own().course.id}` }),
  },
  {
    route: 'PATCH /courses/:courseId',
    statuses: [401, 404, 200, 200, 404, 404, 404, 404, 404, 404],
    request: () => ({
      method: 'PATCH',
      url: `/courses/${own().course.id}`,
      payload: { introduction: 'Updated' },
    }),
  },
  {
    route: 'POST /courses/:courseId/chapters',
    statuses: [401, 404, 201, 201, 404, 404, 404, 404, 404, 404],
    request: () => ({
      method: 'POST',
      url: `/courses/${own().course.id}/chapters`,
      payload: { title: 'More' },
    }),
  },
  {
    route: 'POST /courses/:courseId/chapters/:chapterId/contents',
    statuses: [401, 404, 201, 201, 404, 404, 404, 404, 404, 404],
    request: () => ({
      method: 'POST',
      url: `/courses/${own().course.id}/chapters/${own().course.chapterId}/contents`,
      payload: { kind: 'material', title: 'Notes' },
    }),
  },
  {
    route: 'POST /courses/:courseId/publish',
    statuses: [401, 404, 200, 403, 404, 404, 404, 404, 404, 404],
    target: async () => (await draftCourse(true)).id,
    request: (id) => ({ method: 'POST', url: `/courses/${id}/publish` }),
  },
  {
    route: 'POST /courses/:courseId/archive',
    statuses: [401, 404, 200, 403, 404, 404, 404, 404, 404, 404],
    target: async () => (await draftCourse(false)).id,
    request: (id) => ({ method: 'POST', url: `/courses/${id}/archive` }),
  },
  {
    route: 'PATCH /courses/:courseId/chapters/:chapterId',
    statuses: [401, 404, 200, 200, 404, 404, 404, 404, 404, 404],
    request: () => ({
      method: 'PATCH',
      url: `/courses/${own().course.id}/chapters/${own().course.chapterId}`,
      payload: { title: `Renamed ${randomUUID().slice(0, 8)}` },
    }),
  },
  {
    route: 'DELETE /courses/:courseId/chapters/:chapterId',
    statuses: [401, 404, 204, 204, 404, 404, 404, 404, 404, 404],
    target: async () =>
      (
        await as(
          { method: 'POST', url: `/courses/${own().course.id}/chapters`, payload: { title: 'Empty' } },
          201,
        )
      ).id,
    request: (id) => ({ method: 'DELETE', url: `/courses/${own().course.id}/chapters/${id}` }),
  },
  {
    route: 'PATCH /courses/:courseId/contents/:contentId',
    statuses: [401, 404, 200, 200, 404, 404, 404, 404, 404, 404],
    request: () => ({
      method: 'PATCH',
      url: `/courses/${own().course.id}/contents/${own().course.contentIds[0]}`,
      payload: { title: `Renamed ${randomUUID().slice(0, 8)}` },
    }),
  },
  {
    route: 'POST /courses/:courseId/contents/:contentId/archive',
    statuses: [401, 404, 200, 200, 404, 404, 404, 404, 404, 404],
    target: async () =>
      (
        await as(
          {
            method: 'POST',
            url: `/courses/${own().course.id}/chapters/${own().course.chapterId}/contents`,
            payload: { kind: 'material', title: 'Outdated' },
          },
          201,
        )
      ).id,
    request: (id) => ({ method: 'POST', url: `/courses/${own().course.id}/contents/${id}/archive` }),
  },
  {
    route: 'DELETE /courses/:courseId/contents/:contentId',
    // Removal needs a course nobody is enrolled in: the target carries its course.
    statuses: [401, 404, 204, 204, 404, 404, 404, 404, 404, 404],
    target: async () => {
      const course = await draftCourse(true);
      return `${course.id}/contents/${course.contentId}`;
    },
    request: (path) => ({ method: 'DELETE', url: `/courses/${path}` }),
  },
  // Provisions and enrollments
  {
    route: 'POST /provisions',
    statuses: [401, 403, 403, 403, 403, 201, 404, 403, 403, 403],
    request: () => ({
      method: 'POST',
      url: '/provisions',
      payload: {
        companyId: ownCompany().id,
        courseId: own().course.id,
        startsOn: '2027-06-01',
        endsOn: '2027-06-30',
        attendeeCount: 3,
        depositAmount: 1000,
      },
    }),
  },
  {
    route: 'GET /provisions',
    // Callers with no side in any provision get an empty list (see the list tests below).
    statuses: [401, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    request: () => ({ method: 'GET', url: '/provisions' }),
  },
  {
    route: 'GET /provisions/:provisionId',
    statuses: [401, 200, 200, 200, 404, 200, 404, 404, 404, 404],
    request: () => ({ method: 'GET', url: `/provisions/${ownCompany().provisionId}` }),
  },
  {
    route: 'POST /provisions/:provisionId/decision',
    // Those who may see the provision but not decide it are told so (403); others learn nothing (404).
    statuses: [401, 403, 200, 403, 404, 403, 404, 404, 404, 404],
    target: async () =>
      (
        await expectStatus(
          f.call(ownCompany().manager, {
            method: 'POST',
            url: '/provisions',
            payload: {
              companyId: ownCompany().id,
              courseId: own().course.id,
              startsOn: '2027-07-01',
              endsOn: '2027-07-31',
              attendeeCount: 2,
              depositAmount: 0,
            },
          }),
          201,
        )
      ).id,
    request: (id) => ({
      method: 'POST',
      url: `/provisions/${id}/decision`,
      payload: { decision: 'accepted' },
    }),
  },
  {
    route: 'POST /provisions/:provisionId/attendees',
    statuses: [401, 403, 403, 403, 404, 200, 404, 404, 404, 404],
    target: async () => {
      const learner = await f.person(['learner']);
      await joinAndApprove(f, ownCompany().id, ownCompany().manager, learner);
      return learner.sub;
    },
    request: (sub) => ({
      method: 'POST',
      url: `/provisions/${ownCompany().provisionId}/attendees`,
      payload: { userSubs: [sub] },
    }),
  },
  {
    route: 'GET /me/enrollments',
    statuses: [401, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    request: () => ({ method: 'GET', url: '/me/enrollments' }),
  },
  // The learning record: only the enrolled learner reaches their own enrollment.
  {
    route: 'POST /me/enrollments/:enrollmentId/heartbeats',
    statuses: [401, 404, 404, 404, 404, 404, 404, 200, 404, 404],
    target: ownEnrollmentWithReadyVideo,
    request: (enrollmentId) => ({
      method: 'POST',
      url: `/me/enrollments/${enrollmentId}/heartbeats`,
      payload: {
        contentId: own().course.contentIds[0],
        sessionId: randomUUID(),
        sequence: 1,
        position: 0,
        playbackRate: 1,
      },
    }),
  },
  {
    route: 'GET /provisions/:provisionId/progress',
    statuses: [401, 200, 200, 200, 404, 200, 404, 404, 404, 404],
    request: () => ({ method: 'GET', url: `/provisions/${ownCompany().provisionId}/progress` }),
  },
  {
    // The audit trail is the institution's record for its auditors, and the sending company's for its claims.
    route: 'GET /provisions/:provisionId/enrollments/:enrollmentId/audit',
    statuses: [401, 200, 200, 200, 404, 200, 404, 404, 404, 404],
    target: ownEnrollmentWithReadyVideo,
    request: (enrollmentId) => ({
      method: 'GET',
      url: `/provisions/${ownCompany().provisionId}/enrollments/${enrollmentId}/audit`,
    }),
  },
  {
    route: 'GET /me/enrollments/:enrollmentId/progress',
    statuses: [401, 404, 404, 404, 404, 404, 404, 200, 404, 404],
    target: ownEnrollmentWithReadyVideo,
    request: (enrollmentId) => ({ method: 'GET', url: `/me/enrollments/${enrollmentId}/progress` }),
  },
  // Exams: the institution writes and grades them, the enrolled learner sits them.
  {
    route: 'POST /courses/:courseId/exams',
    statuses: [401, 404, 201, 201, 404, 404, 404, 404, 404, 404],
    request: () => ({ method: 'POST', url: `/courses/${own().course.id}/exams`, payload: examBody() }),
  },
  {
    route: 'GET /courses/:courseId/exams',
    statuses: [401, 200, 200, 200, 404, 404, 404, 404, 404, 404],
    request: () => ({ method: 'GET', url: `/courses/${own().course.id}/exams` }),
  },
  {
    route: 'GET /courses/:courseId/exams/:examId',
    statuses: [401, 200, 200, 200, 404, 404, 404, 404, 404, 404],
    target: async () => (await freshExam()).id,
    request: (examId) => ({ method: 'GET', url: `/courses/${own().course.id}/exams/${examId}` }),
  },
  {
    route: 'PUT /courses/:courseId/exams/:examId',
    statuses: [401, 404, 200, 200, 404, 404, 404, 404, 404, 404],
    target: async () => (await freshExam()).id,
    request: (examId) => {
      const body: Json = examBody();
      delete body.chapterId;
      return { method: 'PUT', url: `/courses/${own().course.id}/exams/${examId}`, payload: body };
    },
  },
  {
    route: 'DELETE /courses/:courseId/exams/:examId',
    statuses: [401, 404, 204, 204, 404, 404, 404, 404, 404, 404],
    target: async () => (await freshExam()).id,
    request: (examId) => ({ method: 'DELETE', url: `/courses/${own().course.id}/exams/${examId}` }),
  },
  {
    route: 'GET /courses/:courseId/exams/:examId/attempts',
    statuses: [401, 200, 200, 200, 404, 404, 404, 404, 404, 404],
    target: async () => (await submittedSitting()).examId,
    request: (examId) => ({ method: 'GET', url: `/courses/${own().course.id}/exams/${examId}/attempts` }),
  },
  {
    route: 'GET /courses/:courseId/exams/:examId/attempts/:attemptId',
    statuses: [401, 200, 200, 200, 404, 404, 404, 404, 404, 404],
    target: async () => {
      const s = await submittedSitting();
      return `${s.examId}/attempts/${s.sittingId}`;
    },
    request: (path) => ({ method: 'GET', url: `/courses/${own().course.id}/exams/${path}` }),
  },
  {
    route: 'PUT /courses/:courseId/exams/:examId/attempts/:attemptId/grades/:questionId',
    statuses: [401, 404, 200, 200, 404, 404, 404, 404, 404, 404],
    target: async () => {
      const s = await submittedSitting();
      return `${s.examId}/attempts/${s.sittingId}/grades/${s.shortQuestionId}`;
    },
    request: (path) => ({
      method: 'PUT',
      url: `/courses/${own().course.id}/exams/${path}`,
      payload: { points: 7 },
    }),
  },
  {
    // Retakes are the institution managers' decision; instructors grade, they do not grant.
    route: 'POST /provisions/:provisionId/enrollments/:enrollmentId/exams/:examId/retakes',
    statuses: [401, 404, 201, 403, 404, 404, 404, 404, 404, 404],
    target: async () => {
      const s = await submittedSitting();
      return `${s.provisionId}/enrollments/${s.enrollmentId}/exams/${s.examId}`;
    },
    request: (path) => ({
      method: 'POST',
      url: `/provisions/${path}/retakes`,
      payload: { reason: 'The exam room lost power' },
    }),
  },
  // Open sessions: the institution's managers offer them; learners register for themselves.
  {
    route: 'POST /sessions',
    statuses: [401, 403, 201, 403, 404, 403, 403, 403, 403, 403],
    request: () => ({ method: 'POST', url: '/sessions', payload: sessionBody() }),
  },
  {
    route: 'GET /sessions',
    // Everyone signed in browses sessions; what each sees is tested with the lists below.
    statuses: [401, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    request: () => ({ method: 'GET', url: '/sessions' }),
  },
  {
    route: 'GET /sessions/:sessionId',
    // A session for the own company's employees: its institution, admins and those employees see it.
    statuses: [401, 200, 200, 200, 404, 404, 404, 200, 404, 404],
    target: ownCompanySession,
    request: (id) => ({ method: 'GET', url: `/sessions/${id}` }),
  },
  {
    route: 'PATCH /sessions/:sessionId',
    // Its institution's managers only; those who see the session learn they may not (403), others nothing.
    statuses: [401, 403, 200, 403, 404, 404, 404, 403, 404, 404],
    target: ownCompanySession,
    request: (id) => ({ method: 'PATCH', url: `/sessions/${id}`, payload: { capacity: 6 } }),
  },
  {
    route: 'GET /sessions/:sessionId/registrations',
    // Who registered is for the session's institution and admins; a learner it is open to gets 403.
    statuses: [401, 200, 200, 200, 404, 404, 404, 403, 404, 404],
    target: ownCompanySession,
    request: (id) => ({ method: 'GET', url: `/sessions/${id}/registrations` }),
  },
  {
    route: 'POST /sessions/:sessionId/registrations',
    // Only learners take seats (403); a learner the session is not for does not learn it exists (404).
    statuses: [401, 403, 403, 403, 403, 403, 403, 201, 404, 404],
    target: ownCompanySession,
    request: (id) => ({ method: 'POST', url: `/sessions/${id}/registrations`, payload: { waitlist: false } }),
  },
  {
    route: 'POST /me/registrations',
    // A learner the session is not for gets a 200 whose item says not-found, and nothing is written.
    statuses: [401, 403, 403, 403, 403, 403, 403, 200, 200, 200],
    target: ownCompanySession,
    request: (id) => ({ method: 'POST', url: '/me/registrations', payload: { items: [{ sessionId: id }] } }),
    idempotentFor: ['other company employee', 'plain learner'],
  },
  {
    route: 'GET /me/registrations',
    statuses: [401, 200, 200, 200, 200, 200, 200, 200, 200, 200],
    request: () => ({ method: 'GET', url: '/me/registrations' }),
  },
  {
    route: 'DELETE /me/registrations/:sessionId',
    // Only the caller's own registration is theirs to cancel; nobody else holds one here.
    statuses: [401, 404, 404, 404, 404, 404, 404, 200, 404, 404],
    target: async () => {
      const id = await ownCompanySession();
      await expectStatus(
        f.call(ownCompany().employee, {
          method: 'POST',
          url: `/sessions/${id}/registrations`,
          payload: { waitlist: false },
        }),
        201,
      );
      return id;
    },
    request: (id) => ({ method: 'DELETE', url: `/me/registrations/${id}` }),
  },
  {
    route: 'GET /me/enrollments/:enrollmentId/exams',
    statuses: [401, 404, 404, 404, 404, 404, 404, 200, 404, 404],
    target: async () => (await runningEnrollment()).enrollmentId,
    request: (enrollmentId) => ({ method: 'GET', url: `/me/enrollments/${enrollmentId}/exams` }),
  },
  {
    route: 'POST /me/enrollments/:enrollmentId/exams/:examId/sitting',
    statuses: [401, 404, 404, 404, 404, 404, 404, 201, 404, 404],
    target: async () => `${(await runningEnrollment()).enrollmentId}/exams/${(await freshExam()).id}`,
    request: (path) => ({ method: 'POST', url: `/me/enrollments/${path}/sitting` }),
  },
  {
    route: 'GET /me/enrollments/:enrollmentId/exams/:examId/sitting',
    statuses: [401, 404, 404, 404, 404, 404, 404, 200, 404, 404],
    target: async () => {
      const s = await openSitting();
      return `${s.enrollmentId}/exams/${s.examId}`;
    },
    request: (path) => ({ method: 'GET', url: `/me/enrollments/${path}/sitting` }),
  },
  {
    route: 'PUT /me/enrollments/:enrollmentId/exams/:examId/sitting/answers/:questionId',
    statuses: [401, 404, 404, 404, 404, 404, 404, 200, 404, 404],
    target: async () => {
      const s = await openSitting();
      return `${s.enrollmentId}/exams/${s.examId}/sitting/answers/${s.shortQuestionId}`;
    },
    request: (path) => ({
      method: 'PUT',
      url: `/me/enrollments/${path}`,
      payload: { text: 'Stop, then lift' },
    }),
  },
  {
    route: 'POST /me/enrollments/:enrollmentId/exams/:examId/sitting/submit',
    statuses: [401, 404, 404, 404, 404, 404, 404, 200, 404, 404],
    target: async () => {
      const s = await openSitting();
      return `${s.enrollmentId}/exams/${s.examId}`;
    },
    request: (path) => ({ method: 'POST', url: `/me/enrollments/${path}/sitting/submit` }),
  },
];

/** An exam of one choice and one short answer, for the own course's chapter. */
const examBody = () => ({
  chapterId: own().course.chapterId,
  title: 'Safety check',
  stage: 'mid',
  weight: 50,
  questions: [
    { kind: 'choice', prompt: 'Who signals?', choices: ['The banksman', 'Anyone'], answer: 0, points: 10 },
    { kind: 'short', prompt: 'When do you stop the lift?', points: 10 },
  ],
});

/** A new exam in the own course: one a learner can sit once (the profile allows one attempt). */
const freshExam = () =>
  as({ method: 'POST', url: `/courses/${own().course.id}/exams`, payload: examBody() }, 201);

let running: Promise<{ provisionId: string; enrollmentId: string }> | undefined;
/** The enrolled employee's enrollment in a provision of the own course running today. */
function runningEnrollment() {
  return (running ??= runningProvision(f.database.db, w, [ownCompany().employee.sub]).then(
    ({ provisionId, enrollmentIds }) => ({ provisionId, enrollmentId: enrollmentIds[0]! }),
  ));
}

/** The enrolled employee's open sitting of a new exam. */
async function openSitting() {
  const { provisionId, enrollmentId } = await runningEnrollment();
  const exam = await freshExam();
  const sitting = await expectStatus(
    f.call(ownCompany().employee, {
      method: 'POST',
      url: `/me/enrollments/${enrollmentId}/exams/${exam.id}/sitting`,
    }),
    201,
  );
  return {
    provisionId,
    enrollmentId,
    examId: exam.id as string,
    sittingId: sitting.id as string,
    shortQuestionId: exam.questions[1].id as string,
  };
}

/** The enrolled employee's sitting of a new exam, its short answer given and handed in. */
async function submittedSitting() {
  const s = await openSitting();
  const base = `/me/enrollments/${s.enrollmentId}/exams/${s.examId}/sitting`;
  const learner = ownCompany().employee;
  await expectStatus(
    f.call(learner, {
      method: 'PUT',
      url: `${base}/answers/${s.shortQuestionId}`,
      payload: { text: 'At once' },
    }),
    200,
  );
  await expectStatus(f.call(learner, { method: 'POST', url: `${base}/submit` }), 200);
  return s;
}

/** The enrolled employee's enrollment, its course's video made ready as the video pipeline would. */
async function ownEnrollmentWithReadyVideo(): Promise<string> {
  await f.database.db
    .updateTable('contents')
    .set({ media_state: 'ready', duration_seconds: 600, playback_path: 'videos/v/index.m3u8' })
    .where('id', '=', own().course.contentIds[0]!)
    .execute();
  const enrollment = await f.database.db
    .selectFrom('enrollments')
    .select('id')
    .where('user_sub', '=', ownCompany().employee.sub)
    .executeTakeFirstOrThrow();
  return enrollment.id;
}

/**
 * The enrolled employee's enrollment, completed (as the completion rule would mark it) and not yet rated,
 * so the next call finds it ratable again after one used it up.
 */
async function ownCompletedEnrollment(): Promise<string> {
  const enrollment = await f.database.db
    .updateTable('enrollments')
    .set({ completed_at: new Date() })
    .where('user_sub', '=', ownCompany().employee.sub)
    .where('provision_id', '=', ownCompany().provisionId)
    .returning('id')
    .executeTakeFirstOrThrow();
  await f.database.db.deleteFrom('course_ratings').where('enrollment_id', '=', enrollment.id).execute();
  return enrollment.id;
}

beforeAll(async () => {
  // The regime with every gate (exam gates, one attempt, a timer), so the matrix passes through them.
  f = await serviceFixture('authorization', { compliance: COMPLIANCE_PROFILES['kr-employer-training'] });
  w = await buildWorld(f);
});
afterAll(() => f.close());

/** One request, with the database as it was before and after. */
async function attempt(caller: CallerName, options: CallOptions) {
  const before = await snapshot(f.database.db);
  const res = await f.call(castOf(w)[caller], options);
  const after = await snapshot(f.database.db);
  return { res, before, after, changed: JSON.stringify(after) !== JSON.stringify(before) };
}

/** The status, and for a refusal a problem+json body and an untouched database. */
function expectAnswer({ res, before, after }: Awaited<ReturnType<typeof attempt>>, status: number) {
  // The body rides along with a wrong status, so the failure shows what the service said.
  expect(res.statusCode === status ? status : `${res.statusCode} ${res.body}`).toBe(status);
  if (status >= 400) {
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status, title: expect.any(String) });
    expect(after).toEqual(before);
  }
}

it('has a matrix row for every route the service serves, and none for a route it does not', () => {
  expect(MATRIX.map((r) => r.route).sort()).toEqual(routesOf(f.app).sort());
});

describe('records of another tenant named inside an allowed request', () => {
  const other = () => w.institutions[1];
  const otherCompany = () => w.companies[1];

  it.each<[string, () => [CallerName, CallOptions], number, string?]>([
    [
      'a company manager requests a course for another company',
      () => [
        'own company manager',
        {
          method: 'POST',
          url: '/provisions',
          payload: {
            companyId: otherCompany().id,
            courseId: own().course.id,
            startsOn: '2027-06-01',
            endsOn: '2027-06-30',
            attendeeCount: 1,
            depositAmount: 0,
          },
        },
      ],
      404,
    ],
    [
      'a company manager enrolls another company’s employee',
      () => [
        'own company manager',
        {
          method: 'POST',
          url: `/provisions/${ownCompany().provisionId}/attendees`,
          payload: { userSubs: [otherCompany().employee.sub] },
        },
      ],
      422,
      'body.userSubs.0',
    ],
    [
      'a company manager approves another company’s employee under their own company',
      () => [
        'own company manager',
        {
          method: 'PUT',
          url: `/companies/${ownCompany().id}/employees/${otherCompany().employee.sub}/approval`,
        },
      ],
      404,
    ],
    [
      'a company manager removes another company’s employee under their own company',
      () => [
        'own company manager',
        { method: 'DELETE', url: `/companies/${ownCompany().id}/employees/${otherCompany().employee.sub}` },
      ],
      404,
    ],
    [
      'a company manager affiliates a person to another company',
      () => [
        'own company manager',
        {
          method: 'PUT',
          url: `/companies/${otherCompany().id}/employees/${randomUUID()}`,
          payload: { email: 'planted@example.com' },
        },
      ],
      404,
    ],
    [
      'a company manager unassigns another company’s manager',
      () => [
        'own company manager',
        { method: 'DELETE', url: `/companies/${otherCompany().id}/managers/${otherCompany().manager.sub}` },
      ],
      403,
    ],
    [
      'a learner makes themselves a company’s manager',
      () => [
        'plain learner',
        { method: 'PUT', url: `/companies/${ownCompany().id}/managers/${w.learner.sub}` },
      ],
      403,
    ],
    [
      'an instructor makes themselves their institution’s manager',
      () => [
        'own instructor',
        { method: 'PUT', url: `/institutions/${own().id}/managers/${own().instructor.sub}` },
      ],
      403,
    ],
    [
      'an employee leaves another company',
      () => [
        'enrolled employee',
        { method: 'DELETE', url: `/me/memberships/companies/${otherCompany().id}` },
      ],
      404,
    ],
    [
      'a manager takes in another institution’s instructor',
      () => [
        'own manager',
        {
          method: 'PUT',
          url: `/institutions/${own().id}/members/${other().instructor.sub}`,
          payload: { role: 'instructor' },
        },
      ],
      409,
    ],
    [
      'a manager invites another institution’s instructor',
      () => [
        'own manager',
        { method: 'PUT', url: `/institutions/${own().id}/instructors/${other().instructor.sub}` },
      ],
      409,
    ],
    [
      'a manager removes another institution’s instructor under their own institution',
      () => [
        'own manager',
        { method: 'DELETE', url: `/institutions/${own().id}/members/${other().instructor.sub}` },
      ],
      404,
    ],
    [
      'a manager names another institution’s instructor as a course’s instructor',
      () => [
        'own manager',
        {
          method: 'PATCH',
          url: `/courses/${own().course.id}`,
          payload: { instructorSub: other().instructor.sub },
        },
      ],
      400,
      'body.instructorSub',
    ],
    [
      'an instructor adds a content to another institution’s chapter under their own course',
      () => [
        'own instructor',
        {
          method: 'POST',
          url: `/courses/${own().course.id}/chapters/${other().course.chapterId}/contents`,
          payload: { kind: 'material', title: 'Planted' },
        },
      ],
      404,
    ],
    [
      'an instructor renames another institution’s chapter under their own course',
      () => [
        'own instructor',
        {
          method: 'PATCH',
          url: `/courses/${own().course.id}/chapters/${other().course.chapterId}`,
          payload: { title: 'Taken' },
        },
      ],
      404,
    ],
    [
      'a manager removes another institution’s chapter under their own course',
      () => [
        'own manager',
        { method: 'DELETE', url: `/courses/${own().course.id}/chapters/${other().course.chapterId}` },
      ],
      404,
    ],
    [
      'an instructor moves their content into another institution’s chapter',
      () => [
        'own instructor',
        {
          method: 'PATCH',
          url: `/courses/${own().course.id}/contents/${own().course.contentIds[1]}`,
          payload: { chapterId: other().course.chapterId, position: 0 },
        },
      ],
      404,
    ],
    [
      'an instructor renames another institution’s content under their own course',
      () => [
        'own instructor',
        {
          method: 'PATCH',
          url: `/courses/${own().course.id}/contents/${other().course.contentIds[0]}`,
          payload: { title: 'Taken' },
        },
      ],
      404,
    ],
    [
      'an instructor archives another institution’s content under their own course',
      () => [
        'own instructor',
        {
          method: 'POST',
          url: `/courses/${own().course.id}/contents/${other().course.contentIds[0]}/archive`,
        },
      ],
      404,
    ],
    [
      'a manager removes another institution’s content under their own course',
      () => [
        'own manager',
        { method: 'DELETE', url: `/courses/${own().course.id}/contents/${other().course.contentIds[0]}` },
      ],
      404,
    ],
    // A rest parameter: with a fourth declared parameter jest would take the optional field for `done`.
  ])('refuses: %s', async (...row) => {
    const [, build, status, field] = row;
    const [caller, options] = build();
    const outcome = await attempt(caller, options);
    expectAnswer(outcome, status);
    if (field) expect(outcome.res.json().errors).toEqual([expect.objectContaining({ field })]);
  });

  it('refuses a company manager a course that is not published, changing nothing', async () => {
    const draft = await expectStatus(
      f.call(other().manager, { method: 'POST', url: '/courses', payload: { title: 'Unpublished' } }),
      201,
    );
    const request = await attempt('own company manager', {
      method: 'POST',
      url: '/provisions',
      payload: {
        companyId: ownCompany().id,
        courseId: draft.id,
        startsOn: '2027-06-01',
        endsOn: '2027-06-30',
        attendeeCount: 1,
        depositAmount: 0,
      },
    });
    expectAnswer(request, 404);
    expectAnswer(await attempt('own company manager', { method: 'GET', url: `/courses/${draft.id}` }), 404);
  });
});

describe('lists show only the caller’s own records', () => {
  const ids = (list: Json[]) => list.map((x) => x.id as string);
  const get = async (caller: CallerName, url: string): Promise<Json[]> =>
    (await expectStatus(f.call(castOf(w)[caller], { method: 'GET', url }), 200)) as unknown as Json[];

  it('gives an institution’s people their own courses in every state, and nobody else’s', async () => {
    for (const caller of ['own manager', 'own instructor'] as const) {
      const courses = await get(caller, '/courses?limit=200');
      expect(courses.length).toBeGreaterThan(0);
      expect(new Set(courses.map((c) => c.institutionId))).toEqual(new Set([w.institutions[0].id]));
    }
    const other = await get('other institution manager', '/courses?limit=200');
    expect(ids(other)).not.toContain(w.institutions[0].course.id);
  });

  it('gives company managers the published catalogue only, even when they ask for drafts', async () => {
    const catalogue = await get('own company manager', '/courses?limit=200');
    expect(ids(catalogue)).toEqual(expect.arrayContaining(w.institutions.map((i) => i.course.id)));
    expect(new Set(catalogue.map((c) => c.state))).toEqual(new Set(['published']));
    expect(await get('own company manager', '/courses?state=draft')).toEqual([]);
  });

  it('gives each side of a provision its own provisions, and callers of neither side none', async () => {
    const provisionIds = w.companies.map((c) => c.provisionId);
    for (const caller of ['own manager', 'own instructor', 'own company manager'] as const) {
      const mine = await get(caller, '/provisions?limit=200');
      expect(ids(mine)).toContain(provisionIds[0]);
      expect(ids(mine)).not.toContain(provisionIds[1]);
    }
    for (const caller of ['other institution manager', 'other company manager'] as const) {
      expect(ids(await get(caller, '/provisions?limit=200'))).not.toContain(provisionIds[0]);
    }
    for (const caller of ['enrolled employee', 'other company employee', 'plain learner'] as const) {
      expect(await get(caller, '/provisions')).toEqual([]);
    }
    expect(ids(await get('platform admin', '/provisions?limit=200'))).toEqual(
      expect.arrayContaining(provisionIds),
    );
  });

  it('gives learners only their own enrollments', async () => {
    const enrolled = await get('enrolled employee', '/me/enrollments');
    expect(enrolled.map((e) => e.courseId)).toEqual([w.institutions[0].course.id]);
    const otherEmployee = await get('other company employee', '/me/enrollments');
    expect(otherEmployee.map((e) => e.courseId)).toEqual([w.institutions[1].course.id]);
    for (const caller of ['plain learner', 'own manager', 'own company manager', 'platform admin'] as const) {
      expect(await get(caller, '/me/enrollments')).toEqual([]);
    }
  });

  it('shows every caller the company directory as names and ids, and each their own memberships', async () => {
    for (const caller of CALLERS.filter((c) => c !== 'anonymous')) {
      const page = (await expectStatus(
        f.call(castOf(w)[caller], { method: 'GET', url: '/companies?search=company&limit=100' }),
        200,
      )) as { companies: Json[] };
      expect(page.companies.map((c) => c.id)).toEqual(expect.arrayContaining(w.companies.map((c) => c.id)));
      for (const c of page.companies) expect(Object.keys(c).sort()).toEqual(['id', 'name']);
    }
    const mine = async (caller: CallerName) =>
      (await expectStatus(f.call(castOf(w)[caller], { method: 'GET', url: '/me/memberships' }), 200)) as Json;
    expect((await mine('own instructor')).institution).toMatchObject({ id: w.institutions[0].id });
    expect((await mine('other institution manager')).institution).toMatchObject({ id: w.institutions[1].id });
    expect((await mine('enrolled employee')).companies).toEqual([
      expect.objectContaining({ id: w.companies[0].id, role: 'employee', state: 'approved' }),
    ]);
    expect((await mine('other company manager')).companies).toEqual([
      expect.objectContaining({ id: w.companies[1].id, role: 'company-manager' }),
    ]);
    expect(await mine('plain learner')).toEqual({ institution: null, companies: [] });
  });

  it('shows a session for one company’s employees to them, its institution and admins, and nobody else', async () => {
    const id = await ownCompanySession();
    for (const caller of ['own manager', 'own instructor', 'enrolled employee', 'platform admin'] as const)
      expect(ids(await get(caller, '/sessions?limit=200'))).toContain(id);
    for (const caller of [
      'other institution manager',
      'own company manager',
      'other company employee',
      'plain learner',
    ] as const)
      expect(ids(await get(caller, '/sessions?limit=200'))).not.toContain(id);
  });

  it('lists an institution’s members and a company’s employees only to their own people', async () => {
    const members = await get('own manager', `/institutions/${w.institutions[0].id}/members`);
    const subs = members.map((m) => m.userSub);
    expect(subs).toEqual(
      expect.arrayContaining([w.institutions[0].manager.sub, w.institutions[0].instructor.sub]),
    );
    expect(subs).not.toContain(w.institutions[1].instructor.sub);
    const employees = await get('own company manager', `/companies/${w.companies[0].id}/employees?limit=500`);
    expect(employees.map((e) => e.userSub)).toContain(w.companies[0].employee.sub);
    expect(employees.map((e) => e.userSub)).not.toContain(w.companies[1].employee.sub);
  });
});

// Last: the matrix's successful calls (join requests, new members, enrollments) would change what the
// cross-tenant requests above find.
describe('the authorization matrix', () => {
  describe.each(MATRIX)('$route', (row) => {
    const targets: { current?: Promise<string> } = {};
    it.each(CALLERS.map((caller, i) => [caller, row.statuses[i]!] as const))(
      'as %s → %i',
      async (caller, status) => {
        const target = row.target ? await (targets.current ??= row.target()) : '';
        const options = row.request(target);
        const outcome = await attempt(caller, options);
        if (outcome.changed) delete targets.current;
        expectAnswer(outcome, status);
        // Reads never write; a mutation that answers success has written (which also shows the
        // snapshot would see a refused call that wrote anyway).
        if (options.method === 'GET') expect(outcome.changed).toBe(false);
        else if (status < 400 && outcome.res.statusCode === status)
          expect(outcome.changed).toBe(!row.idempotentFor?.includes(caller));
      },
    );
  });
});
