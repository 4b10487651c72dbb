import { notificationRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { updatePreferences } from './inbox';
import { inboxDeps } from './notifications-deps';

const deps = inboxDeps();

export const handler = httpHandler(
  notificationRoutes.updateNotificationPreferences,
  async ({ identity, body }) => ({
    status: 200,
    body: await updatePreferences(deps, identity, body.email),
  }),
);
