import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type EventEnvelope, eventEnvelope } from '#contracts/platform-events';
import type { WorkerLog } from '../shared/background-loop';

/** Handles one event; throwing leaves the message on the queue for a retry (and, in the end, the DLQ). */
export type EventHandler = (event: EventEnvelope) => Promise<unknown>;

// Long polling: an idle worker makes one request per 20 s instead of spinning.
const WAIT_SECONDS = 20;
// The queue's visibility timeout (the core-service stack's): a batch still being handled is hidden this long
// again, every third of it, so a long handler (the daily pace scan) is not redelivered while it runs.
const VISIBILITY_SECONDS = 60;

/**
 * Receives one batch from the queue the platform bus fills, hands each event to the handler of its
 * detail type and deletes the ones handled. A message that is not an event, or has no handler, or whose
 * handler fails stays; SQS redelivers it after its visibility timeout and moves it to the dead-letter
 * queue after the redrive policy's count, where an alarm reports it.
 */
export async function consumeBatch(
  sqs: SQSClient,
  queueUrl: string,
  handlers: Readonly<Record<string, EventHandler>>,
  log: WorkerLog,
  options: { waitSeconds?: number; abortSignal?: AbortSignal; heartbeatMs?: number } = {},
): Promise<{ received: number; handled: number }> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: options.waitSeconds ?? WAIT_SECONDS,
    }),
    { abortSignal: options.abortSignal },
  );
  const done: { Id: string; ReceiptHandle: string }[] = [];
  const pending = new Map(Messages.map((m, i) => [String(i), m.ReceiptHandle!]));
  const heartbeat = setInterval(
    () => {
      const entries = [...pending].map(([Id, ReceiptHandle]) => ({
        Id,
        ReceiptHandle,
        VisibilityTimeout: VISIBILITY_SECONDS,
      }));
      if (entries.length === 0) return;
      Promise.resolve()
        .then(() =>
          sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: entries })),
        )
        .catch((error: Error) => log.warn('visibility not extended', { error: error.message }));
    },
    options.heartbeatMs ?? (VISIBILITY_SECONDS * 1000) / 3,
  );
  heartbeat.unref();
  try {
    await handleAll();
  } finally {
    clearInterval(heartbeat);
  }
  if (done.length > 0) await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: done }));
  return { received: Messages.length, handled: done.length };

  async function handleAll() {
    for (const [i, message] of Messages.entries()) {
      try {
        const event = eventEnvelope.parse(JSON.parse(message.Body ?? ''));
        const handler = handlers[event['detail-type']];
        if (!handler) throw new Error(`no handler for ${event['detail-type']}`);
        await handler(event);
        done.push({ Id: String(i), ReceiptHandle: message.ReceiptHandle! });
      } catch (error) {
        log.warn('event not handled; it stays on the queue', {
          messageId: message.MessageId,
          error: (error as Error).message,
        });
        // Left to its visibility timeout, then retried; a handled one stays hidden until it is deleted.
        pending.delete(String(i));
      }
    }
  }
}
