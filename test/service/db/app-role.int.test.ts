import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { APP_GROUP_ROLE, grantAppRole } from '#service/db/app-role';
import { connectPostgres } from '#service/db/connect';
import { appConnection } from '../service-fixture';
import { testDatabase, type TestDatabase } from '../test-database';

/*
 * The service's login role on a PostgreSQL server (PGlite has one user and no roles to test). Roles belong to
 * the server, so this file's login role has a name of its own and is dropped afterwards.
 */
const onServer = process.env.DATABASE_URL ? describe : describe.skip;

let t: TestDatabase;
let app: Kysely<unknown>;
const login = { username: `lms_app_test_${process.pid}`, password: randomUUID() };

const connectAs = (username: string) => {
  const url = new URL(t.url!);
  url.username = username;
  url.password = login.password;
  return connectPostgres({ connectionString: url.toString(), maxConnections: 2 }) as Kysely<unknown>;
};

/** The SQLSTATE a statement fails with, or 'ok'. */
const outcome = (statement: ReturnType<typeof sql>) =>
  statement.execute(app).then(
    () => 'ok',
    (e: { code?: string }) => e.code ?? 'no code',
  );

onServer('the service’s database role', () => {
  beforeAll(async () => {
    t = await testDatabase('app_role');
    await grantAppRole(t.db as Kysely<unknown>, login);
    // Twice: a deploy grants again after every migration run.
    await grantAppRole(t.db as Kysely<unknown>, login);
    app = connectAs(login.username);
  });
  afterAll(async () => {
    await app?.destroy();
    await t?.close();
    const admin = connectPostgres({ connectionString: process.env.DATABASE_URL!, maxConnections: 1 });
    await sql`drop role if exists ${sql.id(login.username)}`.execute(admin);
    await admin.destroy();
  });

  it('logs in with the secret’s password, as a member of the group role and nothing more', async () => {
    const { rows } = await sql<{ user: string; super: boolean; createrole: boolean; createdb: boolean }>`
      select current_user as user, rolsuper as super, rolcreaterole as createrole, rolcreatedb as createdb
      from pg_roles where rolname = current_user`.execute(app);
    expect(rows).toEqual([{ user: login.username, super: false, createrole: false, createdb: false }]);
    const { rows: groups } = await sql<{ group: string }>`
      select g.rolname as group from pg_auth_members m
      join pg_roles g on g.oid = m.roleid join pg_roles u on u.oid = m.member
      where u.rolname = current_user`.execute(app);
    expect(groups).toEqual([{ group: APP_GROUP_ROLE }]);
  });

  it('reads and writes rows, uses sequences and calls the schema’s functions', async () => {
    const eventId = randomUUID();
    expect(await outcome(sql`insert into processed_events (event_id) values (${eventId})`)).toBe('ok');
    expect(
      await outcome(sql`update processed_events set processed_at = now() where event_id = ${eventId}`),
    ).toBe('ok');
    expect(await outcome(sql`delete from processed_events where event_id = ${eventId}`)).toBe('ok');
    expect(await outcome(sql`insert into outbox (type, payload) values ('t', '{}')`)).toBe('ok');
    expect(await outcome(sql`select count(*) from learning_audit`)).toBe('ok');
    // The viewing runs still open, which the audit export reads, and the idle-run worker's function.
    expect(await outcome(sql`select count(*) from learning_audit_open_runs`)).toBe('ok');
    expect(await outcome(sql`select close_idle_viewing_runs(now())`)).toBe('ok');
    // The audit archive's drop of a month, which checks the month itself (here: none such, refused).
    expect(
      await outcome(sql`select learning_audit_archive_month('2001-01-01', 'k', 0, 'x', null, null, 'x',
        ${'0'.repeat(64)}, 1)`),
    ).toBe('LM409');
    // A function of the schema, called as the heartbeat route calls it (refused for an unknown enrollment).
    expect(
      await outcome(sql`select * from record_heartbeat(
        p_enrollment_id => ${randomUUID()}::uuid, p_user_sub => 'x', p_content_id => ${randomUUID()}::uuid,
        p_session_id => 's', p_sequence => 1, p_position => 0, p_playback_rate => 1, p_now => now(),
        p_today => current_date, p_daily_lesson_cap => null, p_content_complete_share => 0.8,
        p_max_beat_gap_seconds => 30, p_playhead_tolerance_seconds => 5)`),
    ).toBe('LM404');
  });

  it.each([
    ['create a table', sql`create table mischief (id int)`],
    ['drop a table', sql`drop table enrollments`],
    ['alter a table', sql`alter table enrollments add column mischief int`],
    ['truncate a table', sql`truncate enrollments`],
    ['rewrite the audit trail', sql`update learning_audit set detail = '{}'`],
    ['delete from the audit trail', sql`delete from learning_audit`],
    ['rewrite a month of the audit trail', sql`update learning_audit_default set detail = '{}'`],
    ['delete a month of the audit trail', sql`delete from learning_audit_default`],
    [
      'detach a month of the audit trail',
      sql`alter table learning_audit detach partition learning_audit_default`,
    ],
    ['rewrite an archived month’s record', sql`update learning_audit_archives set row_count = 0`],
    ['delete an archived month’s record', sql`delete from learning_audit_archives`],
    ['read the migration bookkeeping', sql`select * from kysely_migration`],
    ['forge a migration', sql`insert into kysely_migration (name, timestamp) values ('9999_x', 'now')`],
    [
      'replace a function',
      sql`create or replace function record_heartbeat() returns int language sql as 'select 1'`,
    ],
    ['make a role', sql`create role mischief`],
  ])('may not %s (permission denied)', async (_, statement) => {
    expect(await outcome(statement)).toBe('42501');
  });

  it('takes the secret’s password again when the secret changes', async () => {
    // Trust authentication here ignores passwords: the stored SCRAM verifier shows which one is set.
    const verifier = async () =>
      (
        await sql<{ verifier: string }>`
          select rolpassword as verifier from pg_authid where rolname = ${login.username}`.execute(t.db)
      ).rows[0]!.verifier;
    const before = await verifier();
    expect(before).toMatch(/^SCRAM-SHA-256\$/);
    await grantAppRole(t.db as Kysely<unknown>, { ...login, password: randomUUID() });
    expect(await verifier()).not.toBe(before);
  });

  it('refuses a role name that is not plain, before touching the server', async () => {
    await expect(
      grantAppRole(t.db as Kysely<unknown>, { username: 'x"; drop', password: 'p' }),
    ).rejects.toThrow(/Not a plain role name/);
  });

  it('is what the service fixture connects the service as', async () => {
    const db = await appConnection(t);
    try {
      const { rows } = await sql<{ user: string }>`select current_user as user`.execute(db);
      expect(rows).toEqual([{ user: 'lms_app' }]);
    } finally {
      await db.destroy();
    }
  });
});
