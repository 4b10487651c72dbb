import { S3Client } from '@aws-sdk/client-s3';
import { VOD } from '../resources';
import { documentClient } from '../shared/clients';
import { readEnv } from '../shared/env';
import type { ApiEvent, ApiResult } from '../shared/http-handler';
import { tracer } from '../shared/tracer';
import type { UploadDeps } from './upload-sessions';

function vodEnv(): { uploadBucket: string; maxBytes: number } {
  const bucket = process.env[VOD.env.uploadBucket];
  const max = Number(process.env[VOD.env.maxUploadBytes]);
  // As readEnv does for ENV: a missing variable is a deployment bug, so the cold start fails loudly.
  if (!bucket || !Number.isSafeInteger(max) || max <= 0) {
    throw new Error(`Missing or invalid environment: ${VOD.env.uploadBucket}, ${VOD.env.maxUploadBytes}`);
  }
  return { uploadBucket: bucket, maxBytes: max };
}

/**
 * The upload routes' clients and settings, built once per execution environment. Locally the runner sets
 * AWS_ENDPOINT_URL_S3 to its object store, which (like any S3 stand-in on one host) has no per-bucket
 * host names, hence path-style only then; in AWS the variable is unset and nothing changes.
 */
export const uploadDeps = (): UploadDeps => ({
  s3: tracer.captureAWSv3Client(new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) })),
  ddb: documentClient(),
  accessTable: readEnv('accessTable').accessTable,
  ...vodEnv(),
  now: () => new Date(),
});

/**
 * httpHandler hands its function no path parameters, so routes under `/uploads/{uploadId}` build the
 * handler around the id of each request (the domain validates it, answering 400 `path.uploadId`).
 */
export const withUploadId =
  (handle: (uploadId: string) => (event: ApiEvent) => Promise<ApiResult>) =>
  (event: ApiEvent): Promise<ApiResult> =>
    handle(event.pathParameters?.uploadId ?? '')(event);
