import { S3Client } from '@aws-sdk/client-s3';
import { documentClient } from '../shared/clients';
import { readEnv, readVodCount, readVodEnv } from '../shared/env';
import { tracer } from '../shared/tracer';
import type { UploadDeps } from './upload-sessions';

function vodEnv(): Pick<UploadDeps, 'uploadBucket' | 'maxBytes' | 'monthlyTranscodeMinutes'> {
  return {
    uploadBucket: readVodEnv('uploadBucket').uploadBucket,
    maxBytes: readVodCount('maxUploadBytes'),
    monthlyTranscodeMinutes: readVodCount('monthlyTranscodeMinutes'),
  };
}

/**
 * An S3 client for the video pipeline's routes. Locally the runner sets AWS_ENDPOINT_URL_S3 to its object
 * store, which (like any S3 stand-in on one host) has no per-bucket host names, hence path-style only then;
 * in AWS the variable is unset and nothing changes.
 */
export const vodS3Client = (): S3Client =>
  tracer.captureAWSv3Client(new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) }));

/** The upload routes' clients and settings, built once per execution environment. */
export const uploadDeps = (): UploadDeps => ({
  s3: vodS3Client(),
  ddb: documentClient(),
  accessTable: readEnv('accessTable').accessTable,
  ...vodEnv(),
  now: () => new Date(),
});
