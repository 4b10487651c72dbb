import { sql } from 'kysely';
import { connectPostgres } from '#service/db/connect';
import { migrateToLatest } from '#service/db/migrate';
import { testDatabase, type TestDatabase } from '../test-database';

let t: TestDatabase;
beforeAll(async () => {
  t = await testDatabase('migrate', { migrate: false });
});
afterAll(() => t.close());

describe('migrations', () => {
  it('apply every SQL file once, in order, and are a no-op the second time', async () => {
    const first = await migrateToLatest(t.db);
    expect(first.results?.map((r) => [r.migrationName, r.status])).toEqual([
      ['0001_core', 'Success'],
      ['0002_media_events', 'Success'],
      ['0003_json_time', 'Success'],
      ['0004_learning_record', 'Success'],
      ['0005_exams_completion', 'Success'],
      ['0006_heartbeat_function', 'Success'],
      ['0007_live_attendance', 'Success'],
      ['0008_live_recordings', 'Success'],
      ['0009_people', 'Success'],
      ['0010_open_sessions', 'Success'],
      ['0011_session_seats', 'Success'],
      ['0012_pace_reminders', 'Success'],
      ['0013_course_titles_in_facts', 'Success'],
      ['0014_analytics_indexes', 'Success'],
      ['0015_enrollment_first_activity', 'Success'],
      ['0016_analytics_aggregates', 'Success'],
      ['0017_audit_viewing_runs', 'Success'],
      ['0018_live_attendance_counts', 'Success'],
      ['0019_audit_archive', 'Success'],
      ['0020_audit_run_detail', 'Success'],
    ]);
    const again = await migrateToLatest(t.db);
    expect(again.results).toEqual([]);
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = 'public' order by table_name`.execute(
      t.db,
    );
    expect(tables.rows.map((r) => r.table_name)).toEqual(
      expect.arrayContaining([
        'institutions',
        'companies',
        'courses',
        'chapters',
        'contents',
        'provisions',
        'enrollments',
        'outbox',
      ]),
    );
  });

  it('index every list query', async () => {
    const indexes = await sql<{
      indexname: string;
    }>`select indexname from pg_indexes where schemaname = 'public'`.execute(t.db);
    expect(indexes.rows.map((r) => r.indexname)).toEqual(
      expect.arrayContaining([
        'courses_institution_state',
        'provisions_company_state',
        'provisions_institution_state',
        'affiliations_company_state',
        'enrollments_user',
        'outbox_unpublished',
        'outbox_published',
        'processed_events_age',
        'learning_audit_enrollment',
        'exam_attempts_enrollment',
        'course_ratings_course',
        'live_lectures_provision',
        'live_attendance_enrollment',
        'chapters_live_recordings',
        'enrollments_incomplete',
      ]),
    );
  });

  it('cannot race: two migrators at once apply each migration once', async () => {
    if (t.kind !== 'postgres') return; // PGlite has one connection: nothing can race there
    const fresh = await testDatabase('migrate_race', { migrate: false });
    const other = connectPostgres({ connectionString: fresh.url! });
    try {
      const [a, b] = await Promise.all([migrateToLatest(fresh.db), migrateToLatest(other)]);
      const applied = [...(a.results ?? []), ...(b.results ?? [])].filter((r) => r.status === 'Success');
      expect(applied.map((r) => r.migrationName)).toEqual([
        '0001_core',
        '0002_media_events',
        '0003_json_time',
        '0004_learning_record',
        '0005_exams_completion',
        '0006_heartbeat_function',
        '0007_live_attendance',
        '0008_live_recordings',
        '0009_people',
        '0010_open_sessions',
        '0011_session_seats',
        '0012_pace_reminders',
        '0013_course_titles_in_facts',
        '0014_analytics_indexes',
        '0015_enrollment_first_activity',
        '0016_analytics_aggregates',
        '0017_audit_viewing_runs',
        '0018_live_attendance_counts',
        '0019_audit_archive',
        '0020_audit_run_detail',
      ]);
    } finally {
      await other.destroy();
      await fresh.close();
    }
  });
});
