import { routes } from '#contracts/routes';
import { HttpError } from '#contracts/problem';
import { httpHandler } from '../shared/http-handler';
import { getProfile, NoSuchAccount } from './profiles';
import { profileDeps } from './users-deps';

const deps = profileDeps();

export const handler = httpHandler(routes.getProfile, async ({ identity }) => {
  try {
    return {
      status: 200,
      body: await getProfile(deps, identity.sub),
      headers: { 'cache-control': 'no-store' },
    };
  } catch (e) {
    if (e instanceof NoSuchAccount) throw new HttpError(404, e.message);
    throw e;
  }
});
