import { liveRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { quizDeps } from './quiz-deps';
import { listQuizzes } from './quizzes';

const deps = quizDeps();

export const handler = httpHandler(liveRoutes.listQuizzes, async ({ identity, params }) => ({
  status: 200,
  body: await listQuizzes(deps, identity, params.lectureId),
  // Per caller, and a quiz's answer appears when it closes: nothing may be cached.
  headers: { 'cache-control': 'no-store' },
}));
