import { liveRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { quizDeps } from './quiz-deps';
import { sendQuiz } from './quizzes';

const deps = quizDeps();

// A full channel queue answers 503 with its own Retry-After (ChannelBusy): the quiz is not sent, and the
// client sends it again after the queue drains.
export const handler = httpHandler(liveRoutes.sendQuiz, async ({ identity, params }) => ({
  status: 200,
  body: await sendQuiz(deps, identity, params.lectureId, params.quizId),
}));
