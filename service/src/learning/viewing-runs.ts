import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema';
import { startLoops, type LoopOptions, type Worker } from '../shared/background-loop';

/** Runs closed in one transaction: a pass holds their progress rows, which beats wait for, only that long. */
export const IDLE_RUNS_BATCH = 500;

/**
 * Writes the viewing runs idle at `now` for longer than their gap to the audit trail (close_idle_viewing_runs,
 * migration 0017; in 0020's dense detail since); returns how many. A learner who stops watching sends no beat that would close their run.
 * The audit export shows open runs anyway: this puts them in the append-only trail, where they belong.
 */
export async function closeIdleViewingRuns(
  db: Kysely<Database>,
  now: Date,
  limit = IDLE_RUNS_BATCH,
): Promise<number> {
  const { rows } = await sql<{ closed: number }>`
    select close_idle_viewing_runs(${now}::timestamptz, ${limit}::integer) as closed`.execute(db);
  return rows[0]!.closed;
}

export interface ViewingRunsCloserOptions extends LoopOptions {
  readonly db: Kysely<Database>;
  /** @default the system clock */
  readonly clock?: () => Date;
}

/**
 * Closes idle viewing runs in the service's process, every `idleMs` (a minute by default, the gap a run
 * tolerates) and at once again after a full batch. Several tasks may run it: each skips the rows another holds.
 */
export function startViewingRunsCloser(options: ViewingRunsCloserOptions): Worker {
  const clock = options.clock ?? (() => new Date());
  return startLoops(
    {
      'viewing runs': async () => (await closeIdleViewingRuns(options.db, clock())) === IDLE_RUNS_BATCH,
    },
    { idleMs: 60_000, ...options },
  );
}
