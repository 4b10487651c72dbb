import { once } from 'node:events';
import { createServer } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, type JWTPayload } from 'jose';
import { createAccessTokenVerifier } from '#contracts/access-token';
import { LOCAL_CLIENT_ID, LocalTokenIssuer } from '#local/token-issuer';

const TEST_KID = 'test-signer';

/**
 * The local issuer behind a real HTTP server, as Cognito sits behind its domain: the platform verifier fetches
 * its JWKS, and the OAuth client's revoke calls land here, recorded. The JWKS also holds a test key, so a test
 * can sign tokens of any shape (no origin_jti, expired) that the verifier checks like the issuer's.
 */
export async function startIssuer() {
  const revoked: string[] = [];
  const testKey = await generateKeyPair('RS256', { extractable: true });
  const testJwk = { ...(await exportJWK(testKey.publicKey)), kid: TEST_KID, alg: 'RS256', use: 'sig' };
  const server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/oauth2/revoke') {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        revoked.push(new URLSearchParams(body).get('token') ?? '');
        res.end();
      });
      return;
    }
    res.end(JSON.stringify({ keys: [...issuer.jwks().keys, testJwk] }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const issuer = await LocalTokenIssuer.create(base);
  return {
    base,
    issuer,
    /** Refresh tokens revoked at `${base}/oauth2/revoke`, in order. */
    revoked,
    verify: createAccessTokenVerifier({
      issuer: base,
      jwksUri: issuer.jwksUri,
      clientIds: [LOCAL_CLIENT_ID],
    }),
    /** An access token of this issuer with exactly these claims besides the usual ones, valid 5 minutes. */
    sign: (claims: JWTPayload) =>
      new SignJWT({ token_use: 'access', client_id: LOCAL_CLIENT_ID, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: TEST_KID })
        .setIssuer(base)
        .setSubject('u-1')
        .setIssuedAt()
        .setExpirationTime(claims.exp ?? '5m')
        .sign(testKey.privateKey),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
