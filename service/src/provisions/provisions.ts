import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema';
import { emit, type CorePayloads } from '../events/outbox';
import { HttpError } from '../http/errors';
import { type Caller, notFound, requireRole } from '../http/identity';

export interface ProvisionRequest {
  readonly companyId: string;
  readonly courseId: string;
  readonly startsOn: string;
  readonly endsOn: string;
  readonly attendeeCount: number;
  readonly depositAmount: number;
}

const columns = [
  'id',
  'company_id as companyId',
  'course_id as courseId',
  'institution_id as institutionId',
  // Calendar dates as 'YYYY-MM-DD' whatever the driver's date parsing.
  sql<string>`starts_on::text`.as('startsOn'),
  sql<string>`ends_on::text`.as('endsOn'),
  'attendee_count as attendeeCount',
  'enrolled_count as enrolledCount',
  // Minor currency units as decimal text: every digit survives, whatever the driver does with int8.
  sql<string>`deposit_amount::text`.as('depositAmount'),
  'state',
  'decision_reason as decisionReason',
  'created_at as createdAt',
  'decided_at as decidedAt',
  // The names both sides read the request by (an institution sees no company's profile otherwise); as
  // subqueries, so inserts and updates return them too.
  sql<string>`(select c.title from courses c where c.id = provisions.course_id)`.as('courseTitle'),
  sql<string>`(select c.name from companies c where c.id = provisions.company_id)`.as('companyName'),
] as const;

type ProvisionRow = Pick<
  CorePayloads['provision.set'],
  'institutionId' | 'companyId' | 'courseId' | 'attendeeCount' | 'state' | 'startsOn' | 'endsOn'
> & { readonly id: string };

/** The whole provision for the access projection (live lectures read its attendees and institution). */
const provisionSetOf = (p: ProvisionRow): CorePayloads['provision.set'] => ({
  provisionId: p.id,
  institutionId: p.institutionId,
  companyId: p.companyId,
  courseId: p.courseId,
  attendeeCount: p.attendeeCount,
  state: p.state,
  startsOn: p.startsOn,
  endsOn: p.endsOn,
});

/**
 * Provisions a company requested. An open session's own provision (no company) is reached through its
 * session, never here.
 */
const companyProvisions = (db: Kysely<Database>) =>
  db
    .selectFrom('provisions')
    .select(columns)
    .where('kind', '=', 'company')
    .$narrowType<{ companyId: string }>();

export async function provisionFor(db: Kysely<Database>, caller: Caller, id: string) {
  const p = await companyProvisions(db).where('id', '=', id).executeTakeFirst();
  const visible =
    p &&
    (caller.managedCompanyIds.includes(p.companyId) ||
      caller.institutionId === p.institutionId ||
      caller.has('platform-admin'));
  if (!p || !visible) throw notFound('Provision');
  return p;
}

/** A company manager requests a published course for a period, a number of attendees and a deposit. */
export async function requestProvision(db: Kysely<Database>, caller: Caller, input: ProvisionRequest) {
  requireRole(caller, 'company-manager');
  if (!caller.managedCompanyIds.includes(input.companyId)) throw notFound('Company');
  const course = await db
    .selectFrom('courses')
    .select(['id', 'institution_id', 'title'])
    .where('id', '=', input.courseId)
    .where('state', '=', 'published')
    .executeTakeFirst();
  if (!course) throw notFound('Course');
  const company = await db
    .selectFrom('companies')
    .select('name')
    .where('id', '=', input.companyId)
    .executeTakeFirstOrThrow();
  return db.transaction().execute(async (trx) => {
    const p = await trx
      .insertInto('provisions')
      .values({
        company_id: input.companyId,
        course_id: input.courseId,
        institution_id: course.institution_id,
        starts_on: input.startsOn,
        ends_on: input.endsOn,
        attendee_count: input.attendeeCount,
        deposit_amount: input.depositAmount,
        requested_by: caller.sub,
      })
      .returning(columns)
      .$narrowType<{ companyId: string }>()
      .executeTakeFirstOrThrow();
    await emit(trx, 'provision.requested', {
      provisionId: p.id,
      institutionId: p.institutionId,
      companyId: p.companyId,
      courseId: p.courseId,
      courseTitle: course.title,
      companyName: company.name,
      attendeeCount: p.attendeeCount,
      startsOn: p.startsOn,
      endsOn: p.endsOn,
    });
    await emit(trx, 'provision.set', provisionSetOf(p));
    return p;
  });
}

export const getProvision = provisionFor;

/** Both sides list their provisions by state: a company its own, an institution those for its courses. */
export async function listProvisions(
  db: Kysely<Database>,
  caller: Caller,
  query: { state?: 'requested' | 'accepted' | 'rejected' | undefined; limit: number },
) {
  let q = companyProvisions(db).orderBy('created_at', 'desc').limit(query.limit);
  if (caller.institutionId) q = q.where('institution_id', '=', caller.institutionId);
  else if (caller.managedCompanyIds.length > 0) q = q.where('company_id', 'in', caller.managedCompanyIds);
  else if (!caller.has('platform-admin')) return [];
  if (query.state) q = q.where('state', '=', query.state);
  return q.execute();
}

/** The institution's manager accepts or rejects (with a reason) a requested provision, once. */
export async function decideProvision(
  db: Kysely<Database>,
  caller: Caller,
  id: string,
  decision: { decision: 'accepted' | 'rejected'; reason?: string | undefined },
) {
  const p = await provisionFor(db, caller, id);
  if (caller.institutionId !== p.institutionId || caller.institutionRole !== 'institution-manager') {
    throw new HttpError(403, 'Only the institution’s managers decide on provisions');
  }
  return db.transaction().execute(async (trx) => {
    const updated = await trx
      .updateTable('provisions')
      .set({
        state: decision.decision,
        decision_reason: decision.reason ?? null,
        decided_by: caller.sub,
        decided_at: new Date(),
      })
      .where('id', '=', id)
      .where('state', '=', 'requested')
      .returning(columns)
      .$narrowType<{ companyId: string }>()
      .executeTakeFirst();
    if (!updated) throw new HttpError(409, 'This provision was decided already');
    // The names as they are at the decision, for the company's managers to read.
    const names = await trx
      .selectFrom('courses as c')
      .innerJoin('institutions as i', 'i.id', 'c.institution_id')
      .select(['c.title as courseTitle', 'i.name as institutionName'])
      .where('c.id', '=', updated.courseId)
      .executeTakeFirstOrThrow();
    const decided = {
      provisionId: id,
      institutionId: updated.institutionId,
      companyId: updated.companyId,
      courseId: updated.courseId,
      ...names,
      reason: decision.reason ?? null,
      startsOn: updated.startsOn,
      endsOn: updated.endsOn,
    };
    if (decision.decision === 'accepted')
      await emit(trx, 'provision.accepted', { ...decided, decision: 'accepted' });
    else await emit(trx, 'provision.rejected', { ...decided, decision: 'rejected' });
    await emit(trx, 'provision.set', provisionSetOf(updated));
    return updated;
  });
}

/**
 * The company submits employees for an accepted provision. The provision row is locked for the
 * transaction, so concurrent submissions queue: never more enrollments than attendees, and people already
 * enrolled take no second seat. All or nothing: a submission that does not fit changes nothing.
 */
export async function submitAttendees(
  db: Kysely<Database>,
  caller: Caller,
  id: string,
  userSubs: readonly string[],
) {
  const p = await provisionFor(db, caller, id);
  if (!caller.managedCompanyIds.includes(p.companyId))
    throw new HttpError(403, 'Only the company’s managers submit attendees');
  if (p.state !== 'accepted') throw new HttpError(409, `The provision is ${p.state}, not accepted`);
  const employees = await db
    .selectFrom('affiliations')
    .select('user_sub')
    .where('company_id', '=', p.companyId)
    .where('role', '=', 'employee')
    .where('state', '=', 'approved')
    .where('user_sub', 'in', [...userSubs])
    .execute();
  const approved = new Set(employees.map((e) => e.user_sub));
  const strangers = userSubs.map((s, i) => [s, i] as const).filter(([s]) => !approved.has(s));
  if (strangers.length > 0) {
    throw new HttpError(
      422,
      'Only approved employees of the company can attend',
      strangers.map(([, i]) => ({
        field: `body.userSubs.${i}`,
        message: 'not an approved employee of this company',
      })),
    );
  }
  return db.transaction().execute(async (trx) => {
    const locked = await trx
      .selectFrom('provisions')
      .select(['attendee_count', 'enrolled_count'])
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const inserted = await trx
      .insertInto('enrollments')
      .values(userSubs.map((sub) => ({ provision_id: id, course_id: p.courseId, user_sub: sub })))
      .onConflict((oc) => oc.columns(['provision_id', 'user_sub']).doNothing())
      .returning(['id', 'user_sub'])
      .execute();
    const free = locked.attendee_count - locked.enrolled_count;
    if (inserted.length > free) {
      throw new HttpError(
        409,
        `Only ${free} of ${locked.attendee_count} seats are left; ${inserted.length} were asked for`,
      );
    }
    if (inserted.length > 0) {
      await trx
        .updateTable('provisions')
        .set({ enrolled_count: sql`enrolled_count + ${inserted.length}` })
        .where('id', '=', id)
        .execute();
      const course = await trx
        .selectFrom('courses')
        .select('title')
        .where('id', '=', p.courseId)
        .executeTakeFirstOrThrow();
      for (const e of inserted) {
        await emit(trx, 'enrollment.created', {
          enrollmentId: e.id,
          provisionId: id,
          courseId: p.courseId,
          userSub: e.user_sub,
          courseTitle: course.title,
        });
      }
    }
    return {
      enrolled: inserted.map((e) => e.user_sub),
      alreadyEnrolled: userSubs.filter((s) => !inserted.some((e) => e.user_sub === s)),
    };
  });
}

/** A learner's own enrollments, newest first, with the course and the period. */
/** The caller's courses, newest first, with their progress and completion. */
export async function myEnrollments(db: Kysely<Database>, caller: Caller) {
  return db
    .selectFrom('enrollments as e')
    .innerJoin('courses as c', 'c.id', 'e.course_id')
    .innerJoin('provisions as p', 'p.id', 'e.provision_id')
    .select([
      'e.id',
      'e.course_id as courseId',
      // Live lectures and boards are per provision: the learner's pages find theirs with it.
      'e.provision_id as provisionId',
      'c.title as courseTitle',
      sql<string>`p.starts_on::text`.as('startsOn'),
      sql<string>`p.ends_on::text`.as('endsOn'),
      'e.created_at as enrolledAt',
      // Video lessons, as completion counts them: live lecture recordings are not lessons (standingOf).
      sql<number>`(select count(*)::int from content_progress cp join contents x on x.id = cp.content_id
        where cp.enrollment_id = e.id and cp.completed_at is not null and x.kind = 'video' and x.state = 'active'
          and x.provision_id is null)`.as('lessonsCompleted'),
      sql<number>`(select count(*)::int from contents x
        where x.course_id = e.course_id and x.kind = 'video' and x.state = 'active'
          and x.provision_id is null)`.as('lessonsTotal'),
      'e.completed_at as completedAt',
      sql<string | null>`e.certificate_on::text`.as('certificateOn'),
      'e.score',
      // A course is rated once: the app shows the given rating instead of the form.
      sql<number | null>`(select r.stars from course_ratings r where r.enrollment_id = e.id)`.as(
        'ratingStars',
      ),
    ])
    .where('e.user_sub', '=', caller.sub)
    .orderBy('e.created_at', 'desc')
    .execute();
}
