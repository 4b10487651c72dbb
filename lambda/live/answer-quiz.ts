import { liveRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { quizDeps } from './quiz-deps';
import { answerQuiz } from './quizzes';

const deps = quizDeps();

export const handler = httpHandler(liveRoutes.answerQuiz, async ({ identity, params, body }) => ({
  status: 201,
  body: await answerQuiz(deps, identity, params.lectureId, params.quizId, body),
}));
