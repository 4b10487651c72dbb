import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import * as z from 'zod';
import { EVENTS, VOD } from '../resources';
import { logger } from '../shared/observability';
import { videoFailed, videoReady, type VideoFailed, type VideoReady } from '../shared/platform-events';
import { tracer } from '../shared/tracer';
import { LADDER, outputPrefixFor } from './transcode-settings';
import { durationSecondsOf } from './uploads';

export { durationSecondsOf };

const outputDetail = z.object({
  outputFilePaths: z.array(z.string()).optional(),
  durationInMs: z.number().nonnegative().optional(),
  videoDetails: z
    .object({ widthInPx: z.number().int().positive(), heightInPx: z.number().int().positive() })
    .optional(),
});

const outputGroupDetail = z.object({
  type: z.string(),
  outputDetails: z.array(outputDetail).default([]),
  playlistFilePaths: z.array(z.string()).optional(),
});

/** The fields this handler uses of MediaConvert's `Job State Change` event. */
const jobStateChange = z.object({
  source: z.literal('aws.mediaconvert'),
  'detail-type': z.literal('MediaConvert Job State Change'),
  time: z.iso.datetime({ offset: true }),
  detail: z.object({
    jobId: z.string().min(1),
    status: z.string().min(1),
    // Set by start-transcode; a job without it was not submitted by this pipeline.
    userMetadata: z.object({ contentId: z.uuid(), sourceKey: z.string().optional() }),
    outputGroupDetails: z.array(outputGroupDetail).default([]),
    errorCode: z.union([z.number(), z.string()]).optional(),
    errorMessage: z.string().optional(),
  }),
});
export type JobStateChange = z.infer<typeof jobStateChange>;

export function parseJobStateChange(event: unknown): JobStateChange {
  const parsed = jobStateChange.safeParse(event);
  if (!parsed.success) {
    throw new Error(
      `Not a MediaConvert job state change of this pipeline:\n${z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data;
}

export type VideoFact =
  { type: 'video.ready'; detail: VideoReady } | { type: 'video.failed'; detail: VideoFailed };

/** The key of an `s3://bucket/key` URI, which is the path under the playback distribution. */
const keyOf = (uri: string): string | undefined => /^s3:\/\/[^/]+\/(.+)$/.exec(uri)?.[1];

function readyDetail(event: JobStateChange): VideoReady {
  const { contentId } = event.detail.userMetadata;
  const groups = event.detail.outputGroupDetails;
  const hls = groups.filter((g) => g.type === 'HLS_GROUP').flatMap((g) => g.outputDetails);
  const durations = hls.flatMap((o) => (o.durationInMs === undefined ? [] : [o.durationInMs]));
  if (durations.length === 0) {
    throw new Error(`MediaConvert job ${event.detail.jobId} completed without an HLS output duration`);
  }
  const renditions = hls.flatMap((o) => {
    // Named by the rung's NameModifier (`index_720p.m3u8`). The height is what MediaConvert produced (a
    // small or portrait source yields less than the rung); the bitrate is the rung's QVBR ceiling, which
    // is what the master playlist advertises, since the event carries no bitrate for HLS outputs.
    const rung = LADDER.find((r) => o.outputFilePaths?.some((p) => p.endsWith(`_${r.name}.m3u8`)));
    if (!rung || !o.videoDetails) return [];
    return [{ height: o.videoDetails.heightInPx, bitrate: rung.maxBitrate }];
  });
  renditions.sort((a, b) => b.height - a.height || b.bitrate - a.bitrate);
  const thumbnail = groups
    .filter((g) => g.type === 'FILE_GROUP')
    .flatMap((g) => g.outputDetails.flatMap((o) => o.outputFilePaths ?? []))
    .find((p) => p.endsWith('.jpg'));
  const thumbnailPath = thumbnail ? keyOf(thumbnail) : undefined;
  return {
    contentId,
    occurredAt: event.time,
    durationSeconds: durationSecondsOf(Math.max(...durations)),
    manifestPath: `${outputPrefixFor(contentId)}${VOD.masterPlaylist}`,
    ...(thumbnailPath ? { thumbnailPath } : {}),
    ...(renditions.length > 0 ? { renditions } : {}),
  };
}

function failedDetail(event: JobStateChange): VideoFailed {
  const { jobId, errorCode, errorMessage } = event.detail;
  const reason = `MediaConvert job ${jobId} failed${errorCode === undefined ? '' : ` with error ${errorCode}`}: ${
    errorMessage?.trim() || 'no error message'
  }`;
  return {
    contentId: event.detail.userMetadata.contentId,
    occurredAt: event.time,
    reason: reason.slice(0, 2000),
  };
}

function checked<T>(schema: z.ZodType<T>, type: string, detail: T): T {
  const parsed = schema.safeParse(detail);
  if (!parsed.success)
    throw new Error(`The ${type} detail breaks the bus contract:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/**
 * The platform fact a job's final state means, checked against the bus contract before it leaves; nothing
 * for the states in between (the rule should not deliver them).
 */
export function videoFactOf(event: JobStateChange): VideoFact | undefined {
  switch (event.detail.status) {
    case 'COMPLETE':
      return { type: 'video.ready', detail: checked(videoReady, 'video.ready', readyDetail(event)) };
    case 'ERROR':
      return { type: 'video.failed', detail: checked(videoFailed, 'video.failed', failedDetail(event)) };
    default:
      return undefined;
  }
}

export interface PublishDeps {
  readonly eventBridge: EventBridgeClient;
  readonly busName: string;
}

export type PublishResult =
  { outcome: 'published'; type: VideoFact['type'] } | { outcome: 'ignored'; status: string };

/**
 * Publishes the job's outcome on the platform bus. No idempotency store: a repeated or retried delivery
 * publishes the same fact with the same occurredAt, and the core's consumer (applyVideoEvent in
 * service/src/courses/media.ts) applies a fact only over an older one, so the copy changes nothing.
 */
export async function publishJobState(deps: PublishDeps, event: unknown): Promise<PublishResult> {
  const change = parseJobStateChange(event);
  const fact = videoFactOf(change);
  if (!fact) {
    logger.warn('Job state ignored', { jobId: change.detail.jobId, status: change.detail.status });
    return { outcome: 'ignored', status: change.detail.status };
  }
  const answer = await deps.eventBridge.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: deps.busName,
          Source: EVENTS.sources.vod,
          DetailType: fact.type,
          Detail: JSON.stringify(fact.detail),
          Time: new Date(fact.detail.occurredAt),
        },
      ],
    }),
  );
  // PutEvents answers 200 even when it drops an entry; failing here makes EventBridge deliver again.
  if ((answer.FailedEntryCount ?? 0) > 0) {
    const entry = answer.Entries?.[0];
    throw new Error(
      `PutEvents refused ${fact.type}: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim(),
    );
  }
  logger.info('Job state published', {
    jobId: change.detail.jobId,
    sourceKey: change.detail.userMetadata.sourceKey,
    type: fact.type,
    ...fact.detail,
  });
  return { outcome: 'published', type: fact.type };
}

function busName(): string {
  const name = process.env[EVENTS.busNameEnv];
  if (!name) throw new Error(`Missing environment: ${EVENTS.busNameEnv}`);
  return name;
}

const deps: PublishDeps = {
  eventBridge: tracer.captureAWSv3Client(new EventBridgeClient({})),
  busName: busName(),
};

/** EventBridge target for MediaConvert's COMPLETE and ERROR job state changes. */
export const handler = (event: unknown): Promise<PublishResult> => publishJobState(deps, event);
