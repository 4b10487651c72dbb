import { notificationRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { markNotificationsRead } from './inbox';
import { inboxDeps } from './notifications-deps';

const deps = inboxDeps();

export const handler = httpHandler(notificationRoutes.markNotificationsRead, async ({ identity, body }) => ({
  status: 200,
  body: await markNotificationsRead(deps, identity, body),
}));
