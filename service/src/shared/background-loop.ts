import { setTimeout as delay } from 'node:timers/promises';

/** Where background work reports what it could not do (the service's logger, or the local runner's). */
export interface WorkerLog {
  warn(message: string, fields: Record<string, unknown>): void;
}

/** Work that runs beside the routes in the same process; stop() ends it and waits for the pass in flight. */
export interface Worker {
  stop(): Promise<void>;
}

/** One pass of a loop: true when it found a full batch, so the loop goes again at once instead of idling. */
export type Pass = (signal: AbortSignal) => Promise<boolean>;

export interface LoopOptions {
  readonly log: WorkerLog;
  /** Pause after a pass that found less than a batch. @default 1000 */
  readonly idleMs?: number;
  /** Pause after a failed pass (database or AWS unreachable), instead of spinning. @default 5000 */
  readonly backoffMs?: number;
}

/** Runs each named pass in its own loop until stopped; a failed pass is logged and retried after a pause. */
export function startLoops(passes: Readonly<Record<string, Pass>>, options: LoopOptions): Worker {
  const stopping = new AbortController();
  const { signal } = stopping;
  const idleMs = options.idleMs ?? 1000;
  const backoffMs = options.backoffMs ?? 5000;

  async function loop(name: string, pass: Pass) {
    while (!signal.aborted) {
      try {
        if (!(await pass(signal))) await delay(idleMs, undefined, { signal });
      } catch (error) {
        if (signal.aborted) break;
        options.log.warn(`${name} failed; retrying`, { error: (error as Error).message });
        await delay(backoffMs, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  const done = Promise.all(
    Object.entries(passes).map(([name, pass]) => loop(name, pass).catch(() => undefined)),
  );
  return {
    async stop() {
      stopping.abort();
      await done;
    },
  };
}
