import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema';
import { notFound, type Caller } from '../http/identity';
import { provisionFor } from '../provisions/provisions';

/**
 * Per-employee progress in one provision, for the company's dashboard and the institution: each enrolled
 * learner's completed video lessons out of the course's, the seconds they watched, and their completion.
 */
export async function provisionProgress(db: Kysely<Database>, caller: Caller, provisionId: string) {
  const provision = await provisionFor(db, caller, provisionId);
  const { rows } = await sql<{
    enrollmentId: string;
    userSub: string;
    email: string | null;
    lessonsCompleted: number;
    lessonsTotal: number;
    watchedSeconds: number;
    completedAt: Date | null;
    certificateOn: string | null;
    score: number | null;
  }>`
    with lessons as (
      select id from contents where course_id = ${provision.courseId} and kind = 'video' and state = 'active')
    select e.id as "enrollmentId", e.user_sub as "userSub", a.email,
      (select count(*)::int from content_progress p
        where p.enrollment_id = e.id and p.completed_at is not null
          and p.content_id in (select id from lessons)) as "lessonsCompleted",
      (select count(*)::int from lessons) as "lessonsTotal",
      (select coalesce(sum(p.covered_seconds), 0)::int from content_progress p
        where p.enrollment_id = e.id) as "watchedSeconds",
      e.completed_at as "completedAt", e.certificate_on::text as "certificateOn", e.score
    from enrollments e
    left join affiliations a on a.company_id = ${provision.companyId} and a.user_sub = e.user_sub
    where e.provision_id = ${provisionId}
    order by e.created_at`.execute(db);
  return rows;
}

/**
 * One learner's audit trail in a provision: every credit, gate decision, completion and grade, oldest
 * first. For the institution that answers for the training, and platform admins; not for the company.
 */
export async function learnerAudit(
  db: Kysely<Database>,
  caller: Caller,
  provisionId: string,
  enrollmentId: string,
) {
  const provision = await provisionFor(db, caller, provisionId);
  if (caller.institutionId !== provision.institutionId && !caller.has('platform-admin'))
    throw notFound('Enrollment');
  const enrollment = await db
    .selectFrom('enrollments')
    .select(['id', 'user_sub'])
    .where('id', '=', enrollmentId)
    .where('provision_id', '=', provisionId)
    .executeTakeFirst();
  if (!enrollment) throw notFound('Enrollment');
  const entries = await db
    .selectFrom('learning_audit')
    .select([
      // int8 as text whatever the driver makes of it (pg: string, PGlite: number).
      sql<string>`id::text`.as('id'),
      'kind',
      'content_id as contentId',
      'detail',
      'at',
    ])
    .where('enrollment_id', '=', enrollmentId)
    // The table's column, not the text alias above: as text, entry 10 would sort before entry 9.
    .orderBy('learning_audit.id')
    .execute();
  return { enrollmentId, userSub: enrollment.user_sub, entries };
}
