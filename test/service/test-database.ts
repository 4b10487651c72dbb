import { Kysely, PostgresDialect, sql } from 'kysely';
import { Pool } from 'pg';
import { connectEmbedded, connectPostgres } from '#service/db/connect';
import { migrateToLatest } from '#service/db/migrate';
import type { Database } from '#service/db/schema';

export interface TestDatabase {
  readonly db: Kysely<Database>;
  /** `postgres` against DATABASE_URL's server; `pglite` embedded when it is unset. */
  readonly kind: 'postgres' | 'pglite';
  /** Connection string of this file's own database (postgres only), for a second client. */
  readonly url?: string;
  close(): Promise<void>;
}

/**
 * One database per test file: a fresh database on DATABASE_URL's server (dropped afterwards), or an
 * in-memory PGlite. Migrations are applied either way, so tests run against the real schema.
 */
export async function testDatabase(name: string, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const db = await connectEmbedded();
    if (options.migrate !== false) await migrateToLatest(db);
    return { db, kind: 'pglite', close: () => db.destroy() };
  }
  const scratch = await scratchDatabase(
    serverUrl,
    `lms_${name.replace(/\W/g, '_')}_${process.pid}`.toLowerCase(),
  );
  if (options.migrate !== false) await migrateToLatest(scratch.db);
  return scratch;
}

/** A new, empty database on a PostgreSQL server (replacing one of the same name); close() drops it. */
export async function scratchDatabase(serverUrl: string, dbName: string): Promise<TestDatabase> {
  const admin = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new Pool({ connectionString: serverUrl, max: 1 }) }),
  });
  await sql`drop database if exists ${sql.id(dbName)} with (force)`.execute(admin);
  await sql`create database ${sql.id(dbName)}`.execute(admin);
  const url = new URL(serverUrl);
  url.pathname = `/${dbName}`;
  const db = connectPostgres({ connectionString: url.toString(), maxConnections: 20 });
  return {
    db,
    kind: 'postgres',
    url: url.toString(),
    async close() {
      await db.destroy();
      await sql`drop database if exists ${sql.id(dbName)} with (force)`.execute(admin);
      await admin.destroy();
    },
  };
}
