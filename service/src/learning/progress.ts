import { type Kysely, sql } from 'kysely';
import type { ComplianceProfile } from '#contracts/compliance-profiles';
import type { Identity } from '#contracts/access-token';
import type { Database } from '../db/schema';
import { HttpError } from '../http/errors';
import { notFound } from '../http/identity';
import { evaluateCompletion } from './completion';
import { dayIn } from './days';

/*
 * Server-authoritative progress. A player sends heartbeats (where its playhead is, at what rate, from which
 * tab); the server credits watched seconds only as fast as real time passes:
 *  - a tab's beats form a run of continuous playback; a beat whose playhead is further than the run's
 *    elapsed wall time allows (a seek forward), or behind the last one (a seek back), starts a new run and
 *    earns nothing;
 *  - within a run, the seconds credited never exceed the run's elapsed wall time: playing at 2x covers
 *    twice the video and earns half of it;
 *  - the learner's viewing clock bounds every tab and content together: two tabs earn once;
 *  - watched seconds are a set of intervals, so progress is what was covered and never goes down.
 * Beats are serialized per learner by locking their viewing clock, so concurrent beats cannot both spend
 * the same seconds; a beat older than the tab's last (by its sequence number) changes nothing.
 */

/** A pause longer than this ends a run: what happened in between cannot be known. */
export const MAX_BEAT_GAP_SECONDS = 60;
/** Slack for network jitter between the player's clock and the server's. */
export const PLAYHEAD_TOLERANCE_SECONDS = 2;

export interface Heartbeat {
  readonly contentId: string;
  /** One id per player tab, chosen by the player. */
  readonly sessionId: string;
  /** Increases with every beat of a tab, so a late beat is recognised. */
  readonly sequence: number;
  /** The playhead, in seconds of the video. */
  readonly position: number;
  readonly playbackRate: number;
}

export type Gate = 'outside-period' | 'daily-lesson-cap';

export interface BeatResult {
  readonly creditedSeconds: number;
  readonly coveredSeconds: number;
  readonly durationSeconds: number;
  readonly completed: boolean;
  /** Why nothing could be credited, when a compliance rule said so. */
  readonly gate: Gate | null;
  /** With the daily-lesson-cap gate: the cap, and the time zone whose midnight lifts it, for the player to say. */
  readonly dailyLessonCap?: { readonly lessons: number; readonly timeZone: string };
}

// record_heartbeat refuses with its own SQLSTATEs (migrations/0006_heartbeat_function.sql, as replaced by
// 0008_live_recordings.sql: another provision's recording is LM404); the route's answers stay what they were.
const REFUSALS: Record<string, () => HttpError> = {
  LM404: () => notFound('Enrollment or content'),
  LM409: () => new HttpError(409, 'This content has no playable video'),
};

/**
 * The rules above run in PostgreSQL (record_heartbeat), beside the rows they lock: a beat is one statement
 * rather than a dozen round trips made while holding the learner's viewing clock. It runs in a transaction
 * because a lesson it completes must have the course's completion evaluated in the same one: evaluated
 * after a separate commit, a failure in between would leave the course uncompleted with no beat left to
 * try again. A live lecture's recording (a content with a provision) is no lesson: it counts towards no
 * completion, so it takes none of the day's lessons either (its cap is passed as none).
 */
export async function recordHeartbeat(
  db: Kysely<Database>,
  caller: Identity,
  enrollmentId: string,
  beat: Heartbeat,
  profile: ComplianceProfile,
  now: Date,
): Promise<BeatResult> {
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<Omit<BeatResult, 'dailyLessonCap'> & { completedNow: boolean }>`
      select * from record_heartbeat(
        p_enrollment_id => ${enrollmentId}::uuid,
        p_user_sub => ${caller.sub},
        p_content_id => ${beat.contentId}::uuid,
        p_session_id => ${beat.sessionId},
        p_sequence => ${beat.sequence}::integer,
        p_position => ${beat.position}::float8,
        p_playback_rate => ${beat.playbackRate}::float8,
        p_now => ${now}::timestamptz,
        p_today => ${dayIn(now, profile.timeZone)}::date,
        p_daily_lesson_cap => (
          select case when x.provision_id is null then ${profile.dailyLessonCap}::integer end
          from contents x where x.id = ${beat.contentId}::uuid),
        p_content_complete_share => ${profile.contentCompleteShare}::float8,
        p_max_beat_gap_seconds => ${MAX_BEAT_GAP_SECONDS}::float8,
        p_playhead_tolerance_seconds => ${PLAYHEAD_TOLERANCE_SECONDS}::float8)`
      .execute(trx)
      .catch((e: unknown) => {
        const refusal = REFUSALS[(e as { code?: string }).code ?? ''];
        throw refusal ? refusal() : e;
      });
    const { completedNow, ...result } = rows[0]!;
    // A completed lesson can complete the course.
    if (completedNow) await evaluateCompletion(trx, enrollmentId, profile, now);
    return result.gate === 'daily-lesson-cap' && profile.dailyLessonCap !== null
      ? { ...result, dailyLessonCap: { lessons: profile.dailyLessonCap, timeZone: profile.timeZone } }
      : result;
  });
}

/**
 * The caller's progress in one enrollment: each content's watched seconds, completion and resume position, live lecture
 * recordings of the enrollment's provision included and other provisions' left out (as the course page).
 */
export async function enrollmentProgress(db: Kysely<Database>, caller: Identity, enrollmentId: string) {
  const enrollment = await db
    .selectFrom('enrollments')
    .select(['id', 'course_id', 'provision_id'])
    .where('id', '=', enrollmentId)
    .where('user_sub', '=', caller.sub)
    .executeTakeFirst();
  if (!enrollment) throw notFound('Enrollment');
  return db
    .selectFrom('contents as x')
    .innerJoin('chapters as c', 'c.id', 'x.chapter_id')
    .leftJoin('content_progress as p', (j) =>
      j.onRef('p.content_id', '=', 'x.id').on('p.enrollment_id', '=', enrollmentId),
    )
    .select([
      'x.id as contentId',
      'x.kind',
      'x.duration_seconds as durationSeconds',
      sql<number>`coalesce(p.covered_seconds, 0)`.as('coveredSeconds'),
      'p.completed_at as completedAt',
      // Where the learner's latest beat left the playhead, so a player resumes there in any tab or device;
      // the covered intervals cannot tell it (a learner may have sought back and replayed).
      (eb) =>
        eb.fn
          .coalesce(
            eb
              .selectFrom('playback_sessions as s')
              .select('s.last_position')
              .whereRef('s.content_id', '=', 'x.id')
              .where('s.enrollment_id', '=', enrollmentId)
              .orderBy('s.last_beat_at', 'desc')
              .orderBy('s.last_sequence', 'desc')
              .limit(1),
            sql<number>`0`,
          )
          .as('resumeSeconds'),
    ])
    .where('x.course_id', '=', enrollment.course_id)
    .where('x.state', '=', 'active')
    .where((eb) =>
      eb.or([eb('x.provision_id', 'is', null), eb('x.provision_id', '=', enrollment.provision_id)]),
    )
    .orderBy('c.position')
    .orderBy('x.position')
    .execute();
}
