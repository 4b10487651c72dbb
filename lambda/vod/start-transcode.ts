import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import {
  BadRequestException,
  CreateJobCommand,
  MediaConvertClient,
  NotFoundException,
  ProbeCommand,
} from '@aws-sdk/client-mediaconvert';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import { documentClient } from '../shared/clients';
import { readEnv, readVodCount, readVodEnv } from '../shared/env';
import { logger } from '../shared/observability';
import { tracer } from '../shared/tracer';
import { reserveTranscodeMinutes, transcodeMinutesOf, uploadDigest } from './transcode-budget';
import { buildTranscodeJob } from './transcode-settings';
import { contentIdOf, parseObjectCreated, type Upload } from './uploads';
import { busNameFromEnv, publishVideoFact, type PublishDeps, videoFailedFact } from './video-facts';

export { contentIdOf, parseObjectCreated, type Upload };

export interface TranscodeDeps {
  readonly mediaConvert: MediaConvertClient;
  readonly roleArn: string;
  /** The vod stack's queue: jobs of this platform only. */
  readonly queueArn: string;
  readonly outputBucket: string;
}

/** What start-transcode needs besides CreateJob: the budget in the access table and the platform bus. */
export interface StartTranscodeDeps extends TranscodeDeps, PublishDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly accessTable: string;
  /** Minutes of source video each institution may have transcoded per calendar month (UTC). */
  readonly monthlyTranscodeMinutes: number;
  readonly now: () => Date;
}

/** A video upload: the content it is for, and the institution whose budget pays for it. */
export type VideoUpload = Upload & { readonly contentId: string; readonly institutionId: string };

export interface Submitted {
  readonly contentId: string;
  readonly jobId: string;
}

export async function submitTranscode(
  deps: TranscodeDeps,
  upload: Upload & { readonly contentId: string },
): Promise<Submitted> {
  const job = await deps.mediaConvert.send(
    new CreateJobCommand(
      buildTranscodeJob({
        inputUri: `s3://${upload.bucket}/${upload.key}`,
        outputBucket: deps.outputBucket,
        contentId: upload.contentId,
        roleArn: deps.roleArn,
        queueArn: deps.queueArn,
        uploadBucket: upload.bucket,
        sourceKey: upload.key,
        // MediaConvert's own duplicate guard (one minute wide): the same object always yields the same token.
        clientRequestToken: uploadDigest(upload),
      }),
    ),
  );
  const jobId = job.Job?.Id;
  if (!jobId) throw new Error('MediaConvert answered CreateJob without a job id');
  logger.info('Transcode job created', {
    key: upload.key,
    etag: upload.etag,
    contentId: upload.contentId,
    jobId,
  });
  return { contentId: upload.contentId, jobId };
}

/** The fields used of Probe's answer; the service leaves out whatever the file does not have. */
const probeAnswer = z.object({
  ProbeResults: z
    .array(
      z.object({
        Container: z
          .object({
            Format: z.string().optional(),
            Duration: z.number().optional(),
            Tracks: z
              .array(z.object({ TrackType: z.string().optional(), Duration: z.number().optional() }))
              .default([]),
          })
          .optional(),
      }),
    )
    .default([]),
});

export type Probed = { video: true; durationMs: number } | { video: false; reason: string };

/**
 * What MediaConvert makes of the file before any job is paid for: a duration for the budget, or why it is
 * no video. Probe reads the object with this function's own credentials (the request names no role).
 */
export async function probeUpload(mediaConvert: MediaConvertClient, upload: Upload): Promise<Probed> {
  let answer: unknown;
  try {
    answer = await mediaConvert.send(
      new ProbeCommand({ InputFiles: [{ FileUrl: `s3://${upload.bucket}/${upload.key}` }] }),
    );
  } catch (e) {
    // The file, not the call, is at fault: unreadable as media, or deleted since it was uploaded. Throttling,
    // a missing permission or a service error is thrown, so EventBridge delivers the upload again.
    if (e instanceof BadRequestException || e instanceof NotFoundException) {
      return { video: false, reason: `MediaConvert could not probe the file: ${e.message}` };
    }
    throw e;
  }
  const container = probeAnswer.parse(answer).ProbeResults[0]?.Container;
  if (!container?.Format)
    return { video: false, reason: 'MediaConvert does not recognise the file’s format' };
  const videoTrack = container.Tracks.find((t) => t.TrackType === 'video');
  if (!videoTrack) {
    const kinds = [...new Set(container.Tracks.map((t) => t.TrackType ?? 'unknown'))];
    return {
      video: false,
      reason: `The ${container.Format} file has no video track (${kinds.length > 0 ? `only ${kinds.join(', ')}` : 'no tracks'})`,
    };
  }
  const seconds = container.Duration ?? videoTrack.Duration;
  if (!seconds || seconds <= 0)
    return { video: false, reason: `The ${container.Format} file has no duration` };
  return { video: true, durationMs: Math.round(seconds * 1000) };
}

export type StartTranscodeOutcome =
  ({ outcome: 'submitted' } & Submitted) | { outcome: 'refused'; contentId: string; reason: string };

/** Tells the content's owners, through the core, why no job was started. */
async function refuse(
  deps: StartTranscodeDeps,
  upload: VideoUpload,
  reason: string,
): Promise<StartTranscodeOutcome> {
  const fact = videoFailedFact(upload.contentId, deps.now().toISOString(), reason);
  await publishVideoFact(deps, fact);
  logger.warn('Transcode refused', {
    key: upload.key,
    etag: upload.etag,
    contentId: upload.contentId,
    reason,
  });
  return { outcome: 'refused', contentId: upload.contentId, reason: fact.detail.reason };
}

/**
 * Probe, then reserve the video's minutes in its institution's month, then CreateJob; a file that is no
 * video, or one the budget cannot pay for, starts no job and is answered with `video.failed`.
 */
export async function startTranscode(
  deps: StartTranscodeDeps,
  upload: VideoUpload,
): Promise<StartTranscodeOutcome> {
  const probed = await probeUpload(deps.mediaConvert, upload);
  if (!probed.video) return refuse(deps, upload, probed.reason);
  const reservation = await reserveTranscodeMinutes(deps.ddb, deps.accessTable, {
    institutionId: upload.institutionId,
    contentId: upload.contentId,
    upload,
    minutes: transcodeMinutesOf(probed.durationMs),
    budget: deps.monthlyTranscodeMinutes,
    at: deps.now(),
  });
  if (reservation.outcome === 'over-budget') return refuse(deps, upload, reservation.reason);
  logger.info('Transcode minutes reserved', {
    key: upload.key,
    institutionId: upload.institutionId,
    ...reservation,
  });
  return { outcome: 'submitted', ...(await submitTranscode(deps, upload)) };
}

function vodEnv(): Pick<
  StartTranscodeDeps,
  'roleArn' | 'queueArn' | 'outputBucket' | 'monthlyTranscodeMinutes'
> {
  const env = readVodEnv('mediaConvertRoleArn', 'mediaConvertQueueArn', 'outputBucket');
  return {
    roleArn: env.mediaConvertRoleArn,
    queueArn: env.mediaConvertQueueArn,
    outputBucket: env.outputBucket,
    monthlyTranscodeMinutes: readVodCount('monthlyTranscodeMinutes'),
  };
}

const env = readEnv('idempotencyTable', 'accessTable');
const deps: StartTranscodeDeps = {
  // The regional endpoint: MediaConvert's per-account endpoints (DescribeEndpoints) are deprecated.
  mediaConvert: tracer.captureAWSv3Client(new MediaConvertClient({})),
  eventBridge: tracer.captureAWSv3Client(new EventBridgeClient({})),
  busName: busNameFromEnv(),
  ddb: documentClient(),
  accessTable: env.accessTable,
  now: () => new Date(),
  ...vodEnv(),
};

const idempotency = new IdempotencyConfig({
  // The object's identity, not the event id: S3 can announce one object twice under two event ids, and
  // a re-upload to the same key (a new etag) is new work.
  eventKeyJmesPath: '[bucket, key, etag]',
  throwOnNoIdempotencyKey: true,
  // EventBridge retries a delivery for up to a day. Within it, uploading the very same bytes to the same
  // key again starts no job either, which is fine: the renditions would be identical.
  expiresAfterSeconds: 24 * 60 * 60,
  responseHook: (response, record) => {
    logger.info('Duplicate delivery: the upload was already handled', {
      idempotencyKey: record.idempotencyKey,
      handled: response,
    });
    return response;
  },
});

// A refusal is stored like a job: the same object delivered again is refused once, not published twice.
const startOnce = makeIdempotent((upload: VideoUpload) => startTranscode(deps, upload), {
  persistenceStore: new DynamoDBPersistenceLayer({
    tableName: env.idempotencyTable,
    keyAttr: 'pk',
    expiryAttr: 'expiresAt',
    awsSdkV3Client: tracer.captureAWSv3Client(new DynamoDBClient({})),
  }),
  config: idempotency,
  // Stable across deployments (the default is the function's generated name) and apart from the other
  // handlers sharing the table.
  keyPrefix: 'vod.start-transcode',
});

export type StartTranscodeResult = StartTranscodeOutcome | { outcome: 'ignored'; reason: string };

/** EventBridge target for uploads to the upload bucket: one MediaConvert job per stored video object. */
export const handler = async (event: unknown, context: Context): Promise<StartTranscodeResult> => {
  const upload = parseObjectCreated(event);
  const located = contentIdOf(upload.key);
  if ('ignored' in located) {
    logger.warn('Upload ignored', { bucket: upload.bucket, key: upload.key, reason: located.ignored });
    return { outcome: 'ignored', reason: located.ignored };
  }
  // Bounds an in-progress record by this invocation's timeout: without it, an attempt that crashed
  // mid-call would block every retry until the record expired a day later.
  idempotency.registerLambdaContext(context);
  return startOnce({ ...upload, ...located });
};
