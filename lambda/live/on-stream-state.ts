import { logger } from '../shared/observability';
import { streamStateDeps } from './live-deps';
import { onStreamStateChange } from './stream-state';

/*
 * Target of the live stack's rule on `aws.ivs` / `IVS Stream State Change`. A throw makes EventBridge's
 * asynchronous invocation retry; applying an event is idempotent, so a retry changes nothing twice.
 */

const deps = streamStateDeps();

export const handler = async (event: unknown): Promise<void> => {
  const outcome = await onStreamStateChange(deps, event);
  logger.info('Stream state change handled', { outcome });
};
