import type { FastifyInstance } from 'fastify';
import { type Kysely, sql } from 'kysely';
import type { Database } from '#service/db/schema';
import {
  businessNumberFrom,
  type CallOptions,
  type CallResult,
  type Person,
  type ServiceFixture,
} from './service-fixture';

/** An institution with its two kinds of people and a course learners are enrolled in. */
export interface InstitutionSide {
  readonly id: string;
  readonly businessNumber: string;
  readonly manager: Person;
  readonly instructor: Person;
  /** Published, with one chapter of two contents, taught by `instructor`. */
  readonly course: {
    readonly id: string;
    readonly chapterId: string;
    readonly contentIds: readonly string[];
  };
}

/** A company with a manager and an employee who is enrolled through the company's provision. */
export interface CompanySide {
  readonly id: string;
  readonly businessNumber: string;
  readonly email: string;
  readonly manager: Person;
  /** An approved employee, enrolled in the provision's course. */
  readonly employee: Person;
  /** Accepted, for the course of the institution with the same index, ten seats. */
  readonly provisionId: string;
}

/**
 * Two of each tenant, so every record has an owner and an outsider of the same kind: companies[i]
 * requested institutions[i]'s course, the institution accepted, and the company enrolled its employee.
 */
export interface World {
  readonly institutions: readonly [InstitutionSide, InstitutionSide];
  readonly companies: readonly [CompanySide, CompanySide];
  readonly admin: Person;
  /** A learner of no company, enrolled in nothing. */
  readonly learner: Person;
}

/** Everyone who calls in the authorization matrix; "own" is institutions[0], companies[0]. */
export const CALLERS = [
  'anonymous',
  'platform admin',
  'own manager',
  'own instructor',
  'other institution manager',
  'own company manager',
  'other company manager',
  'enrolled employee',
  'other company employee',
  'plain learner',
] as const;
export type CallerName = (typeof CALLERS)[number];

export function castOf(w: World): Record<CallerName, Person | undefined> {
  const [own, other] = w.institutions;
  const [ownCompany, otherCompany] = w.companies;
  return {
    anonymous: undefined,
    'platform admin': w.admin,
    'own manager': own.manager,
    'own instructor': own.instructor,
    'other institution manager': other.manager,
    'own company manager': ownCompany.manager,
    'other company manager': otherCompany.manager,
    'enrolled employee': ownCompany.employee,
    'other company employee': otherCompany.employee,
    'plain learner': w.learner,
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/** The call's JSON answer, or a failure that shows what the service said instead. */
export async function expectStatus(call: Promise<CallResult>, status: number): Promise<Json> {
  const res = await call;
  if (res.statusCode !== status) {
    throw new Error(`expected ${status}, got ${res.statusCode}: ${res.body}`);
  }
  return res.body ? res.json() : {};
}

/** Over HTTP, the way each tenant's people would set themselves up. */
export async function buildWorld(f: ServiceFixture): Promise<World> {
  const institutions = [await institution(f, 0), await institution(f, 1)] as const;
  const companies = [await company(f, 0, institutions[0]), await company(f, 1, institutions[1])] as const;
  return {
    institutions,
    companies,
    admin: await f.person(['platform-admin'], 'admin'),
    learner: await f.person(['learner'], 'learner'),
  };
}

async function institution(f: ServiceFixture, i: number): Promise<InstitutionSide> {
  const manager = await f.person(['institution-manager'], `manager${i}`);
  const instructor = await f.person(['instructor'], `instructor${i}`);
  const businessNumber = businessNumberFrom(`10000000${i}`);
  const { id } = await expectStatus(
    f.call(manager, {
      method: 'POST',
      url: '/institutions',
      payload: {
        name: `Academy ${i}`,
        ownerName: `Owner ${i}`,
        businessNumber,
        certificationNumber: `CERT-${i}`,
        contactEmail: `office${i}@academy.example.com`,
        contactPhone: `02-100-000${i}`,
      },
    }),
    201,
  );
  const as = (options: CallOptions, status = 200) => expectStatus(f.call(manager, options), status);
  await as({
    method: 'PUT',
    url: `/institutions/${id}/members/${instructor.sub}`,
    payload: { role: 'instructor' },
  });
  const course = await as(
    { method: 'POST', url: '/courses', payload: { title: `Course ${i}`, instructorSub: instructor.sub } },
    201,
  );
  const chapter = await as(
    { method: 'POST', url: `/courses/${course.id}/chapters`, payload: { title: 'Basics' } },
    201,
  );
  const contentIds: string[] = [];
  for (const kind of ['video', 'material'] as const) {
    const url = `/courses/${course.id}/chapters/${chapter.id}/contents`;
    contentIds.push((await as({ method: 'POST', url, payload: { kind, title: `A ${kind}` } }, 201)).id);
  }
  await as({ method: 'POST', url: `/courses/${course.id}/publish` });
  return {
    id,
    businessNumber,
    manager,
    instructor,
    course: { id: course.id, chapterId: chapter.id, contentIds },
  };
}

async function company(f: ServiceFixture, i: number, provider: InstitutionSide): Promise<CompanySide> {
  const manager = await f.person(['company-manager'], `company${i}`);
  const businessNumber = businessNumberFrom(`20000000${i}`);
  const email = `hr${i}@company.example.com`;
  const { id } = await expectStatus(
    f.call(manager, {
      method: 'POST',
      url: '/companies',
      payload: {
        name: `Company ${i}`,
        ownerName: `Boss ${i}`,
        businessNumber,
        email,
        phone: `031-200-000${i}`,
      },
    }),
    201,
  );
  const employee = await f.person(['learner'], `employee${i}`);
  await joinAndApprove(f, id, manager, employee);
  const provision = await expectStatus(
    f.call(manager, {
      method: 'POST',
      url: '/provisions',
      payload: {
        companyId: id,
        courseId: provider.course.id,
        startsOn: '2027-03-01',
        endsOn: '2027-05-31',
        attendeeCount: 10,
        depositAmount: 500000,
      },
    }),
    201,
  );
  await expectStatus(
    f.call(provider.manager, {
      method: 'POST',
      url: `/provisions/${provision.id}/decision`,
      payload: { decision: 'accepted' },
    }),
    200,
  );
  await expectStatus(
    f.call(manager, {
      method: 'POST',
      url: `/provisions/${provision.id}/attendees`,
      payload: { userSubs: [employee.sub] },
    }),
    200,
  );
  return { id, businessNumber, email, manager, employee, provisionId: provision.id };
}

/** The learner asks to join the company and its manager approves them. */
export async function joinAndApprove(f: ServiceFixture, companyId: string, manager: Person, learner: Person) {
  await expectStatus(f.call(learner, { method: 'POST', url: `/companies/${companyId}/join-requests` }), 200);
  await expectStatus(
    f.call(manager, { method: 'PUT', url: `/companies/${companyId}/employees/${learner.sub}/approval` }),
    200,
  );
}

/** Per table, its row count and a checksum of every row: equal snapshots mean nothing was written. */
export type Snapshot = Record<string, string>;

const tablesOf = new WeakMap<object, Promise<string[]>>();

export async function snapshot(db: Kysely<Database>): Promise<Snapshot> {
  let tables = tablesOf.get(db);
  if (!tables) {
    // Read from the catalogue, so a table added later is watched without editing this list.
    tables = sql<{ name: string }>`
      select table_name as name from information_schema.tables
      where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`
      .execute(db)
      .then((r) => r.rows.map((t) => t.name));
    tablesOf.set(db, tables);
  }
  const parts = (await tables).map(
    (name) =>
      sql`select ${name} as name, count(*)::text || ':' || coalesce(md5(string_agg(t::text, ',' order by t::text)), '') as sum
          from ${sql.id(name)} t`,
  );
  const { rows } = await sql<{ name: string; sum: string }>`${sql.join(parts, sql` union all `)}`.execute(db);
  return Object.fromEntries(rows.map((r) => [r.name, r.sum]));
}

/**
 * Every route the app serves, as `METHOD /path/:param`, read from Fastify's own route tree (HEAD routes,
 * which Fastify adds for each GET and answer alike, are left out).
 */
export function routesOf(app: FastifyInstance): string[] {
  const routes: string[] = [];
  const prefixes: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:│ {3}| {4})*)[├└]── (\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const path = (prefixes[depth - 1] ?? '') + m[2]!;
    prefixes[depth] = path;
    for (const method of m[3]?.split(', ') ?? []) if (method !== 'HEAD') routes.push(`${method} ${path}`);
  }
  // The tree is Fastify's debugging aid, not an API: hold it to the OpenAPI document, which lists all but
  // hidden routes, so a change in its format cannot make routes silently disappear from this list.
  const documented = Object.entries((app.swagger() as { paths: Record<string, object> }).paths).flatMap(
    ([path, operations]) =>
      Object.keys(operations).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
  );
  const missing = documented.filter((r) => !routes.includes(r));
  if (missing.length > 0) throw new Error(`route tree parse missed ${missing.join(', ')}`);
  return routes;
}

/**
 * A second provision of the own course (institutions[0], companies[0]) that runs today, the given learners
 * enrolled with its video watched: the world's own provision lies in the future, and exams open only
 * within the period and (under kr-employer-training) from 50% progress.
 */
export async function runningProvision(
  db: Kysely<Database>,
  w: World,
  learnerSubs: readonly string[],
): Promise<{ provisionId: string; enrollmentIds: string[] }> {
  const [own] = w.institutions;
  const [company] = w.companies;
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const provision = await db
    .insertInto('provisions')
    .values({
      company_id: company.id,
      course_id: own.course.id,
      institution_id: own.id,
      starts_on: day(-30),
      ends_on: day(30),
      attendee_count: learnerSubs.length,
      enrolled_count: learnerSubs.length,
      deposit_amount: 0,
      state: 'accepted',
      requested_by: company.manager.sub,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const enrollmentIds: string[] = [];
  for (const sub of learnerSubs) {
    const { id } = await db
      .insertInto('enrollments')
      .values({ provision_id: provision.id, course_id: own.course.id, user_sub: sub })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('content_progress')
      .values({
        enrollment_id: id,
        content_id: own.course.contentIds[0]!,
        covered_seconds: 600,
        completed_at: new Date(),
      })
      .execute();
    enrollmentIds.push(id);
  }
  return { provisionId: provision.id, enrollmentIds };
}
