import * as z from 'zod';
import type { Role, TableName } from './resources';

/**
 * The one list of HTTP routes served by Lambda. The api stack builds API Gateway routes and functions
 * from it; the local runner serves the same entries with the same handler modules; each handler validates
 * and authorizes against its own entry. Handlers are named by path, so infrastructure never imports them.
 */

/** `public`: no token needed; `signed-in`: any valid token; a role list: a token carrying one of them. */
export type Access = 'public' | 'signed-in' | readonly Role[];

export interface RouteDef {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API Gateway path syntax: `/courses/{courseId}`. */
  readonly path: string;
  /** Module under `lambda/` without extension; it exports `handler`. */
  readonly handler: string;
  readonly access: Access;
  readonly summary: string;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  /** Tables the handler reads or writes; the api stack grants exactly these. */
  readonly tables?: Readonly<Partial<Record<TableName, 'read' | 'readWrite'>>>;
  /** Needs the OAuth client settings (the browser sign-in routes). */
  readonly oauth?: boolean;
}

const route = <const R extends RouteDef>(r: R): R => r;

/** A relative path inside the app, or an absolute URL checked against the allowed origins by the handler. */
const returnTo = z
  .string()
  .max(2048)
  .refine((v) => (v.startsWith('/') && !v.startsWith('//')) || URL.canParse(v), 'a path or an absolute URL');

export const routes = {
  getHealth: route({
    method: 'GET',
    path: '/health',
    handler: 'system/get-health',
    access: 'public',
    summary: 'Liveness of the API',
  }),
  getMe: route({
    method: 'GET',
    path: '/me',
    handler: 'users/get-me',
    access: 'signed-in',
    summary: 'The signed-in user: sub, e-mail and roles',
  }),
  startLogin: route({
    method: 'GET',
    path: '/auth/login',
    handler: 'auth/start-login',
    access: 'public',
    summary: 'Redirects the browser to the sign-in page (authorization code with PKCE)',
    query: z.strictObject({
      returnTo: returnTo.optional(),
      /** Pre-selects a federated provider (Google or an OIDC name from the config). */
      provider: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,32}$/)
        .optional(),
    }),
    tables: { authFlow: 'readWrite' },
    oauth: true,
  }),
  completeLogin: route({
    method: 'GET',
    path: '/auth/callback',
    handler: 'auth/complete-login',
    access: 'public',
    summary: 'Exchanges the authorization code and sets the session cookies',
    query: z.union([
      z.object({ code: z.string().min(1).max(2048), state: z.string().min(1).max(128) }),
      z.object({
        error: z.string().max(256),
        error_description: z.string().max(1024).optional(),
        state: z.string().max(128).optional(),
      }),
    ]),
    tables: { authFlow: 'readWrite' },
    oauth: true,
  }),
  refreshSession: route({
    method: 'POST',
    path: '/auth/refresh',
    handler: 'auth/refresh-session',
    access: 'public',
    summary: 'Renews the access cookie from the refresh cookie',
    oauth: true,
  }),
  endSession: route({
    method: 'POST',
    path: '/auth/logout',
    handler: 'auth/end-session',
    access: 'public',
    summary: 'Revokes the refresh token and clears the session cookies',
    oauth: true,
  }),
} as const satisfies Record<string, RouteDef>;

export type RouteId = keyof typeof routes;
export const routeList: ReadonlyArray<RouteDef & { id: RouteId }> = Object.entries(routes).map(([id, r]) => ({
  ...r,
  id: id as RouteId,
}));
