import { certificateRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { listInstitutionCertificates } from './certificates';
import { certificateDeps } from './certificates-deps';

const deps = certificateDeps();

export const handler = httpHandler(
  certificateRoutes.listInstitutionCertificates,
  async ({ identity, query: { institutionId, ...page } }) => ({
    status: 200,
    body: await listInstitutionCertificates(deps, identity, institutionId, page),
  }),
);
