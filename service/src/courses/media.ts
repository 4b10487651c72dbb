import type { Kysely } from 'kysely';
import type { VideoFailed, VideoReady } from '#contracts/platform-events';
import type { Database } from '../db/schema';
import { firstDelivery } from '../events/processed-events';

export type MediaOutcome = 'applied' | 'duplicate' | 'stale' | 'unknown-content';

/**
 * Records the video pipeline's answer on a video content: ready with its duration and playlist, or failed
 * with the reason. Idempotent and order-proof: an event id is applied once, and an event older than the
 * fact a content already shows changes nothing.
 */
export async function applyVideoEvent(
  db: Kysely<Database>,
  eventId: string,
  event: { type: 'video.ready'; detail: VideoReady } | { type: 'video.failed'; detail: VideoFailed },
): Promise<MediaOutcome> {
  return db.transaction().execute(async (trx) => {
    if (!(await firstDelivery(trx, eventId))) return 'duplicate';
    const { detail } = event;
    const occurredAt = new Date(detail.occurredAt);
    const updated = await trx
      .updateTable('contents')
      .set(
        event.type === 'video.ready'
          ? {
              media_state: 'ready',
              duration_seconds: event.detail.durationSeconds,
              playback_path: event.detail.manifestPath,
              media_error: null,
              media_event_at: occurredAt,
            }
          : { media_state: 'failed', media_error: event.detail.reason, media_event_at: occurredAt },
      )
      .where('id', '=', detail.contentId)
      .where('kind', '=', 'video')
      .where((eb) => eb.or([eb('media_event_at', 'is', null), eb('media_event_at', '<', occurredAt)]))
      .executeTakeFirst();
    if (updated.numUpdatedRows > 0n) return 'applied';
    const exists = await trx
      .selectFrom('contents')
      .select('id')
      .where('id', '=', detail.contentId)
      .where('kind', '=', 'video')
      .executeTakeFirst();
    return exists ? 'stale' : 'unknown-content';
  });
}
