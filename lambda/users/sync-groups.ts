import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { logger } from '../shared/observability';
import { syncBatch } from './member-batch';
import { groupSyncDeps } from './users-deps';

const deps = groupSyncDeps();

/** SQS event source of the queue a rule on the platform bus fills with the core's member facts. */
export const handler = async (event: SQSEvent, context?: Context): Promise<SQSBatchResponse> => {
  if (context) logger.addContext(context);
  return syncBatch(deps, event);
};
