import type { Transaction } from 'kysely';
import type { Database } from '../db/schema';

/** The events the core service publishes (`<domain>.<what happened>`). */
export type CoreEventType =
  'provision.requested' | 'provision.accepted' | 'provision.rejected' | 'enrollment.created';

/**
 * Records an event in the same transaction as the change it describes, so an event exists exactly when
 * its change committed; a relay publishes the outbox to the platform's event bus.
 */
export async function emit(
  trx: Transaction<Database>,
  type: CoreEventType,
  payload: Record<string, unknown>,
): Promise<void> {
  await trx
    .insertInto('outbox')
    .values({ type, payload: JSON.stringify(payload) })
    .execute();
}
