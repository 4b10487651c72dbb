import { liveRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { quizDeps } from './quiz-deps';
import { quizResults } from './quizzes';

const deps = quizDeps();

export const handler = httpHandler(liveRoutes.getQuizResults, async ({ identity, params }) => ({
  status: 200,
  body: await quizResults(deps, identity, params.lectureId, params.quizId),
  headers: { 'cache-control': 'no-store' },
}));
