import { COOKIES } from '#contracts/resources';
import { routes } from '#contracts/routes';
import { documentClient } from '../shared/clients';
import { readEnv } from '../shared/env';
import { httpHandler, redirect } from '../shared/http-handler';
import { HttpError } from '#contracts/problem';
import { authSettings } from './settings';
import { completeSignIn, type SignInDeps } from './sign-in-flow';

const deps: SignInDeps = {
  ddb: documentClient(),
  tableName: readEnv('authFlowTable').authFlowTable,
  ...authSettings(),
};

export const handler = httpHandler(routes.completeLogin, async ({ query, cookies }) => {
  if ('error' in query) {
    // The identity provider's refusal, passed on: `query.error` is the field that says what went wrong.
    const detail = `Sign-in was not completed: ${query.error_description ?? query.error}`;
    throw new HttpError(400, detail, [{ field: 'query.error', message: detail }]);
  }
  const { location, cookies: set } = await completeSignIn(deps, {
    code: query.code,
    state: query.state,
    stateCookie: cookies[COOKIES.oauthState],
  });
  return redirect(location, set);
});
