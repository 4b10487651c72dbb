import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handleRequest, handler } from '#lambda/vod/create-signing-key';

const secrets = mockClient(SecretsManagerClient);
const SECRET_ARN = 'arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:vod-signing-key-AbCdEf';

/** CloudFormation's presigned response URL, played by a loopback server that keeps what it was sent. */
let server: Server;
let responseUrl: string;
const responses: Record<string, unknown>[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      responses.push({ method: req.method, contentType: req.headers['content-type'], ...JSON.parse(body) });
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  responseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/response`;
});
afterAll(() => server.close());
beforeEach(() => {
  secrets.reset();
  responses.length = 0;
});

function request(
  type: 'Create' | 'Update' | 'Delete',
  properties: { SecretArn?: string } = { SecretArn: SECRET_ARN },
): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: 'arn:aws:lambda:ap-northeast-2:123456789012:function:signing-key',
    ResponseURL: responseUrl,
    StackId: 'arn:aws:cloudformation:ap-northeast-2:123456789012:stack/vod/1',
    RequestId: 'request-1',
    LogicalResourceId: 'SigningKey',
    ResourceType: 'Custom::CloudFrontSigningKey',
    ResourceProperties: { ServiceToken: 'token', ...properties },
  };
  if (type === 'Create') return { ...common, RequestType: 'Create' };
  if (type === 'Update')
    return {
      ...common,
      RequestType: 'Update',
      PhysicalResourceId: 'signing-key-1',
      OldResourceProperties: { ServiceToken: 'token' },
    };
  return { ...common, RequestType: 'Delete', PhysicalResourceId: 'signing-key-1' };
}

/** The public key signs nothing: it verifies what the stored private key signed. */
function pairs(privatePem: string, publicPem: string): boolean {
  const signature = sign('sha256', Buffer.from('policy'), createPrivateKey(privatePem));
  return verify('sha256', Buffer.from('policy'), createPublicKey(publicPem), signature);
}

describe('the playback signing key', () => {
  it('is generated on create into the secret, which held only its placeholder', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: 'x7#placeholder' });
    secrets.on(PutSecretValueCommand).resolves({});
    const result = await handleRequest(request('Create'), new SecretsManagerClient({}));
    const put = secrets.commandCalls(PutSecretValueCommand);
    expect(put).toHaveLength(1);
    const stored = put[0]!.args[0].input;
    expect(stored.SecretId).toBe(SECRET_ARN);
    expect(stored.SecretString).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    const key = createPrivateKey(stored.SecretString!);
    expect([key.asymmetricKeyType, key.asymmetricKeyDetails?.modulusLength]).toEqual(['rsa', 2048]);
    expect(result).toEqual({
      physicalResourceId: 'signing-key-request-1',
      publicKeyPem: expect.stringMatching(/^-----BEGIN PUBLIC KEY-----\n/),
    });
    expect(pairs(stored.SecretString!, (result as { publicKeyPem: string }).publicKeyPem)).toBe(true);
  });

  it('is kept on update: the same public key, the same physical id, nothing written', async () => {
    const { privateKey } = await import('node:crypto').then((c) =>
      c.generateKeyPairSync('rsa', { modulusLength: 2048 }),
    );
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    secrets.on(GetSecretValueCommand).resolves({ SecretString: pem });
    const result = (await handleRequest(request('Update'), new SecretsManagerClient({}))) as {
      physicalResourceId: string;
      publicKeyPem: string;
    };
    expect(secrets.commandCalls(PutSecretValueCommand)).toHaveLength(0);
    expect(result.physicalResourceId).toBe('signing-key-1');
    expect(pairs(pem, result.publicKeyPem)).toBe(true);
  });

  it('is left alone on delete', async () => {
    expect(await handleRequest(request('Delete'), new SecretsManagerClient({}))).toEqual({
      physicalResourceId: 'signing-key-1',
    });
    expect(secrets.calls()).toHaveLength(0);
  });

  it('answers CloudFormation with the public key, and with a reason and no key material on failure', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: 'placeholder' });
    secrets.on(PutSecretValueCommand).resolves({});
    await handler(request('Create'));
    await handler(request('Create', {}));
    expect(responses).toEqual([
      {
        method: 'PUT',
        // Empty, as CDK's own providers send it: fetch would otherwise add text/plain, which the presigned
        // URL's signature does not cover.
        contentType: '',
        Status: 'SUCCESS',
        PhysicalResourceId: 'signing-key-request-1',
        Data: { PublicKeyPem: expect.stringMatching(/^-----BEGIN PUBLIC KEY-----/) },
        StackId: 'arn:aws:cloudformation:ap-northeast-2:123456789012:stack/vod/1',
        RequestId: 'request-1',
        LogicalResourceId: 'SigningKey',
      },
      {
        method: 'PUT',
        contentType: '',
        Status: 'FAILED',
        Reason: 'SecretArn is required',
        PhysicalResourceId: 'signing-key-failed-request-1',
        StackId: 'arn:aws:cloudformation:ap-northeast-2:123456789012:stack/vod/1',
        RequestId: 'request-1',
        LogicalResourceId: 'SigningKey',
      },
    ]);
  });
});
