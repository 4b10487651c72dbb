import { type Kysely, sql } from 'kysely';

/*
 * The core service's own database role. Migrations run as the database's owner (RDS's master user); the
 * service connects as a login role that may read and write rows and call the schema's functions, and no more:
 * it cannot change the schema, drop or truncate a table, rewrite the audit trail or touch the migration
 * bookkeeping. A bug or an injected statement in the service is held to what the service does anyway.
 *
 * Privileges go to a group role, not to the login role itself, so that a second login role (a rotation
 * scheme that alternates users) is one `grant` away. Every deploy grants again after its migrations, so a new
 * table is covered the deploy that creates it.
 */

/** The group role holding the service's privileges. */
export const APP_GROUP_ROLE = 'lms_app_role';

/** Tables the service may add to but never change: the audit trail, and its archived months' records, are evidence. */
const APPEND_ONLY = ['learning_audit', 'learning_audit_archives'];
/** Kysely's bookkeeping: only migrations write it. */
const MIGRATION_TABLES = ['kysely_migration', 'kysely_migration_lock'];

export interface AppLogin {
  readonly username: string;
  readonly password: string;
}

const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Creates (or brings up to date) the group role's privileges on the current database and the login role with
 * the secret's password, which is the truth: a login role made earlier, or restored from a snapshot, gets the
 * secret's password again. Run by the database's owner after migrations; safe to run again and concurrently.
 */
export async function grantAppRole(db: Kysely<unknown>, login: AppLogin): Promise<void> {
  if (!ROLE_NAME.test(login.username)) throw new Error(`Not a plain role name: ${login.username}`);
  // Roles are the server's, not the database's: another database's migration may be making them right now.
  await ensureRole(db, APP_GROUP_ROLE, sql`create role ${sql.id(APP_GROUP_ROLE)} nologin`);
  // Utility statements take no parameters: the password is quoted by the server (format's %L).
  const { rows } = await sql<{ statement: string }>`
    select format('create role %I login password %L', ${login.username}::text, ${login.password}::text)
      as statement`.execute(db);
  await ensureRole(db, login.username, sql.raw(rows[0]!.statement));
  const { rows: alter } = await sql<{ statement: string }>`
    select format('alter role %I with login password %L', ${login.username}::text, ${login.password}::text)
      as statement`.execute(db);
  await retryConcurrent(() => sql.raw(alter[0]!.statement).execute(db));
  await retryConcurrent(() => sql`grant ${sql.id(APP_GROUP_ROLE)} to ${sql.id(login.username)}`.execute(db));

  const group = sql.id(APP_GROUP_ROLE);
  const { rows: database } = await sql<{ name: string }>`select current_database() as name`.execute(db);
  await sql`grant connect on database ${sql.id(database[0]!.name)} to ${group}`.execute(db);
  await sql`grant usage on schema public to ${group}`.execute(db);
  await sql`grant select, insert, update, delete on all tables in schema public to ${group}`.execute(db);
  await sql`grant usage, select on all sequences in schema public to ${group}`.execute(db);
  await sql`grant execute on all functions in schema public to ${group}`.execute(db);
  for (const table of APPEND_ONLY) {
    // Partitions are tables of their own that the grant above reached: a statement naming one directly is
    // checked against its privileges, not the parent's.
    const { rows: parts } = await sql<{ name: string }>`
      select relid::regclass::text as name from pg_partition_tree(${table}::regclass)
      union select ${table}`.execute(db);
    for (const part of parts)
      await sql`revoke update, delete on ${sql.id(part.name)} from ${group}`.execute(db);
  }
  for (const table of MIGRATION_TABLES) {
    if (await tableExists(db, table)) await sql`revoke all on ${sql.id(table)} from ${group}`.execute(db);
  }
  // PostgreSQL before 15 lets everyone create in public; the service must not.
  await sql`revoke create on schema public from public`.execute(db);
}

async function tableExists(db: Kysely<unknown>, table: string): Promise<boolean> {
  const { rows } = await sql<{ found: boolean }>`
    select to_regclass(${`public.${table}`}) is not null as found`.execute(db);
  return rows[0]!.found;
}

async function ensureRole(db: Kysely<unknown>, role: string, create: ReturnType<typeof sql.raw>) {
  const { rows } = await sql<{ found: boolean }>`
    select exists (select from pg_roles where rolname = ${role}) as found`.execute(db);
  if (rows[0]!.found) return;
  try {
    await create.execute(db);
  } catch (e) {
    // Made by a concurrent run in between.
    if (!isConcurrentCatalogChange(e)) throw e;
  }
}

/** duplicate_object, unique_violation (pg_authid's index), "tuple concurrently updated" (XX000). */
const isConcurrentCatalogChange = (e: unknown) =>
  ['42710', '23505', 'XX000'].includes((e as { code?: string }).code ?? '');

async function retryConcurrent(run: () => Promise<unknown>) {
  for (let attempt = 1; ; attempt++) {
    try {
      await run();
      return;
    } catch (e) {
      if (!isConcurrentCatalogChange(e) || attempt >= 5) throw e;
    }
  }
}
