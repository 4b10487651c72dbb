import { createHash } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  ProvisionedThroughputExceededException,
} from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { decodeJwt } from 'jose';
import {
  completeSignIn,
  endSession,
  resolveReturnTo,
  startSignIn,
  type EndSessionDeps,
  type SignInDeps,
} from '#lambda/auth/sign-in-flow';
import { HttpError } from '#contracts/problem';
import { SESSION } from '#contracts/resources';
import { LocalTokenIssuer } from '#local/token-issuer';
import { startIssuer } from './issuer-fixture';

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

/*
 * Where sign-in may send the browser back, for the forms a WHATWG URL parser (every browser's, and Node's)
 * accepts: backslashes read as slashes, tabs and newlines dropped, leading spaces and C0 controls trimmed,
 * userinfo, scheme-relative and scheme-only forms, full-width and ideographic look-alikes, default ports and
 * case. A refusal is 400 naming query.returnTo; an answer stays on one of the app's origins.
 */
describe('resolveReturnTo', () => {
  const origins = ['https://app.example.com', 'https://admin.example.com'];
  const refused = Symbol('refused');
  const cases: [string, string | typeof refused][] = [
    ['/courses?tab=mine', 'https://app.example.com/courses?tab=mine'],
    ['/', 'https://app.example.com/'],
    ['courses', 'https://app.example.com/courses'],
    ['?q=1#top', 'https://app.example.com/?q=1#top'],
    ['/%2f/evil.example', 'https://app.example.com/%2f/evil.example'],
    ['/.//evil.example', 'https://app.example.com//evil.example'],
    ['/\u0000/evil.example', 'https://app.example.com/%00/evil.example'],
    ['／／evil.example', 'https://app.example.com/%EF%BC%8F%EF%BC%8Fevil.example'],
    ['https:evil.example', 'https://app.example.com/evil.example'],
    ['https://admin.example.com/reports', 'https://admin.example.com/reports'],
    ['HTTPS://APP.EXAMPLE.COM/X', 'https://app.example.com/X'],
    ['https://app.example.com:443/x', 'https://app.example.com/x'],
    ['//evil.example', refused],
    ['///evil.example', refused],
    ['////evil.example/x', refused],
    ['/\\evil.example', refused],
    ['\\/evil.example', refused],
    ['\\\\evil.example', refused],
    ['/\t/evil.example', refused],
    ['/\n/evil.example', refused],
    ['/\r\n/evil.example', refused],
    ['\t//evil.example', refused],
    [' //evil.example', refused],
    ['\u0000//evil.example', refused],
    ['\u001f//evil.example', refused],
    ['https://evil.example/', refused],
    ['http://app.example.com/', refused],
    ['https://app.example.com:8443/', refused],
    ['https://app.example.com.evil.example/', refused],
    ['https://app.example.com@evil.example/', refused],
    ['https://app.example.com%40evil.example/', refused],
    ['https://evil.example\\@app.example.com/', refused],
    ['https://evil.example#@app.example.com/', refused],
    ['https://evil\u3002example/', refused],
    ['https://ａｐｐ.example.com.evil.example/', refused],
    ['javascript:alert(1)', refused],
    ['data:text/html,<script>alert(1)</script>', refused],
    ['blob:https://app.example.com/x', refused],
    ['http:', refused],
  ];

  it.each(cases)('%j', (input, expected) => {
    if (expected === refused) {
      expect(() => resolveReturnTo(input, origins)).toThrow(HttpError);
      try {
        resolveReturnTo(input, origins);
      } catch (e) {
        expect(e).toMatchObject({
          status: 400,
          errors: [expect.objectContaining({ field: 'query.returnTo' })],
        });
      }
    } else {
      expect(resolveReturnTo(input, origins)).toBe(expected);
    }
  });

  it('leaves, as a browser would read the answer, only for an app origin', () => {
    for (const [input, expected] of cases) {
      if (expected === refused) continue;
      expect(origins).toContain(new URL(resolveReturnTo(input, origins)).origin);
    }
  });

  it('reads a scheme-only URL by the base’s scheme: on an http app it names another host', () => {
    expect(resolveReturnTo('http:evil.example', ['http://localhost:3000'])).toBe(
      'http://localhost:3000/evil.example',
    );
    expect(() => resolveReturnTo('https:evil.example', ['http://localhost:3000'])).toThrow(HttpError);
  });

  it('compares origins as a parser writes them, whatever the config’s spelling', () => {
    expect(resolveReturnTo('/x', ['HTTPS://App.Example.com/'])).toBe('https://app.example.com/x');
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

describe('endSession', () => {
  let fixture: Awaited<ReturnType<typeof startIssuer>>;
  let endDeps: EndSessionDeps;
  // Real time: the verifier checks expiry against the clock. Each test logs out after minting its tokens,
  // as a person does (a logout before the mint would mark a shorter time than a token minted a second later).
  let logoutAt = new Date();
  const markedUntil = () => Math.ceil(logoutAt.getTime() / 1000) + SESSION.accessTokenMinutes * 60;
  const learner = { sub: 'u-1', email: 'l@example.com', roles: ['learner'] as const };
  const clearedCookies = [
    'lms_access=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax',
    'lms_refresh=; Max-Age=0; Path=/auth; HttpOnly; Secure; SameSite=Lax',
  ];

  beforeAll(async () => {
    fixture = await startIssuer();
    endDeps = {
      ddb: deps.ddb,
      tableName: 'auth-flow',
      oauth: { ...deps.oauth, baseUrl: fixture.base },
      verify: fixture.verify,
      now: () => logoutAt,
    };
  });
  afterAll(() => fixture.close());
  beforeEach(() => fixture.revoked.splice(0));

  it('revokes the refresh token and marks the access token’s sign-in revoked until its tokens expire', async () => {
    ddbMock.on(PutCommand).resolves({});
    const { access_token } = await fixture.issuer.mintAccessToken(learner, undefined, 'sign-in-1');
    logoutAt = new Date();
    const cookies = await endSession(endDeps, {
      refreshToken: 'r-1',
      accessTokens: [undefined, access_token],
    });
    expect(cookies).toEqual(clearedCookies);
    expect(fixture.revoked).toEqual(['r-1']);
    expect(ddbMock).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(ddbMock).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'auth-flow',
      Item: { pk: 'revoked#sign-in-1', expiresAt: markedUntil() },
    });
    expect(markedUntil()).toBeGreaterThanOrEqual(decodeJwt(access_token).exp!);
  });

  it('marks the session of a bearer token, once when the cookie holds a token of the same sign-in', async () => {
    ddbMock.on(PutCommand).resolves({});
    const first = await fixture.issuer.mintAccessToken(learner, undefined, 'sign-in-2');
    const refreshed = await fixture.issuer.mintAccessToken(learner, undefined, 'sign-in-2');
    logoutAt = new Date();
    await endSession(endDeps, {
      refreshToken: undefined,
      accessTokens: [first.access_token, refreshed.access_token],
    });
    expect(fixture.revoked).toEqual([]);
    expect(ddbMock).toHaveReceivedCommandTimes(PutCommand, 1);
    expect(ddbMock).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'auth-flow',
      Item: { pk: 'revoked#sign-in-2', expiresAt: markedUntil() },
    });
  });

  it.each([
    ['no access token', async () => undefined],
    ['a garbage access token', async () => 'not.a.jwt'],
    [
      'an expired access token',
      async () => {
        const token = await fixture.sign({
          origin_jti: 'sign-in-3',
          exp: Math.floor(Date.now() / 1000) - 60,
        });
        await expect(fixture.verify(token)).rejects.toThrow(/expired/);
        return token;
      },
    ],
    [
      'a token signed by someone else, naming another person’s sign-in',
      async () => {
        const other = await LocalTokenIssuer.create(fixture.base);
        return (await other.mintAccessToken(learner, undefined, 'victim')).access_token;
      },
    ],
  ])(
    'with %s, still revokes the refresh token and clears the cookies, marking nothing',
    async (_what, token) => {
      const cookies = await endSession(endDeps, { refreshToken: 'r-2', accessTokens: [await token()] });
      expect(cookies).toEqual(clearedCookies);
      expect(fixture.revoked).toEqual(['r-2']);
      expect(ddbMock).toHaveReceivedCommandTimes(PutCommand, 0);
    },
  );

  it('fails when the marker cannot be written, after revoking the refresh token all the same', async () => {
    ddbMock
      .on(PutCommand)
      .rejects(new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} }));
    const { access_token } = await fixture.issuer.mintAccessToken(learner);
    await expect(
      endSession(endDeps, { refreshToken: 'r-3', accessTokens: [access_token] }),
    ).rejects.toBeInstanceOf(ProvisionedThroughputExceededException);
    expect(fixture.revoked).toEqual(['r-3']);
  });
});
