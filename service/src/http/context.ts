import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { authenticate, type Caller, loadCaller, type VerifyToken } from './identity';

/** What every route module receives: the database and a way to know the caller. */
export interface RouteContext {
  readonly db: Kysely<Database>;
  caller(request: FastifyRequest): Promise<Caller>;
}

export function routeContext(db: Kysely<Database>, verify: VerifyToken): RouteContext {
  const callers = new WeakMap<FastifyRequest, Promise<Caller>>();
  return {
    db,
    caller(request) {
      let caller = callers.get(request);
      if (!caller) {
        caller = authenticate(request, verify).then((identity) => loadCaller(db, identity));
        callers.set(request, caller);
      }
      return caller;
    },
  };
}
