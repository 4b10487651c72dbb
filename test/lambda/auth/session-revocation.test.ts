import {
  DynamoDBClient,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import {
  bearerToken,
  REVOCATION_CACHE_MS,
  revocationCheck,
  revokeSession,
  verifySession,
} from '#lambda/auth/session-revocation';
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

describe('revocationCheck', () => {
  const read = (id: string) => ({
    TableName: 'auth-flow',
    Key: { pk: `revoked#${id}` },
    ConsistentRead: true,
    ProjectionExpression: 'pk',
  });

  it('answers revoked for a marked session and not for another', async () => {
    ddbMock.on(GetCommand, read('gone')).resolves({ Item: { pk: 'revoked#gone' } });
    ddbMock.on(GetCommand, read('live')).resolves({});
    const isRevoked = revocationCheck(store);
    await expect(isRevoked('gone')).resolves.toBe(true);
    await expect(isRevoked('live')).resolves.toBe(false);
    expect(ddbMock).toHaveReceivedCommandWith(GetCommand, read('gone'));
    expect(ddbMock).toHaveReceivedCommandWith(GetCommand, read('live'));
  });

  it('reuses either answer for REVOCATION_CACHE_MS, then asks again', async () => {
    let clock = 1_000_000;
    ddbMock.on(GetCommand).resolves({});
    const isRevoked = revocationCheck({ ...store, now: () => clock });
    await expect(isRevoked('s')).resolves.toBe(false);
    // Logged out meanwhile: this environment keeps its answer for the cache's lifetime, no longer.
    ddbMock.on(GetCommand).resolves({ Item: { pk: 'revoked#s' } });
    clock += REVOCATION_CACHE_MS - 1;
    await expect(isRevoked('s')).resolves.toBe(false);
    expect(ddbMock).toHaveReceivedCommandTimes(GetCommand, 1);
    clock += 1;
    await expect(isRevoked('s')).resolves.toBe(true);
    expect(ddbMock).toHaveReceivedCommandTimes(GetCommand, 2);
    // A revoked answer is cached too, so a revoked token replayed in a loop costs one read per period.
    clock += REVOCATION_CACHE_MS - 1;
    await expect(isRevoked('s')).resolves.toBe(true);
    expect(ddbMock).toHaveReceivedCommandTimes(GetCommand, 2);
    expect(REVOCATION_CACHE_MS).toBeLessThanOrEqual(5000);
  });

  it('remembers at most maxEntries sessions, forgetting the oldest answer first', async () => {
    ddbMock.on(GetCommand).resolves({});
    const isRevoked = revocationCheck({ ...store, maxEntries: 2, now: () => 0 });
    await isRevoked('a');
    await isRevoked('b');
    await isRevoked('c'); // evicts a
    await isRevoked('b');
    expect(ddbMock).toHaveReceivedCommandTimes(GetCommand, 3);
    await isRevoked('a');
    expect(ddbMock).toHaveReceivedCommandTimes(GetCommand, 4);
  });

  it('lets DynamoDB failures surface, and caches nothing for them', async () => {
    ddbMock
      .on(GetCommand)
      .rejectsOnce(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }))
      .resolves({ Item: { pk: 'revoked#s' } });
    const isRevoked = revocationCheck({ ...store, now: () => 0 });
    await expect(isRevoked('s')).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
    await expect(isRevoked('s')).resolves.toBe(true);
  });
});
