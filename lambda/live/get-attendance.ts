import { liveRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { readDeps } from './live-deps';
import { attendanceOf } from './seats';

const deps = readDeps();

export const handler = httpHandler(liveRoutes.getAttendance, async ({ identity, params }) => ({
  status: 200,
  body: await attendanceOf(deps, identity, params.lectureId),
  headers: { 'cache-control': 'no-store' },
}));
