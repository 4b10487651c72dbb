import { liveRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { quizDeps } from './quiz-deps';
import { createQuiz } from './quizzes';

const deps = quizDeps();

export const handler = httpHandler(liveRoutes.createQuiz, async ({ identity, params, body }) => ({
  status: 201,
  body: await createQuiz(deps, identity, params.lectureId, body),
}));
