import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { Role } from '#contracts/resources';
import { createAccessTokenVerifier } from '#contracts/access-token';
import { LOCAL_CLIENT_ID, LocalTokenIssuer } from '#local/token-issuer';
import { buildCoreService, type CoreServiceOptions } from '#service/app';
import { grantAppRole } from '#service/db/app-role';
import { connectPostgres } from '#service/db/connect';
import type { Database } from '#service/db/schema';
import { testDatabase, type TestDatabase } from './test-database';

/** A person with a token, as the service sees them. */
export interface Person {
  readonly sub: string;
  readonly email: string;
  readonly roles: readonly Role[];
  readonly token: string;
}

export interface CallOptions {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly url: string;
  /** Sent as JSON. */
  readonly payload?: unknown;
  readonly headers?: Record<string, string>;
}

export interface CallResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  // Test code reads answers field by field; their shapes are what the tests assert.
  json(): any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface ServiceFixture {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly database: TestDatabase;
  /** A person with a fresh token; `sub` names an existing person (e.g. an employee inserted directly). */
  person(roles: Role[], name?: string, sub?: string): Promise<Person>;
  /** One request over HTTP on loopback, as a client (or the load balancer) sends it. */
  call(who: Person | undefined, options: CallOptions): Promise<CallResult>;
  close(): Promise<void>;
}

/**
 * The service on its own database, verifying tokens of a local issuer with the production verifier; the
 * compliance profile is the service's default unless a test names one.
 */
export async function serviceFixture(
  name: string,
  options: Pick<CoreServiceOptions, 'compliance' | 'clock' | 'health' | 'auditArchive'> & {
    /**
     * The service's own connection to the test database (the fixture's `database.db` stays direct, for
     * seeding and checks), e.g. through a fault proxy; closed with the fixture. @default on a PostgreSQL
     * server, the service's own least-privileged login role (as deployed); on PGlite, database.db
     */
    readonly connect?: (database: TestDatabase) => Kysely<Database>;
  } = {},
): Promise<ServiceFixture> {
  // The JWKS server must listen before the issuer (whose URL it is) exists.
  let issuer: LocalTokenIssuer | undefined; // eslint-disable-line prefer-const
  const jwks: Server = createServer((_req, res) => res.end(JSON.stringify(issuer!.jwks())));
  jwks.listen(0, '127.0.0.1');
  await once(jwks, 'listening');
  const base = `http://127.0.0.1:${(jwks.address() as { port: number }).port}`;
  issuer = await LocalTokenIssuer.create(base);
  const database = await testDatabase(name);
  const { connect, ...serviceOptions } = options;
  const serviceDb = connect ? connect(database) : await appConnection(database);
  const app = await buildCoreService({
    db: serviceDb,
    verifyToken: createAccessTokenVerifier({
      issuer: base,
      jwksUri: issuer.jwksUri,
      clientIds: [LOCAL_CLIENT_ID],
    }),
    ...serviceOptions,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  return {
    app,
    url,
    database,
    async person(roles, label = roles[0] ?? 'someone', sub = randomUUID()) {
      const email = `${label}-${sub.slice(0, 8)}@example.com`;
      const { access_token } = await issuer!.mintAccessToken({ sub, email, roles });
      return { sub, email, roles, token: access_token };
    },
    async call(who, options) {
      const res = await fetch(`${url}${options.url}`, {
        method: options.method,
        headers: {
          ...(options.payload !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
          ...(who ? { authorization: `Bearer ${who.token}` } : {}),
        },
        ...(options.payload !== undefined ? { body: JSON.stringify(options.payload) } : {}),
      });
      const body = await res.text();
      return {
        statusCode: res.status,
        headers: Object.fromEntries(res.headers),
        body,
        json: () => JSON.parse(body),
      };
    },
    async close() {
      await app.close();
      if (serviceDb !== database.db) await serviceDb.destroy();
      await database.close();
      jwks.close();
    },
  };
}

/** The service's login role in tests; trust authentication ignores the password. */
const TEST_APP_LOGIN = { username: 'lms_app', password: 'lms-app-test' };

/**
 * On a PostgreSQL server, every service test connects as the role the deployed service uses, so a statement
 * that needs more than it grants fails here first. PGlite has one user, and stays direct.
 */
export async function appConnection(database: TestDatabase): Promise<Kysely<Database>> {
  if (database.kind !== 'postgres' || !database.url) return database.db;
  await grantAppRole(database.db as Kysely<unknown>, TEST_APP_LOGIN);
  const url = new URL(database.url);
  url.username = TEST_APP_LOGIN.username;
  url.password = TEST_APP_LOGIN.password;
  return connectPostgres({ connectionString: url.toString(), maxConnections: 10 });
}

const WEIGHTS = [1, 3, 7, 1, 3, 7, 1, 3, 5];
/** A valid business registration number from nine digits (computes the check digit). */
export function businessNumberFrom(nine: string): string {
  const d = [...nine].map(Number);
  const sum = WEIGHTS.reduce((acc, w, i) => acc + d[i]! * w, 0) + Math.floor((d[8]! * 5) / 10);
  return `${nine}${(10 - (sum % 10)) % 10}`;
}
