import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { documentClient } from '../shared/clients';
import { readEnv } from '../shared/env';
import { authorizeRequest, type AuthorizeDeps } from './session-authorizer';
import { revocationCheck } from './session-revocation';
import { tokenVerifier } from './settings';

const env = readEnv('authFlowTable');
const deps: AuthorizeDeps = {
  verify: tokenVerifier(),
  // Module scope: its answers are cached per execution environment, briefly (REVOCATION_CACHE_MS).
  isRevoked: revocationCheck({ ddb: documentClient(), tableName: env.authFlowTable }),
};

export const handler = (event: APIGatewayRequestAuthorizerEventV2) => authorizeRequest(deps, event);
