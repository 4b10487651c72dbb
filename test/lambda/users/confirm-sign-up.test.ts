import {
  AdminAddUserToGroupCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import type { PostConfirmationTriggerEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { confirmSignUp } from '#lambda/users/confirm-sign-up';

const cognito = new CognitoIdentityProviderClient({ region: 'ap-northeast-2' });
const cognitoMock = mockClient(cognito);

const event = (triggerSource: string) =>
  ({
    version: '1',
    region: 'ap-northeast-2',
    userPoolId: 'ap-northeast-2_POOL',
    userName: '5f0c2a4e-1111-4222-8333-444455556666',
    triggerSource,
    callerContext: { awsSdkVersion: '1', clientId: 'client' },
    request: { userAttributes: { sub: '5f0c2a4e-1111-4222-8333-444455556666', email: 'new@example.com' } },
    response: {},
  }) as PostConfirmationTriggerEvent;

beforeEach(() => cognitoMock.reset());

describe('post-confirmation trigger', () => {
  it('puts a self-registered person in learner, and in no other group', async () => {
    const e = event('PostConfirmation_ConfirmSignUp');
    await expect(confirmSignUp(cognito, e)).resolves.toBe(e);
    expect(cognitoMock.calls()).toHaveLength(1);
    expect(cognitoMock).toHaveReceivedCommandWith(AdminAddUserToGroupCommand, {
      UserPoolId: 'ap-northeast-2_POOL',
      Username: '5f0c2a4e-1111-4222-8333-444455556666',
      GroupName: 'learner',
    });
  });

  it('changes nothing on a confirmed password reset', async () => {
    const e = event('PostConfirmation_ConfirmForgotPassword');
    await expect(confirmSignUp(cognito, e)).resolves.toBe(e);
    expect(cognitoMock.calls()).toHaveLength(0);
  });

  it('fails the trigger when Cognito refuses, so the error is not lost', async () => {
    cognitoMock.on(AdminAddUserToGroupCommand).rejects(new Error('Rate exceeded'));
    await expect(confirmSignUp(cognito, event('PostConfirmation_ConfirmSignUp'))).rejects.toThrow(
      'Rate exceeded',
    );
  });
});
