import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { startLoops, type Pass, type Worker, type WorkerLog } from '../shared/background-loop';
import type { EventPublisher } from './publisher';
import { consumeBatch, type EventHandler } from './queue-consumer';
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
  readonly log: WorkerLog;
  /** Pause when the outbox is empty. @default 1000 */
  readonly idleMs?: number;
  /** Pause after a pass that failed (bus or database unreachable). @default 5000 */
  readonly backoffMs?: number;
}

// Longer than SQS's 14-day maximum retention, so no message outlives the record of its handling.
const KEEP_DAYS = 15;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/** The service's event traffic, in the same process as its routes: the outbox relay with pruning, and the queue consumer. */
export function startEventWorkers(options: EventWorkersOptions): Worker {
  const passes: Record<string, Pass> = {};
  const { publish, queue } = options;
  let lastPrune = 0;
  if (publish)
    passes['outbox relay'] = async () => {
      if (Date.now() - lastPrune > PRUNE_EVERY_MS) {
        lastPrune = Date.now();
        await pruneEventTables(options.db, KEEP_DAYS);
      }
      return (await relayOutbox(options.db, publish)) === RELAY_BATCH;
    };
  if (queue)
    passes['event consumer'] = async (signal) => {
      await consumeBatch(queue.sqs, queue.url, queue.handlers, options.log, { abortSignal: signal });
      // Long polling paces this loop by itself.
      return true;
    };
  return startLoops(passes, options);
}
