import { routes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { uploadDeps } from './upload-deps';
import { partUrls } from './upload-sessions';

const deps = uploadDeps();

export const handler = httpHandler(routes.presignUploadParts, async ({ identity, params, query }) => ({
  status: 200,
  body: await partUrls(deps, identity, params.uploadId, query),
  // The URLs are credentials for a quarter of an hour: no cache may keep them.
  headers: { 'cache-control': 'no-store' },
}));
