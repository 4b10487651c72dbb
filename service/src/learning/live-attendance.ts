import type { Kysely } from 'kysely';
import { liveEnded, type LiveEnded } from '#contracts/live';
import type { Database } from '../db/schema';
import { firstDelivery } from '../events/processed-events';

/**
 * `live.ended` as the core accepts it: the contract, plus what must hold for its rows to mean anything.
 * A report that breaks these is the live domain's bug; it is refused (and dead-lettered), not guessed at.
 */
export const liveEndedReport = liveEnded.superRefine((e, ctx) => {
  if (e.part > e.parts) ctx.addIssue({ code: 'custom', path: ['part'], message: 'must not exceed parts' });
  if (Date.parse(e.endedAt) < Date.parse(e.startedAt))
    ctx.addIssue({ code: 'custom', path: ['endedAt'], message: 'must not be before startedAt' });
  e.attendees.forEach((a, i) => {
    if (a.quizzesCorrect > a.quizzesAnswered)
      ctx.addIssue({
        code: 'custom',
        path: ['attendees', i, 'quizzesCorrect'],
        message: 'must not exceed quizzesAnswered',
      });
  });
});

/** The report names a lecture, provision, course and institution that do not belong together here. */
export class LiveReportRefused extends Error {}

export interface SkippedAttendee {
  readonly enrollmentId: string;
  readonly reason: 'not-enrolled-here' | 'other-learner' | 'repeated';
}

export type LiveEndedOutcome =
  | { readonly outcome: 'duplicate' }
  /** A newer report of this lecture is recorded already; this one changed nothing. */
  | { readonly outcome: 'stale' }
  | {
      readonly outcome: 'applied';
      readonly recorded: number;
      readonly skipped: readonly SkippedAttendee[];
    };

/**
 * Records one part of a lecture's end report, in one transaction: the event once (by id), the lecture
 * and each attendee's row unless a newer report is stored. A report as new as the stored one applies
 * again, so every part of one report writes its attendees, and the same report published twice (a new
 * event id) rewrites what is there. Attendees are taken only through an enrollment of the lecture's
 * provision held by the same learner, so a wrong id can never write into another company's record.
 */
export async function applyLiveEnded(
  db: Kysely<Database>,
  eventId: string,
  report: LiveEnded,
): Promise<LiveEndedOutcome> {
  const occurredAt = new Date(report.occurredAt);
  return db.transaction().execute(async (trx) => {
    if (!(await firstDelivery(trx, eventId))) return { outcome: 'duplicate' };

    const provision = await trx
      .selectFrom('provisions')
      .select('id')
      .where('id', '=', report.provisionId)
      .where('course_id', '=', report.courseId)
      .where('institution_id', '=', report.institutionId)
      .executeTakeFirst();
    if (!provision)
      throw new LiveReportRefused(
        `lecture ${report.lectureId}: provision ${report.provisionId} is not of course ${report.courseId} of institution ${report.institutionId}`,
      );

    // The row lock this takes orders every report of the lecture: a concurrent older one waits, then
    // finds the newer row and changes nothing, attendees included.
    const lecture = await trx
      .insertInto('live_lectures')
      .values({
        lecture_id: report.lectureId,
        provision_id: report.provisionId,
        course_id: report.courseId,
        institution_id: report.institutionId,
        title: report.title,
        started_at: report.startedAt,
        ended_at: report.endedAt,
        quizzes_sent: report.quizzesSent,
        occurred_at: occurredAt,
      })
      .onConflict((oc) =>
        oc
          .column('lecture_id')
          .doUpdateSet((eb) => ({
            title: eb.ref('excluded.title'),
            started_at: eb.ref('excluded.started_at'),
            ended_at: eb.ref('excluded.ended_at'),
            quizzes_sent: eb.ref('excluded.quizzes_sent'),
            occurred_at: eb.ref('excluded.occurred_at'),
          }))
          .where('live_lectures.occurred_at', '<=', occurredAt)
          // A lecture never moves to another provision: a report that says so is refused below.
          .where('live_lectures.provision_id', '=', report.provisionId),
      )
      .returning('lecture_id')
      .executeTakeFirst();
    if (!lecture) {
      const stored = await trx
        .selectFrom('live_lectures')
        .select('provision_id')
        .where('lecture_id', '=', report.lectureId)
        .executeTakeFirstOrThrow();
      if (stored.provision_id !== report.provisionId)
        throw new LiveReportRefused(
          `lecture ${report.lectureId} belongs to provision ${stored.provision_id}, not ${report.provisionId}`,
        );
      return { outcome: 'stale' };
    }

    const skipped: SkippedAttendee[] = [];
    const ids = [...new Set(report.attendees.map((a) => a.enrollmentId))];
    // The attendees' enrollments are locked here, all and in one order, before their attendance moves any
    // counter (migrations/0015, 0016): a learner's first heartbeat locks their enrollment, then their company
    // and course's counts, so a report that took those counts for one attendee and then waited for the next
    // one's enrollment could deadlock with it. For update, the lock 0015's trigger takes on each attendee's
    // row: a weaker one first would let a heartbeat's key-share lock in between, and each would wait for
    // the other's.
    const enrolled = new Map(
      ids.length === 0
        ? []
        : (
            await trx
              .selectFrom('enrollments')
              .select(['id', 'user_sub'])
              .where('id', 'in', ids)
              .where('provision_id', '=', report.provisionId)
              .where('course_id', '=', report.courseId)
              .orderBy('id')
              .forUpdate()
              .execute()
          ).map((e) => [e.id, e.user_sub]),
    );
    const rows = [];
    const seen = new Set<string>();
    for (const a of report.attendees) {
      const sub = enrolled.get(a.enrollmentId);
      if (sub === undefined) skipped.push({ enrollmentId: a.enrollmentId, reason: 'not-enrolled-here' });
      else if (sub !== a.userSub) skipped.push({ enrollmentId: a.enrollmentId, reason: 'other-learner' });
      // One statement may not upsert a row twice; the first report of a seat stands.
      else if (seen.has(a.enrollmentId)) skipped.push({ enrollmentId: a.enrollmentId, reason: 'repeated' });
      else {
        seen.add(a.enrollmentId);
        rows.push({
          lecture_id: report.lectureId,
          enrollment_id: a.enrollmentId,
          user_sub: sub,
          joined_at: a.joinedAt,
          presence_seconds: a.presenceSeconds,
          attendance_rate: a.attendanceRate,
          quizzes_answered: a.quizzesAnswered,
          quizzes_correct: a.quizzesCorrect,
          occurred_at: occurredAt,
        });
      }
    }
    // In the enrollments' order, as they were locked.
    rows.sort((a, b) => (a.enrollment_id < b.enrollment_id ? -1 : a.enrollment_id > b.enrollment_id ? 1 : 0));
    if (rows.length > 0)
      await trx
        .insertInto('live_attendance')
        .values(rows)
        .onConflict((oc) =>
          oc
            .columns(['lecture_id', 'enrollment_id'])
            .doUpdateSet((eb) => ({
              joined_at: eb.ref('excluded.joined_at'),
              presence_seconds: eb.ref('excluded.presence_seconds'),
              attendance_rate: eb.ref('excluded.attendance_rate'),
              quizzes_answered: eb.ref('excluded.quizzes_answered'),
              quizzes_correct: eb.ref('excluded.quizzes_correct'),
              occurred_at: eb.ref('excluded.occurred_at'),
            }))
            .where('live_attendance.occurred_at', '<=', occurredAt),
        )
        .execute();
    return { outcome: 'applied', recorded: rows.length, skipped };
  });
}
