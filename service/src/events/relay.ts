import { type Kysely, sql } from 'kysely';
import { EVENTS } from '#contracts/resources';
import type { Database } from '../db/schema';
import type { EventPublisher } from './publisher';

/** Rows per relay pass: one PutEvents burst, and a short lock. */
export const RELAY_BATCH = 50;

/**
 * Publishes the oldest unpublished outbox events and marks the ones the bus took. Rows are locked with
 * SKIP LOCKED, so every task of the service can relay at once without publishing a row twice; a crash
 * between publishing and marking publishes that row again, which consumers absorb by its `eventId`.
 * Returns how many rows it found.
 */
export async function relayOutbox(
  db: Kysely<Database>,
  publish: EventPublisher,
  limit = RELAY_BATCH,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('outbox')
      .select(['id', 'type', 'payload', 'created_at'])
      .where('published_at', 'is', null)
      .orderBy('id')
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
    if (rows.length === 0) return 0;
    const taken = await publish(
      rows.map((r) => ({
        source: EVENTS.sources.core,
        detailType: r.type,
        detail: {
          ...r.payload,
          eventId: `core-${r.id}`,
          occurredAt: r.created_at.toISOString(),
        },
        time: r.created_at,
      })),
    );
    if (taken.length > 0)
      await trx
        .updateTable('outbox')
        .set({ published_at: sql`now()` })
        .where(
          'id',
          'in',
          taken.map((i) => rows[i]!.id),
        )
        .execute();
    return rows.length;
  });
}

/** Deletes what no one needs any more: published events and consumed-event ids older than `days`. */
export async function pruneEventTables(db: Kysely<Database>, days: number): Promise<void> {
  const before = sql<Date>`now() - make_interval(days => ${days})`;
  await db.deleteFrom('outbox').where('published_at', '<', before).execute();
  await db.deleteFrom('processed_events').where('processed_at', '<', before).execute();
}
