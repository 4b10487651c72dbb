import { liveRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { seatDeps } from './live-deps';
import { recordPresence } from './seats';

const deps = seatDeps();

export const handler = httpHandler(liveRoutes.recordPresence, async ({ identity, params }) => ({
  status: 200,
  body: await recordPresence(deps, identity, params.lectureId),
  headers: { 'cache-control': 'no-store' },
}));
