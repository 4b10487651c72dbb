import { routes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { materialDownload } from './playback';
import { downloadDeps } from './playback-deps';

const deps = downloadDeps();

export const handler = httpHandler(routes.getMaterialDownload, async ({ identity, params }) => ({
  status: 200,
  body: await materialDownload(deps, identity, params),
  // The URL is a credential for a few minutes: no cache may keep it.
  headers: { 'cache-control': 'no-store' },
}));
