import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { logger } from '../shared/observability';
import { answerCloudFormation } from '../shared/cloudformation-response';

/**
 * Custom resource `Custom::CloudFrontSigningKey` (the vod stack): makes the RSA key pair that signs playback
 * cookies at deploy time, so a fork configures nothing and no private key sits in the repository or in a
 * template. The private key (PKCS#8 PEM) goes into the secret named by `SecretArn`; only the public key
 * (SPKI PEM, the format CloudFront's public keys take) is returned, as the attribute `PublicKeyPem`.
 *
 * Create and Update reuse the key already in the secret and generate one only when the secret holds none
 * (a new secret starts with a random placeholder), so a redeploy or a retried request never rotates the key
 * under signed cookies that are still valid. Delete keeps it: the secret's own removal policy decides.
 *
 * CloudFormation invokes this function directly (no provider framework), so it answers CloudFormation
 * itself, on every path: an unanswered request would hold the stack for an hour.
 */

const secrets = new SecretsManagerClient({});

/** CloudFront trusted key groups accept RSA 2048-bit public keys. */
const MODULUS_LENGTH = 2048;

export interface SigningKeyResult {
  readonly physicalResourceId: string;
  readonly publicKeyPem: string;
}

/** The public half of the key in the secret, creating and storing a key pair first if it holds none. */
export async function ensureSigningKey(client: SecretsManagerClient, secretArn: string): Promise<string> {
  const current = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
  const existing = privateKeyIn(current.SecretString);
  if (existing) return publicPemOf(existing);

  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: MODULUS_LENGTH });
  await client.send(
    new PutSecretValueCommand({
      SecretId: secretArn,
      SecretString: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    }),
  );
  logger.info('Generated a new playback signing key', { secretArn });
  return publicPemOf(publicKey);
}

/** Handles one CloudFormation request; the caller reports the outcome. */
export async function handleRequest(
  event: CloudFormationCustomResourceEvent,
  client: SecretsManagerClient,
): Promise<SigningKeyResult | { readonly physicalResourceId: string }> {
  if (event.RequestType === 'Delete') return { physicalResourceId: event.PhysicalResourceId };
  const secretArn = event.ResourceProperties.SecretArn;
  if (typeof secretArn !== 'string' || secretArn === '') throw new Error('SecretArn is required');
  const publicKeyPem = await ensureSigningKey(client, secretArn);
  return {
    // Stable across updates: a changed physical id would make CloudFormation delete the "old" resource.
    physicalResourceId:
      event.RequestType === 'Update' ? event.PhysicalResourceId : `signing-key-${event.RequestId}`,
    publicKeyPem,
  };
}

export const handler = (event: CloudFormationCustomResourceEvent): Promise<void> =>
  answerCloudFormation(event, 'signing-key', async () => {
    const result = await handleRequest(event, secrets);
    return {
      physicalResourceId: result.physicalResourceId,
      ...('publicKeyPem' in result ? { data: { PublicKeyPem: result.publicKeyPem } } : {}),
    };
  });

/** The private key in a secret's value, or undefined when it holds something else (the placeholder). */
function privateKeyIn(secretString: string | undefined): KeyObject | undefined {
  if (!secretString?.includes('PRIVATE KEY-----')) return undefined;
  try {
    const key = createPrivateKey(secretString);
    return key.asymmetricKeyType === 'rsa' ? key : undefined;
  } catch {
    return undefined;
  }
}

/** The SPKI PEM of a public key, or of a private key's public half. */
function publicPemOf(key: KeyObject): string {
  const publicKey = key.type === 'public' ? key : createPublicKey(key);
  return publicKey.export({ type: 'spki', format: 'pem' }).toString();
}
