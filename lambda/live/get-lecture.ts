import { liveRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { readLecture } from './lectures';
import { readDeps } from './live-deps';

const deps = readDeps();

export const handler = httpHandler(liveRoutes.getLecture, async ({ identity, params }) => ({
  status: 200,
  body: await readLecture(deps, identity, params.lectureId),
}));
