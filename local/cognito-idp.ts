import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CognitoError, UnsupportedError } from 'cognito-local/lib/errors';
import { Router } from 'cognito-local/lib/server/Router';
import { DefaultConfig } from 'cognito-local/lib/server/config';
import { DateClock, MessagesService, TriggersService } from 'cognito-local/lib/services';
import { CognitoServiceFactoryImpl } from 'cognito-local/lib/services/cognitoService';
import type { Context } from 'cognito-local/lib/services/context';
import type { CryptoService } from 'cognito-local/lib/services/crypto';
import { StormDBDataStoreFactory } from 'cognito-local/lib/services/dataStore/stormDb';
import type { Lambda } from 'cognito-local/lib/services/lambda';
import type { LogService } from 'cognito-local/lib/services/LogService';
import { MessageDeliveryService } from 'cognito-local/lib/services/messageDelivery/messageDelivery';
import type { MessageSender } from 'cognito-local/lib/services/messageDelivery/messageSender';
import { otp } from 'cognito-local/lib/services/otp';
import { JwtTokenGenerator } from 'cognito-local/lib/services/tokenGenerator';
import { UserPoolServiceFactoryImpl, type User } from 'cognito-local/lib/services/userPoolService';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PASSWORD_POLICY, ROLES, type Role } from '#contracts/resources';
import type { DemoIdentity } from './demo-identities';
import type { LocalMailbox } from './mailbox';
import { verifyLocalSignature } from './local-signature';

/*
 * Cognito on one machine: the npm package `cognito-local` (users, groups, temporary passwords, the
 * new-password challenge), run in this process on a scratch directory and seeded with the demo people. The
 * users domain's real SDK client reaches it through `path` (AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER), and
 * the local sign-in page signs people in with it, so an invitee signs in with the password the invitation
 * e-mail gave them. The e-mails Cognito would send are delivered to the local mailbox (`GET /local/mail`, shared
 * with the local SES) and printed.
 *
 * In front of it, this file refuses what Cognito refuses and cognito-local lets through: a call not signed
 * with the local keys, an attribute outside the pool's schema or over its length, a change of `sub`, a
 * malformed phone number, a new password outside the pool's policy, a challenge answered without the session
 * it was given, a temporary password past its validity. It also does the two calls cognito-local lacks:
 * AdminUserGlobalSignOut (the user's refresh tokens stop working) and AdminCreateUser's RESEND.
 */

/** An e-mail Cognito would have sent. */
export interface LocalMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  /** The temporary password or code it carries. */
  readonly code: string;
}

/** Who someone is, as the token issuer puts it into a token: read afresh at every sign-in and refresh. */
export interface LocalPerson {
  readonly sub: string;
  readonly email: string;
  readonly roles: readonly Role[];
}

export type SignInResult =
  | { readonly kind: 'signed-in'; readonly person: LocalPerson }
  | { readonly kind: 'new-password-required'; readonly username: string; readonly session: string }
  | { readonly kind: 'refused'; readonly message: string };

export interface LocalCognitoOptions {
  /** The pool id the handlers are given; any other is ResourceNotFoundException, as in AWS. */
  readonly userPoolId: string;
  readonly people: readonly DemoIdentity[];
  /** Where the e-mails are printed: the runner's log. */
  readonly log: (line: string) => void;
  /** Where the e-mails point people: the platform's sign-in. */
  readonly signInUrl: string;
  /** Where the e-mails are delivered, for people and tests to read. */
  readonly mailbox: LocalMailbox;
}

/** The local Cognito, for the runner, its sign-in page and tests. */
export interface LocalCognito {
  readonly userPoolId: string;
  /** The e-mails sent so far, oldest first. */
  readonly outbox: readonly LocalMail[];
  groupsOf(usernameOrEmail: string): Promise<string[] | undefined>;
  signOutsOf(usernameOrEmail: string): number;
  /** The person behind a sub, with their groups now; undefined once deleted or disabled. */
  personOf(sub: string): Promise<LocalPerson | undefined>;
  /** A sign-in with e-mail and password, as the managed login page does it (USER_PASSWORD_AUTH). */
  signIn(email: string, password: string): Promise<SignInResult>;
  /** The answer to the new-password challenge of a first sign-in with a temporary password. */
  setNewPassword(username: string, session: string, password: string): Promise<SignInResult>;
  /** Called with the sub of everyone signed out everywhere, so the issuer stops refreshing their tokens. */
  onGlobalSignOut(listener: (sub: string) => void): void;
  close(): void;
}

class LocalRefusal extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** Cognito's default sender (COGNITO_DEFAULT e-mail sending). */
const COGNITO_SENDER = 'no-reply@verificationemail.com';
const E164 = /^\+[0-9]{4,15}$/;
/** The auth stack's pool has Cognito's standard attributes and no custom ones. */
const STANDARD_ATTRIBUTES = new Set([
  'address',
  'birthdate',
  'email',
  'email_verified',
  'family_name',
  'gender',
  'given_name',
  'locale',
  'middle_name',
  'name',
  'nickname',
  'phone_number',
  'phone_number_verified',
  'picture',
  'preferred_username',
  'profile',
  'sub',
  'updated_at',
  'website',
  'zoneinfo',
]);
/** Cognito's limit on one attribute's value. */
const MAX_ATTRIBUTE_LENGTH = 2048;
const DAY_MS = 24 * 60 * 60 * 1000;
/** How long Cognito keeps the session of an authentication challenge. */
const CHALLENGE_SESSION_MS = 3 * 60 * 1000;

/** cognito-local logs through pino; here only its errors reach the runner's log. */
function quietLogger(log: (line: string) => void): LogService {
  const logger: LogService = {
    child: () => logger,
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: (...args: unknown[]) => log(`cognito-local: ${args.map((a) => String(a)).join(' ')}`),
  };
  return logger;
}

/** Cognito's password policy, as the auth stack sets it; cognito-local checks none. */
function passwordProblem(password: string): string | undefined {
  const p = PASSWORD_POLICY;
  if (password.length < p.minLength) return `Password not long enough (at least ${p.minLength})`;
  if (p.requireLowercase && !/[a-z]/.test(password)) return 'Password must have lowercase characters';
  if (p.requireUppercase && !/[A-Z]/.test(password)) return 'Password must have uppercase characters';
  if (p.requireDigits && !/[0-9]/.test(password)) return 'Password must have numeric characters';
  if (p.requireSymbols && !/[^A-Za-z0-9]/.test(password)) return 'Password must have symbol characters';
  return undefined;
}

const attribute = (user: User, name: string) => user.Attributes.find((a) => a.Name === name)?.Value;

/** Starts cognito-local for one pool and serves its API under `path` of the runner's server. */
export async function startLocalCognito(
  app: FastifyInstance,
  path: string,
  options: LocalCognitoOptions,
): Promise<LocalCognito> {
  const directory = mkdtempSync(join(tmpdir(), 'lms-cognito-'));
  const ctx: Context = { logger: quietLogger(options.log) };
  const outbox: LocalMail[] = [];
  const sender: MessageSender = {
    async sendEmail(_ctx, user, destination, message) {
      const code = message.__code ?? '';
      const invited = user.UserStatus === 'FORCE_CHANGE_PASSWORD';
      const mail: LocalMail = invited
        ? {
            to: destination,
            subject: 'Your temporary password',
            text: `Your username is ${destination} and temporary password is ${code}. Sign in at ${options.signInUrl}`,
            code,
          }
        : { to: destination, subject: 'Your verification code', text: `Your code is ${code}.`, code };
      outbox.push(mail);
      // The pool sends with Cognito's own address, as a pool without an SES configuration does.
      options.mailbox.deliver({
        source: 'cognito',
        from: COGNITO_SENDER,
        to: mail.to,
        recipients: [mail.to],
        subject: mail.subject,
        text: mail.text,
        headers: [],
        code: mail.code,
      });
      options.log(`cognito: e-mail to ${mail.to}: ${mail.text}`);
    },
    async sendSms() {
      throw new LocalRefusal('InvalidParameterException', 'The pool sends no SMS.');
    },
  };
  // The pool has no Lambda triggers locally: the runner calls the users domain's handlers itself.
  const noLambda = {
    enabled: () => false,
    invoke: () => Promise.reject(new Error('no Lambda triggers in the local pool')),
  } as unknown as Lambda;
  const clock = new DateClock();
  const dataStoreFactory = new StormDBDataStoreFactory(directory);
  const cognitoService = await new CognitoServiceFactoryImpl(
    directory,
    dataStoreFactory,
    new UserPoolServiceFactoryImpl(clock, dataStoreFactory),
  ).create(ctx, { UsernameAttributes: ['email'] });
  const config = {
    ...DefaultConfig,
    TokenConfig: { IssuerDomain: options.signInUrl },
  };
  // Only a custom e-mail sender trigger decrypts with KMS, and the local pool has no triggers.
  const noKms = {} as CryptoService;
  const triggers = new TriggersService(clock, cognitoService, noLambda, noKms);
  const route = Router({
    clock,
    cognito: cognitoService,
    config,
    messages: new MessagesService(triggers, new MessageDeliveryService(sender)),
    otp,
    tokenGenerator: new JwtTokenGenerator(clock, triggers, config.TokenConfig),
    triggers,
  });
  const call = <T>(target: string, input: object) => route(target)(ctx, input) as Promise<T>;

  await cognitoService.createUserPool(ctx, {
    Id: options.userPoolId,
    Name: 'local',
    UsernameAttributes: ['email'],
    AutoVerifiedAttributes: ['email'],
  });
  const pool = await cognitoService.getUserPool(ctx, options.userPoolId);
  const { UserPoolClient } = await call<{ UserPoolClient: { ClientId: string } }>('CreateUserPoolClient', {
    UserPoolId: options.userPoolId,
    ClientName: 'local-sign-in',
    ExplicitAuthFlows: ['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
  });
  const signInClientId = UserPoolClient.ClientId;
  for (const role of ROLES) await call('CreateGroup', { UserPoolId: options.userPoolId, GroupName: role });
  for (const person of options.people) {
    const now = new Date();
    // The demo people keep their fixed subs (demo data refers to them) and sign in by a click, not a password.
    await pool.saveUser(ctx, {
      Username: person.sub,
      Password: randomBytes(24).toString('base64url'),
      Attributes: [
        { Name: 'sub', Value: person.sub },
        { Name: 'email', Value: person.email },
        { Name: 'email_verified', Value: 'true' },
        { Name: 'name', Value: person.name },
      ],
      Enabled: true,
      UserStatus: 'CONFIRMED',
      UserCreateDate: now,
      UserLastModifiedDate: now,
      RefreshTokens: [],
    });
    for (const role of person.roles) {
      await call('AdminAddUserToGroup', {
        UserPoolId: options.userPoolId,
        Username: person.sub,
        GroupName: role,
      });
    }
  }

  const signOuts = new Map<string, number>();
  const signOutListeners: ((sub: string) => void)[] = [];
  const challenges = new Map<string, { username: string; expiresAt: number }>();

  const find = async (name: string): Promise<User | undefined> =>
    (await pool.getUserByUsername(ctx, name)) ?? undefined;
  const userOf = async (input: Record<string, unknown>): Promise<User> => {
    await cognitoService.getUserPool(ctx, String(input['UserPoolId']));
    const user = typeof input['Username'] === 'string' ? await find(input['Username']) : undefined;
    if (!user) throw new LocalRefusal('UserNotFoundException', 'User does not exist.');
    return user;
  };
  const checkAttributes = (input: Record<string, unknown>) => {
    const list = input['UserAttributes'] ?? [];
    if (!Array.isArray(list))
      throw new LocalRefusal('InvalidParameterException', 'UserAttributes is a list.');
    for (const item of list as { Name?: unknown; Value?: unknown }[]) {
      const { Name, Value } = item ?? {};
      if (typeof Name !== 'string' || typeof Value !== 'string') {
        throw new LocalRefusal('InvalidParameterException', 'Attributes need a name and a string value.');
      }
      if (!STANDARD_ATTRIBUTES.has(Name))
        throw new LocalRefusal(
          'InvalidParameterException',
          `Attribute does not exist in the schema: ${Name}`,
        );
      if (Value.length > MAX_ATTRIBUTE_LENGTH)
        throw new LocalRefusal(
          'InvalidParameterException',
          `${Name} is longer than ${MAX_ATTRIBUTE_LENGTH}.`,
        );
      if (Name === 'sub')
        throw new LocalRefusal('InvalidParameterException', 'Cannot modify an immutable attribute: sub');
      if (Name === 'phone_number' && !E164.test(Value))
        throw new LocalRefusal('InvalidParameterException', 'Invalid phone number format.');
    }
  };

  /** What Cognito does and cognito-local does not, or does more loosely; the rest goes to cognito-local. */
  const guarded: Record<string, (input: Record<string, unknown>) => Promise<unknown>> = {
    AdminCreateUser: async (input) => {
      if (input['MessageAction'] !== 'RESEND') {
        checkAttributes(input);
        return call('AdminCreateUser', input);
      }
      const user = await userOf(input);
      if (user.UserStatus !== 'FORCE_CHANGE_PASSWORD')
        throw new LocalRefusal('UnsupportedUserStateException', 'User is already confirmed.');
      const temporary = `${randomBytes(6).toString('base64url')}aA1!`;
      await pool.saveUser(ctx, { ...user, Password: temporary, UserLastModifiedDate: new Date() });
      await sender.sendEmail(ctx, user, attribute(user, 'email') ?? user.Username, { __code: temporary });
      return { User: { Username: user.Username, Attributes: user.Attributes, UserStatus: user.UserStatus } };
    },
    AdminUpdateUserAttributes: async (input) => {
      checkAttributes(input);
      return call('AdminUpdateUserAttributes', input);
    },
    AdminUserGlobalSignOut: async (input) => {
      const user = await userOf(input);
      await pool.saveUser(ctx, { ...user, RefreshTokens: [] });
      const sub = attribute(user, 'sub') ?? user.Username;
      signOuts.set(sub, (signOuts.get(sub) ?? 0) + 1);
      for (const listener of signOutListeners) listener(sub);
      return {};
    },
  };

  const json = { 'content-type': 'application/x-amz-json-1.1' };
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const body = typeof req.body === 'string' ? req.body : '';
    // Admin calls are signed with IAM credentials in AWS; an unsigned or wrongly signed one is refused.
    const verdict = verifyLocalSignature(
      { method: req.method, url: req.url, headers: req.headers },
      'cognito-idp',
      Buffer.from(body, 'utf8'),
    );
    if (!verdict.ok)
      return reply.code(403).headers(json).send({ __type: verdict.code, message: verdict.message });
    const target = String(req.headers['x-amz-target'] ?? '').replace(
      /^AWSCognitoIdentityProviderService\./,
      '',
    );
    try {
      let input: unknown;
      try {
        input = JSON.parse(body || '{}');
      } catch {
        throw new LocalRefusal('SerializationException', 'The request body is not JSON.');
      }
      if (!input || typeof input !== 'object' || Array.isArray(input))
        throw new LocalRefusal('SerializationException', 'Expected an object.');
      const run = guarded[target] ?? ((i: Record<string, unknown>) => call(target, i));
      const output = await run(input as Record<string, unknown>);
      return reply.headers(json).send(JSON.stringify(output, epochSeconds));
    } catch (e) {
      if (e instanceof LocalRefusal)
        return reply.code(400).headers(json).send({ __type: e.type, message: e.message });
      if (e instanceof CognitoError)
        return reply.code(400).headers(json).send({ __type: e.code, message: e.message });
      if (e instanceof UnsupportedError)
        return reply
          .code(400)
          .headers(json)
          .send({ __type: 'UnknownOperationException', message: e.message });
      throw e;
    }
  };
  app.post(path, handler);
  app.post(`${path}/`, handler);

  const personOf = async (sub: string): Promise<LocalPerson | undefined> => {
    const user = await find(sub);
    if (!user || !user.Enabled) return undefined;
    const groups = await pool.listUserGroupMembership(ctx, user);
    return {
      sub: attribute(user, 'sub') ?? user.Username,
      email: attribute(user, 'email') ?? '',
      roles: groups.filter((g): g is Role => (ROLES as readonly string[]).includes(g)).sort(),
    };
  };
  const refusal = (e: unknown): SignInResult => {
    if (e instanceof CognitoError || e instanceof LocalRefusal) {
      // Cognito says the same for an unknown user and a wrong password, so neither can be told apart.
      const unknown =
        e instanceof CognitoError &&
        ['UserNotFoundException', 'NotAuthorizedException', 'InvalidPasswordException'].includes(e.code);
      return { kind: 'refused', message: unknown ? 'Incorrect username or password.' : e.message };
    }
    throw e;
  };
  const signedIn = async (username: string): Promise<SignInResult> => {
    const user = await find(username);
    const person = user && (await personOf(attribute(user, 'sub') ?? user.Username));
    return person
      ? { kind: 'signed-in', person }
      : { kind: 'refused', message: 'Incorrect username or password.' };
  };

  return {
    userPoolId: options.userPoolId,
    outbox,
    async groupsOf(name) {
      const user = await find(name);
      return user ? [...(await pool.listUserGroupMembership(ctx, user))].sort() : undefined;
    },
    signOutsOf: (name) => signOuts.get(name) ?? 0,
    personOf,
    async signIn(email, password) {
      // cognito-local answers an invitee's first sign-in with the new-password challenge whatever the
      // password; Cognito checks the temporary password first, or anyone knowing the address could set one.
      const invitee = await find(email);
      if (invitee?.UserStatus === 'FORCE_CHANGE_PASSWORD') {
        if (invitee.Password !== password)
          return { kind: 'refused', message: 'Incorrect username or password.' };
        // The pool's temporary passwords last PASSWORD_POLICY.tempPasswordValidityDays; cognito-local's forever.
        const sentAt = new Date(invitee.UserLastModifiedDate).getTime();
        if (Date.now() - sentAt > PASSWORD_POLICY.tempPasswordValidityDays * DAY_MS)
          return {
            kind: 'refused',
            message: 'Temporary password has expired and must be reset by an administrator.',
          };
      }
      try {
        const answer = await call<{
          ChallengeName?: string;
          Session?: string;
          ChallengeParameters?: Record<string, string>;
        }>('InitiateAuth', {
          AuthFlow: 'USER_PASSWORD_AUTH',
          ClientId: signInClientId,
          AuthParameters: { USERNAME: email, PASSWORD: password },
        });
        if (answer.ChallengeName === 'NEW_PASSWORD_REQUIRED') {
          const username = (await find(email))!.Username;
          const session = randomBytes(32).toString('base64url');
          challenges.set(session, { username, expiresAt: Date.now() + CHALLENGE_SESSION_MS });
          return { kind: 'new-password-required', username, session };
        }
        if (answer.ChallengeName)
          return { kind: 'refused', message: `${answer.ChallengeName} is not served locally` };
        return await signedIn(email);
      } catch (e) {
        return refusal(e);
      }
    },
    async setNewPassword(username, session, password) {
      const challenge = challenges.get(session);
      if (!challenge || challenge.username !== username || challenge.expiresAt < Date.now()) {
        challenges.delete(session);
        return { kind: 'refused', message: 'Invalid session for the user, session is expired.' };
      }
      const weak = passwordProblem(password);
      if (weak) return { kind: 'refused', message: weak };
      try {
        await call('RespondToAuthChallenge', {
          ClientId: signInClientId,
          ChallengeName: 'NEW_PASSWORD_REQUIRED',
          Session: session,
          ChallengeResponses: { USERNAME: username, NEW_PASSWORD: password },
        });
        challenges.delete(session);
        return await signedIn(username);
      } catch (e) {
        return refusal(e);
      }
    },
    onGlobalSignOut: (listener) => void signOutListeners.push(listener),
    close: () => rmSync(directory, { recursive: true, force: true }),
  };
}

/** cognito-local's dates are Dates; Cognito's JSON protocol carries them as epoch seconds. */
function epochSeconds(this: Record<string, unknown>, key: string, value: unknown) {
  const raw = this[key];
  return raw instanceof Date ? Math.floor(raw.getTime() / 1000) : value;
}
