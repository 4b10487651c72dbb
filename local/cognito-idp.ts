import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ROLES } from '#contracts/resources';
import type { DemoIdentity } from './demo-identities';
import { LOCAL_AWS } from './dynamodb-local';
import { verifySignatureV4 } from './s3-signature';

/*
 * Cognito's admin API on one machine, for the users domain's real SDK client (pointed here by
 * AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER): the JSON 1.1 protocol, the six admin actions the platform
 * calls, users and groups in memory, seeded with the demo people. A stand-in until `cognito-local` takes its
 * place: its accounts do not sign in (the local token issuer knows only the demo people), and the e-mail
 * Cognito would send an invitee is printed to the log. It refuses at least what Cognito refuses for these
 * calls: a request not signed with the local keys, another pool, an unknown user or group, an attribute
 * outside the pool's schema or over its length, a taken address, a malformed phone number.
 */

interface LocalUser {
  readonly username: string;
  readonly attributes: Map<string, string>;
  status: 'CONFIRMED' | 'FORCE_CHANGE_PASSWORD';
  readonly groups: Set<string>;
  readonly created: number;
  /** Sessions ended by AdminUserGlobalSignOut, for tests that look. */
  signOuts: number;
}

export interface LocalCognitoOptions {
  /** The pool id the handlers are given; any other is ResourceNotFoundException, as in AWS. */
  readonly userPoolId: string;
  readonly people: readonly DemoIdentity[];
  /** Where the invitation e-mails go: the runner's log. */
  readonly log: (line: string) => void;
}

/** The stand-in's state, for the runner and tests. */
export interface LocalCognito {
  readonly userPoolId: string;
  groupsOf(usernameOrEmail: string): string[] | undefined;
  signOutsOf(usernameOrEmail: string): number;
}

class CognitoError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

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

/** Registers the stand-in under `path` of the runner's server. */
export function registerLocalCognito(
  app: FastifyInstance,
  path: string,
  options: LocalCognitoOptions,
): LocalCognito {
  const users = new Map<string, LocalUser>();
  for (const person of options.people) {
    users.set(person.sub, {
      username: person.sub,
      attributes: new Map([
        ['sub', person.sub],
        ['email', person.email],
        ['email_verified', 'true'],
        ['name', person.name],
      ]),
      status: 'CONFIRMED',
      groups: new Set(person.roles),
      created: Date.now() / 1000,
      signOuts: 0,
    });
  }
  const groups = new Set<string>(ROLES);

  // Usernames are subs; the e-mail is the pool's username attribute, so either finds the user.
  const find = (name: unknown): LocalUser | undefined => {
    if (typeof name !== 'string') return undefined;
    return (
      users.get(name) ??
      [...users.values()].find((u) => u.attributes.get('email')?.toLowerCase() === name.toLowerCase())
    );
  };
  const checkPool = (input: Record<string, unknown>) => {
    if (input['UserPoolId'] !== options.userPoolId) {
      throw new CognitoError(
        'ResourceNotFoundException',
        `User pool ${String(input['UserPoolId'])} does not exist.`,
      );
    }
  };
  const userOf = (input: Record<string, unknown>): LocalUser => {
    checkPool(input);
    const user = find(input['Username']);
    if (!user) throw new CognitoError('UserNotFoundException', 'User does not exist.');
    return user;
  };
  const groupOf = (input: Record<string, unknown>): string => {
    const group = String(input['GroupName']);
    if (!groups.has(group)) throw new CognitoError('ResourceNotFoundException', 'Group not found.');
    return group;
  };
  const attributesOf = (input: Record<string, unknown>): [string, string][] => {
    const list = (input['UserAttributes'] ?? []) as { Name?: unknown; Value?: unknown }[];
    if (!Array.isArray(list))
      throw new CognitoError('InvalidParameterException', 'UserAttributes is a list.');
    return list.map(({ Name, Value }) => {
      if (typeof Name !== 'string' || typeof Value !== 'string') {
        throw new CognitoError('InvalidParameterException', 'Attributes need a name and a string value.');
      }
      if (!STANDARD_ATTRIBUTES.has(Name))
        throw new CognitoError(
          'InvalidParameterException',
          `Attribute does not exist in the schema: ${Name}`,
        );
      if (Value.length > MAX_ATTRIBUTE_LENGTH)
        throw new CognitoError(
          'InvalidParameterException',
          `${Name} is longer than ${MAX_ATTRIBUTE_LENGTH}.`,
        );
      if (Name === 'sub')
        throw new CognitoError('InvalidParameterException', 'Cannot modify an immutable attribute: sub');
      if (Name === 'phone_number' && !E164.test(Value)) {
        throw new CognitoError('InvalidParameterException', 'Invalid phone number format.');
      }
      return [Name, Value];
    });
  };
  const userView = (user: LocalUser) => ({
    Username: user.username,
    Attributes: [...user.attributes].map(([Name, Value]) => ({ Name, Value })),
    UserStatus: user.status,
    Enabled: true,
    UserCreateDate: user.created,
    UserLastModifiedDate: user.created,
  });

  const actions: Record<string, (input: Record<string, unknown>) => unknown> = {
    AdminGetUser: (input) => {
      const { Attributes, ...user } = userView(userOf(input));
      return { ...user, UserAttributes: Attributes };
    },
    AdminUpdateUserAttributes: (input) => {
      const user = userOf(input);
      for (const [name, value] of attributesOf(input)) user.attributes.set(name, value);
      return {};
    },
    AdminAddUserToGroup: (input) => {
      userOf(input).groups.add(groupOf(input));
      return {};
    },
    AdminRemoveUserFromGroup: (input) => {
      userOf(input).groups.delete(groupOf(input));
      return {};
    },
    AdminUserGlobalSignOut: (input) => {
      userOf(input).signOuts += 1;
      return {};
    },
    AdminCreateUser: (input) => {
      if (input['MessageAction'] === 'RESEND') {
        const user = userOf(input);
        if (user.status !== 'FORCE_CHANGE_PASSWORD') {
          throw new CognitoError('UnsupportedUserStateException', 'User is already confirmed.');
        }
        sendInvitation(user);
        return { User: userView(user) };
      }
      checkPool(input);
      const attributes = new Map(attributesOf(input));
      const email = attributes.get('email') ?? String(input['Username'] ?? '');
      if (!/^[^@\s]+@[^@\s]+$/.test(email))
        throw new CognitoError('InvalidParameterException', 'Invalid email address format.');
      if (find(email))
        throw new CognitoError('UsernameExistsException', 'An account with the given email already exists.');
      const sub = randomUUID();
      const user: LocalUser = {
        username: sub,
        attributes: new Map([...attributes, ['sub', sub], ['email', email]]),
        status: 'FORCE_CHANGE_PASSWORD',
        groups: new Set(),
        created: Date.now() / 1000,
        signOuts: 0,
      };
      users.set(sub, user);
      sendInvitation(user);
      return { User: userView(user) };
    },
  };

  /** What Cognito's invitation message says, printed instead of sent. */
  function sendInvitation(user: LocalUser) {
    const password = `${randomBytes(6).toString('base64url')}aA1!`;
    options.log(
      `cognito: invitation e-mail to ${user.attributes.get('email')}: your username is ${user.attributes.get('email')} and temporary password is ${password}`,
    );
  }

  const json = { 'content-type': 'application/x-amz-json-1.1' };
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const body = typeof req.body === 'string' ? req.body : '';
    // Admin calls are signed with IAM credentials in AWS; an unsigned or wrongly signed one is refused.
    const verdict = verifySignatureV4(
      { method: req.method, url: req.url, headers: req.headers },
      (key) =>
        key === LOCAL_AWS.credentials.accessKeyId ? LOCAL_AWS.credentials.secretAccessKey : undefined,
      LOCAL_AWS.region,
      new Date(),
      { service: 'cognito-idp', body: Buffer.from(body, 'utf8') },
    );
    if (!verdict.ok)
      return reply.code(403).headers(json).send({ __type: verdict.code, message: verdict.message });
    const target = String(req.headers['x-amz-target'] ?? '');
    const action = actions[target.replace(/^AWSCognitoIdentityProviderService\./, '')];
    try {
      if (!action) throw new CognitoError('InvalidAction', `${target} is not served locally`);
      let input: unknown;
      try {
        input = JSON.parse(body || '{}');
      } catch {
        throw new CognitoError('SerializationException', 'The request body is not JSON.');
      }
      if (!input || typeof input !== 'object')
        throw new CognitoError('SerializationException', 'Expected an object.');
      return reply.headers(json).send(action(input as Record<string, unknown>));
    } catch (e) {
      if (!(e instanceof CognitoError)) throw e;
      return reply.code(400).headers(json).send({ __type: e.type, message: e.message });
    }
  };
  app.post(path, handler);
  app.post(`${path}/`, handler);

  return {
    userPoolId: options.userPoolId,
    groupsOf: (name) => {
      const user = find(name);
      return user ? [...user.groups].sort() : undefined;
    },
    signOutsOf: (name) => find(name)?.signOuts ?? 0,
  };
}
