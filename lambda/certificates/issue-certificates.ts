import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { enrollmentCompleted } from '#contracts/platform-events';
import { eventEnvelope } from '#contracts/platform-events';
import { logger } from '../shared/observability';
import { issueCertificate } from './certificates';
import { certificateDeps } from './certificates-deps';

const deps = certificateDeps();

/**
 * The queue a rule on the platform bus fills with the core's completions: each message gets its
 * certificate, and only the failed ones are retried (and dead-lettered after the queue's receives). A
 * message that does not parse fails too, so it ends in the dead-letter queue to be looked at.
 */
export const handler = async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
  if (context) logger.addContext(context);
  const failures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    try {
      const envelope = eventEnvelope.parse(JSON.parse(record.body));
      const fact = enrollmentCompleted.parse(envelope.detail);
      const result = await issueCertificate(deps, fact);
      logger.info('Certificate', { enrollmentId: fact.enrollmentId, ...result });
    } catch (e) {
      logger.error('Certificate not issued', { messageId: record.messageId, error: e });
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
};
