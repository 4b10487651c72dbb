import { randomUUID } from 'node:crypto';
import { COMPLIANCE_PROFILES } from '#contracts/compliance-profiles';
import {
  businessNumberFrom,
  serviceFixture,
  type CallOptions,
  type CallResult,
  type Person,
  type ServiceFixture,
} from '../service-fixture';
import {
  buildWorld,
  expectStatus,
  joinAndApprove,
  routesOf,
  runningProvision,
  snapshot,
  type Json,
  type World,
} from '../world';

/*
 * Every route, called by someone it would serve, with one thing wrong in the request. Each answer is a
 * 4xx problem+json body (400s name the offending fields as `body.x`, `path.x`, `query.x`) and leaves the
 * database as it was. Each route's own valid request would succeed, so a check the service skipped would
 * show as a write.
 */

let f: ServiceFixture;
let w: World;
/** Records whose valid requests would succeed, so no case leans on a refusal for another reason. */
let spare: {
  draftCourseId: string;
  draftChapterId: string;
  emptyChapterId: string;
  draftContentId: string;
  requestedProvisionId: string;
  /** Approved by the own company, enrolled in nothing. */
  employeeSub: string;
  /** Asked to join the own company. */
  applicantSub: string;
  /** Second managers (of the other institution, of the own company), whom a platform admin may unassign. */
  institutionManagerSub: string;
  companyManagerSub: string;
  /** The own company's enrolled employee's enrollment, whose course video is ready. */
  enrollmentId: string;
  /** Another employee of the own company, enrolled, completed and not yet rating. */
  raterSub: string;
  completedEnrollmentId: string;
  /** An exam of the own course with two sittings: `openId` (the sitter's) and `submittedId`. */
  exam: Json;
  /** An exam of the own course nobody has sat. */
  unsatExamId: string;
  /** A provision of the own course that runs today, and two of its learners with the video watched. */
  runningProvisionId: string;
  sitter: Person;
  sitterEnrollmentId: string;
  openId: string;
  submitterEnrollmentId: string;
  submittedId: string;
  /** Open sessions of the own course for anyone: open now, not yet open, closed, full, past cancelling. */
  sessions: { open: string; early: string; closed: string; full: string; pastCancelling: string };
  /** A learner registered for `open` (beside another) and `pastCancelling`. */
  registrant: Person;
};

const own = () => w.institutions[0];
const ownCompany = () => w.companies[0];

interface Case {
  readonly name: string;
  readonly status: number;
  /** The fields the answer names (its `errors`), exactly. */
  readonly fields?: readonly string[];
  /** Path parameters replacing the route's valid ones. */
  readonly params?: () => Record<string, string>;
  readonly query?: string;
  /** The body, made from the route's valid one. */
  readonly body?: (valid: Json) => unknown;
  /** Bytes sent as they are, with their content type. */
  readonly raw?: { readonly body: string; readonly contentType: string };
}

interface Route {
  readonly route: string;
  /** Someone the route serves. */
  readonly who: () => Person | Promise<Person>;
  readonly params?: () => Record<string, string>;
  /** A query string the route would accept; a case's own query replaces it. */
  readonly query?: string;
  /** A body the route would accept. */
  readonly valid?: () => Json;
  readonly cases: readonly Case[];
}

let serial = 0;
const next = () => String((serial += 1)).padStart(8, '0');
const long = (n: number) => 'x'.repeat(n);
const unknownId = () => randomUUID();
/** What a paged analytics listing refuses: its page's size and a cursor it did not give out. */
const analyticsPageCases = [
  { name: 'no rows a page', query: 'limit=0', status: 400, fields: ['query.limit'] },
  { name: 'a page too long', query: 'limit=201', status: 400, fields: ['query.limit'] },
  { name: 'a cursor it never gave', query: 'cursor=e30', status: 400, fields: ['query.cursor'] },
  { name: 'a cursor that is no base64 JSON', query: 'cursor=%25%25', status: 400, fields: ['query.cursor'] },
];
/** Just over the service's 1 MiB body limit. */
const overLimit = () => long(1024 * 1024 + 1);

const institutionBody = () => ({
  name: 'Busan Crane Academy',
  ownerName: 'Choi',
  businessNumber: businessNumberFrom(`4${next()}`),
  certificationNumber: 'CERT-77',
  contactEmail: 'office@crane.example.com',
  contactPhone: '051-123-4567',
});
const companyBody = () => ({
  name: 'Daehan Shipping',
  ownerName: 'Jung',
  businessNumber: businessNumberFrom(`5${next()}`),
  email: `hr-${next()}@daehan.example.com`,
  phone: '051-765-4321',
});
/** A valid business number with its check digit changed. */
const wrongCheckDigit = () => {
  const n = businessNumberFrom('612345678');
  return `${n.slice(0, 9)}${(Number(n[9]) + 1) % 10}`;
};

/** An open session of the own course, by default for anyone and open for registration now. */
const sessionBody = (over: Json = {}) => ({
  courseId: own().course.id,
  capacity: 5,
  startsOn: '2027-12-01',
  endsOn: '2027-12-31',
  opensAt: new Date(Date.now() - 86_400_000).toISOString(),
  closesAt: new Date(Date.now() + 86_400_000).toISOString(),
  cancelDeadline: new Date(Date.now() + 86_400_000).toISOString(),
  ...over,
});

const ROUTES: readonly Route[] = [
  { route: 'GET /health', who: () => w.learner, cases: [] },
  { route: 'GET /health/live', who: () => w.learner, cases: [] },
  { route: 'GET /openapi.json', who: () => w.learner, cases: [] },
  // Institutions
  {
    route: 'POST /institutions',
    who: () => f.person(['institution-manager']),
    valid: institutionBody,
    cases: [
      {
        name: 'no fields',
        body: () => ({}),
        status: 400,
        fields: [
          'body.name',
          'body.ownerName',
          'body.businessNumber',
          'body.certificationNumber',
          'body.contactEmail',
          'body.contactPhone',
        ],
      },
      {
        name: 'a number for the name',
        body: (b) => ({ ...b, name: 42 }),
        status: 400,
        fields: ['body.name'],
      },
      {
        name: 'a 201-character name',
        body: (b) => ({ ...b, name: long(201) }),
        status: 400,
        fields: ['body.name'],
      },
      { name: 'a name of spaces', body: (b) => ({ ...b, name: '   ' }), status: 400, fields: ['body.name'] },
      {
        name: 'a 101-character owner name',
        body: (b) => ({ ...b, ownerName: long(101) }),
        status: 400,
        fields: ['body.ownerName'],
      },
      {
        name: 'a business number with a wrong check digit',
        body: (b) => ({ ...b, businessNumber: wrongCheckDigit() }),
        status: 400,
        fields: ['body.businessNumber'],
      },
      {
        name: 'a 13-character business number',
        body: (b) => ({ ...b, businessNumber: '1'.repeat(13) }),
        status: 400,
        fields: ['body.businessNumber'],
      },
      {
        name: 'an e-mail address that is not one',
        body: (b) => ({ ...b, contactEmail: 'office' }),
        status: 400,
        fields: ['body.contactEmail'],
      },
      {
        name: 'a phone number of letters',
        body: (b) => ({ ...b, contactPhone: 'call us' }),
        status: 400,
        fields: ['body.contactPhone'],
      },
      {
        name: 'null for a required field',
        body: (b) => ({ ...b, certificationNumber: null }),
        status: 400,
        fields: ['body.certificationNumber'],
      },
      {
        name: 'a NUL character in the name',
        body: (b) => ({ ...b, name: 'Busan\u0000Academy' }),
        status: 400,
        fields: ['body.name'],
      },
      {
        name: 'the business number of a registered institution',
        body: (b) => ({ ...b, businessNumber: own().businessNumber }),
        status: 409,
      },
      { name: 'a body over the size limit', body: (b) => ({ ...b, name: overLimit() }), status: 413 },
      {
        name: 'a form-encoded body',
        raw: { body: 'name=Busan', contentType: 'application/x-www-form-urlencoded' },
        status: 415,
      },
      {
        name: 'an empty body',
        raw: { body: '', contentType: 'application/json' },
        status: 400,
        fields: ['body'],
      },
    ],
  },
  {
    route: 'GET /institutions',
    who: () => w.admin,
    query: 'limit=10',
    cases: [
      { name: 'a zero limit', query: 'limit=0', status: 400, fields: ['query.limit'] },
      { name: 'a limit over 100', query: 'limit=101', status: 400, fields: ['query.limit'] },
      { name: 'a limit that is not a number', query: 'limit=all', status: 400, fields: ['query.limit'] },
      { name: 'a cursor it never gave out', query: 'cursor=abc', status: 400, fields: ['query.cursor'] },
      {
        name: 'a cursor of the right shape naming no uuid',
        query: `cursor=${Buffer.from('["Academy 0","42"]').toString('base64url')}`,
        status: 400,
        fields: ['query.cursor'],
      },
      {
        name: 'a cursor whose name PostgreSQL cannot hold',
        query: `cursor=${Buffer.from(JSON.stringify(['a\u0000', randomUUID()])).toString('base64url')}`,
        status: 400,
        fields: ['query.cursor'],
      },
      { name: 'an empty cursor', query: 'cursor=', status: 400, fields: ['query.cursor'] },
      { name: 'an unknown parameter', query: 'search=x', status: 400, fields: ['query.search'] },
    ],
  },
  {
    route: 'GET /institutions/:institutionId',
    who: () => own().manager,
    params: () => ({ institutionId: own().id }),
    cases: [],
  },
  {
    route: 'PATCH /institutions/:institutionId',
    who: () => own().manager,
    params: () => ({ institutionId: own().id }),
    valid: () => ({ name: 'Renamed Academy' }),
    cases: [
      { name: 'no change', body: () => ({}), status: 400, fields: ['body'] },
      { name: 'an empty name', body: () => ({ name: '' }), status: 400, fields: ['body.name'] },
      { name: 'a 201-character name', body: () => ({ name: long(201) }), status: 400, fields: ['body.name'] },
      {
        name: 'a number for the phone',
        body: () => ({ contactPhone: 21234567 }),
        status: 400,
        fields: ['body.contactPhone'],
      },
      {
        name: 'an id in the body',
        body: (b) => ({ ...b, id: randomUUID() }),
        status: 400,
        fields: ['body.id'],
      },
      {
        name: 'the other institution’s business number',
        body: () => ({ businessNumber: w.institutions[1].businessNumber }),
        status: 409,
      },
    ],
  },
  {
    route: 'GET /institutions/:institutionId/members',
    who: () => own().manager,
    params: () => ({ institutionId: own().id }),
    cases: [],
  },
  {
    route: 'PUT /institutions/:institutionId/members/:userSub',
    who: () => own().manager,
    // A person not yet in any institution: the valid request adds them.
    params: () => ({ institutionId: own().id, userSub: randomUUID() }),
    valid: () => ({ role: 'instructor' }),
    cases: [
      { name: 'no role', body: () => ({}), status: 400, fields: ['body.role'] },
      {
        name: 'a role that is not an institution’s',
        body: () => ({ role: 'platform-admin' }),
        status: 400,
        fields: ['body.role'],
      },
      { name: 'a number for the role', body: () => ({ role: 1 }), status: 400, fields: ['body.role'] },
      {
        name: 'the only manager stepping down',
        params: () => ({ institutionId: own().id, userSub: own().manager.sub }),
        status: 409,
      },
      {
        name: 'a member of the other institution',
        params: () => ({ institutionId: own().id, userSub: w.institutions[1].instructor.sub }),
        status: 409,
      },
    ],
  },
  {
    route: 'PUT /institutions/:institutionId/instructors/:userSub',
    who: () => own().manager,
    params: () => ({ institutionId: own().id, userSub: randomUUID() }),
    cases: [
      {
        name: 'a member of the other institution',
        params: () => ({ institutionId: own().id, userSub: w.institutions[1].instructor.sub }),
        status: 409,
      },
    ],
  },
  {
    route: 'DELETE /institutions/:institutionId/members/:userSub',
    who: () => own().manager,
    params: () => ({ institutionId: own().id, userSub: own().instructor.sub }),
    cases: [
      {
        name: 'a person who is not a member',
        params: () => ({ institutionId: own().id, userSub: randomUUID() }),
        status: 404,
      },
      {
        name: 'the only manager',
        params: () => ({ institutionId: own().id, userSub: own().manager.sub }),
        status: 409,
      },
    ],
  },
  {
    route: 'GET /institutions/:institutionId/public-profile',
    // A buyer, to whom an unknown institution is one that does not exist.
    who: () => ownCompany().manager,
    params: () => ({ institutionId: own().id }),
    cases: [],
  },
  {
    route: 'PUT /institutions/:institutionId/managers/:userSub',
    who: () => w.admin,
    params: () => ({ institutionId: own().id, userSub: randomUUID() }),
    cases: [
      {
        name: 'a member of the other institution',
        params: () => ({ institutionId: own().id, userSub: w.institutions[1].instructor.sub }),
        status: 409,
      },
    ],
  },
  {
    route: 'DELETE /institutions/:institutionId/managers/:userSub',
    who: () => w.admin,
    // The other institution's: the own one keeps a single manager, whom the cases above need alone.
    params: () => ({ institutionId: w.institutions[1].id, userSub: spare.institutionManagerSub }),
    cases: [
      {
        name: 'an instructor, who is no manager',
        params: () => ({ institutionId: w.institutions[1].id, userSub: w.institutions[1].instructor.sub }),
        status: 404,
      },
      {
        name: 'a manager of another institution',
        params: () => ({ institutionId: w.institutions[1].id, userSub: own().manager.sub }),
        status: 404,
      },
    ],
  },
  // Analytics and ratings
  {
    route: 'GET /institutions/:institutionId/analytics/popular-courses',
    who: () => own().manager,
    params: () => ({ institutionId: own().id }),
    query: 'from=2027-01&to=2027-12',
    cases: [
      { name: 'no months', query: '', status: 400, fields: ['query.from', 'query.to'] },
      { name: 'no from', query: 'to=2027-12', status: 400, fields: ['query.from'] },
      { name: 'a 13th month', query: 'from=2027-13&to=2027-12', status: 400, fields: ['query.from'] },
      { name: 'a day for a month', query: 'from=2027-01-01&to=2027-12', status: 400, fields: ['query.from'] },
      { name: 'a month before 2000', query: 'from=1999-12&to=2000-01', status: 400, fields: ['query.from'] },
      {
        name: 'two froms',
        query: 'from=2027-01&from=2027-02&to=2027-12',
        status: 400,
        fields: ['query.from'],
      },
      {
        name: 'a range that ends before it starts',
        query: 'from=2027-05&to=2027-04',
        status: 400,
        fields: ['query.to'],
      },
      { name: '37 months', query: 'from=2027-01&to=2030-01', status: 400, fields: ['query.to'] },
      {
        name: 'an unknown parameter',
        query: 'from=2027-01&to=2027-12&period=month',
        status: 400,
        fields: ['query.period'],
      },
    ],
  },
  {
    route: 'GET /institutions/:institutionId/analytics/activity',
    who: () => own().manager,
    params: () => ({ institutionId: own().id }),
    query: 'period=month&from=2027-01&to=2027-12',
    cases: [
      { name: 'no period', query: 'from=2027-01&to=2027-12', status: 400, fields: ['query.period'] },
      {
        name: 'a period that does not exist',
        query: 'period=week&from=2027-01&to=2027-12',
        status: 400,
        fields: ['query.period'],
      },
      {
        name: 'a month 00',
        query: 'period=month&from=2027-00&to=2027-12',
        status: 400,
        fields: ['query.from'],
      },
      {
        name: 'a range that ends before it starts',
        query: 'period=quarter&from=2027-07&to=2027-06',
        status: 400,
        fields: ['query.to'],
      },
      {
        name: '37 months',
        query: 'period=quarter&from=2027-01&to=2030-01',
        status: 400,
        fields: ['query.to'],
      },
    ],
  },
  {
    route: 'GET /institutions/:institutionId/analytics/completion',
    who: () => own().manager,
    params: () => ({ institutionId: own().id }),
    cases: analyticsPageCases,
  },
  {
    route: 'GET /institutions/:institutionId/analytics/ratings',
    who: () => own().manager,
    params: () => ({ institutionId: own().id }),
    cases: analyticsPageCases,
  },
  {
    route: 'POST /me/enrollments/:enrollmentId/rating',
    who: () => f.person(['learner'], 'rater', spare.raterSub),
    params: () => ({ enrollmentId: spare.completedEnrollmentId }),
    valid: () => ({ stars: 5 }),
    cases: [
      { name: 'no stars', body: () => ({}), status: 400, fields: ['body.stars'] },
      { name: 'zero stars', body: () => ({ stars: 0 }), status: 400, fields: ['body.stars'] },
      { name: 'six stars', body: () => ({ stars: 6 }), status: 400, fields: ['body.stars'] },
      { name: 'half a star', body: () => ({ stars: 2.5 }), status: 400, fields: ['body.stars'] },
      { name: 'stars as text', body: () => ({ stars: '5' }), status: 400, fields: ['body.stars'] },
      { name: 'null stars', body: () => ({ stars: null }), status: 400, fields: ['body.stars'] },
      {
        name: 'another learner’s enrollment',
        params: () => ({ enrollmentId: spare.enrollmentId }),
        status: 404,
      },
    ],
  },
  // Companies
  {
    route: 'POST /companies',
    who: () => f.person(['company-manager']),
    valid: companyBody,
    cases: [
      {
        name: 'no fields',
        body: () => ({}),
        status: 400,
        fields: ['body.name', 'body.ownerName', 'body.businessNumber', 'body.email', 'body.phone'],
      },
      { name: 'a number for the name', body: (b) => ({ ...b, name: 7 }), status: 400, fields: ['body.name'] },
      {
        name: 'a 201-character name',
        body: (b) => ({ ...b, name: long(201) }),
        status: 400,
        fields: ['body.name'],
      },
      {
        name: 'an e-mail address that is not one',
        body: (b) => ({ ...b, email: 'hr' }),
        status: 400,
        fields: ['body.email'],
      },
      {
        name: 'a 255-character e-mail address',
        body: (b) => ({ ...b, email: `${long(243)}@example.com` }),
        status: 400,
        fields: ['body.email'],
      },
      {
        name: 'a phone number of letters',
        body: (b) => ({ ...b, phone: 'call us' }),
        status: 400,
        fields: ['body.phone'],
      },
      {
        name: 'the e-mail of a registered company',
        body: (b) => ({ ...b, email: ownCompany().email }),
        status: 409,
      },
      {
        name: 'the business number of a registered company',
        body: (b) => ({ ...b, businessNumber: ownCompany().businessNumber }),
        status: 409,
      },
    ],
  },
  {
    route: 'GET /companies',
    who: () => w.learner,
    query: 'search=company&limit=10',
    cases: [
      { name: 'a search of spaces', query: 'search=%20%20', status: 400, fields: ['query.search'] },
      { name: 'an empty search', query: 'search=', status: 400, fields: ['query.search'] },
      { name: 'a 101-character search', query: `search=${long(101)}`, status: 400, fields: ['query.search'] },
      { name: 'two searches', query: 'search=a&search=b', status: 400, fields: ['query.search'] },
      { name: 'a zero limit', query: 'limit=0', status: 400, fields: ['query.limit'] },
      { name: 'a limit over 100', query: 'limit=101', status: 400, fields: ['query.limit'] },
      { name: 'a limit that is not a number', query: 'limit=all', status: 400, fields: ['query.limit'] },
      { name: 'a cursor it never gave out', query: 'cursor=abc', status: 400, fields: ['query.cursor'] },
      {
        name: 'a cursor of the right shape naming no uuid',
        query: `cursor=${Buffer.from('["Company 0","42"]').toString('base64url')}`,
        status: 400,
        fields: ['query.cursor'],
      },
      { name: 'an empty cursor', query: 'cursor=', status: 400, fields: ['query.cursor'] },
      { name: 'an unknown parameter', query: 'state=approved', status: 400, fields: ['query.state'] },
    ],
  },
  {
    route: 'GET /companies/:companyId',
    who: () => ownCompany().manager,
    params: () => ({ companyId: ownCompany().id }),
    cases: [],
  },
  {
    route: 'PATCH /companies/:companyId',
    who: () => ownCompany().manager,
    params: () => ({ companyId: ownCompany().id }),
    valid: () => ({ name: 'Renamed Company' }),
    cases: [
      { name: 'no change', body: () => ({}), status: 400, fields: ['body'] },
      { name: 'a number for the e-mail', body: () => ({ email: 5 }), status: 400, fields: ['body.email'] },
      { name: 'a 201-character name', body: () => ({ name: long(201) }), status: 400, fields: ['body.name'] },
      { name: 'the other company’s e-mail', body: () => ({ email: w.companies[1].email }), status: 409 },
    ],
  },
  {
    route: 'POST /companies/:companyId/join-requests',
    who: () => f.person(['learner']),
    params: () => ({ companyId: ownCompany().id }),
    cases: [],
  },
  {
    route: 'GET /companies/:companyId/employees',
    who: () => ownCompany().manager,
    params: () => ({ companyId: ownCompany().id }),
    cases: [
      { name: 'a zero limit', query: 'limit=0', status: 400, fields: ['query.limit'] },
      { name: 'a limit over 500', query: 'limit=501', status: 400, fields: ['query.limit'] },
      { name: 'a limit that is not a number', query: 'limit=ten', status: 400, fields: ['query.limit'] },
      { name: 'a fractional limit', query: 'limit=1.5', status: 400, fields: ['query.limit'] },
      { name: 'a state that does not exist', query: 'state=fired', status: 400, fields: ['query.state'] },
      { name: 'two states', query: 'state=approved&state=removed', status: 400, fields: ['query.state'] },
      { name: 'an unknown parameter', query: 'unexpected=1', status: 400, fields: ['query.unexpected'] },
    ],
  },
  {
    route: 'PUT /companies/:companyId/employees/:userSub/approval',
    who: () => ownCompany().manager,
    params: () => ({ companyId: ownCompany().id, userSub: spare.applicantSub }),
    cases: [
      {
        name: 'a person who never asked to join',
        params: () => ({ companyId: ownCompany().id, userSub: randomUUID() }),
        status: 404,
      },
      {
        name: 'an employee approved already',
        params: () => ({ companyId: ownCompany().id, userSub: ownCompany().employee.sub }),
        status: 409,
      },
    ],
  },
  {
    route: 'DELETE /companies/:companyId/employees/:userSub',
    who: () => ownCompany().manager,
    params: () => ({ companyId: ownCompany().id, userSub: spare.applicantSub }),
    cases: [
      {
        name: 'a person who never asked to join',
        params: () => ({ companyId: ownCompany().id, userSub: randomUUID() }),
        status: 404,
      },
      {
        name: 'the company’s manager',
        params: () => ({ companyId: ownCompany().id, userSub: ownCompany().manager.sub }),
        status: 404,
      },
    ],
  },
  {
    route: 'PUT /companies/:companyId/employees/:userSub',
    who: () => ownCompany().manager,
    params: () => ({ companyId: ownCompany().id, userSub: randomUUID() }),
    valid: () => ({ email: 'invited@example.com' }),
    cases: [
      { name: 'no e-mail', body: () => ({}), status: 400, fields: ['body.email'] },
      {
        name: 'an e-mail that is not one',
        body: () => ({ email: 'kim' }),
        status: 400,
        fields: ['body.email'],
      },
      {
        name: 'a 255-character e-mail',
        body: () => ({ email: `${long(243)}@example.com` }),
        status: 400,
        fields: ['body.email'],
      },
      {
        name: 'a state, to leave them requested',
        body: (b) => ({ ...b, state: 'requested' }),
        status: 400,
        fields: ['body.state'],
      },
      {
        name: 'the company’s own manager',
        params: () => ({ companyId: ownCompany().id, userSub: ownCompany().manager.sub }),
        status: 409,
      },
    ],
  },
  {
    route: 'GET /companies/:companyId/managers',
    who: () => w.admin,
    params: () => ({ companyId: ownCompany().id }),
    cases: [],
  },
  {
    route: 'PUT /companies/:companyId/managers/:userSub',
    who: () => w.admin,
    params: () => ({ companyId: ownCompany().id, userSub: randomUUID() }),
    cases: [],
  },
  {
    route: 'DELETE /companies/:companyId/managers/:userSub',
    who: () => w.admin,
    params: () => ({ companyId: ownCompany().id, userSub: spare.companyManagerSub }),
    cases: [
      {
        name: 'an employee, who is no manager',
        params: () => ({ companyId: ownCompany().id, userSub: ownCompany().employee.sub }),
        status: 404,
      },
      {
        name: 'a manager of the other company',
        params: () => ({ companyId: ownCompany().id, userSub: w.companies[1].manager.sub }),
        status: 404,
      },
    ],
  },
  { route: 'GET /me/memberships', who: () => w.learner, cases: [] },
  // No parameters, no body to get wrong: who may call it is the matrix's.
  { route: 'POST /admin/membership-facts', who: () => w.admin, cases: [] },
  {
    route: 'POST /admin/pace-reminders',
    who: () => w.admin,
    query: 'day=2026-01-15',
    cases: [
      { name: 'a day that is no date', query: 'day=2026-02-30', status: 400, fields: ['query.day'] },
      { name: 'a month for a day', query: 'day=2026-01', status: 400, fields: ['query.day'] },
      { name: 'two days', query: 'day=2026-01-15&day=2026-01-16', status: 400, fields: ['query.day'] },
      { name: 'a day not yet come', query: 'day=2999-01-01', status: 400, fields: ['query.day'] },
      {
        name: 'an unknown parameter',
        query: 'day=2026-01-15&companyId=x',
        status: 400,
        fields: ['query.companyId'],
      },
    ],
  },
  {
    route: 'DELETE /me/memberships/companies/:companyId',
    who: () => f.person(['learner'], 'employee', spare.employeeSub),
    params: () => ({ companyId: ownCompany().id }),
    cases: [
      {
        name: 'a company they do not belong to',
        params: () => ({ companyId: w.companies[1].id }),
        status: 404,
      },
    ],
  },
  // Courses
  {
    route: 'POST /courses',
    who: () => own().manager,
    valid: () => ({ title: 'New course' }),
    cases: [
      { name: 'no title', body: () => ({}), status: 400, fields: ['body.title'] },
      { name: 'a number for the title', body: () => ({ title: 42 }), status: 400, fields: ['body.title'] },
      {
        name: 'a 201-character title',
        body: () => ({ title: long(201) }),
        status: 400,
        fields: ['body.title'],
      },
      { name: 'a title of spaces', body: () => ({ title: '  ' }), status: 400, fields: ['body.title'] },
      {
        name: 'a 20001-character introduction',
        body: (b) => ({ ...b, introduction: long(20001) }),
        status: 400,
        fields: ['body.introduction'],
      },
      {
        name: 'a number for the introduction',
        body: (b) => ({ ...b, introduction: 5 }),
        status: 400,
        fields: ['body.introduction'],
      },
      {
        name: 'a cover image over plain http',
        body: (b) => ({ ...b, coverImageUrl: 'http://cdn.example.com/a.png' }),
        status: 400,
        fields: ['body.coverImageUrl'],
      },
      {
        name: 'a script for the cover image',
        body: (b) => ({ ...b, coverImageUrl: 'javascript:alert(1)' }),
        status: 400,
        fields: ['body.coverImageUrl'],
      },
      {
        name: 'an empty instructor',
        body: (b) => ({ ...b, instructorSub: '' }),
        status: 400,
        fields: ['body.instructorSub'],
      },
      {
        name: 'an instructor who does not teach there',
        body: (b) => ({ ...b, instructorSub: randomUUID() }),
        status: 400,
        fields: ['body.instructorSub'],
      },
      {
        name: 'a state, to publish at birth',
        body: (b) => ({ ...b, state: 'published' }),
        status: 400,
        fields: ['body.state'],
      },
      {
        name: 'another institution’s id',
        body: (b) => ({ ...b, institutionId: w.institutions[1].id }),
        status: 400,
        fields: ['body.institutionId'],
      },
      {
        name: 'a NUL character in the title',
        body: () => ({ title: 'Crane\u0000safety' }),
        status: 400,
        fields: ['body.title'],
      },
      { name: 'a body over the size limit', body: (b) => ({ ...b, introduction: overLimit() }), status: 413 },
      // JSON is the only body the service reads.
      {
        name: 'a plain-text body',
        raw: { body: 'New course', contentType: 'text/plain' },
        status: 415,
        fields: ['headers.content-type'],
      },
    ],
  },
  {
    route: 'GET /courses',
    who: () => own().manager,
    cases: [
      { name: 'a zero limit', query: 'limit=0', status: 400, fields: ['query.limit'] },
      { name: 'a limit over 200', query: 'limit=201', status: 400, fields: ['query.limit'] },
      { name: 'a limit that is not a number', query: 'limit=all', status: 400, fields: ['query.limit'] },
      { name: 'a state that does not exist', query: 'state=deleted', status: 400, fields: ['query.state'] },
      {
        name: 'an unknown parameter',
        query: 'institutionId=x',
        status: 400,
        fields: ['query.institutionId'],
      },
    ],
  },
  {
    route: 'GET /courses/:courseId',
    who: () => own().manager,
    params: () => ({ courseId: own().course.id }),
    cases: [],
  },
  {
    route: 'PATCH /courses/:courseId',
    who: () => own().manager,
    params: () => ({ courseId: own().course.id }),
    valid: () => ({ title: 'Renamed course' }),
    cases: [
      { name: 'no change', body: () => ({}), status: 400, fields: ['body'] },
      { name: 'null for the title', body: () => ({ title: null }), status: 400, fields: ['body.title'] },
      {
        name: 'a 129-character instructor',
        body: () => ({ instructorSub: long(129) }),
        status: 400,
        fields: ['body.instructorSub'],
      },
      {
        name: 'a 2049-character cover image address',
        body: () => ({ coverImageUrl: `https://cdn.example.com/${long(2025)}` }),
        status: 400,
        fields: ['body.coverImageUrl'],
      },
      {
        name: 'a state, to publish by editing',
        body: () => ({ state: 'published' }),
        status: 400,
        // With the unknown key set aside, nothing is left to change: the refinement speaks up as well.
        fields: ['body.state', 'body'],
      },
    ],
  },
  {
    route: 'POST /courses/:courseId/chapters',
    who: () => own().manager,
    params: () => ({ courseId: own().course.id }),
    valid: () => ({ title: 'New chapter' }),
    cases: [
      { name: 'no title', body: () => ({}), status: 400, fields: ['body.title'] },
      {
        name: 'a 201-character title',
        body: () => ({ title: long(201) }),
        status: 400,
        fields: ['body.title'],
      },
      { name: 'a list for the title', body: () => ({ title: ['a'] }), status: 400, fields: ['body.title'] },
    ],
  },
  {
    route: 'POST /courses/:courseId/chapters/:chapterId/contents',
    who: () => own().manager,
    params: () => ({ courseId: own().course.id, chapterId: own().course.chapterId }),
    valid: () => ({ kind: 'material', title: 'New content' }),
    cases: [
      { name: 'no kind', body: () => ({ title: 'x' }), status: 400, fields: ['body.kind'] },
      {
        name: 'a kind that does not exist',
        body: (b) => ({ ...b, kind: 'podcast' }),
        status: 400,
        fields: ['body.kind'],
      },
      {
        name: 'an exam without its questions (exams have their own route)',
        body: (b) => ({ ...b, kind: 'exam' }),
        status: 400,
        fields: ['body.kind'],
      },
      {
        name: 'a 201-character title',
        body: (b) => ({ ...b, title: long(201) }),
        status: 400,
        fields: ['body.title'],
      },
      {
        name: 'a chapter of another course',
        params: () => ({ courseId: own().course.id, chapterId: spare.draftChapterId }),
        status: 404,
      },
    ],
  },
  {
    route: 'POST /courses/:courseId/publish',
    who: () => own().manager,
    params: () => ({ courseId: spare.draftCourseId }),
    cases: [
      { name: 'a course published already', params: () => ({ courseId: own().course.id }), status: 409 },
    ],
  },
  {
    route: 'POST /courses/:courseId/archive',
    who: () => own().manager,
    params: () => ({ courseId: spare.draftCourseId }),
    cases: [],
  },
  {
    route: 'PATCH /courses/:courseId/chapters/:chapterId',
    who: () => own().manager,
    params: () => ({ courseId: own().course.id, chapterId: own().course.chapterId }),
    valid: () => ({ title: 'Renamed chapter' }),
    cases: [
      { name: 'no change', body: () => ({}), status: 400, fields: ['body'] },
      {
        name: 'a title and a position at once',
        body: () => ({ title: 'x', position: 0 }),
        status: 400,
        fields: ['body'],
      },
      { name: 'a negative position', body: () => ({ position: -1 }), status: 400, fields: ['body.position'] },
      {
        name: 'a fractional position',
        body: () => ({ position: 1.5 }),
        status: 400,
        fields: ['body.position'],
      },
      {
        name: 'a string for the position',
        body: () => ({ position: '1' }),
        status: 400,
        fields: ['body.position'],
      },
      {
        name: 'a position over 10000',
        body: () => ({ position: 10001 }),
        status: 400,
        fields: ['body.position'],
      },
      {
        name: 'a position past the last chapter',
        body: () => ({ position: 9999 }),
        status: 400,
        fields: ['body.position'],
      },
      {
        name: 'a 201-character title',
        body: () => ({ title: long(201) }),
        status: 400,
        fields: ['body.title'],
      },
    ],
  },
  {
    route: 'DELETE /courses/:courseId/chapters/:chapterId',
    who: () => own().manager,
    params: () => ({ courseId: spare.draftCourseId, chapterId: spare.emptyChapterId }),
    cases: [
      {
        name: 'a chapter with contents',
        params: () => ({ courseId: spare.draftCourseId, chapterId: spare.draftChapterId }),
        status: 409,
      },
    ],
  },
  {
    route: 'PATCH /courses/:courseId/contents/:contentId',
    who: () => own().manager,
    params: () => ({ courseId: own().course.id, contentId: own().course.contentIds[0]! }),
    valid: () => ({ title: 'Renamed content' }),
    cases: [
      { name: 'no change', body: () => ({}), status: 400, fields: ['body'] },
      {
        name: 'a chapter to move to without a position',
        body: () => ({ chapterId: own().course.chapterId }),
        status: 400,
        fields: ['body', 'body.position'],
      },
      {
        name: 'a chapter that is not an id',
        body: () => ({ chapterId: 'first', position: 0 }),
        status: 400,
        fields: ['body.chapterId'],
      },
      {
        name: 'a position over 10000',
        body: () => ({ position: 10001 }),
        status: 400,
        fields: ['body.position'],
      },
      {
        name: 'a position past the chapter’s end',
        body: () => ({ position: 99 }),
        status: 400,
        fields: ['body.position'],
      },
    ],
  },
  {
    route: 'POST /courses/:courseId/contents/:contentId/archive',
    who: () => own().manager,
    params: () => ({ courseId: spare.draftCourseId, contentId: spare.draftContentId }),
    cases: [],
  },
  {
    route: 'DELETE /courses/:courseId/contents/:contentId',
    who: () => own().manager,
    params: () => ({ courseId: spare.draftCourseId, contentId: spare.draftContentId }),
    cases: [
      {
        name: 'a content of a course learners are enrolled in',
        params: () => ({ courseId: own().course.id, contentId: own().course.contentIds[0]! }),
        status: 409,
      },
    ],
  },
  // Provisions and enrollments
  {
    route: 'POST /provisions',
    who: () => ownCompany().manager,
    valid: () => ({
      companyId: ownCompany().id,
      courseId: own().course.id,
      startsOn: '2027-09-01',
      endsOn: '2027-09-30',
      attendeeCount: 5,
      depositAmount: 250000,
    }),
    cases: [
      {
        name: 'no fields',
        body: () => ({}),
        status: 400,
        fields: [
          'body.companyId',
          'body.courseId',
          'body.startsOn',
          'body.endsOn',
          'body.attendeeCount',
          'body.depositAmount',
        ],
      },
      {
        name: 'a string for the attendee count',
        body: (b) => ({ ...b, attendeeCount: '5' }),
        status: 400,
        fields: ['body.attendeeCount'],
      },
      {
        name: 'more than 10000 attendees',
        body: (b) => ({ ...b, attendeeCount: 10001 }),
        status: 400,
        fields: ['body.attendeeCount'],
      },
      {
        name: 'a negative deposit',
        body: (b) => ({ ...b, depositAmount: -1 }),
        status: 400,
        fields: ['body.depositAmount'],
      },
      {
        name: 'a deposit over the limit',
        body: (b) => ({ ...b, depositAmount: 1e13 }),
        status: 400,
        fields: ['body.depositAmount'],
      },
      {
        name: 'the 30th of February',
        body: (b) => ({ ...b, startsOn: '2027-02-30' }),
        status: 400,
        fields: ['body.startsOn'],
      },
      {
        name: 'a date in the year zero',
        body: (b) => ({ ...b, startsOn: '0000-01-01' }),
        status: 400,
        fields: ['body.startsOn'],
      },
      {
        name: 'a date in another format',
        body: (b) => ({ ...b, startsOn: '01/09/2027' }),
        status: 400,
        fields: ['body.startsOn'],
      },
      {
        name: 'a period that ends before it starts',
        body: (b) => ({ ...b, endsOn: '2027-08-31' }),
        status: 400,
        fields: ['body.endsOn'],
      },
      {
        name: 'a course that is not an id',
        body: (b) => ({ ...b, courseId: 'c1' }),
        status: 400,
        fields: ['body.courseId'],
      },
      { name: 'an unknown course', body: (b) => ({ ...b, courseId: unknownId() }), status: 404 },
      { name: 'an unknown company', body: (b) => ({ ...b, companyId: unknownId() }), status: 404 },
    ],
  },
  {
    route: 'GET /provisions',
    who: () => ownCompany().manager,
    cases: [
      { name: 'a state that does not exist', query: 'state=pending', status: 400, fields: ['query.state'] },
      { name: 'a zero limit', query: 'limit=0', status: 400, fields: ['query.limit'] },
      { name: 'a limit over 200', query: 'limit=201', status: 400, fields: ['query.limit'] },
      { name: 'an unknown parameter', query: 'companyId=x', status: 400, fields: ['query.companyId'] },
    ],
  },
  {
    route: 'GET /provisions/:provisionId',
    who: () => ownCompany().manager,
    params: () => ({ provisionId: ownCompany().provisionId }),
    cases: [],
  },
  {
    route: 'POST /provisions/:provisionId/decision',
    who: () => own().manager,
    params: () => ({ provisionId: spare.requestedProvisionId }),
    valid: () => ({ decision: 'rejected', reason: 'Fully booked' }),
    cases: [
      { name: 'no decision', body: () => ({}), status: 400, fields: ['body.decision'] },
      {
        name: 'a decision that does not exist',
        body: () => ({ decision: 'maybe' }),
        status: 400,
        fields: ['body.decision'],
      },
      {
        name: 'a rejection without a reason',
        body: () => ({ decision: 'rejected' }),
        status: 400,
        fields: ['body.reason'],
      },
      {
        name: 'a rejection with a blank reason',
        body: () => ({ decision: 'rejected', reason: '   ' }),
        status: 400,
        fields: ['body.reason'],
      },
      {
        name: 'a 1001-character reason',
        body: () => ({ decision: 'accepted', reason: long(1001) }),
        status: 400,
        fields: ['body.reason'],
      },
      {
        name: 'a provision decided already',
        params: () => ({ provisionId: ownCompany().provisionId }),
        status: 409,
      },
    ],
  },
  {
    route: 'POST /provisions/:provisionId/attendees',
    who: () => ownCompany().manager,
    params: () => ({ provisionId: ownCompany().provisionId }),
    valid: () => ({ userSubs: [spare.employeeSub] }),
    cases: [
      { name: 'no attendees field', body: () => ({}), status: 400, fields: ['body.userSubs'] },
      { name: 'an empty list', body: () => ({ userSubs: [] }), status: 400, fields: ['body.userSubs'] },
      {
        name: 'a string for the list',
        body: () => ({ userSubs: spare.employeeSub }),
        status: 400,
        fields: ['body.userSubs'],
      },
      {
        name: 'the same person twice',
        body: () => ({ userSubs: [spare.employeeSub, spare.employeeSub] }),
        status: 400,
        fields: ['body.userSubs'],
      },
      {
        name: 'a 129-character user id',
        body: () => ({ userSubs: [long(129)] }),
        status: 400,
        fields: ['body.userSubs.0'],
      },
      {
        name: '501 attendees',
        body: () => ({ userSubs: Array.from({ length: 501 }, (_, i) => `person-${i}`) }),
        status: 400,
        fields: ['body.userSubs'],
      },
      {
        name: 'someone who is not an approved employee',
        body: () => ({ userSubs: [spare.employeeSub, randomUUID()] }),
        status: 422,
        fields: ['body.userSubs.1'],
      },
    ],
  },
  { route: 'GET /me/enrollments', who: () => w.learner, cases: [] },
  {
    route: 'POST /me/enrollments/:enrollmentId/heartbeats',
    who: () => ownCompany().employee,
    params: () => ({ enrollmentId: spare.enrollmentId }),
    valid: () => ({
      contentId: own().course.contentIds[0]!,
      sessionId: 'tab-1',
      sequence: 1,
      position: 0,
      playbackRate: 1,
    }),
    cases: [
      // JSON leaves an undefined field out.
      {
        name: 'no content',
        body: (b) => ({ ...b, contentId: undefined }),
        status: 400,
        fields: ['body.contentId'],
      },
      {
        name: 'a position as text',
        body: (b) => ({ ...b, position: '12' }),
        status: 400,
        fields: ['body.position'],
      },
      {
        name: 'a negative position',
        body: (b) => ({ ...b, position: -1 }),
        status: 400,
        fields: ['body.position'],
      },
      {
        name: 'a 16x playback rate',
        body: (b) => ({ ...b, playbackRate: 16 }),
        status: 400,
        fields: ['body.playbackRate'],
      },
      {
        name: 'a fractional sequence',
        body: (b) => ({ ...b, sequence: 1.5 }),
        status: 400,
        fields: ['body.sequence'],
      },
      {
        name: 'a 65-character session id',
        body: (b) => ({ ...b, sessionId: long(65) }),
        status: 400,
        fields: ['body.sessionId'],
      },
      {
        name: 'a content of another course',
        body: (b) => ({ ...b, contentId: w.institutions[1].course.contentIds[0] }),
        status: 404,
      },
      {
        name: 'a content that is not a video',
        body: (b) => ({ ...b, contentId: own().course.contentIds[1] }),
        status: 409,
      },
    ],
  },
  {
    route: 'GET /provisions/:provisionId/progress',
    who: () => ownCompany().manager,
    params: () => ({ provisionId: ownCompany().provisionId }),
    cases: [],
  },
  {
    route: 'GET /provisions/:provisionId/enrollments/:enrollmentId/audit',
    who: () => own().manager,
    params: () => ({ provisionId: ownCompany().provisionId, enrollmentId: spare.enrollmentId }),
    cases: [
      {
        name: 'an enrollment of another provision',
        params: () => ({ provisionId: w.companies[1].provisionId, enrollmentId: spare.enrollmentId }),
        status: 404,
      },
    ],
  },
  {
    route: 'GET /me/enrollments/:enrollmentId/progress',
    who: () => ownCompany().employee,
    params: () => ({ enrollmentId: spare.enrollmentId }),
    cases: [],
  },
  // Exams
  {
    route: 'POST /courses/:courseId/exams',
    who: () => own().manager,
    params: () => ({ courseId: own().course.id }),
    valid: () => examBody(own().course.chapterId),
    cases: [
      {
        name: 'no questions',
        body: (b) => ({ ...b, questions: [] }),
        status: 400,
        fields: ['body.questions'],
      },
      {
        name: 'a right answer outside the choices',
        body: (b) => ({ ...b, questions: [{ ...b.questions[0], answer: 2 }] }),
        status: 400,
        fields: ['body.questions.0.answer'],
      },
      {
        name: 'a single choice',
        body: (b) => ({ ...b, questions: [{ ...b.questions[0], choices: ['Only'] }] }),
        status: 400,
        fields: ['body.questions.0.choices'],
      },
      {
        name: 'a question kind that does not exist',
        body: (b) => ({ ...b, questions: [{ kind: 'essay', prompt: 'Write', points: 5 }] }),
        status: 400,
        fields: ['body.questions.0.kind'],
      },
      {
        name: 'a short answer with choices',
        body: (b) => ({ ...b, questions: [{ ...b.questions[1], choices: ['A', 'B'] }] }),
        status: 400,
        fields: ['body.questions.0.choices'],
      },
      {
        name: 'a stage that does not exist',
        body: (b) => ({ ...b, stage: 'midterm' }),
        status: 400,
        fields: ['body.stage'],
      },
      { name: 'a weight of 0', body: (b) => ({ ...b, weight: 0 }), status: 400, fields: ['body.weight'] },
      {
        name: 'points over 100',
        body: (b) => ({ ...b, questions: [{ ...b.questions[1], points: 101 }] }),
        status: 400,
        fields: ['body.questions.0.points'],
      },
      {
        name: 'a chapter of another course',
        body: (b) => ({ ...b, chapterId: spare.draftChapterId }),
        status: 404,
      },
    ],
  },
  {
    route: 'GET /courses/:courseId/exams',
    who: () => own().instructor,
    params: () => ({ courseId: own().course.id }),
    cases: [],
  },
  {
    route: 'GET /courses/:courseId/exams/:examId',
    who: () => own().instructor,
    params: () => ({ courseId: own().course.id, examId: spare.exam.id }),
    cases: [
      {
        name: 'an exam of another course',
        params: () => ({ courseId: spare.draftCourseId, examId: spare.exam.id }),
        status: 404,
      },
    ],
  },
  {
    route: 'PUT /courses/:courseId/exams/:examId',
    who: () => own().manager,
    params: () => ({ courseId: own().course.id, examId: spare.unsatExamId }),
    valid: () => examBody(),
    cases: [
      {
        name: 'a chapter (exams move as contents do)',
        body: (b) => ({ ...b, chapterId: own().course.chapterId }),
        status: 400,
        fields: ['body.chapterId'],
      },
      { name: 'no title', body: (b) => ({ ...b, title: undefined }), status: 400, fields: ['body.title'] },
      {
        name: 'an exam learners have sat',
        params: () => ({ courseId: own().course.id, examId: spare.exam.id }),
        status: 409,
      },
    ],
  },
  {
    route: 'DELETE /courses/:courseId/exams/:examId',
    who: () => own().manager,
    params: () => ({ courseId: own().course.id, examId: spare.unsatExamId }),
    cases: [
      {
        name: 'an exam learners have sat',
        params: () => ({ courseId: own().course.id, examId: spare.exam.id }),
        status: 409,
      },
    ],
  },
  {
    route: 'GET /courses/:courseId/exams/:examId/attempts',
    who: () => own().instructor,
    params: () => ({ courseId: own().course.id, examId: spare.exam.id }),
    cases: [],
  },
  {
    route: 'GET /courses/:courseId/exams/:examId/attempts/:attemptId',
    who: () => own().instructor,
    params: () => ({ courseId: own().course.id, examId: spare.exam.id, attemptId: spare.submittedId }),
    cases: [
      {
        name: 'a sitting of another exam',
        params: () => ({
          courseId: own().course.id,
          examId: spare.unsatExamId,
          attemptId: spare.submittedId,
        }),
        status: 404,
      },
    ],
  },
  {
    route: 'PUT /courses/:courseId/exams/:examId/attempts/:attemptId/grades/:questionId',
    who: () => own().instructor,
    params: () => ({
      courseId: own().course.id,
      examId: spare.exam.id,
      attemptId: spare.submittedId,
      questionId: spare.exam.questions[1].id,
    }),
    valid: () => ({ points: 8 }),
    cases: [
      {
        name: 'more points than the question’s',
        body: () => ({ points: 11 }),
        status: 400,
        fields: ['body.points'],
      },
      { name: 'negative points', body: () => ({ points: -1 }), status: 400, fields: ['body.points'] },
      { name: 'half a point', body: () => ({ points: 2.5 }), status: 400, fields: ['body.points'] },
      {
        name: 'a multiple-choice question',
        params: () => ({
          courseId: own().course.id,
          examId: spare.exam.id,
          attemptId: spare.submittedId,
          questionId: spare.exam.questions[0].id,
        }),
        status: 409,
      },
      {
        name: 'a sitting still open',
        params: () => ({
          courseId: own().course.id,
          examId: spare.exam.id,
          attemptId: spare.openId,
          questionId: spare.exam.questions[1].id,
        }),
        status: 409,
      },
    ],
  },
  {
    route: 'POST /provisions/:provisionId/enrollments/:enrollmentId/exams/:examId/retakes',
    who: () => own().manager,
    params: () => ({
      provisionId: spare.runningProvisionId,
      enrollmentId: spare.submitterEnrollmentId,
      examId: spare.exam.id,
    }),
    valid: () => ({ reason: 'The exam room lost power' }),
    cases: [
      { name: 'no reason', body: () => ({}), status: 400, fields: ['body.reason'] },
      { name: 'a blank reason', body: () => ({ reason: '   ' }), status: 400, fields: ['body.reason'] },
      {
        name: 'a reason of 1001 characters',
        body: () => ({ reason: long(1001) }),
        status: 400,
        fields: ['body.reason'],
      },
      {
        name: 'a learner with a sitting left',
        params: () => ({
          provisionId: spare.runningProvisionId,
          enrollmentId: spare.submitterEnrollmentId,
          examId: spare.unsatExamId,
        }),
        status: 409,
      },
      {
        name: 'an enrollment of another provision',
        params: () => ({
          provisionId: ownCompany().provisionId,
          enrollmentId: spare.submitterEnrollmentId,
          examId: spare.exam.id,
        }),
        status: 404,
      },
    ],
  },
  // Open sessions
  {
    route: 'POST /sessions',
    who: () => own().manager,
    valid: () => sessionBody({ eligibleCompanyIds: [ownCompany().id] }),
    cases: [
      {
        name: 'no fields',
        body: () => ({}),
        status: 400,
        fields: [
          'body.courseId',
          'body.capacity',
          'body.startsOn',
          'body.endsOn',
          'body.opensAt',
          'body.closesAt',
          'body.cancelDeadline',
        ],
      },
      { name: 'no seats', body: (b) => ({ ...b, capacity: 0 }), status: 400, fields: ['body.capacity'] },
      {
        name: 'more than 10000 seats',
        body: (b) => ({ ...b, capacity: 10001 }),
        status: 400,
        fields: ['body.capacity'],
      },
      {
        name: 'a fraction of a seat',
        body: (b) => ({ ...b, capacity: 1.5 }),
        status: 400,
        fields: ['body.capacity'],
      },
      {
        name: 'a period that ends before it starts',
        body: (b) => ({ ...b, endsOn: '2027-11-30' }),
        status: 400,
        fields: ['body.endsOn'],
      },
      {
        name: 'a time of day past 23:59',
        body: (b) => ({ ...b, startTime: '24:00', endTime: '18:00' }),
        status: 400,
        fields: ['body.startTime'],
      },
      {
        name: 'an end time before the start time',
        body: (b) => ({ ...b, startTime: '13:00', endTime: '09:00' }),
        status: 400,
        fields: ['body.endTime'],
      },
      {
        name: 'a start time without an end time',
        body: (b) => ({ ...b, startTime: '09:00' }),
        status: 400,
        fields: ['body.endTime'],
      },
      {
        name: 'a moment without a time zone',
        body: (b) => ({ ...b, opensAt: '2027-11-01T09:00:00' }),
        status: 400,
        fields: ['body.opensAt'],
      },
      {
        name: 'a window that closes when it opens',
        body: (b) => ({ ...b, closesAt: b.opensAt }),
        status: 400,
        fields: ['body.closesAt'],
      },
      {
        name: 'a cancellation deadline before the window opens',
        body: (b) => ({ ...b, cancelDeadline: '2026-01-01T00:00:00Z' }),
        status: 400,
        fields: ['body.cancelDeadline'],
      },
      {
        name: 'an empty list of companies',
        body: (b) => ({ ...b, eligibleCompanyIds: [] }),
        status: 400,
        fields: ['body.eligibleCompanyIds'],
      },
      {
        name: 'the same company twice',
        body: (b) => ({ ...b, eligibleCompanyIds: [ownCompany().id, ownCompany().id] }),
        status: 400,
        fields: ['body.eligibleCompanyIds'],
      },
      {
        name: 'an unknown company',
        body: (b) => ({ ...b, eligibleCompanyIds: [ownCompany().id, unknownId()] }),
        status: 422,
        fields: ['body.eligibleCompanyIds.1'],
      },
      { name: 'an unknown course', body: (b) => ({ ...b, courseId: unknownId() }), status: 404 },
      {
        name: 'a course that is not published',
        body: (b) => ({ ...b, courseId: spare.draftCourseId }),
        status: 409,
      },
    ],
  },
  {
    route: 'GET /sessions',
    who: () => w.learner,
    cases: [
      { name: 'a course that is not an id', query: 'courseId=c1', status: 400, fields: ['query.courseId'] },
      { name: 'a day in another format', query: 'from=01/11/2027', status: 400, fields: ['query.from'] },
      {
        name: 'seatsLeft that is not true or false',
        query: 'seatsLeft=yes',
        status: 400,
        fields: ['query.seatsLeft'],
      },
      { name: 'a zero limit', query: 'limit=0', status: 400, fields: ['query.limit'] },
      { name: 'a limit over 200', query: 'limit=201', status: 400, fields: ['query.limit'] },
      { name: 'a blank search', query: 'q=%20%20', status: 400, fields: ['query.q'] },
      { name: 'a 201-character search', query: `q=${long(201)}`, status: 400, fields: ['query.q'] },
      { name: 'an unknown parameter', query: 'search=x', status: 400, fields: ['query.search'] },
    ],
  },
  {
    route: 'GET /sessions/:sessionId',
    who: () => w.learner,
    params: () => ({ sessionId: spare.sessions.open }),
    cases: [],
  },
  {
    route: 'PATCH /sessions/:sessionId',
    who: () => own().manager,
    params: () => ({ sessionId: spare.sessions.full }),
    valid: () => ({ capacity: 3 }),
    cases: [
      { name: 'no fields', body: () => ({}), status: 400, fields: ['body'] },
      { name: 'no seats', body: () => ({ capacity: 0 }), status: 400, fields: ['body.capacity'] },
      {
        name: 'more than 10000 seats',
        body: () => ({ capacity: 10001 }),
        status: 400,
        fields: ['body.capacity'],
      },
      {
        name: 'a string for capacity',
        body: () => ({ capacity: '3' }),
        status: 400,
        fields: ['body.capacity'],
      },
      {
        name: 'a field sessions do not change here',
        body: (b) => ({ ...b, startsOn: '2027-12-02' }),
        status: 400,
        fields: ['body.startsOn'],
      },
      {
        name: 'a moment without a time zone',
        body: () => ({ opensAt: '2027-11-01T09:00:00' }),
        status: 400,
        fields: ['body.opensAt'],
      },
      {
        name: 'a window that closes before it opens',
        body: () => ({ opensAt: '2027-11-02T00:00:00Z', closesAt: '2027-11-01T00:00:00Z' }),
        status: 400,
        fields: ['body.closesAt'],
      },
      {
        name: 'a close before the session’s stored opening',
        body: () => ({ closesAt: '2026-01-01T00:00:00Z' }),
        status: 400,
        fields: ['body.closesAt'],
      },
      {
        name: 'a cancellation deadline before the session’s stored opening',
        body: () => ({ cancelDeadline: '2026-01-01T00:00:00Z' }),
        status: 400,
        fields: ['body.cancelDeadline'],
      },
      {
        name: 'a capacity below the seats taken',
        params: () => ({ sessionId: spare.sessions.open }),
        body: () => ({ capacity: 1 }),
        status: 409,
        fields: ['body.capacity'],
      },
      { name: 'an unknown session', params: () => ({ sessionId: unknownId() }), status: 404 },
      {
        name: 'a session that is not an id',
        params: () => ({ sessionId: 's1' }),
        status: 400,
        fields: ['path.sessionId'],
      },
    ],
  },
  {
    route: 'GET /sessions/:sessionId/registrations',
    who: () => own().manager,
    params: () => ({ sessionId: spare.sessions.full }),
    cases: [
      { name: 'a state that does not exist', query: 'state=cancelled', status: 400, fields: ['query.state'] },
      { name: 'a zero limit', query: 'limit=0', status: 400, fields: ['query.limit'] },
      { name: 'a limit over 200', query: 'limit=201', status: 400, fields: ['query.limit'] },
      { name: 'a cursor it did not give out', query: 'cursor=bm9wZQ', status: 400, fields: ['query.cursor'] },
      { name: 'an unknown parameter', query: 'after=1', status: 400, fields: ['query.after'] },
      { name: 'an unknown session', params: () => ({ sessionId: unknownId() }), status: 404 },
    ],
  },
  {
    route: 'POST /sessions/:sessionId/registrations',
    who: () => w.learner,
    params: () => ({ sessionId: spare.sessions.open }),
    valid: () => ({ waitlist: false }),
    cases: [
      {
        name: 'a string for waitlist',
        body: () => ({ waitlist: 'yes' }),
        status: 400,
        fields: ['body.waitlist'],
      },
      {
        name: 'a session not open yet',
        params: () => ({ sessionId: spare.sessions.early }),
        status: 409,
      },
      { name: 'a closed session', params: () => ({ sessionId: spare.sessions.closed }), status: 409 },
      {
        name: 'a full session, without asking to wait',
        params: () => ({ sessionId: spare.sessions.full }),
        status: 409,
      },
    ],
  },
  {
    route: 'POST /me/registrations',
    who: () => w.learner,
    valid: () => ({ items: [{ sessionId: spare.sessions.open, waitlist: false }] }),
    cases: [
      { name: 'no items field', body: () => ({}), status: 400, fields: ['body.items'] },
      { name: 'an empty cart', body: () => ({ items: [] }), status: 400, fields: ['body.items'] },
      {
        name: 'eleven items',
        body: () => ({ items: Array.from({ length: 11 }, () => ({ sessionId: unknownId() })) }),
        status: 400,
        fields: ['body.items'],
      },
      {
        name: 'the same session twice',
        body: (b) => ({ items: [...b.items, ...b.items] }),
        status: 400,
        fields: ['body.items'],
      },
      {
        name: 'a session that is not an id',
        body: () => ({ items: [{ sessionId: 's1' }] }),
        status: 400,
        fields: ['body.items.0.sessionId'],
      },
      {
        name: 'a string for waitlist',
        body: () => ({ items: [{ sessionId: spare.sessions.open, waitlist: 'yes' }] }),
        status: 400,
        fields: ['body.items.0.waitlist'],
      },
    ],
  },
  {
    route: 'GET /me/registrations',
    who: () => w.learner,
    cases: [
      { name: 'a state that does not exist', query: 'state=pending', status: 400, fields: ['query.state'] },
      { name: 'a zero limit', query: 'limit=0', status: 400, fields: ['query.limit'] },
    ],
  },
  {
    route: 'DELETE /me/registrations/:sessionId',
    who: () => spare.registrant,
    params: () => ({ sessionId: spare.sessions.open }),
    cases: [
      {
        name: 'a session past its cancellation deadline',
        params: () => ({ sessionId: spare.sessions.pastCancelling }),
        status: 409,
      },
      {
        name: 'a session the caller holds no registration in',
        params: () => ({ sessionId: spare.sessions.early }),
        status: 404,
      },
    ],
  },
  {
    route: 'GET /me/enrollments/:enrollmentId/exams',
    who: () => spare.sitter,
    params: () => ({ enrollmentId: spare.sitterEnrollmentId }),
    cases: [],
  },
  {
    route: 'POST /me/enrollments/:enrollmentId/exams/:examId/sitting',
    who: () => spare.sitter,
    params: () => ({ enrollmentId: spare.sitterEnrollmentId, examId: spare.exam.id }),
    cases: [],
  },
  {
    route: 'GET /me/enrollments/:enrollmentId/exams/:examId/sitting',
    who: () => spare.sitter,
    params: () => ({ enrollmentId: spare.sitterEnrollmentId, examId: spare.exam.id }),
    cases: [],
  },
  {
    route: 'PUT /me/enrollments/:enrollmentId/exams/:examId/sitting/answers/:questionId',
    who: () => spare.sitter,
    params: () => ({
      enrollmentId: spare.sitterEnrollmentId,
      examId: spare.exam.id,
      questionId: spare.exam.questions[0].id,
    }),
    valid: () => ({ choice: 1 }),
    cases: [
      { name: 'no answer', body: () => ({}), status: 400, fields: ['body'] },
      { name: 'a choice and a text', body: () => ({ choice: 0, text: 'x' }), status: 400, fields: ['body'] },
      { name: 'a choice as text', body: () => ({ choice: '1' }), status: 400, fields: ['body.choice'] },
      {
        name: 'a choice beyond the question’s',
        body: () => ({ choice: 5 }),
        status: 400,
        fields: ['body.choice'],
      },
      {
        name: 'a text for a multiple-choice question',
        body: () => ({ text: 'B' }),
        status: 400,
        fields: ['body.choice'],
      },
      {
        name: 'a choice for a short-answer question',
        params: () => ({
          enrollmentId: spare.sitterEnrollmentId,
          examId: spare.exam.id,
          questionId: spare.exam.questions[1].id,
        }),
        status: 400,
        fields: ['body.text'],
      },
      {
        name: 'a text of 5001 characters',
        params: () => ({
          enrollmentId: spare.sitterEnrollmentId,
          examId: spare.exam.id,
          questionId: spare.exam.questions[1].id,
        }),
        body: () => ({ text: long(5001) }),
        status: 400,
        fields: ['body.text'],
      },
      {
        name: 'a question of another exam',
        params: () => ({
          enrollmentId: spare.sitterEnrollmentId,
          examId: spare.unsatExamId,
          questionId: spare.exam.questions[0].id,
        }),
        status: 404,
      },
    ],
  },
  {
    route: 'POST /me/enrollments/:enrollmentId/exams/:examId/sitting/submit',
    who: () => spare.sitter,
    params: () => ({ enrollmentId: spare.sitterEnrollmentId, examId: spare.exam.id }),
    cases: [
      {
        name: 'an exam with no open sitting',
        params: () => ({ enrollmentId: spare.sitterEnrollmentId, examId: spare.unsatExamId }),
        status: 409,
      },
    ],
  },
];

/** An exam of one choice (the first of two) and one short answer of 10 points each; placed in a chapter. */
const examBody = (chapterId?: string) => ({
  ...(chapterId ? { chapterId } : {}),
  title: 'Safety check',
  stage: 'mid',
  weight: 50,
  questions: [
    { kind: 'choice', prompt: 'Who signals?', choices: ['The banksman', 'Anyone'], answer: 0, points: 10 },
    { kind: 'short', prompt: 'When do you stop the lift?', points: 10 },
  ],
});

const paramNames = (route: string) => [...route.matchAll(/:(\w+)/g)].map((m) => m[1]!);

/** The cases every route shares: a bad or unknown path parameter, a body that is no object of the schema. */
function casesOf(route: Route): Case[] {
  const generic: Case[] = [];
  for (const name of paramNames(route.route)) {
    const swap = (value: string) => () => ({ ...route.params!(), [name]: value });
    if (name === 'userSub') {
      generic.push(
        { name: 'a 129-character user id', params: swap(long(129)), status: 400, fields: ['path.userSub'] },
        {
          name: 'a NUL character in the user id',
          params: swap('a\u0000b'),
          status: 400,
          fields: ['path.userSub'],
        },
      );
    } else {
      generic.push(
        { name: `a ${name} that is not a UUID`, params: swap('42'), status: 400, fields: [`path.${name}`] },
        {
          name: `an unknown ${name}`,
          params: () => ({ ...route.params!(), [name]: unknownId() }),
          status: 404,
        },
      );
    }
  }
  if (route.valid) {
    generic.push(
      {
        name: 'a body that is not JSON',
        raw: { body: '{"title": ', contentType: 'application/json' },
        status: 400,
        fields: ['body'],
      },
      { name: 'a list for the body', body: (b) => [b], status: 400, fields: ['body'] },
      // Small, valid JSON that a recursive walk before validation could not survive.
      {
        name: 'JSON nested 100,000 levels deep',
        raw: { body: `${'['.repeat(100_000)}${']'.repeat(100_000)}`, contentType: 'application/json' },
        status: 400,
        fields: ['body'],
      },
      {
        name: 'an unknown field',
        body: (b) => ({ ...b, unexpected: true }),
        status: 400,
        fields: ['body.unexpected'],
      },
    );
  }
  return [...route.cases, ...generic];
}

function urlOf(route: Route, c: Case): string {
  const params = c.params?.() ?? route.params?.() ?? {};
  const path = route.route
    .split(' ')[1]!
    .replace(/:(\w+)/g, (_, name: string) => encodeURIComponent(params[name]!));
  const query = c.query ?? route.query;
  return query ? `${path}?${query}` : path;
}

async function send(who: Person | undefined, options: CallOptions, raw: Case['raw']): Promise<CallResult> {
  if (!raw) return f.call(who, options);
  const res = await fetch(`${f.url}${options.url}`, {
    method: options.method,
    headers: {
      'content-type': raw.contentType,
      ...(who ? { authorization: `Bearer ${who.token}` } : {}),
    },
    body: raw.body,
  });
  const body = await res.text();
  return {
    statusCode: res.status,
    headers: Object.fromEntries(res.headers),
    body,
    json: () => JSON.parse(body),
  };
}

beforeAll(async () => {
  // The regime with every gate, so exam requests pass through them.
  f = await serviceFixture('bad-input', { compliance: COMPLIANCE_PROFILES['kr-employer-training'] });
  w = await buildWorld(f);
  const manager = own().manager;
  const as = (options: CallOptions, status = 201) => expectStatus(f.call(manager, options), status);
  const draft = await as({ method: 'POST', url: '/courses', payload: { title: 'Draft' } });
  const chapter = await as({
    method: 'POST',
    url: `/courses/${draft.id}/chapters`,
    payload: { title: 'Full' },
  });
  const empty = await as({
    method: 'POST',
    url: `/courses/${draft.id}/chapters`,
    payload: { title: 'Empty' },
  });
  const content = await as({
    method: 'POST',
    url: `/courses/${draft.id}/chapters/${chapter.id}/contents`,
    payload: { kind: 'material', title: 'Handout' },
  });
  const requested = await expectStatus(
    f.call(ownCompany().manager, {
      method: 'POST',
      url: '/provisions',
      payload: {
        companyId: ownCompany().id,
        courseId: own().course.id,
        startsOn: '2027-10-01',
        endsOn: '2027-10-31',
        attendeeCount: 2,
        depositAmount: 0,
      },
    }),
    201,
  );
  const employee = await f.person(['learner']);
  await joinAndApprove(f, ownCompany().id, ownCompany().manager, employee);
  const rater = await f.person(['learner']);
  await joinAndApprove(f, ownCompany().id, ownCompany().manager, rater);
  await expectStatus(
    f.call(ownCompany().manager, {
      method: 'POST',
      url: `/provisions/${ownCompany().provisionId}/attendees`,
      payload: { userSubs: [rater.sub] },
    }),
    200,
  );
  // Completed, as the completion rule would mark it, so a valid rating would be taken.
  const completed = await f.database.db
    .updateTable('enrollments')
    .set({ completed_at: new Date() })
    .where('user_sub', '=', rater.sub)
    .returning('id')
    .executeTakeFirstOrThrow();
  const applicant = await f.person(['learner']);
  await expectStatus(
    f.call(applicant, { method: 'POST', url: `/companies/${ownCompany().id}/join-requests` }),
    200,
  );
  const exams = await sittings(as);
  const [institutionManagerSub, companyManagerSub] = [randomUUID(), randomUUID()];
  for (const url of [
    `/institutions/${w.institutions[1].id}/managers/${institutionManagerSub}`,
    `/companies/${ownCompany().id}/managers/${companyManagerSub}`,
  ])
    await expectStatus(f.call(w.admin, { method: 'PUT', url }), 200);
  const { sessions, registrant } = await openSessions(as);
  spare = {
    institutionManagerSub,
    companyManagerSub,
    ...exams,
    sessions,
    registrant,
    draftCourseId: draft.id,
    draftChapterId: chapter.id,
    emptyChapterId: empty.id,
    draftContentId: content.id,
    requestedProvisionId: requested.id,
    employeeSub: employee.sub,
    applicantSub: applicant.sub,
    raterSub: rater.sub,
    completedEnrollmentId: completed.id,
    enrollmentId: (
      await f.database.db
        .selectFrom('enrollments')
        .select('id')
        .where('user_sub', '=', ownCompany().employee.sub)
        .executeTakeFirstOrThrow()
    ).id,
  };
  // The video pipeline's answer, so a valid heartbeat would be credited.
  await f.database.db
    .updateTable('contents')
    .set({ media_state: 'ready', duration_seconds: 600 })
    .where('id', '=', own().course.contentIds[0]!)
    .execute();
});
afterAll(() => f.close());

/** Sessions in each state a registration can be refused for, and a learner registered where it matters. */
async function openSessions(as: (options: CallOptions, status?: number) => Promise<Json>) {
  const day = 86_400_000;
  const ago = (ms: number) => new Date(Date.now() - ms).toISOString();
  const offer = async (over: Json) =>
    (await as({ method: 'POST', url: '/sessions', payload: sessionBody(over) })).id as string;
  const sessions = {
    open: await offer({}),
    early: await offer({ opensAt: ago(-day), closesAt: ago(-2 * day), cancelDeadline: ago(-2 * day) }),
    closed: await offer({ opensAt: ago(2 * day), closesAt: ago(day), cancelDeadline: ago(day) }),
    full: await offer({ capacity: 1 }),
    pastCancelling: await offer({ opensAt: ago(2 * day), cancelDeadline: ago(day) }),
  };
  const registrant = await f.person(['learner']);
  const registerAs = (who: Person, id: string) =>
    expectStatus(
      f.call(who, { method: 'POST', url: `/sessions/${id}/registrations`, payload: { waitlist: false } }),
      201,
    );
  await registerAs(registrant, sessions.open);
  // Two seats taken: a capacity of one is below them.
  await registerAs(await f.person(['learner']), sessions.open);
  await registerAs(registrant, sessions.pastCancelling);
  await registerAs(await f.person(['learner']), sessions.full);
  return { sessions, registrant };
}

/**
 * A provision of the own course running today, with two learners who watched its video (the mid exam
 * opens at 50%): one sitting an exam, one who handed in a sitting of it, the short answer waiting.
 */
async function sittings(as: (options: CallOptions, status?: number) => Promise<Json>) {
  const db = f.database.db;
  const exam = await as({
    method: 'POST',
    url: `/courses/${own().course.id}/exams`,
    payload: examBody(own().course.chapterId),
  });
  const unsat = await as({
    method: 'POST',
    url: `/courses/${own().course.id}/exams`,
    payload: examBody(own().course.chapterId),
  });
  const learners = [await f.person(['learner']), await f.person(['learner'])];
  const { provisionId, enrollmentIds } = await runningProvision(
    db,
    w,
    learners.map((l) => l.sub),
  );
  const sittingIds: string[] = [];
  for (const [i, learner] of learners.entries()) {
    const sitting = await expectStatus(
      f.call(learner, {
        method: 'POST',
        url: `/me/enrollments/${enrollmentIds[i]}/exams/${exam.id}/sitting`,
      }),
      201,
    );
    sittingIds.push(sitting.id);
  }
  const submitter = `/me/enrollments/${enrollmentIds[1]}/exams/${exam.id}/sitting`;
  await expectStatus(
    f.call(learners[1], {
      method: 'PUT',
      url: `${submitter}/answers/${exam.questions[1].id}`,
      payload: { text: 'At once' },
    }),
    200,
  );
  await expectStatus(f.call(learners[1], { method: 'POST', url: `${submitter}/submit` }), 200);
  return {
    exam,
    unsatExamId: unsat.id as string,
    runningProvisionId: provisionId,
    sitter: learners[0]!,
    sitterEnrollmentId: enrollmentIds[0]!,
    openId: sittingIds[0]!,
    submitterEnrollmentId: enrollmentIds[1]!,
    submittedId: sittingIds[1]!,
  };
}

it('has a bad-input table for every route the service serves, and none for a route it does not', () => {
  expect(ROUTES.map((r) => r.route).sort()).toEqual(routesOf(f.app).sort());
});

describe.each(ROUTES.filter((r) => casesOf(r).length > 0))('$route', (route) => {
  it.each(casesOf(route))('refuses $name with $status, and a stranger with 401', async (c) => {
    const method = route.route.split(' ')[0] as CallOptions['method'];
    const payload = route.valid && !c.raw ? (c.body ?? ((b: Json) => b))(route.valid()) : undefined;
    const options = { method, url: urlOf(route, c), payload };
    const who = await route.who();
    const before = await snapshot(f.database.db);
    // Who calls is settled before the request is looked at: a stranger learns nothing of the schema.
    const stranger = await send(undefined, options, c.raw);
    const res = await send(who, options, c.raw);
    const after = await snapshot(f.database.db);

    expect(stranger.statusCode === 401 ? 401 : `${stranger.statusCode} ${stranger.body}`).toBe(401);
    expect(stranger.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(stranger.json()).not.toHaveProperty('errors');
    expect(res.statusCode === c.status ? c.status : `${res.statusCode} ${res.body}`).toBe(c.status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = res.json();
    expect(problem).toMatchObject({ status: c.status, title: expect.stringMatching(/\S/) });
    if (c.fields) {
      expect(problem.errors).toEqual(expect.any(Array));
      for (const e of problem.errors)
        expect(e).toEqual({ field: expect.any(String), message: expect.any(String) });
      expect([...new Set(problem.errors.map((e: { field: string }) => e.field))].sort()).toEqual(
        [...c.fields].sort(),
      );
    }
    expect(after).toEqual(before);
  });
});

describe('what the router refuses before any route', () => {
  it.each([
    ['a path parameter over the router’s length', `/courses/${'a'.repeat(2000)}`, 414, ['path']],
    ['a malformed percent-encoding in the path', '/courses/%zz', 400, ['path']],
    ['a request line over the header limit', `/courses?q=${'a'.repeat(20_000)}`, 431, undefined],
  ] as const)('answers %s with a problem', async (_what, url, status, fields) => {
    const res = await f.call(w.learner, { method: 'GET', url });
    expect([res.statusCode, res.headers['content-type']]).toEqual([
      status,
      expect.stringMatching(/^application\/problem\+json/),
    ]);
    const problem = res.json();
    expect(problem).toMatchObject({ status, title: expect.stringMatching(/\S/) });
    if (fields) expect(problem.errors.map((e: { field: string }) => e.field)).toEqual(fields);
  });
});

describe('requests for no route', () => {
  it.each([
    ['a path the service does not serve', 'GET', '/nowhere'],
    ['a method a path is not served with', 'DELETE', '/courses'],
  ] as const)('answers %s with a 404 problem', async (_what, method, url) => {
    const res = await f.call(w.learner, { method, url });
    expect([res.statusCode, res.headers['content-type']]).toEqual([
      404,
      expect.stringMatching(/^application\/problem\+json/),
    ]);
    expect(res.json()).toMatchObject({ status: 404, title: 'Not Found' });
  });
});

describe('claims in signed tokens', () => {
  it.each([
    ['a control character', 'learner\u0001x'],
    ['a NUL character', 'learner\u0000x'],
    ['a line break', 'learner\nx'],
    ['a space', 'learner x'],
    ['non-ASCII letters', 'lérner'],
    ['129 characters', 'x'.repeat(129)],
  ])('refuses a sub with %s with a 401 naming token.sub, and changes nothing', async (_what, sub) => {
    const who = await f.person(['learner'], 'learner', sub);
    const before = await snapshot(f.database.db);
    for (const options of [
      { method: 'GET', url: '/me/enrollments' },
      { method: 'POST', url: '/companies', payload: { name: 'x' } },
    ] as const) {
      const res = await f.call(who, options);
      expect([res.statusCode, res.headers['content-type']]).toEqual([
        401,
        expect.stringMatching(/^application\/problem\+json/),
      ]);
      expect(res.json().errors).toEqual(
        expect.arrayContaining([{ field: 'token.sub', message: expect.any(String) }]),
      );
    }
    expect(await snapshot(f.database.db)).toEqual(before);
  });
});
