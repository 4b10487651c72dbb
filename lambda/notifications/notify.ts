import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { eventEnvelope } from '#contracts/platform-events';
import { logger } from '../shared/observability';
import { tellDeps } from './notifications-deps';
import { tellFact } from './tell';
import { toldFact } from './told-facts';

const deps = tellDeps();

/**
 * The queue a rule on the platform bus fills with every fact someone is told of: each message becomes its
 * people's notifications and e-mails, and only failed messages are retried (and dead-lettered after the
 * queue's receives). A message that breaks its contract fails too, so it waits in the dead-letter queue.
 */
export const handler = async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
  if (context) logger.addContext(context);
  const failures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    try {
      const envelope = eventEnvelope.parse(JSON.parse(record.body));
      const fact = toldFact(envelope['detail-type'], envelope.detail);
      const told = await tellFact(deps, fact);
      logger.info('Told', { eventId: fact.eventId, kind: fact.kind, told });
    } catch (e) {
      logger.error('Not told', { messageId: record.messageId, error: e });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
};
