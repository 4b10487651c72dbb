import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { type Role, SESSION } from '#contracts/resources';
import { DEMO_IDENTITIES, type DemoIdentity } from './demo-identities';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export const LOCAL_CLIENT_ID = 'local-web';
const ACCESS_TOKEN_SECONDS = SESSION.accessTokenMinutes * 60;
const CODE_SECONDS = 300;

export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    description: string,
  ) {
    super(description);
  }
}

/** Who a token is for: the claims the issuer needs. */
export type TokenSubject = Pick<DemoIdentity, 'sub' | 'email' | 'roles'>;

/**
 * Where the issuer reads who someone is now (the local Cognito): at every code exchange and refresh, so a
 * group given or taken shows in the next token, as with Cognito. Undefined: the user is gone.
 */
export type PeopleLookup = (sub: string) => Promise<TokenSubject | undefined>;

/** What a refresh token stands for: who signed in, and that sign-in's `origin_jti`. */
interface SignIn {
  readonly identity: TokenSubject;
  readonly originJti: string;
}

interface PendingCode {
  readonly identity: TokenSubject;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly expiresAt: number;
}

/**
 * Stands in for Cognito in `npm start`: an RS256 key made at start, a JWKS, access tokens shaped like
 * Cognito's (token_use, client_id, cognito:groups, email, jti, origin_jti), and the OAuth 2.0 endpoints the
 * sign-in routes call (authorize with PKCE, token, revoke). Codes are single-use; refresh tokens can be
 * revoked.
 */
export class LocalTokenIssuer {
  private readonly codes = new Map<string, PendingCode>();
  private readonly refreshTokens = new Map<string, SignIn>();
  private lookUp: PeopleLookup = async (sub) => DEMO_IDENTITIES.find((d) => d.sub === sub);

  private constructor(
    readonly issuer: string,
    private readonly privateKey: PrivateKey,
    private readonly publicJwk: JWK,
    private readonly callbackUrls: readonly string[],
  ) {}

  /**
   * @param callbackUrls the app client's registered callback URLs: as Cognito does, the issuer sends codes
   * only to one of these, exactly as written (none: nothing may sign in through the authorize endpoint).
   */
  static async create(issuer: string, callbackUrls: readonly string[] = []): Promise<LocalTokenIssuer> {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = await exportJWK(publicKey);
    return new LocalTokenIssuer(
      issuer,
      privateKey,
      { ...jwk, kid: randomUUID(), alg: 'RS256', use: 'sig' },
      callbackUrls,
    );
  }

  /** Reads people from the local Cognito instead of the demo list. */
  lookUpPeopleWith(lookUp: PeopleLookup): void {
    this.lookUp = lookUp;
  }

  /** AdminUserGlobalSignOut: every refresh token of the user stops working, as Cognito revokes them. */
  signOutEverywhere(sub: string): void {
    for (const [token, signIn] of this.refreshTokens)
      if (signIn.identity.sub === sub) this.refreshTokens.delete(token);
  }

  get jwksUri(): string {
    return `${this.issuer}/.well-known/jwks.json`;
  }

  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  /**
   * @param originJti the sign-in the token belongs to: as with Cognito (token revocation on), every access
   * token refreshed from one refresh token carries its sign-in's `origin_jti`, and each its own `jti`.
   */
  async mintAccessToken(
    identity: TokenSubject,
    clientId = LOCAL_CLIENT_ID,
    originJti: string = randomUUID(),
  ) {
    const token = await new SignJWT({
      token_use: 'access',
      client_id: clientId,
      scope: 'openid email profile',
      username: identity.sub,
      email: identity.email,
      'cognito:groups': [...identity.roles],
      jti: randomUUID(),
      origin_jti: originJti,
    })
      .setProtectedHeader({ alg: 'RS256', kid: this.publicJwk.kid! })
      .setIssuer(this.issuer)
      .setSubject(identity.sub)
      .setIssuedAt()
      .setExpirationTime(`${ACCESS_TOKEN_SECONDS}s`)
      .sign(this.privateKey);
    return { access_token: token, token_type: 'Bearer', expires_in: ACCESS_TOKEN_SECONDS };
  }

  /** The demo identity for an id, or else the first one holding a role. */
  findIdentity(q: { identity?: string | undefined; role?: Role | undefined }): DemoIdentity | undefined {
    if (q.identity) return DEMO_IDENTITIES.find((d) => d.id === q.identity);
    if (q.role) return DEMO_IDENTITIES.find((d) => d.roles.includes(q.role!));
    return undefined;
  }

  /** The user signed in as `identity` on the sign-in page: issue a one-time code bound to the PKCE challenge. */
  authorize(p: {
    identity: TokenSubject;
    clientId: string;
    redirectUri: string;
    state: string;
    codeChallenge: string;
  }): string {
    if (p.clientId !== LOCAL_CLIENT_ID) throw new OAuthError(400, 'invalid_client', 'unknown client_id');
    // Cognito answers an unregistered redirect_uri with an error page, never a redirect to it.
    if (!this.callbackUrls.includes(p.redirectUri))
      throw new OAuthError(400, 'redirect_mismatch', 'redirect_uri is not a callback URL of this client');
    const code = randomBytes(24).toString('base64url');
    this.codes.set(code, {
      identity: p.identity,
      clientId: p.clientId,
      redirectUri: p.redirectUri,
      codeChallenge: p.codeChallenge,
      expiresAt: Date.now() + CODE_SECONDS * 1000,
    });
    const url = new URL(p.redirectUri);
    url.searchParams.set('code', code);
    url.searchParams.set('state', p.state);
    return url.toString();
  }

  async token(form: URLSearchParams) {
    const grant = form.get('grant_type');
    if (grant === 'authorization_code') {
      const code = form.get('code') ?? '';
      const pending = this.codes.get(code);
      this.codes.delete(code); // single use, whatever happens next
      if (!pending || pending.expiresAt < Date.now())
        throw new OAuthError(400, 'invalid_grant', 'unknown or used code');
      if (pending.clientId !== form.get('client_id') || pending.redirectUri !== form.get('redirect_uri')) {
        throw new OAuthError(400, 'invalid_grant', 'client or redirect_uri mismatch');
      }
      const challenge = createHash('sha256')
        .update(form.get('code_verifier') ?? '')
        .digest('base64url');
      if (challenge !== pending.codeChallenge)
        throw new OAuthError(400, 'invalid_grant', 'PKCE verification failed');
      const identity = await this.lookUp(pending.identity.sub);
      if (!identity) throw new OAuthError(400, 'invalid_grant', 'the user no longer exists');
      const refreshToken = randomBytes(32).toString('base64url');
      const signIn = { identity, originJti: randomUUID() };
      this.refreshTokens.set(refreshToken, signIn);
      return {
        ...(await this.mintAccessToken(identity, LOCAL_CLIENT_ID, signIn.originJti)),
        refresh_token: refreshToken,
      };
    }
    if (grant === 'refresh_token') {
      const signIn = this.refreshTokens.get(form.get('refresh_token') ?? '');
      if (!signIn || form.get('client_id') !== LOCAL_CLIENT_ID) {
        throw new OAuthError(400, 'invalid_grant', 'unknown or revoked refresh token');
      }
      // The groups as they are now: a role given or taken since sign-in shows in this token.
      const identity = await this.lookUp(signIn.identity.sub);
      if (!identity) throw new OAuthError(400, 'invalid_grant', 'the user no longer exists');
      return this.mintAccessToken(identity, LOCAL_CLIENT_ID, signIn.originJti);
    }
    throw new OAuthError(400, 'unsupported_grant_type', `grant_type ${grant} is not supported`);
  }

  revoke(form: URLSearchParams): void {
    if (form.get('client_id') !== LOCAL_CLIENT_ID)
      throw new OAuthError(400, 'invalid_client', 'unknown client_id');
    this.refreshTokens.delete(form.get('token') ?? '');
  }
}
