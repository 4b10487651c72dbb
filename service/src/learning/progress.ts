import { type Kysely, sql } from 'kysely';
import type { ComplianceProfile } from '../../../lib/config/compliance-profiles';
import type { Identity } from '../../../lambda/shared/access-token';
import type { Database } from '../db/schema';
import { HttpError } from '../http/errors';
import { notFound } from '../http/identity';
import { appendAudit } from './audit';
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
}

const seconds = (from: Date, to: Date) => (to.getTime() - from.getTime()) / 1000;

export async function recordHeartbeat(
  db: Kysely<Database>,
  caller: Identity,
  enrollmentId: string,
  beat: Heartbeat,
  profile: ComplianceProfile,
  now: Date,
): Promise<BeatResult> {
  return db.transaction().execute(async (trx) => {
    const facts = await trx
      .selectFrom('enrollments as e')
      .innerJoin('provisions as p', 'p.id', 'e.provision_id')
      .innerJoin('contents as x', 'x.course_id', 'e.course_id')
      .select([
        'e.user_sub',
        sql<string>`p.starts_on::text`.as('startsOn'),
        sql<string>`p.ends_on::text`.as('endsOn'),
        'x.kind',
        'x.state',
        'x.media_state',
        'x.duration_seconds',
      ])
      .where('e.id', '=', enrollmentId)
      .where('x.id', '=', beat.contentId)
      .executeTakeFirst();
    // Someone else's enrollment does not exist for this caller.
    if (!facts || facts.user_sub !== caller.sub) throw notFound('Enrollment or content');
    const duration = facts.duration_seconds;
    if (facts.kind !== 'video' || facts.state !== 'active' || facts.media_state !== 'ready' || !duration)
      throw new HttpError(409, 'This content has no playable video');

    const where = { enrollmentId, userSub: caller.sub, contentId: beat.contentId, at: now };
    await trx
      .insertInto('viewing_clocks')
      .values({ user_sub: caller.sub, credited_until: now })
      .onConflict((oc) => oc.column('user_sub').doNothing())
      .execute();
    const clock = await trx
      .selectFrom('viewing_clocks')
      .select('credited_until')
      .where('user_sub', '=', caller.sub)
      .forUpdate()
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('content_progress')
      .values({ enrollment_id: enrollmentId, content_id: beat.contentId })
      .onConflict((oc) => oc.columns(['enrollment_id', 'content_id']).doNothing())
      .execute();
    const progress = await trx
      .selectFrom('content_progress')
      .select(['covered_seconds', 'completed_at'])
      .where('enrollment_id', '=', enrollmentId)
      .where('content_id', '=', beat.contentId)
      .executeTakeFirstOrThrow();
    const state = (
      creditedSeconds: number,
      coveredSeconds: number,
      gate: Gate | null,
      completed: boolean,
    ) => ({
      creditedSeconds,
      coveredSeconds,
      durationSeconds: duration,
      completed,
      gate,
    });

    const today = dayIn(now, profile.timeZone);
    if (today < facts.startsOn || today > facts.endsOn) {
      await appendAudit(trx, { ...where, kind: 'gate' }, { gate: 'outside-period', day: today });
      return state(0, progress.covered_seconds, 'outside-period', progress.completed_at !== null);
    }

    const session = await trx
      .selectFrom('playback_sessions')
      .selectAll()
      .where('enrollment_id', '=', enrollmentId)
      .where('content_id', '=', beat.contentId)
      .where('session_id', '=', beat.sessionId)
      .forUpdate()
      .executeTakeFirst();
    if (session && beat.sequence <= session.last_sequence)
      return state(0, progress.covered_seconds, null, progress.completed_at !== null);

    const position = Math.min(Math.floor(beat.position), duration);
    let run = session
      ? { position: session.run_position, startedAt: session.run_started_at, credited: session.run_credited }
      : undefined;
    let credit = 0;
    if (session && run) {
      const gap = seconds(session.last_beat_at, now);
      const elapsed = seconds(run.startedAt, now);
      const furthest = run.position + elapsed * Math.max(beat.playbackRate, 1) + PLAYHEAD_TOLERANCE_SECONDS;
      if (gap < 0 || gap > MAX_BEAT_GAP_SECONDS || position > furthest || position < session.last_position)
        run = undefined;
      else
        credit = Math.min(position - session.last_position, Math.max(0, Math.floor(elapsed) - run.credited));
    }
    // A new run starts now and has earned nothing yet.
    if (!run) run = { position, startedAt: now, credited: 0 };
    // The viewing clock is spent from the later of its mark and this run's start: time before the run was
    // not spent watching in it, and time another tab already spent cannot be spent again.
    const spentUntil = clock.credited_until > run.startedAt ? clock.credited_until : run.startedAt;
    credit = Math.max(0, Math.min(credit, Math.floor(seconds(spentUntil, now))));

    let gate: Gate | null = null;
    if (credit > 0 && profile.dailyLessonCap !== null && progress.completed_at === null) {
      const counted = await trx
        .selectFrom('daily_lessons')
        .select('content_id')
        .where('enrollment_id', '=', enrollmentId)
        .where('day', '=', today)
        .execute();
      if (!counted.some((c) => c.content_id === beat.contentId)) {
        if (counted.length >= profile.dailyLessonCap) {
          gate = 'daily-lesson-cap';
          credit = 0;
          await appendAudit(
            trx,
            { ...where, kind: 'gate' },
            { gate, day: today, cap: profile.dailyLessonCap },
          );
        } else {
          await trx
            .insertInto('daily_lessons')
            .values({ enrollment_id: enrollmentId, day: today, content_id: beat.contentId })
            .execute();
        }
      }
    }

    const from = session?.last_position ?? position;
    let covered = progress.covered_seconds;
    if (credit > 0) {
      const updated = await sql<{ covered_seconds: number }>`
        update content_progress
        set covered = covered + int4multirange(int4range(${from}::int, ${from + credit}::int)),
            covered_seconds = (
              select coalesce(sum(upper(r) - lower(r)), 0)::int
              from unnest(covered + int4multirange(int4range(${from}::int, ${from + credit}::int))) r),
            updated_at = ${now}
        where enrollment_id = ${enrollmentId} and content_id = ${beat.contentId}
        returning covered_seconds`.execute(trx);
      covered = updated.rows[0]!.covered_seconds;
      await trx
        .updateTable('viewing_clocks')
        .set({ credited_until: new Date(spentUntil.getTime() + credit * 1000) })
        .where('user_sub', '=', caller.sub)
        .execute();
      await appendAudit(
        trx,
        { ...where, kind: 'credit' },
        {
          seconds: credit,
          from,
          to: from + credit,
          sessionId: beat.sessionId,
          playbackRate: beat.playbackRate,
        },
      );
    }

    const sessionRow = {
      last_sequence: beat.sequence,
      last_position: position,
      last_beat_at: now,
      run_position: run.position,
      run_started_at: run.startedAt,
      run_credited: run.credited + credit,
    };
    if (session)
      await trx
        .updateTable('playback_sessions')
        .set(sessionRow)
        .where('enrollment_id', '=', enrollmentId)
        .where('content_id', '=', beat.contentId)
        .where('session_id', '=', beat.sessionId)
        .execute();
    else
      await trx
        .insertInto('playback_sessions')
        .values({
          enrollment_id: enrollmentId,
          content_id: beat.contentId,
          session_id: beat.sessionId,
          ...sessionRow,
        })
        .execute();

    let completed = progress.completed_at !== null;
    if (!completed && covered >= Math.ceil(profile.contentCompleteShare * duration)) {
      completed = true;
      await trx
        .updateTable('content_progress')
        .set({ completed_at: now })
        .where('enrollment_id', '=', enrollmentId)
        .where('content_id', '=', beat.contentId)
        .execute();
      await appendAudit(
        trx,
        { ...where, kind: 'completion' },
        { coveredSeconds: covered, durationSeconds: duration },
      );
      // A completed lesson can complete the course.
      await evaluateCompletion(trx, enrollmentId, profile, now);
    }
    return state(credit, covered, gate, completed);
  });
}

/** The caller's progress in one enrollment: each content's watched seconds and completion. */
export async function enrollmentProgress(db: Kysely<Database>, caller: Identity, enrollmentId: string) {
  const enrollment = await db
    .selectFrom('enrollments')
    .select(['id', 'course_id'])
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
    ])
    .where('x.course_id', '=', enrollment.course_id)
    .where('x.state', '=', 'active')
    .orderBy('c.position')
    .orderBy('x.position')
    .execute();
}
