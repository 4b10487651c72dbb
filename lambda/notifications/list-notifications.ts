import { notificationRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { listNotifications } from './inbox';
import { inboxDeps } from './notifications-deps';

const deps = inboxDeps();

export const handler = httpHandler(notificationRoutes.listNotifications, async ({ identity, query }) => ({
  status: 200,
  body: await listNotifications(deps, identity, query),
}));
