import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema';

export type DatabaseState = 'ok' | 'unreachable';

export interface HealthCheckOptions {
  /** How long a probe may take before the database counts as unreachable. @default 2000 */
  readonly timeoutMs?: number;
  /** How long an answer is reused, so a flood of health checks is one query. @default 1000 */
  readonly reuseMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * Whether the database answers, asked at most once per `reuseMs` whatever the number of callers. A probe
 * that hangs (a server that took the connection and went silent) counts as unreachable after `timeoutMs`,
 * so /health always answers in bounded time.
 */
export function databaseCheck(
  db: Kysely<Database>,
  options: HealthCheckOptions = {},
): () => Promise<DatabaseState> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const reuseMs = options.reuseMs ?? 1000;
  const now = options.now ?? Date.now;
  let last: { at: number; state: Promise<DatabaseState> } | undefined;
  const probe = async (): Promise<DatabaseState> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<DatabaseState>((resolve) => {
      timer = setTimeout(() => resolve('unreachable'), timeoutMs);
    });
    const query = sql`select 1`.execute(db).then(
      (): DatabaseState => 'ok',
      (): DatabaseState => 'unreachable',
    );
    try {
      return await Promise.race([query, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };
  return () => {
    if (!last || now() - last.at >= reuseMs) last = { at: now(), state: probe() };
    return last.state;
  };
}
