import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { generateKeyPair, SignJWT } from 'jose';
import { authorizeRequest, type AuthorizeDeps } from '#lambda/auth/session-authorizer';
import { revocationCheck } from '#lambda/auth/session-revocation';
import { createAccessTokenVerifier } from '#contracts/access-token';
import { LOCAL_CLIENT_ID, LocalTokenIssuer } from '#local/token-issuer';
import { apiEvent } from '../event-fixture';

let server: Server;
let issuer: LocalTokenIssuer;
let deps: AuthorizeDeps;
const ddbMock = mockClient(DynamoDBDocumentClient);
const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const learner = { sub: 'u-1', email: 'l@example.com', roles: ['learner'] as const };

beforeAll(async () => {
  // The verifier fetches the JWKS over HTTP, as it fetches Cognito's in AWS.
  server = createServer((_req, res) => res.end(JSON.stringify(issuer.jwks())));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  issuer = await LocalTokenIssuer.create(base);
  deps = {
    verify: createAccessTokenVerifier({
      issuer: base,
      jwksUri: issuer.jwksUri,
      clientIds: [LOCAL_CLIENT_ID],
    }),
    isRevoked: async () => false,
  };
});
afterAll(() => server.close());
beforeEach(() => ddbMock.reset());

const request = (o: Parameters<typeof apiEvent>[0]) => authorizeRequest(deps, apiEvent(o));

describe('authorizeRequest', () => {
  it('accepts the session cookie and passes the identity on', async () => {
    const { access_token } = await issuer.mintAccessToken(learner);
    await expect(request({ cookies: [`lms_access=${access_token}`] })).resolves.toEqual({
      isAuthorized: true,
      context: { sub: 'u-1', email: 'l@example.com', roles: 'learner' },
    });
  });

  it('answers by the cookie alone, which API Gateway caches it by', async () => {
    const mine = await issuer.mintAccessToken(learner);
    const theirs = await issuer.mintAccessToken({ ...learner, sub: 'u-2' });
    const cookies = [`lms_access=${mine.access_token}`, 'other=1'];
    const plain = await request({ cookies });
    // A write from a foreign origin (the routes refuse it), another path, a bearer token beside the cookie:
    // the same answer, which a later request with only the same cookies will be given.
    const variants: Parameters<typeof apiEvent>[0][] = [
      { method: 'POST', headers: { origin: 'https://evil.example.com' } },
      { method: 'DELETE', path: '/elsewhere' },
      { headers: { authorization: `Bearer ${theirs.access_token}` } },
    ];
    for (const o of variants) {
      await expect(request({ ...o, cookies })).resolves.toEqual(plain);
    }
  });

  it('ignores a bearer token: a request without the cookie never reaches it in AWS', async () => {
    const { access_token } = await issuer.mintAccessToken(learner);
    await expect(request({ headers: { authorization: `Bearer ${access_token}` } })).rejects.toThrow(
      'Unauthorized',
    );
  });

  it.each([
    ['no token', async () => ({})],
    [
      'a tampered token',
      async () => ({
        cookies: [`lms_access=${(await issuer.mintAccessToken(learner)).access_token.slice(0, -4)}AAAA`],
      }),
    ],
    [
      'a token for another client',
      async () => ({
        cookies: [`lms_access=${(await issuer.mintAccessToken(learner, 'other-client')).access_token}`],
      }),
    ],
    [
      'a token from another issuer',
      async () => {
        const other = await LocalTokenIssuer.create('https://elsewhere.example.com');
        return {
          cookies: [`lms_access=${(await other.mintAccessToken(learner)).access_token}`],
        };
      },
    ],
    [
      'an ID token',
      async () => {
        const key = await generateKeyPair('RS256');
        const idToken = await new SignJWT({ token_use: 'id' })
          .setProtectedHeader({ alg: 'RS256' })
          .sign(key.privateKey);
        return { cookies: [`lms_access=${idToken}`] };
      },
    ],
  ])('answers Unauthorized to %s', async (_what, make) => {
    await expect(request(await make())).rejects.toThrow('Unauthorized');
  });

  describe('after logout', () => {
    const marker = (id: string) => ({
      TableName: 'auth-flow',
      Key: { pk: `revoked#${id}` },
      ConsistentRead: true,
      ProjectionExpression: 'pk',
    });
    const withStore = () => ({ ...deps, isRevoked: revocationCheck({ ddb, tableName: 'auth-flow' }) });
    const withCookie = (token: string) => apiEvent({ cookies: [`lms_access=${token}`] });

    it('refuses every token of a logged-out sign-in, refreshed ones too, as it refuses an invalid token', async () => {
      ddbMock.on(GetCommand).resolves({});
      ddbMock.on(GetCommand, marker('sign-in-1')).resolves({ Item: { pk: 'revoked#sign-in-1' } });
      const d = withStore();
      const first = await issuer.mintAccessToken(learner, undefined, 'sign-in-1');
      const refreshed = await issuer.mintAccessToken(learner, undefined, 'sign-in-1');
      await expect(authorizeRequest(d, withCookie(first.access_token))).rejects.toThrow('Unauthorized');
      await expect(
        authorizeRequest(d, apiEvent({ cookies: [`lms_access=${refreshed.access_token}`] })),
      ).rejects.toThrow('Unauthorized');
      expect(ddbMock).toHaveReceivedCommandWith(GetCommand, marker('sign-in-1'));

      // The same person's other sign-in is another session.
      const other = await issuer.mintAccessToken(learner, undefined, 'sign-in-2');
      expect((await authorizeRequest(d, withCookie(other.access_token))).isAuthorized).toBe(true);
      expect(ddbMock).toHaveReceivedCommandWith(GetCommand, marker('sign-in-2'));
    });

    it('looks for a marker only once the signature holds', async () => {
      const d = withStore();
      const tampered = `${(await issuer.mintAccessToken(learner)).access_token.slice(0, -4)}AAAA`;
      await expect(authorizeRequest(d, withCookie(tampered))).rejects.toThrow('Unauthorized');
      expect(ddbMock).toHaveReceivedCommandTimes(GetCommand, 0);
    });

    it('admits a verified token when DynamoDB cannot answer, rather than sign everyone out', async () => {
      ddbMock
        .on(GetCommand)
        .rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
      const { access_token } = await issuer.mintAccessToken(learner);
      await expect(authorizeRequest(withStore(), withCookie(access_token))).resolves.toMatchObject({
        isAuthorized: true,
      });
      // A forged token is still refused: only the marker's check is skipped, never the signature's.
      await expect(authorizeRequest(withStore(), withCookie(`${access_token}x`))).rejects.toThrow(
        'Unauthorized',
      );
    });
  });
});
