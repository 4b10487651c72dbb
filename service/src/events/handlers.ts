import type { Kysely } from 'kysely';
import { mediaEventHandlers } from '../courses/media-events';
import type { Database } from '../db/schema';
import { liveEventHandlers } from '../learning/live-events';
import { invitationEventHandlers } from '../memberships/invitation-events';
import type { WorkerLog } from '../shared/background-loop';
import type { EventHandler } from './queue-consumer';

/**
 * Every event the core service consumes (EVENTS.coreConsumes), by detail type: the queue consumer in AWS
 * and the local bus both take this one map, so a type added to the contract without a handler fails the
 * local bus's subscription at start instead of dead-lettering in production.
 */
export function coreEventHandlers(db: Kysely<Database>, log: WorkerLog): Record<string, EventHandler> {
  return { ...mediaEventHandlers(db), ...liveEventHandlers(db, log), ...invitationEventHandlers(db, log) };
}
