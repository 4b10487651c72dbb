import { liveRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { listLectures } from './lectures';
import { readDeps } from './live-deps';

const deps = readDeps();

export const handler = httpHandler(liveRoutes.listLectures, async ({ identity, query }) => ({
  status: 200,
  body: await listLectures(deps, identity, query),
}));
