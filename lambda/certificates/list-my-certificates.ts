import { certificateRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { listMyCertificates } from './certificates';
import { certificateDeps } from './certificates-deps';

const deps = certificateDeps();

export const handler = httpHandler(certificateRoutes.listMyCertificates, async ({ identity, query }) => ({
  status: 200,
  body: await listMyCertificates(deps, identity, query),
}));
