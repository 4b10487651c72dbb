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
const APP = 'https://app.example.com';

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
    appOrigins: [APP],
  };
});
afterAll(() => server.close());
beforeEach(() => ddbMock.reset());

const request = (o: Parameters<typeof apiEvent>[0]) => authorizeRequest(deps, apiEvent(o));

describe('authorizeRequest', () => {
  it('accepts a bearer token and passes the identity on', async () => {
    const { access_token } = await issuer.mintAccessToken(learner);
    await expect(request({ headers: { authorization: `Bearer ${access_token}` } })).resolves.toEqual({
      isAuthorized: true,
      context: { sub: 'u-1', email: 'l@example.com', roles: 'learner' },
    });
  });

  it('accepts the session cookie for reads and for writes from the app', async () => {
    const { access_token } = await issuer.mintAccessToken(learner);
    const cookies = [`lms_access=${access_token}`];
    expect((await request({ cookies })).isAuthorized).toBe(true);
    expect((await request({ method: 'POST', cookies, headers: { origin: APP } })).isAuthorized).toBe(true);
  });

  it('refuses cookie-authenticated writes from another origin, or with none', async () => {
    const { access_token } = await issuer.mintAccessToken(learner);
    const cookies = [`lms_access=${access_token}`];
    expect(
      (await request({ method: 'POST', cookies, headers: { origin: 'https://evil.example.com' } }))
        .isAuthorized,
    ).toBe(false);
    expect((await request({ method: 'DELETE', cookies })).isAuthorized).toBe(false);
  });

  it.each([
    ['no token', async () => ({})],
    [
      'a tampered token',
      async () => ({
        headers: {
          authorization: `Bearer ${(await issuer.mintAccessToken(learner)).access_token.slice(0, -4)}AAAA`,
        },
      }),
    ],
    [
      'a token for another client',
      async () => ({
        headers: {
          authorization: `Bearer ${(await issuer.mintAccessToken(learner, 'other-client')).access_token}`,
        },
      }),
    ],
    [
      'a token from another issuer',
      async () => {
        const other = await LocalTokenIssuer.create('https://elsewhere.example.com');
        return {
          headers: { authorization: `Bearer ${(await other.mintAccessToken(learner)).access_token}` },
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
        return { headers: { authorization: `Bearer ${idToken}` } };
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
    const bearer = (token: string) => apiEvent({ headers: { authorization: `Bearer ${token}` } });

    it('refuses every token of a logged-out sign-in, refreshed ones too, as it refuses an invalid token', async () => {
      ddbMock.on(GetCommand).resolves({});
      ddbMock.on(GetCommand, marker('sign-in-1')).resolves({ Item: { pk: 'revoked#sign-in-1' } });
      const d = withStore();
      const first = await issuer.mintAccessToken(learner, undefined, 'sign-in-1');
      const refreshed = await issuer.mintAccessToken(learner, undefined, 'sign-in-1');
      await expect(authorizeRequest(d, bearer(first.access_token))).rejects.toThrow('Unauthorized');
      await expect(
        authorizeRequest(d, apiEvent({ cookies: [`lms_access=${refreshed.access_token}`] })),
      ).rejects.toThrow('Unauthorized');
      expect(ddbMock).toHaveReceivedCommandWith(GetCommand, marker('sign-in-1'));

      // The same person's other sign-in is another session.
      const other = await issuer.mintAccessToken(learner, undefined, 'sign-in-2');
      expect((await authorizeRequest(d, bearer(other.access_token))).isAuthorized).toBe(true);
      expect(ddbMock).toHaveReceivedCommandWith(GetCommand, marker('sign-in-2'));
    });

    it('looks for a marker only once the signature holds', async () => {
      const d = withStore();
      const tampered = `${(await issuer.mintAccessToken(learner)).access_token.slice(0, -4)}AAAA`;
      await expect(authorizeRequest(d, bearer(tampered))).rejects.toThrow('Unauthorized');
      expect(ddbMock).toHaveReceivedCommandTimes(GetCommand, 0);
    });

    it('admits a verified token when DynamoDB cannot answer, rather than sign everyone out', async () => {
      ddbMock
        .on(GetCommand)
        .rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
      const { access_token } = await issuer.mintAccessToken(learner);
      await expect(authorizeRequest(withStore(), bearer(access_token))).resolves.toMatchObject({
        isAuthorized: true,
      });
      // A forged token is still refused: only the marker's check is skipped, never the signature's.
      await expect(authorizeRequest(withStore(), bearer(`${access_token}x`))).rejects.toThrow('Unauthorized');
    });
  });
});
