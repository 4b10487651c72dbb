import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { PASSWORD_TTL_MS, secretPassword } from '#service/db/secret-password';

const ARN = 'arn:aws:secretsmanager:eu-central-1:123456789012:secret:db-AbCdEf';
const secrets = mockClient(SecretsManagerClient);

describe('rotating database password', () => {
  beforeEach(() => secrets.reset());

  it('reads the password from the secret, reuses it for a minute, then reads the rotated one', async () => {
    let now = 0;
    secrets
      .on(GetSecretValueCommand, { SecretId: ARN })
      .resolvesOnce({ SecretString: JSON.stringify({ username: 'lms_admin', password: 'before' }) })
      .resolvesOnce({ SecretString: JSON.stringify({ username: 'lms_admin', password: 'after' }) });
    const password = secretPassword(new SecretsManagerClient({}), ARN, () => now);
    expect(await password()).toBe('before');
    now += PASSWORD_TTL_MS - 1;
    expect(await password()).toBe('before');
    expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    now += 1;
    expect(await password()).toBe('after');
    expect(secrets.commandCalls(GetSecretValueCommand)[1]!.args[0].input).toEqual({ SecretId: ARN });
  });

  it('fails the connection plainly when the secret has no password', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: '{"username":"x"}' });
    await expect(secretPassword(new SecretsManagerClient({}), ARN)()).rejects.toThrow(
      'The database secret has no password',
    );
  });
});
