import { routes } from '../routes';
import { httpHandler } from '../shared/http-handler';
import { uploadDeps, withUploadId } from './upload-deps';
import { listUploadedParts } from './upload-sessions';

const deps = uploadDeps();

export const handler = withUploadId((uploadId) =>
  httpHandler(routes.listUploadParts, async ({ identity }) => ({
    status: 200,
    body: await listUploadedParts(deps, identity, uploadId),
    headers: { 'cache-control': 'no-store' },
  })),
);
