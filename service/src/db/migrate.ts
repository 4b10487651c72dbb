import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type Kysely,
  type Migration,
  type MigrationProvider,
  type MigrationResultSet,
  Migrator,
  sql,
} from 'kysely';

/** Where the SQL migrations live beside this source tree; bundles pass their own copy's path. */
export const MIGRATIONS_DIR = join(__dirname, '..', '..', 'migrations');

/** Each `NNNN_name.sql` file is one migration, applied in name order, each in its own transaction. */
class SqlFileMigrationProvider implements MigrationProvider {
  constructor(private readonly dir: string) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(this.dir)).filter((f) => /^\d{4}_[a-z0-9_]+\.sql$/.test(f)).sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const text = await readFile(join(this.dir, file), 'utf8');
      migrations[file.replace(/\.sql$/, '')] = {
        up: async (db) => {
          await sql.raw(text).execute(db);
        },
      };
    }
    return migrations;
  }
}

/**
 * Applies every pending migration. Kysely's migrator holds a lock row for the duration, so two runners
 * (a deploy step and a local start, or two tasks) cannot apply the same migration twice.
 */
export async function migrateToLatest<DB>(db: Kysely<DB>, dir = MIGRATIONS_DIR): Promise<MigrationResultSet> {
  const migrator = new Migrator({ db: db as Kysely<unknown>, provider: new SqlFileMigrationProvider(dir) });
  const result = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(
      `Migration ${failed ?? '(unknown)'} failed: ${(result.error as Error).message ?? result.error}`,
    );
  }
  return result;
}
