import { routes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { uploadDeps } from './upload-deps';
import { abortUpload } from './upload-sessions';

const deps = uploadDeps();

export const handler = httpHandler(routes.abortUpload, async ({ identity, params }) => {
  await abortUpload(deps, identity, params.uploadId);
  return { status: 204 };
});
