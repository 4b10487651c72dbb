import { routes } from '../routes';
import { httpHandler } from '../shared/http-handler';
import { startPlayback } from './playback';
import { playbackDeps } from './playback-deps';
import type { ApiEvent } from '../shared/http-handler';

const deps = playbackDeps();

export const handler = (event: ApiEvent) =>
  httpHandler(routes.startPlayback, async ({ identity }) => {
    const { playback, cookies } = await startPlayback(deps, identity, event.pathParameters ?? {});
    // The cookies are credentials: no cache may keep the response that sets them.
    return { status: 200, body: playback, cookies, headers: { 'cache-control': 'no-store' } };
  })(event);
