import { DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import { bearerToken, revokeSession, verifySession } from '#lambda/auth/session-revocation';
import { startIssuer } from './issuer-fixture';

const ddbMock = mockClient(DynamoDBDocumentClient);
const store = {
  ddb: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  tableName: 'auth-flow',
};
const learner = { sub: 'u-1', email: 'l@example.com', roles: ['learner'] as const };
let fixture: Awaited<ReturnType<typeof startIssuer>>;

beforeAll(async () => {
  fixture = await startIssuer();
});
afterAll(() => fixture.close());
beforeEach(() => ddbMock.reset());

describe('bearerToken', () => {
  it('reads the Authorization header as the authorizer does', () => {
    expect(bearerToken({ authorization: 'Bearer abc.def.ghi' })).toBe('abc.def.ghi');
    expect(bearerToken({ authorization: 'bearer abc' })).toBe('abc');
    expect(bearerToken({ authorization: 'Basic abc' })).toBeUndefined();
    expect(bearerToken({})).toBeUndefined();
  });
});

describe('verifySession', () => {
  it('names the sign-in by origin_jti, shared by the tokens refreshed from it', async () => {
    const { access_token } = await fixture.issuer.mintAccessToken(learner, undefined, 'sign-in-1');
    const { exp } = decodeJwt(access_token);
    await expect(verifySession(fixture.verify, access_token)).resolves.toEqual({
      identity: { sub: 'u-1', email: 'l@example.com', roles: ['learner'] },
      session: { id: 'sign-in-1', expiresAt: exp },
    });
  });

  it('falls back to the jti of a token without origin_jti', async () => {
    const token = await fixture.sign({ jti: 'token-7' });
    await expect(verifySession(fixture.verify, token)).resolves.toMatchObject({
      session: { id: 'token-7', expiresAt: decodeJwt(token).exp },
    });
  });

  it.each([
    ['neither origin_jti nor jti', {}],
    ['a jti with a control character', { jti: 'a\u0000b' }],
    ['an origin_jti that is no string', { origin_jti: 7 as unknown as string, jti: 't' }],
    ['an origin_jti longer than 128 characters', { origin_jti: 'x'.repeat(129), jti: 't' }],
  ])('refuses a verified token with %s: it could not be revoked', async (_what, claims) => {
    const token = await fixture.sign(claims);
    await expect(fixture.verify(token)).resolves.toMatchObject({ sub: 'u-1' });
    await expect(verifySession(fixture.verify, token)).rejects.toThrow(/names no session/);
  });

  it('never reads the claims of a token the verifier refuses', async () => {
    const key = await generateKeyPair('RS256');
    const forged = await new SignJWT({ token_use: 'access', client_id: 'local-web', origin_jti: 'victim' })
      .setProtectedHeader({ alg: 'RS256', kid: fixture.issuer.jwks().keys[0]!.kid! })
      .setIssuer(fixture.base)
      .setSubject('u-1')
      .setExpirationTime('5m')
      .sign(key.privateKey);
    await expect(verifySession(fixture.verify, forged)).rejects.toThrow();
  });
});

describe('revokeSession', () => {
  const now = new Date('2026-11-23T10:00:00Z');
  const nowSeconds = now.getTime() / 1000;

  it('marks the session until a token refreshed from it just now would expire', async () => {
    ddbMock.on(PutCommand).resolves({});
    await revokeSession(store, { id: 'sign-in-1', expiresAt: nowSeconds + 60 }, now);
    expect(ddbMock).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(ddbMock).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'auth-flow',
      Item: { pk: 'revoked#sign-in-1', expiresAt: nowSeconds + 15 * 60 },
    });
  });

  it('keeps the marker until the presented token expires when that is later (a longer-lived token)', async () => {
    ddbMock.on(PutCommand).resolves({});
    await revokeSession(store, { id: 'sign-in-1', expiresAt: nowSeconds + 3600 }, now);
    expect(ddbMock).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'auth-flow',
      Item: { pk: 'revoked#sign-in-1', expiresAt: nowSeconds + 3600 },
    });
  });

  it('lets DynamoDB failures surface', async () => {
    ddbMock.on(PutCommand).rejects(new ResourceNotFoundException({ message: 'no table', $metadata: {} }));
    await expect(revokeSession(store, { id: 's', expiresAt: undefined }, now)).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });
});
