import {
  AdminGetUserCommand,
  AdminUpdateUserAttributesCommand,
  type AttributeType,
  type CognitoIdentityProviderClient,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import type { ProfileView, UpdateProfileBody } from '#contracts/users';

/*
 * A person's own profile, kept where sign-in keeps it: on their Cognito attributes (`name`,
 * `phone_number`, `locale`), so the managed login pages, tokens and the platform agree on it.
 */

export interface ProfileDeps {
  readonly cognito: CognitoIdentityProviderClient;
  readonly userPoolId: string;
}

/** As `GET /me/profile` answers it (contracts/users.ts). */
export type Profile = Readonly<ProfileView>;

/** The signed-in person has no account in this pool (it was deleted since their token was issued). */
export class NoSuchAccount extends Error {
  constructor() {
    super('No account for this sign-in');
    this.name = 'NoSuchAccount';
  }
}

const ATTRIBUTE_OF = { name: 'name', phone: 'phone_number', locale: 'locale' } as const;

function profileFrom(sub: string, attributes: readonly AttributeType[] = []): Profile {
  const value = (name: string) => attributes.find((a) => a.Name === name)?.Value ?? null;
  return {
    sub,
    email: value('email'),
    name: value(ATTRIBUTE_OF.name),
    phone: value(ATTRIBUTE_OF.phone),
    locale: value(ATTRIBUTE_OF.locale),
  };
}

async function orNoSuchAccount<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (e) {
    if (e instanceof UserNotFoundException) throw new NoSuchAccount();
    throw e;
  }
}

/** The caller's profile; the sub is the token's, so nobody reads another's. */
export async function getProfile(deps: ProfileDeps, sub: string): Promise<Profile> {
  const user = await orNoSuchAccount(
    deps.cognito.send(new AdminGetUserCommand({ UserPoolId: deps.userPoolId, Username: sub })),
  );
  return profileFrom(sub, user.UserAttributes);
}

/** Changes the given attributes of the caller's own account and answers the profile as it is now. */
export async function updateProfile(
  deps: ProfileDeps,
  sub: string,
  change: UpdateProfileBody,
): Promise<Profile> {
  const attributes = (Object.keys(ATTRIBUTE_OF) as (keyof typeof ATTRIBUTE_OF)[])
    .filter((field) => change[field] !== undefined)
    .map((field) => ({ Name: ATTRIBUTE_OF[field], Value: change[field]! }));
  await orNoSuchAccount(
    deps.cognito.send(
      new AdminUpdateUserAttributesCommand({
        UserPoolId: deps.userPoolId,
        Username: sub,
        UserAttributes: attributes,
      }),
    ),
  );
  return getProfile(deps, sub);
}
