import { liveRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { streamKeyFor } from './lectures';
import { readDeps } from './live-deps';

const deps = readDeps();

export const handler = httpHandler(liveRoutes.getStreamKey, async ({ identity, params }) => ({
  status: 200,
  body: await streamKeyFor(deps, identity, params.lectureId),
  // The key lets anyone broadcast on the channel: no cache may keep it.
  headers: { 'cache-control': 'no-store' },
}));
