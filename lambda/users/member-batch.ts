import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { logger } from '../shared/observability';
import { MalformedFact } from '../access/access';
import { type GroupSyncDeps, syncMemberEvent } from './memberships';

/** Applies one SQS message; throws when it should be retried (and, after the last retry, dead-lettered). */
export async function syncRecord(deps: GroupSyncDeps, record: SQSRecord): Promise<void> {
  let envelope: unknown;
  try {
    envelope = JSON.parse(record.body);
  } catch {
    throw new MalformedFact('The message body is not JSON');
  }
  const { fact, outcome, added, removed, signedOut } = await syncMemberEvent(deps, envelope);
  const log = outcome === 'no-such-user' ? logger.warn.bind(logger) : logger.info.bind(logger);
  log(`Member fact ${outcome}`, {
    messageId: record.messageId,
    type: fact.type,
    eventId: fact.detail.eventId,
    occurredAt: fact.detail.occurredAt,
    added,
    removed,
    signedOut,
  });
}

/**
 * Applies every message of a batch on its own and reports the failed ones (SQS partial batch response), so
 * one bad message is retried alone. One at a time: a batch holds facts about the same person as often as
 * not, and their group changes are easier to follow in order (each is still safe in any order).
 */
export async function syncBatch(deps: GroupSyncDeps, event: SQSEvent): Promise<SQSBatchResponse> {
  const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
  for (const record of event.Records) {
    try {
      await syncRecord(deps, record);
    } catch (e) {
      batchItemFailures.push({ itemIdentifier: record.messageId });
      if (e instanceof MalformedFact) {
        // Never the body: member facts name people.
        logger.error('Malformed message', {
          messageId: record.messageId,
          reason: e.message,
          issues: e.issues,
        });
      } else {
        logger.error('Member fact not applied; SQS will retry', {
          messageId: record.messageId,
          error: e as Error,
        });
      }
    }
  }
  return { batchItemFailures };
}
