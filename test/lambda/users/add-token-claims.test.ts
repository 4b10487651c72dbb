import {
  AdminAddUserToGroupCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import type { PreTokenGenerationV2TriggerEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { addTokenClaims, handler } from '#lambda/users/add-token-claims';

const cognito = new CognitoIdentityProviderClient({ region: 'ap-northeast-2' });
const cognitoMock = mockClient(cognito);

const event = (attributes: Record<string, string>, groups: string[] = []) =>
  ({
    version: '2',
    region: 'ap-northeast-2',
    userPoolId: 'ap-northeast-2_POOL',
    userName: 'google_1234567890',
    triggerSource: 'TokenGeneration_HostedAuth',
    request: { userAttributes: attributes, groupConfiguration: { groupsToOverride: groups }, scopes: [] },
    response: { claimsAndScopeOverrideDetails: null },
  }) as unknown as PreTokenGenerationV2TriggerEvent;

const federated = {
  sub: 's-1',
  'cognito:user_status': 'EXTERNAL_PROVIDER',
  identities: '[{"providerName":"Google"}]',
};

beforeEach(() => cognitoMock.reset());

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

  it('gives a federated person without a group learner, in the pool and in this token', async () => {
    cognitoMock.on(AdminAddUserToGroupCommand).resolves({});
    const out = await addTokenClaims(
      cognito,
      event({ ...federated, email: 'g@example.com', email_verified: 'true' }),
    );
    expect(cognitoMock.calls()).toHaveLength(1);
    expect(cognitoMock).toHaveReceivedCommandWith(AdminAddUserToGroupCommand, {
      UserPoolId: 'ap-northeast-2_POOL',
      Username: 'google_1234567890',
      GroupName: 'learner',
    });
    expect(out.response.claimsAndScopeOverrideDetails).toEqual({
      accessTokenGeneration: { claimsToAddOrOverride: { email: 'g@example.com' } },
      groupOverrideDetails: { groupsToOverride: ['learner'] },
    });
  });

  it('leaves the groups of a federated person who has one, and of anyone signed up in the pool', async () => {
    const withGroup = await addTokenClaims(cognito, event(federated, ['company-manager']));
    expect(withGroup.response.claimsAndScopeOverrideDetails).toBeNull();
    // A pool user without a group (an admin removed it) gets none back: roles follow memberships.
    const native = await addTokenClaims(cognito, event({ sub: 's-2', 'cognito:user_status': 'CONFIRMED' }));
    expect(native.response.claimsAndScopeOverrideDetails).toBeNull();
    expect(cognitoMock.calls()).toHaveLength(0);
  });

  it('fails the sign-in rather than issue a token without the group it names', async () => {
    cognitoMock.on(AdminAddUserToGroupCommand).rejects(new Error('throttled'));
    await expect(addTokenClaims(cognito, event(federated))).rejects.toThrow('throttled');
  });
});
