import { type Dialect, Kysely, type LogConfig, PostgresDialect } from 'kysely';
import { Pool, types } from 'pg';
import type { Database } from './schema';
import { cacheStatements } from './statement-cache';

// DATE columns stay 'YYYY-MM-DD' text: a course period is a calendar date, not an instant.
types.setTypeParser(types.builtins.DATE, (v) => v);

export interface PostgresSettings {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  /** A function is asked for every new connection (see secretPassword). */
  readonly password?: string | (() => Promise<string>) | undefined;
  /** Verify the server's certificate (RDS); off for a server on this machine. */
  readonly tls: boolean;
  /** @default 10 */
  readonly maxConnections?: number;
}

const CONNECT_TIMEOUT_MS = 5000;

/** Kysely's query log, for tools that need the SQL a route sends (bench/core-api). @default none */
type WithLog = { log?: LogConfig };

export function connectPostgres(
  s: (PostgresSettings | { connectionString: string; maxConnections?: number }) & WithLog,
): Kysely<Database> {
  // pg waits for a connection forever by default: a server that is down or silent would hold every request
  // (and /health) until the client gave up. Bounded, the request fails as 503 and the next one tries again.
  const common = {
    max: s.maxConnections ?? 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // Finds a peer that vanished without closing (a failover's old primary) instead of waiting on it.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
  const pool =
    'connectionString' in s
      ? new Pool({ connectionString: s.connectionString, ...common })
      : new Pool({
          host: s.host,
          port: s.port,
          database: s.database,
          user: s.user,
          password: s.password,
          ssl: s.tls ? { rejectUnauthorized: true } : false,
          ...common,
        });
  // An idle connection the server ends (failover, restart, admin termination) is only dropped from the
  // pool; without a listener, pg's 'error' event would crash the whole process.
  pool.on('error', (error) => onIdleError(error));
  // A connection lost while a request holds it (a transaction under way) is reported by its client, where
  // the pool's listener does not reach: unheard, that 'error' event ended the whole process. The query in
  // flight fails on its own (the request answers 503), and the pool drops the client when it comes back.
  pool.on('connect', (client) => client.on('error', () => undefined));
  cacheStatements(pool);
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }), ...(s.log ? { log: s.log } : {}) });
}

function onIdleError(error: Error): void {
  console.warn(
    JSON.stringify({ level: 'WARN', message: 'idle database connection closed', error: error.message }),
  );
}

/** PostgreSQL compiled to WebAssembly, in this process: `npm start` and tests with no server at hand. */
export async function connectEmbedded(dataDir?: string): Promise<Kysely<Database>> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { PGliteDialect } = await import('kysely-pglite-dialect');
  // pg_trgm ships with RDS and PostgreSQL's contrib; PGlite loads it only when asked (the company directory).
  const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
  const pglite = await PGlite.create({ ...(dataDir ? { dataDir } : {}), extensions: { pg_trgm } });
  // pg sends a query without parameters over the simple protocol, which allows several statements (a
  // migration file); PGlite's query() always prepares. exec() is its simple protocol: use it the same way.
  const client = new Proxy(pglite, {
    get(target, prop) {
      if (prop === 'query') {
        return async (text: string, params?: unknown[], options?: Parameters<typeof target.query>[2]) => {
          if (params && params.length > 0) return target.query(text, params, options);
          const results = await target.exec(text, options);
          return results.at(-1) ?? { rows: [], fields: [], affectedRows: 0 };
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  // Its typings were compiled against an older Kysely; the adapter's runtime interface is the same.
  return new Kysely<Database>({ dialect: new PGliteDialect(client) as unknown as Dialect });
}
