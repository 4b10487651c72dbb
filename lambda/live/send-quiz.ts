import { HttpError } from '#contracts/problem';
import { liveRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { ChannelBusy } from './metadata-limiter';
import { quizDeps } from './quiz-deps';
import { sendQuiz } from './quizzes';

const deps = quizDeps();

export const handler = httpHandler(liveRoutes.sendQuiz, async ({ identity, params }) => {
  try {
    return { status: 200, body: await sendQuiz(deps, identity, params.lectureId, params.quizId) };
  } catch (e) {
    if (!(e instanceof ChannelBusy)) throw e;
    // The quiz is not sent (its mark was undone): the client sends it again after the channel's queue drains.
    return {
      status: 503,
      body: new HttpError(503, e.message).toProblem(),
      headers: {
        'content-type': 'application/problem+json',
        'cache-control': 'no-store',
        'retry-after': String(e.retryAfterSeconds),
      },
    };
  }
});
