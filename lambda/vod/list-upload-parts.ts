import { routes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { uploadDeps } from './upload-deps';
import { listUploadedParts } from './upload-sessions';

const deps = uploadDeps();

export const handler = httpHandler(routes.listUploadParts, async ({ identity, params }) => ({
  status: 200,
  body: await listUploadedParts(deps, identity, params.uploadId),
  headers: { 'cache-control': 'no-store' },
}));
