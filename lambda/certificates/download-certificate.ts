import { certificateRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { downloadLink } from './certificates';
import { certificateDeps } from './certificates-deps';

const deps = certificateDeps();

export const handler = httpHandler(certificateRoutes.downloadCertificate, async ({ identity, params }) => ({
  status: 200,
  headers: { 'cache-control': 'no-store' },
  body: await downloadLink(deps, identity, params.number),
}));
