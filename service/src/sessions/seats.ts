import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema';

/**
 * Called with the seat row locked: free seats (one a cancellation freed, or those a raised capacity added)
 * pass to the first in line, in arrival order, with their events (fill_free_seats, migration 0011).
 */
export async function fillFreeSeats(
  trx: Transaction<Database>,
  session: { readonly id: string; readonly courseId: string },
): Promise<number> {
  const { rows } = await sql<{ promoted: number }>`
    select fill_free_seats(${session.id}, ${session.courseId}) as promoted`.execute(trx);
  return rows[0]!.promoted;
}
