import { boardRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { boardDeps } from './board-deps';
import { questionMinutes } from './posts';

const deps = boardDeps();

export const handler = httpHandler(boardRoutes.getQuestionMinutes, async ({ identity, params, query }) => ({
  status: 200,
  body: await questionMinutes(deps, identity, params.contentId, query.provisionId),
}));
