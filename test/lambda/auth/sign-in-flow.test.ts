import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { completeSignIn, startSignIn, type SignInDeps } from '#lambda/auth/sign-in-flow';
import { HttpError } from '#contracts/problem';

const ddbMock = mockClient(DynamoDBDocumentClient);
const now = new Date('2026-11-23T10:00:00Z');
const deps: SignInDeps = {
  ddb: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  tableName: 'auth-flow',
  oauth: {
    baseUrl: 'https://login.example.com',
    clientId: 'web',
    redirectUri: 'https://api.example.com/auth/callback',
  },
  appOrigins: ['https://app.example.com', 'https://admin.example.com'],
  now: () => now,
};

beforeEach(() => ddbMock.reset());

describe('startSignIn', () => {
  it('stores one-time state with the PKCE verifier and sends the S256 challenge', async () => {
    ddbMock.on(PutCommand).resolves({});
    const { location, cookie } = await startSignIn(deps, { returnTo: '/courses?tab=mine' });
    const url = new URL(location);
    const state = url.searchParams.get('state')!;
    expect(url.origin + url.pathname).toBe('https://login.example.com/oauth2/authorize');
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'web',
      redirect_uri: 'https://api.example.com/auth/callback',
      code_challenge_method: 'S256',
    });
    expect(ddbMock).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(ddbMock).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'auth-flow',
      Item: {
        pk: `signin#${state}`,
        verifier: expect.stringMatching(/^[A-Za-z0-9_-]{64}$/),
        returnTo: 'https://app.example.com/courses?tab=mine',
        expiresAt: now.getTime() / 1000 + 600,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    // The challenge is the SHA-256 of the stored verifier.
    const { verifier } = ddbMock.commandCalls(PutCommand)[0]!.args[0].input.Item as { verifier: string };
    expect(url.searchParams.get('code_challenge')).toBe(
      createHash('sha256').update(verifier).digest('base64url'),
    );
    expect(cookie).toBe(
      `lms_oauth_state=${state}; Max-Age=600; Path=/auth/callback; HttpOnly; Secure; SameSite=Lax`,
    );
  });

  it('refuses to return to a foreign origin and stores nothing', async () => {
    await expect(startSignIn(deps, { returnTo: 'https://evil.example.com/' })).rejects.toMatchObject({
      status: 400,
      errors: [expect.objectContaining({ field: 'query.returnTo' })],
    });
    expect(ddbMock).toHaveReceivedCommandTimes(PutCommand, 0);
  });
});

describe('completeSignIn', () => {
  const input = { code: 'c', state: 's1', stateCookie: 's1' };

  it('refuses a callback whose state is not this browser’s, without consuming it', async () => {
    await expect(completeSignIn(deps, { ...input, stateCookie: 'other' })).rejects.toMatchObject({
      status: 403,
    });
    await expect(completeSignIn(deps, { ...input, stateCookie: undefined })).rejects.toMatchObject({
      status: 403,
    });
    expect(ddbMock).toHaveReceivedCommandTimes(DeleteCommand, 0);
  });

  it('consumes the state atomically and refuses it the second time', async () => {
    ddbMock
      .on(DeleteCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }),
      );
    await expect(completeSignIn(deps, input)).rejects.toMatchObject({
      status: 400,
      detail: expect.stringMatching(/already/),
    });
    expect(ddbMock).toHaveReceivedCommandWith(DeleteCommand, {
      TableName: 'auth-flow',
      Key: { pk: 'signin#s1' },
      ConditionExpression: 'attribute_exists(pk)',
      ReturnValues: 'ALL_OLD',
    });
  });

  it('refuses an expired state that TTL has not swept yet', async () => {
    ddbMock.on(DeleteCommand).resolves({
      Attributes: {
        pk: 'signin#s1',
        verifier: 'v',
        returnTo: 'https://app.example.com/',
        expiresAt: now.getTime() / 1000 - 1,
      },
    });
    await expect(completeSignIn(deps, input)).rejects.toMatchObject({
      status: 400,
      detail: expect.stringMatching(/expired/),
    });
  });

  it('lets DynamoDB failures surface as errors, not as refusals', async () => {
    ddbMock
      .on(DeleteCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    const error = await completeSignIn(deps, input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(error).not.toBeInstanceOf(HttpError);
  });
});
