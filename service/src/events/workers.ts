import { setTimeout as delay } from 'node:timers/promises';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Kysely } from 'kysely';
import type { ComplianceProfile } from '../../../lib/config/compliance-profiles';
import type { Database } from '../db/schema';
import { DUE_BATCH, submitDueSittings } from '../exams/sittings';
import type { EventPublisher } from './publisher';
import { consumeBatch, type EventHandler, type QueueLog } from './queue-consumer';
import { RELAY_BATCH, pruneEventTables, relayOutbox } from './relay';

export interface EventWorkersOptions {
  readonly db: Kysely<Database>;
  /** Where outbox events go; without it they wait in the outbox until a bus is configured. */
  readonly publish?: EventPublisher;
  /** The queue of consumed events; without it the service only publishes (the local bus delivers directly). */
  readonly queue?: {
    readonly sqs: SQSClient;
    readonly url: string;
    readonly handlers: Record<string, EventHandler>;
  };
  readonly log: QueueLog;
  /** Submits exam sittings whose time is up, under the institution's profile, by the given clock. */
  readonly examTimer?: { readonly compliance: ComplianceProfile; readonly clock: () => Date };
  /** Pause when the outbox is empty. @default 1000 */
  readonly idleMs?: number;
}

// Longer than SQS's 14-day maximum retention, so no message outlives the record of its handling.
const KEEP_DAYS = 15;
const PRUNE_EVERY_MS = 60 * 60 * 1000;
// After a failure (database or AWS unreachable), wait before the next try instead of spinning.
const BACKOFF_MS = 5000;

/**
 * The service's background work, in the same process as its routes: the outbox relay, the queue
 * consumer, pruning and the exam timer. stop() ends the loops and waits for the pass in flight.
 */
export function startEventWorkers(options: EventWorkersOptions): { stop(): Promise<void> } {
  const stopping = new AbortController();
  const { signal } = stopping;
  const idleMs = options.idleMs ?? 1000;

  async function loop(name: string, pass: () => Promise<boolean>) {
    while (!signal.aborted) {
      try {
        // A pass that found a full batch goes again at once; otherwise the loop idles.
        if (!(await pass())) await delay(idleMs, undefined, { signal });
      } catch (error) {
        if (signal.aborted) break;
        options.log.warn(`${name} failed; retrying`, { error: (error as Error).message });
        await delay(BACKOFF_MS, undefined, { signal }).catch(() => undefined);
      }
    }
  }

  let lastPrune = 0;
  const loops: Promise<void>[] = [];
  const { publish, queue, examTimer } = options;
  if (publish)
    loops.push(
      loop('outbox relay', async () => {
        if (Date.now() - lastPrune > PRUNE_EVERY_MS) {
          lastPrune = Date.now();
          await pruneEventTables(options.db, KEEP_DAYS);
        }
        return (await relayOutbox(options.db, publish)) === RELAY_BATCH;
      }),
    );
  // A learner's own requests submit their sittings past the deadline too; this covers those who left.
  if (examTimer)
    loops.push(
      loop('exam timer', async () => {
        const submitted = await submitDueSittings(options.db, examTimer.compliance, examTimer.clock());
        return submitted === DUE_BATCH;
      }),
    );
  if (queue)
    loops.push(
      loop('event consumer', async () => {
        await consumeBatch(queue.sqs, queue.url, queue.handlers, options.log, { abortSignal: signal });
        // Long polling paces this loop by itself.
        return true;
      }),
    );
  const done = Promise.all(loops.map((l) => l.catch(() => undefined)));
  return {
    async stop() {
      stopping.abort();
      await done;
    },
  };
}
