import { liveRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { updateLecture } from './lectures';
import { readDeps } from './live-deps';

const deps = readDeps();

export const handler = httpHandler(liveRoutes.updateLecture, async ({ identity, params, body }) => ({
  status: 200,
  body: await updateLecture(deps, identity, params.lectureId, body),
}));
