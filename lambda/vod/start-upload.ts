import { routes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { uploadDeps } from './upload-deps';
import { startUpload } from './upload-sessions';

const deps = uploadDeps();

export const handler = httpHandler(routes.startUpload, async ({ identity, body }) => ({
  status: 201,
  body: await startUpload(deps, identity, body),
  headers: { 'cache-control': 'no-store' },
}));
