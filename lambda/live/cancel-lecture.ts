import { liveRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { cancelLecture } from './lectures';
import { readDeps } from './live-deps';

const deps = readDeps();

export const handler = httpHandler(liveRoutes.cancelLecture, async ({ identity, params }) => ({
  status: 200,
  body: await cancelLecture(deps, identity, params.lectureId),
}));
