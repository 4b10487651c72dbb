import { liveRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { seatDeps } from './live-deps';
import { joinLecture } from './seats';

const deps = seatDeps();

export const handler = httpHandler(liveRoutes.joinLecture, async ({ identity, params }) => ({
  status: 200,
  body: await joinLecture(deps, identity, params.lectureId),
  // The URL carries a playback token for this viewer.
  headers: { 'cache-control': 'no-store' },
}));
