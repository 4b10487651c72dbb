import { certificateRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { revokeCertificate } from './certificates';
import { certificateDeps } from './certificates-deps';

const deps = certificateDeps();

export const handler = httpHandler(
  certificateRoutes.revokeCertificate,
  async ({ identity, params, body }) => ({
    status: 200,
    body: await revokeCertificate(deps, identity, params.number, body.reason),
  }),
);
