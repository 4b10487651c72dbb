import { routes } from '../routes';
import { httpHandler } from '../shared/http-handler';
import { uploadDeps, withUploadId } from './upload-deps';
import { partUrls } from './upload-sessions';

const deps = uploadDeps();

export const handler = withUploadId((uploadId) =>
  httpHandler(routes.presignUploadParts, async ({ identity, query }) => ({
    status: 200,
    body: await partUrls(deps, identity, uploadId, query),
    // The URLs are credentials for a quarter of an hour: no cache may keep them.
    headers: { 'cache-control': 'no-store' },
  })),
);
