import { liveRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { seatDeps } from './live-deps';
import { leaveLecture } from './seats';

const deps = seatDeps();

export const handler = httpHandler(liveRoutes.leaveLecture, async ({ identity, params }) => ({
  status: 200,
  body: await leaveLecture(deps, identity, params.lectureId),
  headers: { 'cache-control': 'no-store' },
}));
