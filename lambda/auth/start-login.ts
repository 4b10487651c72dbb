import { routes } from '#contracts/routes';
import { documentClient } from '../shared/clients';
import { readEnv } from '../shared/env';
import { httpHandler, redirect } from '../shared/http-handler';
import { authSettings } from './settings';
import { startSignIn, type SignInDeps } from './sign-in-flow';

const deps: SignInDeps = {
  ddb: documentClient(),
  tableName: readEnv('authFlowTable').authFlowTable,
  ...authSettings(),
};

export const handler = httpHandler(routes.startLogin, async ({ query }) => {
  const { location, cookie } = await startSignIn(deps, query);
  return redirect(location, [cookie]);
});
