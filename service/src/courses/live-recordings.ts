import type { Kysely } from 'kysely';
import { liveRecorded, type LiveRecorded } from '#contracts/live';
import type { Database } from '../db/schema';
import { insertRecording } from './curriculum';
import { firstDelivery } from '../events/processed-events';

/**
 * `live.recorded` as the core accepts it: the contract, and a playlist where the lecture's files are.
 * The live domain copies them to `hls/<lectureId>/`, where a content of that id is played from; a path
 * elsewhere would make a content play someone else's files.
 */
export const liveRecordedReport = liveRecorded.superRefine((e, ctx) => {
  if (!e.manifestPath.startsWith(`hls/${e.lectureId}/`))
    ctx.addIssue({ code: 'custom', path: ['manifestPath'], message: 'must lie under hls/<lectureId>/' });
});

/** The report names a lecture, provision, course and institution that do not belong together here. */
export class RecordingRefused extends Error {}

export type LiveRecordedOutcome =
  | { readonly outcome: 'duplicate' }
  /** The recording's content already shows this recording or a newer one. */
  | { readonly outcome: 'stale' }
  /** An archived course's curriculum does not change, recordings included. */
  | { readonly outcome: 'archived-course' }
  | { readonly outcome: 'created' | 'updated'; readonly contentId: string };

/** A content title holds 200 characters; the suffix says what the content is wherever it is listed. */
const SUFFIX = ' (recording)';
const recordingTitle = (title: string) => `${title.slice(0, 200 - SUFFIX.length).trimEnd()}${SUFFIX}`;

/**
 * Turns a lecture's recording into a ready video content of its course, under the lecture's id, for the
 * lecture's provision only, in one transaction: the event once (by id), the course row locked as every
 * curriculum change locks it, then the content created in the recordings chapter, or, when it exists and
 * shows an older recording (a stream that restarted is recorded again), its duration and playlist
 * replaced. Its title, place and state stay what the institution made of them.
 */
export async function applyLiveRecorded(
  db: Kysely<Database>,
  eventId: string,
  report: LiveRecorded,
): Promise<LiveRecordedOutcome> {
  const occurredAt = new Date(report.occurredAt);
  return db.transaction().execute(async (trx) => {
    if (!(await firstDelivery(trx, eventId))) return { outcome: 'duplicate' };

    const course = await trx
      .selectFrom('courses')
      .select('state')
      .where('id', '=', report.courseId)
      .where('institution_id', '=', report.institutionId)
      .forUpdate()
      .executeTakeFirst();
    const provision = await trx
      .selectFrom('provisions')
      .select('id')
      .where('id', '=', report.provisionId)
      .where('course_id', '=', report.courseId)
      .where('institution_id', '=', report.institutionId)
      .executeTakeFirst();
    if (!course || !provision)
      throw new RecordingRefused(
        `lecture ${report.lectureId}: provision ${report.provisionId} is not of course ${report.courseId} of institution ${report.institutionId}`,
      );

    const existing = await trx
      .selectFrom('contents')
      .select(['course_id', 'provision_id', 'kind', 'media_event_at'])
      .where('id', '=', report.lectureId)
      .executeTakeFirst();
    if (existing) {
      // A recording never moves to another provision or course; and a content of the curriculum with
      // this id (uuids do not collide by chance) is not a recording to overwrite.
      if (
        existing.course_id !== report.courseId ||
        existing.provision_id !== report.provisionId ||
        existing.kind !== 'video'
      )
        throw new RecordingRefused(
          `lecture ${report.lectureId}: its content belongs to provision ${existing.provision_id ?? 'none'} of course ${existing.course_id}`,
        );
      if (existing.media_event_at && existing.media_event_at >= occurredAt) return { outcome: 'stale' };
      await trx
        .updateTable('contents')
        .set({
          media_state: 'ready',
          duration_seconds: report.durationSeconds,
          playback_path: report.manifestPath,
          media_error: null,
          media_event_at: occurredAt,
        })
        .where('id', '=', report.lectureId)
        .execute();
      // Kind, state and provision are what the access projection knows, and did not change.
      return { outcome: 'updated', contentId: report.lectureId };
    }

    if (course.state === 'archived') return { outcome: 'archived-course' };
    await insertRecording(trx, report.courseId, {
      lectureId: report.lectureId,
      provisionId: report.provisionId,
      title: recordingTitle(report.title),
      durationSeconds: report.durationSeconds,
      playbackPath: report.manifestPath,
      occurredAt,
    });
    return { outcome: 'created', contentId: report.lectureId };
  });
}
