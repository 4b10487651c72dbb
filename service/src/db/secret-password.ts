import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** How long a password read from the secret is reused for new connections. */
export const PASSWORD_TTL_MS = 60_000;

/**
 * The database password as node-postgres asks for it: a function called for every new connection. It reads
 * the secret RDS rotates every 30 days, so tasks keep connecting after a rotation; a password injected
 * once at task start would lock every new connection out until the tasks are replaced. Reads are cached
 * for a minute (the pool opens connections often: idle ones close after 10 s).
 */
export function secretPassword(
  secrets: SecretsManagerClient,
  secretArn: string,
  now: () => number = Date.now,
): () => Promise<string> {
  let cached: { password: string; readAt: number } | undefined;
  return async () => {
    if (cached && now() - cached.readAt < PASSWORD_TTL_MS) return cached.password;
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
    const password = (JSON.parse(SecretString ?? '{}') as { password?: unknown }).password;
    if (typeof password !== 'string') throw new Error('The database secret has no password');
    cached = { password, readAt: now() };
    return password;
  };
}
