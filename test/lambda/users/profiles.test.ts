import {
  AdminGetUserCommand,
  AdminUpdateUserAttributesCommand,
  CognitoIdentityProviderClient,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { mockClient } from 'aws-sdk-client-mock';
import { updateProfileBody } from '#contracts/users';
import { getProfile, NoSuchAccount, updateProfile } from '#lambda/users/profiles';

const cognito = new CognitoIdentityProviderClient({ region: 'ap-northeast-2' });
const cognitoMock = mockClient(cognito);
const deps = { cognito, userPoolId: 'ap-northeast-2_POOL' };
const SUB = '5f0c2a4e-1111-4222-8333-444455556666';

beforeEach(() => cognitoMock.reset());

const attributes = (extra: Record<string, string>) =>
  Object.entries({ sub: SUB, email: 'kim@example.com', ...extra }).map(([Name, Value]) => ({ Name, Value }));

describe('profiles', () => {
  it('reads the caller’s own attributes, absent ones as null', async () => {
    cognitoMock
      .on(AdminGetUserCommand)
      .resolves({ Username: SUB, UserAttributes: attributes({ name: 'Kim' }) });
    await expect(getProfile(deps, SUB)).resolves.toEqual({
      sub: SUB,
      email: 'kim@example.com',
      name: 'Kim',
      phone: null,
      locale: null,
    });
    expect(cognitoMock).toHaveReceivedCommandWith(AdminGetUserCommand, {
      UserPoolId: 'ap-northeast-2_POOL',
      Username: SUB,
    });
  });

  it('writes exactly the fields given, on the caller’s own account', async () => {
    cognitoMock.on(AdminUpdateUserAttributesCommand).resolves({});
    cognitoMock.on(AdminGetUserCommand).resolves({
      Username: SUB,
      UserAttributes: attributes({ phone_number: '+821012345678', locale: 'ko' }),
    });
    const profile = await updateProfile(deps, SUB, { phone: '+821012345678', locale: 'ko' });
    expect(cognitoMock).toHaveReceivedCommandWith(AdminUpdateUserAttributesCommand, {
      UserPoolId: 'ap-northeast-2_POOL',
      Username: SUB,
      UserAttributes: [
        { Name: 'phone_number', Value: '+821012345678' },
        { Name: 'locale', Value: 'ko' },
      ],
    });
    expect(profile).toMatchObject({ phone: '+821012345678', locale: 'ko' });
  });

  it('an account gone since the token was issued is NoSuchAccount', async () => {
    cognitoMock
      .on(AdminGetUserCommand)
      .rejects(new UserNotFoundException({ message: 'User does not exist.', $metadata: {} }));
    await expect(getProfile(deps, SUB)).rejects.toBeInstanceOf(NoSuchAccount);
  });

  it.each([
    [{ phone: '010-1234-5678' }, 'phone'],
    [{ phone: '+0123456789' }, 'phone'],
    [{ locale: 'fr' }, 'locale'],
    [{ name: '   ' }, 'name'],
    [{ name: 'x'.repeat(101) }, 'name'],
    [{ email: 'other@example.com' }, ''],
  ])('refuses %j, naming the field', (body, field) => {
    const parsed = updateProfileBody.safeParse(body);
    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues.map((i) => i.path.join('.'))).toContain(field);
  });

  it('refuses an empty change', () => {
    expect(updateProfileBody.safeParse({}).success).toBe(false);
  });
});
