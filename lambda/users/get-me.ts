import { routes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';

export const handler = httpHandler(routes.getMe, async ({ identity }) => ({
  status: 200,
  body: { sub: identity.sub, email: identity.email ?? null, roles: [...identity.roles] },
  headers: { 'cache-control': 'no-store' },
}));
