import { routes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { answerInvitation } from './invite-people';
import { invitationDeps } from './users-deps';

const deps = invitationDeps();

export const handler = httpHandler(routes.inviteInstructors, async ({ identity, body }) =>
  answerInvitation(deps, identity.sub, { role: 'instructor', institutionId: body.institutionId }, body),
);
