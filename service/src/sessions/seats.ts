import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema';

/**
 * Called with the seat row locked: free seats (those a raised capacity added, and `freed` seats the caller
 * gave up in this transaction without counting them) pass to the first in line, in arrival order, with
 * their events (fill_free_seats, migration 0011). Answers how many were promoted.
 */
export async function fillFreeSeats(
  trx: Transaction<Database>,
  session: { readonly id: string; readonly courseId: string },
  freed = 0,
): Promise<number> {
  const { rows } = await sql<{ promoted: number }>`
    select fill_free_seats(${session.id}, ${session.courseId}, ${freed}::int) as promoted`.execute(trx);
  return rows[0]!.promoted;
}
