import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { documentClient } from '../shared/clients';
import { readEnv } from '../shared/env';
import { logger } from '../shared/observability';
import { type ApplyOutcome, MalformedFact, projectAccessEvent } from './access';

const OUTCOMES: Record<ApplyOutcome, string> = {
  applied: 'Fact applied',
  stale: 'Fact ignored: a newer one is stored',
  ignored: 'Fact ignored: nothing in it for the projection',
};

/** Applies one SQS message; throws when it should be retried (and, after the last retry, dead-lettered). */
export async function projectRecord(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  record: SQSRecord,
): Promise<void> {
  let envelope: unknown;
  try {
    envelope = JSON.parse(record.body);
  } catch {
    // JSON.parse's own message quotes the body.
    throw new MalformedFact('The message body is not JSON');
  }
  const { fact, outcome } = await projectAccessEvent(ddb, tableName, envelope);
  logger.info(OUTCOMES[outcome], {
    messageId: record.messageId,
    type: fact.type,
    eventId: fact.detail.eventId,
    occurredAt: fact.detail.occurredAt,
  });
}

/**
 * Applies every message of a batch independently and reports the failed ones (SQS partial batch
 * response), so one bad message is retried alone instead of taking the batch's good ones with it.
 * By hand: @aws-lambda-powertools/batch is not a dependency of this repository.
 */
export async function projectBatch(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  event: SQSEvent,
): Promise<SQSBatchResponse> {
  // Concurrent is safe: every write is conditional on time, so order within the batch does not matter.
  const results = await Promise.allSettled(event.Records.map((r) => projectRecord(ddb, tableName, r)));
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  results.forEach((result, i) => {
    if (result.status === 'fulfilled') return;
    const { messageId } = event.Records[i]!;
    batchItemFailures.push({ itemIdentifier: messageId });
    const error = result.reason as Error;
    if (error instanceof MalformedFact) {
      // Never the body: member and enrollment facts name people.
      logger.error('Malformed message', { messageId, reason: error.message, issues: error.issues });
    } else {
      logger.error('Fact not applied; SQS will retry', { messageId, error });
    }
  });
  return { batchItemFailures };
}

const ddb = documentClient();
const { accessTable } = readEnv('accessTable');

/** SQS event source of the queue a rule on the platform bus fills with the core's access facts. */
export const handler = async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
  if (context) logger.addContext(context);
  return projectBatch(ddb, accessTable, event);
};
