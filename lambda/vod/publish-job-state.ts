import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { VOD } from '#contracts/resources';
import { documentClient } from '../shared/clients';
import { readEnv } from '../shared/env';
import { logger } from '../shared/observability';
import { videoReady, type VideoReady } from '#contracts/platform-events';
import { tracer } from '../shared/tracer';
import { releaseTranscodeMinutes } from './transcode-budget';
import { LADDER, outputPrefixFor } from './transcode-settings';
import { durationSecondsOf } from './uploads';
import {
  busNameFromEnv,
  checkedDetail,
  publishVideoFact,
  type PublishDeps,
  type VideoFact,
  videoFailedFact,
} from './video-facts';

export { durationSecondsOf, type PublishDeps, type VideoFact };

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
    userMetadata: z.object({
      contentId: z.uuid(),
      sourceKey: z.string().optional(),
      /** Jobs started before the budget carry none: nothing was counted for them. */
      uploadDigest: z.string().min(1).optional(),
    }),
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

function failureReason(event: JobStateChange): string {
  const { jobId, errorCode, errorMessage } = event.detail;
  return `MediaConvert job ${jobId} failed${errorCode === undefined ? '' : ` with error ${errorCode}`}: ${
    errorMessage?.trim() || 'no error message'
  }`;
}

/**
 * The platform fact a job's final state means, checked against the bus contract before it leaves; nothing
 * for the states in between (the rule should not deliver them).
 */
export function videoFactOf(event: JobStateChange): VideoFact | undefined {
  switch (event.detail.status) {
    case 'COMPLETE':
      return { type: 'video.ready', detail: checkedDetail(videoReady, 'video.ready', readyDetail(event)) };
    case 'ERROR':
      return videoFailedFact(event.detail.userMetadata.contentId, event.time, failureReason(event));
    default:
      return undefined;
  }
}

export type PublishResult =
  { outcome: 'published'; type: VideoFact['type'] } | { outcome: 'ignored'; status: string };

/**
 * Publishes the job's outcome on the platform bus, and gives a failed job's minutes back to its institution's
 * budget. No idempotency store: a repeated or retried delivery publishes the same fact with the same
 * occurredAt, and the core's consumer (applyVideoEvent in service/src/courses/media.ts) applies a fact only
 * over an older one, so the copy changes nothing; the release is once per upload by its own condition.
 */
export async function publishJobState(deps: PublishJobStateDeps, event: unknown): Promise<PublishResult> {
  const change = parseJobStateChange(event);
  const fact = videoFactOf(change);
  if (!fact) {
    logger.warn('Job state ignored', { jobId: change.detail.jobId, status: change.detail.status });
    return { outcome: 'ignored', status: change.detail.status };
  }
  const { uploadDigest } = change.detail.userMetadata;
  // Before publishing, so a retry after a failed publish still finds the release done (and does it once).
  if (fact.type === 'video.failed' && uploadDigest) {
    const release = await releaseTranscodeMinutes(deps.ddb, deps.accessTable, uploadDigest, deps.now());
    logger.info('Transcoding minutes of a failed job', { jobId: change.detail.jobId, ...release });
  }
  await publishVideoFact(deps, fact);
  logger.info('Job state published', {
    jobId: change.detail.jobId,
    sourceKey: change.detail.userMetadata.sourceKey,
    type: fact.type,
    ...fact.detail,
  });
  return { outcome: 'published', type: fact.type };
}

export interface PublishJobStateDeps extends PublishDeps {
  /** The access projection's table, where the budget counts minutes (lambda/vod/transcode-budget.ts). */
  readonly ddb: DynamoDBDocumentClient;
  readonly accessTable: string;
  readonly now: () => Date;
}

const deps: PublishJobStateDeps = {
  eventBridge: tracer.captureAWSv3Client(new EventBridgeClient({})),
  busName: busNameFromEnv(),
  ddb: documentClient(),
  accessTable: readEnv('accessTable').accessTable,
  now: () => new Date(),
};

/** EventBridge target for MediaConvert's COMPLETE and ERROR job state changes. */
export const handler = (event: unknown): Promise<PublishResult> => publishJobState(deps, event);
