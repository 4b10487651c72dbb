import type { Transaction } from 'kysely';
import type { Database } from '../db/schema';

/**
 * Records that an event is being applied, inside the transaction that applies it: false when it was applied
 * before (a redelivery), so every consumer of the platform bus applies an event id once.
 */
export async function firstDelivery(trx: Transaction<Database>, eventId: string): Promise<boolean> {
  const fresh = await trx
    .insertInto('processed_events')
    .values({ event_id: eventId })
    .onConflict((oc) => oc.column('event_id').doNothing())
    .returning('event_id')
    .executeTakeFirst();
  return fresh !== undefined;
}
