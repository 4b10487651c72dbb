import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { SESSION } from '#contracts/resources';
import { LOCAL_CLIENT_ID, LocalTokenIssuer } from '#local/token-issuer';

const CALLBACK = 'http://127.0.0.1:3000/auth/callback';

async function signIn(issuer: LocalTokenIssuer) {
  const verifier = 'v'.repeat(43);
  const location = issuer.authorize({
    identity: issuer.findIdentity({ role: 'learner' })!,
    clientId: LOCAL_CLIENT_ID,
    redirectUri: CALLBACK,
    state: 's',
    codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
  });
  const tokens = await issuer.token(
    new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: LOCAL_CLIENT_ID,
      redirect_uri: CALLBACK,
      code: new URL(location).searchParams.get('code')!,
      code_verifier: verifier,
    }),
  );
  if (!('refresh_token' in tokens)) throw new Error('a code grant answers a refresh token');
  return tokens;
}

const refresh = (issuer: LocalTokenIssuer, refreshToken: string) =>
  issuer.token(
    new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: LOCAL_CLIENT_ID,
      refresh_token: refreshToken,
    }),
  );

describe('LocalTokenIssuer', () => {
  it('keeps a sign-in’s origin_jti across refreshes, as Cognito does, with a new jti each time', async () => {
    const issuer = await LocalTokenIssuer.create('http://127.0.0.1:3000/local', [CALLBACK]);
    const first = await signIn(issuer);
    const again = await refresh(issuer, first.refresh_token);
    const [a, b] = [decodeJwt(first.access_token), decodeJwt(again.access_token)];
    expect(a.origin_jti).toEqual(expect.any(String));
    expect(b.origin_jti).toBe(a.origin_jti);
    expect(b.jti).not.toBe(a.jti);

    // Another sign-in of the same person is another session.
    const other = decodeJwt((await signIn(issuer)).access_token);
    expect(other.sub).toBe(a.sub);
    expect(other.origin_jti).not.toBe(a.origin_jti);
  });

  it('issues access tokens for SESSION.accessTokenMinutes, as the api stack configures Cognito', async () => {
    const issuer = await LocalTokenIssuer.create('http://127.0.0.1:3000/local', [CALLBACK]);
    const { access_token, expires_in } = await signIn(issuer);
    const { iat, exp } = decodeJwt(access_token);
    expect(expires_in).toBe(SESSION.accessTokenMinutes * 60);
    expect(exp! - iat!).toBe(SESSION.accessTokenMinutes * 60);
  });
});
