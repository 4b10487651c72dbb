import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { handler } from '#lambda/users/add-token-claims';

const event = (attributes: Record<string, string>) =>
  ({
    version: '2',
    triggerSource: 'TokenGeneration_HostedAuth',
    request: { userAttributes: attributes, groupConfiguration: { groupsToOverride: [] }, scopes: [] },
    response: { claimsAndScopeOverrideDetails: null },
  }) as unknown as PreTokenGenerationV2TriggerEvent;

describe('add-token-claims', () => {
  it('puts a verified e-mail into the access token', async () => {
    const out = await handler(event({ email: 'a@example.com', email_verified: 'true' }));
    expect(out.response.claimsAndScopeOverrideDetails?.accessTokenGeneration).toEqual({
      claimsToAddOrOverride: { email: 'a@example.com' },
    });
  });

  it('leaves an unverified e-mail out', async () => {
    const out = await handler(event({ email: 'a@example.com', email_verified: 'false' }));
    expect(out.response.claimsAndScopeOverrideDetails).toBeNull();
  });
});
