import { logger } from '../shared/observability';
import { recordingDeps } from './live-deps';
import { importRecording, type RecordingOutcome } from './recordings';

const deps = recordingDeps();

/** EventBridge target for IVS's Recording State Change: a finished recording becomes a course video. */
export const handler = async (event: unknown): Promise<RecordingOutcome> => {
  const outcome = await importRecording(deps, event);
  logger.info('Recording state', { ...outcome });
  return outcome;
};
