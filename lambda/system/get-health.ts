import { routes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';

export const handler = httpHandler(routes.getHealth, async () => ({
  status: 200,
  body: { status: 'ok' },
  headers: { 'cache-control': 'no-store' },
}));
