import { generateKeyPairSync } from 'node:crypto';
import {
  DeletePlaybackKeyPairCommand,
  ImportPlaybackKeyPairCommand,
  IvsClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-ivs';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { logger } from '../shared/observability';
import { answerCloudFormation } from '../shared/cloudformation-response';

/**
 * Custom resource `Custom::IvsPlaybackKeyPair` (the live stack): makes the key pair that signs playback
 * tokens of private IVS channels at deploy time, so a fork configures nothing and no private key sits in the
 * repository or in a template. IVS verifies ES384 tokens, so the pair is EC P-384: the private half
 * (PKCS#8 PEM) goes into the secret named by `SecretArn`, the public half (SPKI PEM) is imported into IVS
 * as `KeyPairName`, tagged with `Tags` (the stack's IAM lets this function delete only key pairs so tagged).
 * The physical id is the imported key pair's ARN, also returned as the attribute `KeyPairArn`.
 *
 * The secret is written before the import: a failed import leaves an unused key in the secret, which the
 * next attempt overwrites, whereas the other order could leave an orphan key pair in IVS, whose quota per
 * account and region is tiny. Update keeps the pair (same physical id, no call), unless `SecretArn` or
 * `Rotation` changed: then a new pair replaces it, and CloudFormation deletes the old one after the deploy.
 * Delete removes the pair from IVS; the secret's own removal policy decides about the private half.
 *
 * CloudFormation invokes this function directly (no provider framework), so it answers CloudFormation
 * itself, on every path: an unanswered request would hold the stack for an hour.
 */

const ivs = new IvsClient({});
const secrets = new SecretsManagerClient({});

/** IVS playback authorization takes ECDSA keys on P-384 (tokens signed ES384). */
const CURVE = 'secp384r1';
/** A physical id of a key pair that exists in IVS, as opposed to one of a request that failed. */
const KEY_PAIR_ARN = /^arn:aws[a-z-]*:ivs:[a-z0-9-]+:\d{12}:playback-key\/[A-Za-z0-9]+$/;

export interface PlaybackKeyClients {
  readonly ivs: IvsClient;
  readonly secrets: SecretsManagerClient;
}

interface KeyProperties {
  readonly secretArn: string;
  readonly keyPairName: string;
  readonly tags: Record<string, string>;
}

/** Generates a pair, stores the private half in the secret, imports the public half; the key pair's ARN. */
export async function createPlaybackKey(clients: PlaybackKeyClients, props: KeyProperties): Promise<string> {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: CURVE });
  await clients.secrets.send(
    new PutSecretValueCommand({
      SecretId: props.secretArn,
      SecretString: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    }),
  );
  const imported = await clients.ivs.send(
    new ImportPlaybackKeyPairCommand({
      name: props.keyPairName,
      publicKeyMaterial: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      tags: props.tags,
    }),
  );
  const arn = imported.keyPair?.arn;
  if (!arn) throw new Error('IVS imported the playback key pair but returned no ARN');
  logger.info('Imported a new playback key pair', { keyPairArn: arn, secretArn: props.secretArn });
  return arn;
}

/** Handles one CloudFormation request; the caller reports the outcome. */
export async function handleRequest(
  event: CloudFormationCustomResourceEvent,
  clients: PlaybackKeyClients,
): Promise<{ readonly physicalResourceId: string; readonly keyPairArn?: string }> {
  if (event.RequestType === 'Delete') {
    // A failed Create answered with a placeholder id: there is nothing in IVS to delete.
    if (KEY_PAIR_ARN.test(event.PhysicalResourceId)) {
      await deleteKeyPair(clients.ivs, event.PhysicalResourceId);
    }
    return { physicalResourceId: event.PhysicalResourceId };
  }
  const props = keyPropertiesOf(event.ResourceProperties);
  if (event.RequestType === 'Update' && KEY_PAIR_ARN.test(event.PhysicalResourceId)) {
    const old = event.OldResourceProperties;
    const replace = old.SecretArn !== props.secretArn || old.Rotation !== event.ResourceProperties.Rotation;
    // Idempotent: a redeploy or a changed name or tag never rotates the key under tokens still in use.
    if (!replace)
      return { physicalResourceId: event.PhysicalResourceId, keyPairArn: event.PhysicalResourceId };
  }
  const keyPairArn = await createPlaybackKey(clients, props);
  return { physicalResourceId: keyPairArn, keyPairArn };
}

export const handler = (event: CloudFormationCustomResourceEvent): Promise<void> =>
  answerCloudFormation(event, 'playback-key', async () => {
    const result = await handleRequest(event, { ivs, secrets });
    return {
      physicalResourceId: result.physicalResourceId,
      ...(result.keyPairArn ? { data: { KeyPairArn: result.keyPairArn } } : {}),
    };
  });

async function deleteKeyPair(client: IvsClient, arn: string): Promise<void> {
  try {
    await client.send(new DeletePlaybackKeyPairCommand({ arn }));
    logger.info('Deleted the playback key pair', { keyPairArn: arn });
  } catch (e) {
    // Deleted by hand, or by an earlier attempt of this request: the outcome asked for holds.
    if (!(e instanceof ResourceNotFoundException)) throw e;
  }
}

function keyPropertiesOf(properties: Record<string, unknown>): KeyProperties {
  const { SecretArn, KeyPairName, Tags } = properties;
  if (typeof SecretArn !== 'string' || SecretArn === '') throw new Error('SecretArn is required');
  if (typeof KeyPairName !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(KeyPairName)) {
    throw new Error('KeyPairName must be 1 to 128 letters, digits, - or _');
  }
  const tags = Tags ?? {};
  if (typeof tags !== 'object' || Object.values(tags).some((v) => typeof v !== 'string')) {
    throw new Error('Tags must map names to strings');
  }
  return { secretArn: SecretArn, keyPairName: KeyPairName, tags: tags as Record<string, string> };
}
