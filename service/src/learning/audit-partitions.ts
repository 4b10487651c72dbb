import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema';
import { startLoops, type LoopOptions, type Worker } from '../shared/background-loop';

/** Months of the audit trail kept made ahead of the clock (migration 0017 made a year's at first). */
export const AUDIT_MONTHS_AHEAD = 3;

/**
 * Makes the audit trail's monthly partitions from `now`'s month through AUDIT_MONTHS_AHEAD months later
 * (learning_audit_add_partitions, migration 0017); returns how many it made. Safe to repeat and to run from
 * several tasks: a month that exists is left alone, and two that race for the same one fail one pass, which
 * the loop retries.
 */
export async function addAuditPartitions(db: Kysely<Database>, now: Date): Promise<number> {
  const { rows } = await sql<{ made: number }>`
    select learning_audit_add_partitions(
      (${now}::timestamptz at time zone 'UTC')::date,
      ((${now}::timestamptz at time zone 'UTC') + make_interval(months => ${AUDIT_MONTHS_AHEAD}))::date) as made`.execute(
    db,
  );
  return rows[0]!.made;
}

export interface AuditPartitionsOptions extends LoopOptions {
  readonly db: Kysely<Database>;
  /** @default the system clock */
  readonly clock?: () => Date;
}

/**
 * Keeps the audit trail's months made ahead, in the service's process: once at start and then every
 * `idleMs` (a day by default). A month nobody made is no outage (its rows go to the default partition), but
 * such rows stay there rather than in their month's partition, out of reach of the month's archive.
 */
export function startAuditPartitions(options: AuditPartitionsOptions): Worker {
  const clock = options.clock ?? (() => new Date());
  return startLoops(
    {
      'audit partitions': async () => {
        await addAuditPartitions(options.db, clock());
        return false;
      },
    },
    { idleMs: 24 * 3600_000, ...options },
  );
}
