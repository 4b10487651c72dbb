import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LIVE } from '#contracts/live';
import { documentClient } from '../shared/clients';
import { readVodEnv } from '../shared/env';
import { logger } from '../shared/observability';
import { tracer } from '../shared/tracer';
import { busNameFromEnv } from '../vod/video-facts';
import { vodS3Client } from '../vod/upload-deps';
import { importRecording, type RecordingDeps, type RecordingOutcome } from './recordings';

function liveTable(): string {
  const name = process.env[LIVE.env.table];
  if (!name) throw new Error(`Missing environment: ${LIVE.env.table}`);
  return name;
}

const deps: RecordingDeps = {
  ddb: documentClient(),
  liveTable: liveTable(),
  s3: vodS3Client(),
  outputBucket: readVodEnv('outputBucket').outputBucket,
  eventBridge: tracer.captureAWSv3Client(new EventBridgeClient({})),
  busName: busNameFromEnv(),
};

/** EventBridge target for IVS's Recording State Change: a finished recording becomes a course video. */
export const handler = async (event: unknown): Promise<RecordingOutcome> => {
  const outcome = await importRecording(deps, event);
  logger.info('Recording state', { ...outcome });
  return outcome;
};
