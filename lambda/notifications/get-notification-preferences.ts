import { notificationRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { getPreferences } from './inbox';
import { inboxDeps } from './notifications-deps';

const deps = inboxDeps();

export const handler = httpHandler(notificationRoutes.getNotificationPreferences, async ({ identity }) => ({
  status: 200,
  body: await getPreferences(deps, identity.sub),
}));
