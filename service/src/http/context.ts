import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Identity } from '#contracts/access-token';
import type { ComplianceProfile } from '#contracts/compliance-profiles';
import type { Database } from '../db/schema';
import type { AuditArchiveReader } from '../learning/audit-archive';
import { authenticate, type Caller, loadCaller, type VerifyToken } from './identity';

/** What every route module receives: the database and a way to know the caller. */
export interface RouteContext {
  readonly db: Kysely<Database>;
  /** Who is calling, from their verified token: enough for routes that check access in their own query. */
  identity(request: FastifyRequest): Promise<Identity>;
  /** The caller with their tenancy (institution, companies), loaded once per request. */
  caller(request: FastifyRequest): Promise<Caller>;
  /** The rules of the institution's training regime. */
  readonly compliance: ComplianceProfile;
  /** The server's clock: progress is credited in its time, never the client's. */
  now(): Date;
  /** The audit trail's archived months, for the audit export; absent where no archive bucket is set. */
  readonly auditArchive?: AuditArchiveReader;
}

export function routeContext(
  db: Kysely<Database>,
  verify: VerifyToken,
  compliance: ComplianceProfile,
  now: () => Date,
  auditArchive?: AuditArchiveReader,
): RouteContext {
  const identities = new WeakMap<FastifyRequest, Promise<Identity>>();
  const callers = new WeakMap<FastifyRequest, Promise<Caller>>();
  const identity = (request: FastifyRequest) => {
    let found = identities.get(request);
    if (!found) identities.set(request, (found = authenticate(request, verify)));
    return found;
  };
  return {
    db,
    compliance,
    now,
    ...(auditArchive ? { auditArchive } : {}),
    identity,
    caller(request) {
      let caller = callers.get(request);
      if (!caller) callers.set(request, (caller = identity(request).then((i) => loadCaller(db, i))));
      return caller;
    },
  };
}
