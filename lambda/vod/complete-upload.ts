import { routes } from '../routes';
import { httpHandler } from '../shared/http-handler';
import { uploadDeps, withUploadId } from './upload-deps';
import { completeUpload } from './upload-sessions';

const deps = uploadDeps();

export const handler = withUploadId((uploadId) =>
  httpHandler(routes.completeUpload, async ({ identity, body }) => ({
    status: 200,
    body: await completeUpload(deps, identity, uploadId, body.parts),
    headers: { 'cache-control': 'no-store' },
  })),
);
