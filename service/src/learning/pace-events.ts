import type { Kysely } from 'kysely';
import type { ComplianceProfile } from '#contracts/compliance-profiles';
import { paceScanDue } from '#contracts/platform-events';
import type { Database } from '../db/schema';
import type { EventHandler } from '../events/queue-consumer';
import { dayIn } from './days';
import { recordPaceReminders } from './pace-reminders';

/**
 * The scheduler's daily `pace.scan-due`: the scan `POST /admin/pace-reminders` runs, for the day it is now
 * in the profile's time zone. The day comes from the service's clock, not the event's time: a delivery
 * retried past midnight scans the new day, never a day whose reminders would come too late to help. The
 * scan records each reminder once a day, so a redelivery, or the admin route run the same day, reminds
 * nobody twice.
 */
export function paceEventHandlers(
  db: Kysely<Database>,
  profile: ComplianceProfile,
  clock: () => Date,
): Record<string, EventHandler> {
  return {
    'pace.scan-due': async (e) => {
      // One that does not parse throws, so it ends in the dead-letter queue as other malformed events do.
      paceScanDue.parse(e.detail);
      return recordPaceReminders(db, profile, dayIn(clock(), profile.timeZone));
    },
  };
}
