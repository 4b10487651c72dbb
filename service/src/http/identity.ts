import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import { COOKIES, type Role } from '#contracts/resources';
import type { Identity } from '#contracts/access-token';
import { readCookies } from '#contracts/cookies';
import type { Database } from '../db/schema';
import { HttpError } from './errors';

export type VerifyToken = (token: string) => Promise<Identity>;

/** Who is calling and what they belong to: the tenancy every route checks. */
export interface Caller extends Identity {
  /** The institution this manager or instructor belongs to. */
  readonly institutionId: string | undefined;
  readonly institutionRole: 'institution-manager' | 'instructor' | undefined;
  /** Companies this person manages. */
  readonly managedCompanyIds: readonly string[];
  /** The company this person is an approved employee of. */
  readonly employerCompanyIds: readonly string[];
  has(role: Role): boolean;
}

/**
 * API Gateway's authorizer already checked the token; the service checks it again (it must not trust
 * the network behind the load balancer), from the session cookie or the Authorization header.
 */
export async function authenticate(request: FastifyRequest, verify: VerifyToken): Promise<Identity> {
  // The cookie first: it is what the API's authorizer admitted (direct callers may use the header).
  const token =
    readCookies(undefined, request.headers.cookie)[COOKIES.access] ??
    /^Bearer (\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
  if (!token) throw new HttpError(401, 'Sign in first');
  try {
    return await verify(token);
  } catch (e) {
    // A signed token with claims the platform cannot use says which claim; any other failure says nothing.
    if (e instanceof HttpError) throw e;
    throw new HttpError(401, 'The access token is invalid or expired');
  }
}

export async function loadCaller(db: Kysely<Database>, identity: Identity): Promise<Caller> {
  const [membership, affiliations] = await Promise.all([
    db
      .selectFrom('institution_members')
      .select(['institution_id', 'role'])
      .where('user_sub', '=', identity.sub)
      .executeTakeFirst(),
    db
      .selectFrom('affiliations')
      .select(['company_id', 'role'])
      .where('user_sub', '=', identity.sub)
      .where('state', '=', 'approved')
      .execute(),
  ]);
  return {
    ...identity,
    institutionId: membership?.institution_id,
    institutionRole: membership?.role,
    managedCompanyIds: affiliations.filter((a) => a.role === 'company-manager').map((a) => a.company_id),
    employerCompanyIds: affiliations.filter((a) => a.role === 'employee').map((a) => a.company_id),
    has: (role) => identity.roles.includes(role),
  };
}

/** Refuses unless the caller holds one of the roles (403: the route exists for others). */
export function requireRole(caller: Caller, ...roles: Role[]): void {
  if (!roles.some((r) => caller.has(r)))
    throw new HttpError(403, `This needs one of the roles: ${roles.join(', ')}`);
}

/** Someone else's record answers 404: whether it exists is not theirs to learn. */
export const notFound = (what: string) => new HttpError(404, `${what} not found`);
