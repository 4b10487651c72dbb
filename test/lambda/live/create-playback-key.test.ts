import { createPrivateKey, createPublicKey } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import {
  DeletePlaybackKeyPairCommand,
  ImportPlaybackKeyPairCommand,
  IvsClient,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-ivs';
import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { jwtVerify, SignJWT } from 'jose';
import { handleRequest, handler } from '#lambda/live/create-playback-key';

const ivs = mockClient(IvsClient);
const secrets = mockClient(SecretsManagerClient);
const clients = () => ({ ivs: new IvsClient({}), secrets: new SecretsManagerClient({}) });

const SECRET_ARN = 'arn:aws:secretsmanager:ap-northeast-2:123456789012:secret:live-playback-key-AbCdEf';
const KEY_PAIR_ARN = 'arn:aws:ivs:ap-northeast-2:123456789012:playback-key/AbCd1234EfGh';
const NEW_KEY_PAIR_ARN = 'arn:aws:ivs:ap-northeast-2:123456789012:playback-key/ZyXw9876VuTs';
const PROPERTIES = {
  SecretArn: SECRET_ARN,
  KeyPairName: 'lms-demo-dev-playback',
  Tags: { 'lms:live-owner': 'lms-demo-dev' },
};

/** CloudFormation's presigned response URL, played by a loopback server that keeps what it was sent. */
let server: Server;
let responseUrl: string;
const responses: Record<string, unknown>[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      responses.push({ contentType: req.headers['content-type'], ...JSON.parse(body) });
      res.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  responseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/response`;
});
afterAll(() => server.close());
beforeEach(() => {
  ivs.reset();
  secrets.reset();
  responses.length = 0;
});

function request(
  type: 'Create' | 'Update' | 'Delete',
  properties: Record<string, unknown> = PROPERTIES,
  old: Record<string, unknown> = PROPERTIES,
  physicalResourceId = KEY_PAIR_ARN,
): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: 'arn:aws:lambda:ap-northeast-2:123456789012:function:playback-key',
    ResponseURL: responseUrl,
    StackId: 'arn:aws:cloudformation:ap-northeast-2:123456789012:stack/live/1',
    RequestId: 'request-1',
    LogicalResourceId: 'PlaybackKey',
    ResourceType: 'Custom::IvsPlaybackKeyPair',
    ResourceProperties: { ServiceToken: 'token', ...properties },
  };
  if (type === 'Create') return { ...common, RequestType: 'Create' };
  if (type === 'Update') {
    return {
      ...common,
      RequestType: 'Update',
      PhysicalResourceId: physicalResourceId,
      OldResourceProperties: { ServiceToken: 'token', ...old },
    };
  }
  return { ...common, RequestType: 'Delete', PhysicalResourceId: physicalResourceId };
}

/** What went into the secret and what was imported into IVS, from the mocks' calls. */
function stored() {
  const [put] = secrets.commandCalls(PutSecretValueCommand);
  const [imported] = ivs.commandCalls(ImportPlaybackKeyPairCommand);
  return { put: put!.args[0].input, imported: imported!.args[0].input };
}

describe('the live playback key pair', () => {
  it('is generated on create: the private half into the secret, the public half imported into IVS', async () => {
    secrets.on(PutSecretValueCommand).resolves({});
    ivs.on(ImportPlaybackKeyPairCommand).resolves({ keyPair: { arn: KEY_PAIR_ARN } });
    const result = await handleRequest(request('Create'), clients());
    expect(result).toEqual({ physicalResourceId: KEY_PAIR_ARN, keyPairArn: KEY_PAIR_ARN });

    const { put, imported } = stored();
    expect(put.SecretId).toBe(SECRET_ARN);
    expect(put.SecretString).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    expect(imported).toEqual({
      name: 'lms-demo-dev-playback',
      publicKeyMaterial: expect.stringMatching(
        /^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/,
      ),
      tags: { 'lms:live-owner': 'lms-demo-dev' },
    });
    const privateKey = createPrivateKey(put.SecretString!);
    expect([privateKey.asymmetricKeyType, privateKey.asymmetricKeyDetails?.namedCurve]).toEqual([
      'ec',
      'secp384r1',
    ]);
    // The public half in IVS verifies an ES384 playback token signed with what the secret holds.
    const token = await new SignJWT({
      'aws:channel-arn': 'arn:aws:ivs:ap-northeast-2:123456789012:channel/x',
    })
      .setProtectedHeader({ alg: 'ES384', typ: 'JWT' })
      .setExpirationTime('10m')
      .sign(privateKey);
    const { payload } = await jwtVerify(token, createPublicKey(imported.publicKeyMaterial!), {
      algorithms: ['ES384'],
    });
    expect(payload['aws:channel-arn']).toBe('arn:aws:ivs:ap-northeast-2:123456789012:channel/x');
    // Written before the import, so a failed import can orphan nothing in IVS.
    const importCall = ivs.commandCalls(ImportPlaybackKeyPairCommand)[0]!;
    expect(secrets.commandCalls(PutSecretValueCommand)[0]!.calledBefore(importCall)).toBe(true);
  });

  it('makes a different pair on every create', async () => {
    secrets.on(PutSecretValueCommand).resolves({});
    ivs.on(ImportPlaybackKeyPairCommand).resolves({ keyPair: { arn: KEY_PAIR_ARN } });
    await handleRequest(request('Create'), clients());
    await handleRequest(request('Create'), clients());
    const [a, b] = ivs
      .commandCalls(ImportPlaybackKeyPairCommand)
      .map((c) => c.args[0].input.publicKeyMaterial);
    expect(a).not.toEqual(b);
  });

  it('is kept on update: the same physical id, no call to IVS or Secrets Manager', async () => {
    const changedName = { ...PROPERTIES, KeyPairName: 'renamed', Tags: { other: 'tag' } };
    expect(await handleRequest(request('Update', changedName), clients())).toEqual({
      physicalResourceId: KEY_PAIR_ARN,
      keyPairArn: KEY_PAIR_ARN,
    });
    expect(ivs.calls()).toHaveLength(0);
    expect(secrets.calls()).toHaveLength(0);
  });

  it.each([
    ['the rotation number changes', { ...PROPERTIES, Rotation: '2' }, { ...PROPERTIES, Rotation: '1' }],
    ['the secret is a new one', { ...PROPERTIES, SecretArn: `${SECRET_ARN}-new` }, PROPERTIES],
  ])('is replaced on update when %s', async (_, properties, old) => {
    secrets.on(PutSecretValueCommand).resolves({});
    ivs.on(ImportPlaybackKeyPairCommand).resolves({ keyPair: { arn: NEW_KEY_PAIR_ARN } });
    // A new physical id: CloudFormation then deletes the old pair once the deploy succeeded.
    expect(await handleRequest(request('Update', properties, old), clients())).toEqual({
      physicalResourceId: NEW_KEY_PAIR_ARN,
      keyPairArn: NEW_KEY_PAIR_ARN,
    });
    expect(stored().put.SecretId).toBe(properties.SecretArn);
  });

  it('is deleted from IVS on delete, and a pair already gone is no failure', async () => {
    ivs.on(DeletePlaybackKeyPairCommand).resolvesOnce({});
    await handleRequest(request('Delete'), clients());
    expect(ivs).toHaveReceivedCommandWith(DeletePlaybackKeyPairCommand, { arn: KEY_PAIR_ARN });

    ivs
      .on(DeletePlaybackKeyPairCommand)
      .rejects(new ResourceNotFoundException({ message: 'gone', $metadata: {} }));
    await expect(handleRequest(request('Delete'), clients())).resolves.toEqual({
      physicalResourceId: KEY_PAIR_ARN,
    });
  });

  it('deletes nothing for a create that had failed', async () => {
    const failed = request('Delete', PROPERTIES, PROPERTIES, 'playback-key-failed-request-0');
    await handleRequest(failed, clients());
    expect(ivs.calls()).toHaveLength(0);
  });

  it('answers CloudFormation with the ARN, and with a reason and no key material on failure', async () => {
    secrets.on(PutSecretValueCommand).resolves({});
    ivs
      .on(ImportPlaybackKeyPairCommand)
      .resolvesOnce({ keyPair: { arn: KEY_PAIR_ARN } })
      .rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
    await handler(request('Create'));
    await handler(request('Create'));
    await handler(request('Create', { SecretArn: SECRET_ARN, KeyPairName: 'no spaces allowed' }));
    const common = {
      contentType: '',
      StackId: 'arn:aws:cloudformation:ap-northeast-2:123456789012:stack/live/1',
      RequestId: 'request-1',
      LogicalResourceId: 'PlaybackKey',
    };
    expect(responses).toEqual([
      { ...common, Status: 'SUCCESS', PhysicalResourceId: KEY_PAIR_ARN, Data: { KeyPairArn: KEY_PAIR_ARN } },
      {
        ...common,
        Status: 'FAILED',
        Reason: 'Rate exceeded',
        PhysicalResourceId: 'playback-key-failed-request-1',
      },
      {
        ...common,
        Status: 'FAILED',
        Reason: 'KeyPairName must be 1 to 128 letters, digits, - or _',
        PhysicalResourceId: 'playback-key-failed-request-1',
      },
    ]);
    expect(JSON.stringify(responses)).not.toMatch(/PRIVATE KEY/);
  });

  it('fails a delete on any other SDK error, so CloudFormation does not forget a pair still in IVS', async () => {
    ivs
      .on(DeletePlaybackKeyPairCommand)
      .rejects(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
    await handler(request('Delete'));
    expect(responses).toEqual([
      expect.objectContaining({
        Status: 'FAILED',
        Reason: 'Rate exceeded',
        PhysicalResourceId: KEY_PAIR_ARN,
      }),
    ]);
  });
});
