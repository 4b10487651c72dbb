import { routes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { uploadDeps } from './upload-deps';
import { completeUpload } from './upload-sessions';

const deps = uploadDeps();

export const handler = httpHandler(routes.completeUpload, async ({ identity, params, body }) => ({
  status: 200,
  body: await completeUpload(deps, identity, params.uploadId, body.parts),
  headers: { 'cache-control': 'no-store' },
}));
