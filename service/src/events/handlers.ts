import type { Kysely } from 'kysely';
import type { ComplianceProfile } from '#contracts/compliance-profiles';
import { mediaEventHandlers } from '../courses/media-events';
import type { Database } from '../db/schema';
import { liveEventHandlers } from '../learning/live-events';
import { paceEventHandlers } from '../learning/pace-events';
import { invitationEventHandlers } from '../memberships/invitation-events';
import type { WorkerLog } from '../shared/background-loop';
import type { EventHandler } from './queue-consumer';

export interface CoreEventOptions {
  /** The institution's profile: the pace scan judges by its rules, on the day in its time zone. */
  readonly compliance: ComplianceProfile;
  /** @default the system clock */
  readonly clock?: () => Date;
}

/**
 * Every event the core service consumes (EVENTS.coreConsumes), by detail type: the queue consumer in AWS
 * and the local bus both take this one map, so a type added to the contract without a handler fails the
 * local bus's subscription at start instead of dead-lettering in production.
 */
export function coreEventHandlers(
  db: Kysely<Database>,
  log: WorkerLog,
  options: CoreEventOptions,
): Record<string, EventHandler> {
  return {
    ...mediaEventHandlers(db),
    ...liveEventHandlers(db, log),
    ...invitationEventHandlers(db, log),
    ...paceEventHandlers(db, options.compliance, options.clock ?? (() => new Date())),
  };
}
