import { COOKIES } from '#contracts/resources';
import { routes } from '#contracts/routes';
import { documentClient } from '../shared/clients';
import { readEnv } from '../shared/env';
import { httpHandler } from '../shared/http-handler';
import { assertAllowedOrigin } from '#contracts/origin';
import { bearerToken } from './session-revocation';
import { authSettings, tokenVerifier } from './settings';
import { endSession, type EndSessionDeps } from './sign-in-flow';

const settings = authSettings();
const deps: EndSessionDeps = {
  ...settings,
  ddb: documentClient(),
  tableName: readEnv('authFlowTable').authFlowTable,
  verify: tokenVerifier(),
};

export const handler = httpHandler(routes.endSession, async ({ cookies, headers }) => {
  assertAllowedOrigin(headers, settings.appOrigins);
  const cookiesCleared = await endSession(deps, {
    refreshToken: cookies[COOKIES.refresh],
    // Whichever the caller authenticates with: a browser's cookie, an API client's header.
    accessTokens: [bearerToken(headers), cookies[COOKIES.access]],
  });
  return { status: 204, cookies: cookiesCleared };
});
