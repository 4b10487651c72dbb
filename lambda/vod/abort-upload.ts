import { routes } from '../routes';
import { httpHandler } from '../shared/http-handler';
import { uploadDeps, withUploadId } from './upload-deps';
import { abortUpload } from './upload-sessions';

const deps = uploadDeps();

export const handler = withUploadId((uploadId) =>
  httpHandler(routes.abortUpload, async ({ identity }) => {
    await abortUpload(deps, identity, uploadId);
    return { status: 204 };
  }),
);
