import { certificateRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { verifyCertificate } from './certificates';
import { certificateDeps } from './certificates-deps';

const deps = certificateDeps();

/** Public: anyone holding a number asks whether it names a valid certificate. */
export const handler = httpHandler(certificateRoutes.verifyCertificate, async ({ params }) => ({
  status: 200,
  headers: { 'cache-control': 'no-store' },
  body: await verifyCertificate(deps, params.number),
}));
