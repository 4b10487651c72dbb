import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { documentClient } from '../shared/clients';
import { csv, readEnv } from '../shared/env';
import { authorizeRequest, type AuthorizeDeps } from './session-authorizer';
import { revocationCheck } from './session-revocation';
import { tokenVerifier } from './settings';

const env = readEnv('appOrigins', 'authFlowTable');
const deps: AuthorizeDeps = {
  verify: tokenVerifier(),
  // Module scope: its answers are cached per execution environment, briefly (REVOCATION_CACHE_MS).
  isRevoked: revocationCheck({ ddb: documentClient(), tableName: env.authFlowTable }),
  appOrigins: csv(env.appOrigins),
};

export const handler = (event: APIGatewayRequestAuthorizerEventV2) => authorizeRequest(deps, event);
