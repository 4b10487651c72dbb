import { COOKIES } from '#contracts/resources';
import { routes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { assertAllowedOrigin } from '#contracts/origin';
import { authSettings } from './settings';
import { refreshSession } from './sign-in-flow';

const settings = authSettings();

export const handler = httpHandler(routes.refreshSession, async ({ cookies, headers }) => {
  assertAllowedOrigin(headers, settings.appOrigins);
  return { status: 204, cookies: await refreshSession(settings, cookies[COOKIES.refresh]) };
});
