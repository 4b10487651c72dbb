import type { Kysely } from 'kysely';
import { videoFailed, videoReady } from '#contracts/platform-events';
import type { Database } from '../db/schema';
import type { EventHandler } from '../events/queue-consumer';
import { applyVideoEvent } from './media';

/** The core service's handlers of the vod domain's events, by detail type. */
export function mediaEventHandlers(db: Kysely<Database>): Record<string, EventHandler> {
  return {
    'video.ready': (e) =>
      applyVideoEvent(db, e.id, { type: 'video.ready', detail: videoReady.parse(e.detail) }),
    'video.failed': (e) =>
      applyVideoEvent(db, e.id, { type: 'video.failed', detail: videoFailed.parse(e.detail) }),
  };
}
