import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { type EventEnvelope, eventEnvelope } from '#contracts/platform-events';
import { logger } from './observability';

/**
 * A consumer of a queue that a rule on the platform bus fills: each message is one event, handled on its
 * own, and only the failed ones are reported (SQS partial batch response), so they alone are retried and,
 * after the queue's receives, dead-lettered. A message that is not an event fails too, to be looked at there.
 */
export function eventQueueHandler(
  what: { readonly done: string; readonly failed: string },
  handle: (event: EventEnvelope) => Promise<Record<string, unknown>>,
) {
  return async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
    if (context) logger.addContext(context);
    const failures: { itemIdentifier: string }[] = [];
    for (const record of event.Records) {
      try {
        const envelope = eventEnvelope.parse(JSON.parse(record.body));
        logger.info(what.done, { messageId: record.messageId, ...(await handle(envelope)) });
      } catch (e) {
        logger.error(what.failed, { messageId: record.messageId, error: e });
        failures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures: failures };
  };
}
