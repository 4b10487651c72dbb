import { routes } from '../routes';
import { httpHandler } from '../shared/http-handler';
import type { ApiEvent } from '../shared/http-handler';
import { materialDownload } from './playback';
import { downloadDeps } from './playback-deps';

const deps = downloadDeps();

export const handler = (event: ApiEvent) =>
  httpHandler(routes.getMaterialDownload, async ({ identity }) => ({
    status: 200,
    body: await materialDownload(deps, identity, event.pathParameters ?? {}),
    // The URL is a credential for a few minutes: no cache may keep it.
    headers: { 'cache-control': 'no-store' },
  }))(event);
