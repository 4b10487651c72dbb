import { sql } from 'kysely';
import {
  addAuditPartitions,
  AUDIT_MONTHS_AHEAD,
  startAuditPartitions,
} from '#service/learning/audit-partitions';
import { seedProvision, seedVideoCourse } from '../seed';
import { testDatabase, type TestDatabase } from '../test-database';

let t: TestDatabase;
let enrollmentId: string;

beforeAll(async () => {
  t = await testDatabase('audit_partitions');
  const { institutionId, courseId } = await seedVideoCourse(t.db, { videos: 1, ready: true });
  const { provisionId } = await seedProvision(t.db, {
    institutionId,
    courseId,
    startsOn: '2026-12-01',
    endsOn: '2027-02-28',
  });
  const e = await t.db
    .insertInto('enrollments')
    .values({ provision_id: provisionId, course_id: courseId, user_sub: 'partitioned-learner' })
    .returning('id')
    .executeTakeFirstOrThrow();
  enrollmentId = e.id;
});
afterAll(() => t.close());

const partitions = async () =>
  (
    await sql<{ name: string; bound: string }>`
      select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
      from pg_partition_tree('learning_audit') p join pg_class c on c.oid = p.relid
      where p.isleaf order by c.relname`.execute(t.db)
  ).rows;

/** Appends a grade entry at `at` and says which partition took it. */
async function partitionOf(at: string): Promise<string> {
  const { rows } = await sql<{ partition: string }>`
    insert into learning_audit (enrollment_id, user_sub, kind, detail, at)
    values (${enrollmentId}::uuid, 'partitioned-learner', 'grade', '{}', ${at}::timestamptz)
    returning tableoid::regclass::text as partition`.execute(t.db);
  return rows[0]!.partition;
}

describe('the audit trail by month', () => {
  it('has a partition for each month from the migration’s to a year ahead, bounded by UTC months', async () => {
    const names = (await partitions()).map((p) => p.name);
    expect(names).toContain('learning_audit_default');
    const months = names.filter((n) => /^learning_audit_\d{4}_\d{2}$/.test(n));
    expect(months.length).toBeGreaterThanOrEqual(13);
    const december = (await partitions()).find((p) => p.name === 'learning_audit_2026_12');
    expect(december?.bound).toBe("FOR VALUES FROM ('2026-12-01 00:00:00+00') TO ('2027-01-01 00:00:00+00')");
  });

  it('puts each entry in its month’s partition, and one of a month not made in the default', async () => {
    expect(await partitionOf('2026-12-31T23:59:59.999Z')).toBe('learning_audit_2026_12');
    expect(await partitionOf('2027-01-01T00:00:00Z')).toBe('learning_audit_2027_01');
    expect(await partitionOf('2031-05-02T00:00:00Z')).toBe('learning_audit_default');
  });

  it('makes months ahead from any session time zone, and leaves a month whose rows went to the default', async () => {
    await sql`set timezone = 'Asia/Seoul'`.execute(t.db);
    try {
      // 2031-03 to 2031-06: May has a row in the default partition, so it stays there, readable.
      expect(await addAuditPartitions(t.db, new Date('2031-03-15T00:00:00Z'))).toBe(AUDIT_MONTHS_AHEAD);
      expect(await addAuditPartitions(t.db, new Date('2031-03-15T00:00:00Z'))).toBe(0);
    } finally {
      await sql`set timezone = 'UTC'`.execute(t.db);
    }
    const made = (await partitions()).filter((p) => p.name.startsWith('learning_audit_2031'));
    expect(made).toEqual([
      {
        name: 'learning_audit_2031_03',
        bound: "FOR VALUES FROM ('2031-03-01 00:00:00+00') TO ('2031-04-01 00:00:00+00')",
      },
      {
        name: 'learning_audit_2031_04',
        bound: "FOR VALUES FROM ('2031-04-01 00:00:00+00') TO ('2031-05-01 00:00:00+00')",
      },
      {
        name: 'learning_audit_2031_06',
        bound: "FOR VALUES FROM ('2031-06-01 00:00:00+00') TO ('2031-07-01 00:00:00+00')",
      },
    ]);
    expect(await partitionOf('2031-04-30T23:00:00Z')).toBe('learning_audit_2031_04');
    const entries = await t.db
      .selectFrom('learning_audit')
      .select('at')
      .where('enrollment_id', '=', enrollmentId)
      .orderBy('id')
      .execute();
    expect(entries.map((e) => e.at.toISOString())).toEqual([
      '2026-12-31T23:59:59.999Z',
      '2027-01-01T00:00:00.000Z',
      '2031-05-02T00:00:00.000Z',
      '2031-04-30T23:00:00.000Z',
    ]);
  });

  it('keeps months made ahead from the service’s worker, at its start', async () => {
    const warnings: unknown[] = [];
    let passes = 0;
    const worker = startAuditPartitions({
      db: t.db,
      clock: () => {
        passes++;
        return new Date('2033-01-20T00:00:00Z');
      },
      log: { warn: (message, fields) => warnings.push({ message, fields }) },
    });
    // The first pass starts at once; stop() waits for it to finish.
    await worker.stop();
    expect(warnings).toEqual([]);
    expect(passes).toBe(1);
    expect(
      (await partitions()).map((p) => p.name).filter((n) => n.startsWith('learning_audit_2033')),
    ).toEqual([
      'learning_audit_2033_01',
      'learning_audit_2033_02',
      'learning_audit_2033_03',
      'learning_audit_2033_04',
    ]);
  });

  it('refuses to change or delete entries of a month partition too', async () => {
    await expect(sql`update learning_audit_2026_12 set detail = '{"x": 1}'`.execute(t.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`delete from learning_audit_2027_01`.execute(t.db)).rejects.toThrow(/append-only/);
  });
});
