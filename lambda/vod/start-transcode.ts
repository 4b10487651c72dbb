import { createHash } from 'node:crypto';
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateJobCommand, MediaConvertClient } from '@aws-sdk/client-mediaconvert';
import type { Context } from 'aws-lambda';
import { VOD } from '../resources';
import { readEnv } from '../shared/env';
import { logger } from '../shared/observability';
import { tracer } from '../shared/tracer';
import { buildTranscodeJob } from './transcode-settings';
import { contentIdOf, parseObjectCreated, type Upload } from './uploads';

export { contentIdOf, parseObjectCreated, type Upload };

/** MediaConvert's own duplicate guard (one minute wide): the same object always yields the same token. */
export const clientRequestTokenFor = (u: Upload): string =>
  createHash('sha256').update(`${u.bucket}\n${u.key}\n${u.etag}`).digest('hex');

export interface TranscodeDeps {
  readonly mediaConvert: MediaConvertClient;
  readonly roleArn: string;
  readonly outputBucket: string;
}

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
        uploadBucket: upload.bucket,
        sourceKey: upload.key,
        clientRequestToken: clientRequestTokenFor(upload),
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

function vodEnv(): { roleArn: string; outputBucket: string } {
  const names = { roleArn: VOD.env.mediaConvertRoleArn, outputBucket: VOD.env.outputBucket };
  const missing = Object.values(names).filter((name) => !process.env[name]);
  if (missing.length > 0) throw new Error(`Missing environment: ${missing.join(', ')}`);
  return { roleArn: process.env[names.roleArn]!, outputBucket: process.env[names.outputBucket]! };
}

const deps: TranscodeDeps = {
  // The regional endpoint: MediaConvert's per-account endpoints (DescribeEndpoints) are deprecated.
  mediaConvert: tracer.captureAWSv3Client(new MediaConvertClient({})),
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
    logger.info('Duplicate delivery: the job was already submitted', {
      idempotencyKey: record.idempotencyKey,
      submitted: response,
    });
    return response;
  },
});

const submitOnce = makeIdempotent(
  (upload: Upload & { readonly contentId: string }) => submitTranscode(deps, upload),
  {
    persistenceStore: new DynamoDBPersistenceLayer({
      tableName: readEnv('idempotencyTable').idempotencyTable,
      keyAttr: 'pk',
      expiryAttr: 'expiresAt',
      awsSdkV3Client: tracer.captureAWSv3Client(new DynamoDBClient({})),
    }),
    config: idempotency,
    // Stable across deployments (the default is the function's generated name) and apart from the other
    // handlers sharing the table.
    keyPrefix: 'vod.start-transcode',
  },
);

export type StartTranscodeResult =
  ({ outcome: 'submitted' } & Submitted) | { outcome: 'ignored'; reason: string };

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
  const submitted = await submitOnce({ ...upload, contentId: located.contentId });
  return { outcome: 'submitted', ...submitted };
};
