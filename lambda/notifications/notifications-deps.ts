import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { NOTIFICATIONS } from '#contracts/notifications';
import { documentClient } from '../shared/clients';
import { readEnv } from '../shared/env';
import { tracer } from '../shared/tracer';
import type { InboxDeps } from './inbox';
import type { TellDeps } from './tell';

/** The key changes only when an operator rotates it; an hour's cache spares Secrets Manager. */
const KEY_CACHE_SECONDS = 3600;

const setting = (name: keyof typeof NOTIFICATIONS.env) => process.env[NOTIFICATIONS.env[name]] ?? '';

function unsubscribeKey(): () => Promise<string> {
  const secrets = new SecretsProvider({
    awsSdkV3Client: tracer.captureAWSv3Client(new SecretsManagerClient({})),
  });
  const arn = setting('unsubscribeSecretArn');
  return async () => {
    if (!arn) throw new Error(`Missing environment: ${NOTIFICATIONS.env.unsubscribeSecretArn}`);
    const key = await secrets.get(arn, { maxAge: KEY_CACHE_SECONDS });
    if (typeof key !== 'string' || key.length < 32) throw new Error('The unsubscribe secret holds no key');
    return key;
  };
}

/**
 * The routes' clients and settings, built once per execution environment. Locally the runner points the
 * Secrets Manager client at its stand-in (AWS_ENDPOINT_URL_SECRETS_MANAGER).
 */
export function inboxDeps(): InboxDeps {
  return {
    ddb: documentClient(),
    notificationsTable: readEnv('notificationsTable').notificationsTable,
    unsubscribeKey: unsubscribeKey(),
    now: () => new Date(),
  };
}

/**
 * The consumer's: Cognito for addresses and languages, SES for e-mail (AWS_ENDPOINT_URL_SESV2 locally),
 * and the institution's sender, without which notifications stay in the inbox.
 */
export function tellDeps(): TellDeps {
  const env = readEnv('notificationsTable', 'accessTable', 'userPoolId');
  const sender = setting('sender');
  const configurationSet = setting('configurationSet');
  const replyTo = setting('replyTo');
  const locale = setting('defaultLocale');
  return {
    ddb: documentClient(),
    cognito: tracer.captureAWSv3Client(new CognitoIdentityProviderClient({})),
    ses: tracer.captureAWSv3Client(new SESv2Client({})),
    notificationsTable: env.notificationsTable,
    accessTable: env.accessTable,
    userPoolId: env.userPoolId,
    email: sender
      ? {
          sender,
          ...(replyTo ? { replyTo } : {}),
          ...(configurationSet ? { configurationSet } : {}),
          unsubscribeBaseUrl: setting('unsubscribeBaseUrl'),
          appUrl: setting('appUrl'),
        }
      : undefined,
    unsubscribeKey: unsubscribeKey(),
    defaultLocale: locale === 'en' ? 'en' : 'ko',
    timeZone: setting('timeZone') || 'UTC',
    now: () => new Date(),
  };
}
