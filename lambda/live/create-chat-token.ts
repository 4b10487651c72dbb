import { liveRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { chatTokenFor } from './chat-token';
import { chatDeps } from './live-deps';

const deps = chatDeps();

export const handler = httpHandler(liveRoutes.createChatToken, async ({ identity, params, body }) => ({
  status: 200,
  body: await chatTokenFor(deps, identity, params.lectureId, body),
  // A credential for the chat room.
  headers: { 'cache-control': 'no-store' },
}));
