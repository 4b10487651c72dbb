import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { createAccessTokenVerifier } from '#contracts/access-token';
import { csv, readEnv } from '../shared/env';
import { authorizeRequest, type AuthorizeDeps } from './session-authorizer';

const env = readEnv('tokenIssuer', 'tokenJwksUri', 'tokenClientIds', 'appOrigins');
const deps: AuthorizeDeps = {
  verify: createAccessTokenVerifier({
    issuer: env.tokenIssuer,
    jwksUri: env.tokenJwksUri,
    clientIds: csv(env.tokenClientIds),
  }),
  appOrigins: csv(env.appOrigins),
};

export const handler = (event: APIGatewayRequestAuthorizerEventV2) => authorizeRequest(deps, event);
