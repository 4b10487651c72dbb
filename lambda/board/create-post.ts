import { boardRoutes } from '#contracts/routes';
import { idempotencyKeyOf } from '../shared/create-guard';
import { httpHandler } from '../shared/http-handler';
import { boardDeps } from './board-deps';
import { createPost } from './posts';

const deps = boardDeps();

// A retry with the same Idempotency-Key answers 201 with the first attempt's post, like the first answer,
// so a client that lost that answer handles the retry's the same way.
export const handler = httpHandler(boardRoutes.createPost, async ({ identity, body, headers }) => ({
  status: 201,
  body: await createPost(deps, identity, body, idempotencyKeyOf(headers)),
}));
