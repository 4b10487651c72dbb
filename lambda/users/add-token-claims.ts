import {
  AdminAddUserToGroupCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { logger } from '../shared/observability';
import { tracer } from '../shared/tracer';
import { SELF_SIGN_UP_GROUP } from './confirm-sign-up';

/**
 * Cognito pre token generation (V2), run for every token Cognito issues:
 * - copies the verified e-mail into the access token, so APIs that see only the access token (the authorizer,
 *   the core service) know who is calling without another lookup;
 * - gives a person who signed in through a federated provider (Google, OIDC) `learner` on their first sign-in.
 *   Cognito runs no post-confirmation trigger for them (they confirm nothing), so without this they would hold
 *   no role and could not even ask to join a company. The group is added in the pool for later tokens and
 *   put into this one, which Cognito built before the group existed.
 */
export async function addTokenClaims(
  cognito: CognitoIdentityProviderClient,
  event: PreTokenGenerationV2TriggerEvent,
): Promise<PreTokenGenerationV2TriggerEvent> {
  const attributes = event.request.userAttributes;
  const details = { ...event.response.claimsAndScopeOverrideDetails };
  if (attributes['email'] && attributes['email_verified'] === 'true') {
    details.accessTokenGeneration = { claimsToAddOrOverride: { email: attributes['email'] } };
  }
  const groups = event.request.groupConfiguration?.groupsToOverride ?? [];
  if (attributes['cognito:user_status'] === 'EXTERNAL_PROVIDER' && groups.length === 0) {
    // Idempotent: a retried trigger or a second first sign-in adds nothing twice.
    await cognito.send(
      new AdminAddUserToGroupCommand({
        UserPoolId: event.userPoolId,
        Username: event.userName,
        GroupName: SELF_SIGN_UP_GROUP,
      }),
    );
    details.groupOverrideDetails = { groupsToOverride: [SELF_SIGN_UP_GROUP] };
    logger.info('Federated user put in learner', { sub: attributes['sub'] });
  }
  if (Object.keys(details).length > 0) event.response = { claimsAndScopeOverrideDetails: details };
  return event;
}

const cognito = tracer.captureAWSv3Client(new CognitoIdentityProviderClient({}));

export const handler = async (
  event: PreTokenGenerationV2TriggerEvent,
): Promise<PreTokenGenerationV2TriggerEvent> => addTokenClaims(cognito, event);
