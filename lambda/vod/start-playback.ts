import { routes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { startPlayback } from './playback';
import { playbackDeps } from './playback-deps';

const deps = playbackDeps();

export const handler = httpHandler(routes.startPlayback, async ({ identity, params }) => {
  const { playback, cookies } = await startPlayback(deps, identity, params);
  // The cookies are credentials: no cache may keep the response that sets them.
  return { status: 200, body: playback, cookies, headers: { 'cache-control': 'no-store' } };
});
