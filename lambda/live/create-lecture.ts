import { liveRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { createLecture, lectureView } from './lectures';
import { lectureDeps } from './live-deps';

const deps = lectureDeps();

export const handler = httpHandler(liveRoutes.createLecture, async ({ identity, body }) => {
  const { lecture, created } = await createLecture(deps, identity, body);
  // A repeated request (a retry after a timeout) answers the lecture it made the first time.
  return { status: created ? 201 : 200, body: lectureView(lecture, 'staff') };
});
