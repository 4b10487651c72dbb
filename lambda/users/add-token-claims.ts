import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';

/**
 * Cognito pre token generation (V2): copies the verified e-mail into the access token, so APIs that see only
 * the access token (the authorizer, the core service) know who is calling without another lookup.
 */
export const handler = async (
  event: PreTokenGenerationV2TriggerEvent,
): Promise<PreTokenGenerationV2TriggerEvent> => {
  const { email, email_verified: verified } = event.request.userAttributes;
  if (email && verified === 'true') {
    event.response = {
      claimsAndScopeOverrideDetails: {
        ...event.response.claimsAndScopeOverrideDetails,
        accessTokenGeneration: { claimsToAddOrOverride: { email } },
      },
    };
  }
  return event;
};
