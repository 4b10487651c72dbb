import { COOKIES } from '#contracts/resources';
import { routes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { assertAllowedOrigin } from '../shared/origin';
import { authSettings } from './settings';
import { endSession } from './sign-in-flow';

const settings = authSettings();

export const handler = httpHandler(routes.endSession, async ({ cookies, headers }) => {
  assertAllowedOrigin(headers, settings.appOrigins);
  return { status: 204, cookies: await endSession(settings, cookies[COOKIES.refresh]) };
});
