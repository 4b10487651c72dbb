import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Kysely, sql } from 'kysely';
import type { Identity } from '#contracts/access-token';
import { COMPLIANCE_PROFILES } from '#contracts/compliance-profiles';
import { HEARTBEATS } from '#contracts/heartbeats';
import { MIGRATIONS_DIR, migrateToLatest } from '#service/db/migrate';
import type { Database } from '#service/db/schema';
import { recordHeartbeat } from '#service/learning/progress';
import { closeIdleViewingRuns } from '#service/learning/viewing-runs';
import { Client } from 'pg';
import { seedProvision, seedVideoCourse } from '../test/service/seed';
import { scratchDatabase } from '../test/service/test-database';
import { seededRandom } from '../test/service/seeded-random';

/**
 * The audit trail's size per credited learning hour (issue 22), before and after migration 0017 (one credit
 * row per beat, then one per viewing run, written once the run is over; its detail denser since 0020). Each
 * database gets the same learners' viewing: lessons of 600 s played through at 1x with a beat every
 * HEARTBEATS.videoSeconds, a pause now and then (a third of them longer than the gap a run tolerates), each
 * learner's beats in order through recordHeartbeat (the heartbeat route's own call), `--parallel` learners at
 * a time; after 0017 the idle-run closer runs every 5 minutes of viewing, as the service's worker would, and
 * closes the last runs at the end.
 * Measured: the audit table's pages with its indexes, TOAST, free space and visibility maps (every
 * partition's), grown from empty, by relation and with the heap's free bytes, kept three ways:
 *  - autovacuum held off for the whole load (the audit table's and content_progress's);
 *  - VACUUM of both after every 5 minutes of viewing, as autovacuum does to a table with new rows;
 *  - the same VACUUMs while another connection to the database holds a snapshot for the whole load (a long
 *    report or a forgotten transaction), so that no row version a beat leaves behind can be pruned;
 * and each also after VACUUM FULL: the rows and index entries alone, and where a credit row's bytes go then
 * (heap and each index per row, the tuple by column, and what each key of its detail adds: 0020's denser
 * run detail against 0017's is read there). Beside it, content_progress's growth, where an open run now
 * lives: its pages are the progress the learner's page reads, rewritten by every beat before and after.
 * Reproduce: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:audit [-- --learners 100 --hours 1]
 */
const GOAL_RATIO = 0.1;
const RUNS_MIGRATION = '0017_audit_viewing_runs.sql';
const LESSONS = 12;
const LESSON_SECONDS = 600;
const server = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const profile = COMPLIANCE_PROFILES.standard;
const START = new Date('2026-12-10T01:00:00Z').getTime();

const { values: args } = parseArgs({
  options: {
    learners: { type: 'string', default: '100' },
    hours: { type: 'string', default: '1' },
    parallel: { type: 'string', default: '8' },
  },
});
const LEARNERS = Number(args.learners);
const HOURS = Number(args.hours);
const PARALLEL = Number(args.parallel);

interface Beat {
  readonly content: number;
  readonly sequence: number;
  readonly position: number;
  readonly at: number;
}

/** A learner's hours of viewing: lessons in order, paused every ~4 minutes for 5-90 s. */
function viewing(learner: number): Beat[] {
  const next = seededRandom(learner + 1);
  const beats: Beat[] = [];
  let at = START + learner * 7_000;
  let sequence = 0;
  let content = 0;
  let position = 0;
  const end = at + HOURS * 3600_000;
  while (at < end) {
    beats.push({ content: content % LESSONS, sequence: ++sequence, position, at });
    if (position >= LESSON_SECONDS) {
      content++;
      position = 0;
      at += 5_000;
      continue;
    }
    // Playback between beats, and sometimes a pause: the playhead waits while the clock runs.
    at += HEARTBEATS.videoSeconds * 1000;
    position = Math.min(LESSON_SECONDS, position + HEARTBEATS.videoSeconds);
    if (next() < HEARTBEATS.videoSeconds / 240) at += 5_000 + Math.floor(next() * 85_000);
  }
  return beats;
}

type Keeping = 'autovacuum held off' | 'VACUUM every 5 min' | 'VACUUM, a snapshot held';

interface Measure {
  readonly label: string;
  readonly beats: number;
  readonly creditedSeconds: number;
  readonly creditRows: number;
  readonly bytes: number;
  /** content_progress's growth, where an open run lives after 0017. */
  readonly progressBytes: number;
  /** After VACUUM FULL: the rows and index entries alone, as an archive or a rewrite would keep them. */
  readonly compactBytes: number;
  /**
   * The same of the credits alone: gates and completions (a lesson's completion every ~10 credited minutes
   * here) are written alike before and after, and viewing runs cannot shrink them.
   */
  readonly compactCreditBytes: number;
  readonly beatsPerSecond: number;
  /**
   * The longest a transaction with an xid in another database of the server had been open, sampled every 5
   * minutes of viewing: every snapshot's xmin is at most its xid, so it holds back pruning here too.
   */
  readonly foreignHoldSeconds: number;
  /** Where a compacted credit row's bytes go, averaged over the credit rows. */
  readonly breakdown: Breakdown;
  /** `bytes` by relation: what the load left, before compaction. */
  readonly grown: Readonly<Record<string, number>>;
}

interface Breakdown {
  /** Heap pages over the rows: the tuples, their line pointers and the pages' free space. */
  readonly heap: number;
  /** pg_column_size of the whole row: the tuple's header and every column, aligned. */
  readonly tuple: number;
  readonly columns: Readonly<Record<string, number>>;
  /** What each detail key costs: the detail's size with it less the size without it. */
  readonly detailKeys: Readonly<Record<string, number>>;
  readonly indexes: Readonly<Record<string, number>>;
  readonly toast: number;
}

/**
 * The audit table's relations, each leaf's heap, TOAST (with its index), free space and visibility maps and
 * index entries, by what they are: 'heap', 'TOAST', 'maps', or the index's name (a partition's by its parent's).
 */
async function relationBytes(db: Kysely<Database>): Promise<Map<string, number>> {
  const { rows } = await sql<{ what: string; bytes: string }>`
    with leaves as (
      select relid from pg_partition_tree('learning_audit') where isleaf
      union select 'learning_audit'::regclass where not exists (select from pg_partition_tree('learning_audit')))
    select 'heap' as what, sum(pg_relation_size(c.oid))::text as bytes
    from leaves l join pg_class c on c.oid = l.relid
    union all
    select 'TOAST', coalesce(sum(pg_total_relation_size(nullif(c.reltoastrelid, 0))), 0)::text
    from leaves l join pg_class c on c.oid = l.relid
    union all
    select 'maps', (sum(pg_relation_size(c.oid, 'fsm') + pg_relation_size(c.oid, 'vm')) + (
      select coalesce(sum(pg_relation_size(i.indexrelid, 'fsm')), 0) from leaves l2
      join pg_index i on i.indrelid = l2.relid))::text
    from leaves l join pg_class c on c.oid = l.relid
    union all
    select coalesce(parent.relname, ic.relname), sum(pg_relation_size(ic.oid))::text
    from leaves l join pg_index i on i.indrelid = l.relid join pg_class ic on ic.oid = i.indexrelid
    left join pg_inherits h on h.inhrelid = ic.oid left join pg_class parent on parent.oid = h.inhparent
    group by 1`.execute(db);
  return new Map(rows.map((r) => [r.what, Number(r.bytes)]));
}

/**
 * Free bytes in the audit table's heap pages (pgstattuple, where the server has it): pages the rows do not
 * fill, among them those PostgreSQL adds ahead when inserters wait on each other to extend the table.
 */
async function heapFreeBytes(db: Kysely<Database>): Promise<number> {
  try {
    await sql`create extension if not exists pgstattuple`.execute(db);
  } catch {
    return NaN;
  }
  const { rows } = await sql<{ bytes: string }>`
    select coalesce(sum((pgstattuple(relid)).free_space), 0)::text as bytes from (
      select relid from pg_partition_tree('learning_audit') where isleaf
      union select 'learning_audit'::regclass where not exists (select from pg_partition_tree('learning_audit'))) t
  `.execute(db);
  return Number(rows[0]!.bytes);
}

/** Where the credit rows' bytes go, once they are alone in the trail and compacted: grown from `empty`. */
async function breakdown(db: Kysely<Database>, empty: Map<string, number>): Promise<Breakdown> {
  const n = Number(
    (await sql<{ n: string }>`select count(*)::text as n from learning_audit`.execute(db)).rows[0]!.n,
  );
  const grown = new Map(
    [...(await relationBytes(db))].map(([what, bytes]) => [what, (bytes - (empty.get(what) ?? 0)) / n]),
  );
  const { heap, TOAST, ...indexes } = Object.fromEntries([...grown].filter(([what]) => what !== 'maps'));
  const { rows: columns } = await sql<Record<string, string>>`
    select avg(pg_column_size(a.*))::text as tuple, avg(pg_column_size(id))::text as id,
      avg(pg_column_size(enrollment_id))::text as enrollment_id, avg(pg_column_size(user_sub))::text as user_sub,
      avg(pg_column_size(kind))::text as kind, avg(pg_column_size(content_id))::text as content_id,
      avg(pg_column_size(detail))::text as detail, avg(pg_column_size(at))::text as at
    from learning_audit a`.execute(db);
  const { rows: keys } = await sql<{ key: string; bytes: string }>`
    select k.key, (sum(pg_column_size(a.detail) - pg_column_size(a.detail - k.key))::float8 / ${n})::text as bytes
    from learning_audit a cross join lateral jsonb_object_keys(a.detail) k(key) group by k.key
    order by k.key`.execute(db);
  const { tuple, ...rest } = columns[0]!;
  return {
    heap: heap ?? 0,
    tuple: Number(tuple),
    columns: Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, Number(v)])),
    detailKeys: Object.fromEntries(keys.map((k) => [k.key, Number(k.bytes)])),
    indexes,
    toast: TOAST ?? 0,
  };
}

const bytesOf = (r: Readonly<Record<string, number>>) =>
  Object.entries(r)
    .map(([k, v]) => `${k} ${v.toFixed(1)}`)
    .join(', ');

async function foreignHold(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ s: number }>`
    select coalesce(max(extract(epoch from now() - xact_start)), 0)::float8 as s from pg_stat_activity
    where backend_xid is not null and datname is distinct from current_database()`.execute(db);
  return rows[0]!.s;
}

/** Simulated time between two VACUUMs when the table is kept. */
const VACUUM_EVERY_MS = 5 * 60_000;

/** Pages of content_progress, its indexes and TOAST. */
async function progressBytes(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ bytes: string }>`
    select pg_total_relation_size('content_progress')::text as bytes`.execute(db);
  return Number(rows[0]!.bytes);
}

/** Pages of the audit table, its indexes and TOAST: of every partition, if it has them. */
async function auditBytes(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ bytes: string }>`
    select coalesce(sum(pg_total_relation_size(relid)), 0)::text as bytes from (
      select relid from pg_partition_tree('learning_audit') union select 'learning_audit'::regclass) t`.execute(
    db,
  );
  return Number(rows[0]!.bytes);
}

/** Holds autovacuum off every partition, so what the load leaves behind is measured as it is. */
async function holdAutovacuum(db: Kysely<Database>) {
  const { rows } = await sql<{ name: string }>`
    select relid::regclass::text as name from (
      select relid from pg_partition_tree('learning_audit') where isleaf
      union select 'learning_audit'::regclass where not exists (select from pg_partition_tree('learning_audit'))
      union select 'content_progress'::regclass) t
  `.execute(db);
  for (const r of rows)
    await sql`alter table ${sql.raw(r.name)} set (autovacuum_enabled = false)`.execute(db);
}

async function measure(
  label: string,
  migrationsDir: string,
  keeping: Keeping,
  runs: boolean,
): Promise<Measure> {
  const scratch = await scratchDatabase(server, 'lms_bench_audit');
  const db = scratch.db;
  const vacuum = keeping !== 'autovacuum held off';
  let holder: Client | undefined;
  try {
    await migrateToLatest(db, migrationsDir);
    const { institutionId, courseId, videoIds } = await seedVideoCourse(db, { videos: LESSONS, ready: true });
    const { provisionId } = await seedProvision(db, {
      institutionId,
      courseId,
      startsOn: '2026-12-01',
      endsOn: '2027-02-28',
    });
    const learners: Array<{ identity: Identity; enrollmentId: string; sessionId: string; beats: Beat[] }> =
      [];
    for (let i = 0; i < LEARNERS; i++) {
      const identity: Identity = { sub: `bench-learner-${i}`, email: undefined, roles: ['learner'] };
      const e = await db
        .insertInto('enrollments')
        .values({ provision_id: provisionId, course_id: courseId, user_sub: identity.sub })
        .returning('id')
        .executeTakeFirstOrThrow();
      // A tab's id as the player makes it (a UUID), the same in both databases.
      const sessionId = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
      learners.push({ identity, enrollmentId: e.id, sessionId, beats: viewing(i) });
    }
    await holdAutovacuum(db);
    const empty = await auditBytes(db);
    const emptyRelations = await relationBytes(db);
    const emptyProgress = await progressBytes(db);
    if (keeping === 'VACUUM, a snapshot held') {
      holder = new Client({ connectionString: scratch.url });
      await holder.connect();
      await holder.query('begin isolation level repeatable read');
      await holder.query('select count(*) from enrollments');
    }
    let beats = 0;
    let creditedSeconds = 0;
    let loadMs = 0;
    let foreignHoldSeconds = 0;
    const last = Math.max(...learners.map((l) => l.beats.at(-1)!.at));
    for (let from = START; from <= last; from += VACUUM_EVERY_MS) {
      const started = performance.now();
      let next = 0;
      await Promise.all(
        Array.from({ length: PARALLEL }, async () => {
          for (let i = next++; i < LEARNERS; i = next++) {
            const { identity, enrollmentId, sessionId } = learners[i]!;
            for (const beat of learners[i]!.beats) {
              if (beat.at < from || beat.at >= from + VACUUM_EVERY_MS) continue;
              const result = await recordHeartbeat(
                db,
                identity,
                enrollmentId,
                {
                  contentId: videoIds[beat.content]!,
                  sessionId,
                  sequence: beat.sequence,
                  position: beat.position,
                  playbackRate: 1,
                },
                profile,
                new Date(beat.at),
              );
              beats++;
              creditedSeconds += result.creditedSeconds;
            }
          }
        }),
      );
      // The service's closer, a pass at the end of these 5 minutes: the runs idle by then go to the trail.
      if (runs) {
        const closing = performance.now();
        while ((await closeIdleViewingRuns(db, new Date(from + VACUUM_EVERY_MS))) > 0);
        loadMs += performance.now() - closing;
      }
      loadMs += performance.now() - started;
      foreignHoldSeconds = Math.max(foreignHoldSeconds, await foreignHold(db));
      if (vacuum) await sql`vacuum learning_audit, content_progress`.execute(db);
    }
    // The last runs, once idle: every credited second is in the trail.
    if (runs) while ((await closeIdleViewingRuns(db, new Date(last + 3600_000))) > 0);
    const { rows } = await sql<{ n: number; seconds: number }>`
      select count(*)::int as n, coalesce(sum((detail->>'seconds')::int), 0)::int as seconds
      from learning_audit where kind = 'credit'`.execute(db);
    if (rows[0]!.seconds !== creditedSeconds)
      throw new Error(`${label}: the trail holds ${rows[0]!.seconds} s of ${creditedSeconds} s credited`);
    const bytes = (await auditBytes(db)) - empty;
    const grown = Object.fromEntries(
      [...(await relationBytes(db))].map(([what, b]) => [what, b - (emptyRelations.get(what) ?? 0)]),
    );
    grown['heap free'] = await heapFreeBytes(db);
    const progress = (await progressBytes(db)) - emptyProgress;
    await holder?.query('rollback');
    await sql`vacuum full learning_audit`.execute(db);
    const compactBytes = (await auditBytes(db)) - empty;
    // A scratch database's trail: the append-only trigger is held off for this one delete.
    await db.connection().execute(async (c) => {
      await sql`set session_replication_role = replica`.execute(c);
      await sql`delete from learning_audit where kind <> 'credit'`.execute(c);
      await sql`reset session_replication_role`.execute(c);
    });
    await sql`vacuum full learning_audit`.execute(db);
    const where = await breakdown(db, emptyRelations);
    return {
      label,
      beats,
      creditedSeconds,
      creditRows: rows[0]!.n,
      bytes,
      progressBytes: progress,
      compactBytes,
      compactCreditBytes: (await auditBytes(db)) - empty,
      beatsPerSecond: beats / (loadMs / 1000),
      foreignHoldSeconds,
      breakdown: where,
      grown,
    };
  } finally {
    await holder?.end();
    await scratch.close();
  }
}

async function migrationsBeforeRuns(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-audit-migrations-'));
  for (const file of await readdir(MIGRATIONS_DIR)) {
    if (file.endsWith('.sql') && file < RUNS_MIGRATION)
      await copyFile(join(MIGRATIONS_DIR, file), join(dir, file));
  }
  return dir;
}

const perHour = (bytes: number, m: Measure) => bytes / (m.creditedSeconds / 3600);
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

async function main() {
  const beforeDir = await migrationsBeforeRuns();
  try {
    console.log(
      `${LEARNERS} learners x ${HOURS} h of viewing, a beat every ${HEARTBEATS.videoSeconds} s, ${PARALLEL} at a time`,
    );
    const ratios: number[] = [];
    const keepings: Keeping[] = ['autovacuum held off', 'VACUUM every 5 min', 'VACUUM, a snapshot held'];
    for (const kept of keepings) {
      const before = await measure(`per beat, ${kept}`, beforeDir, kept, false);
      const after = await measure(`runs (0017, 0020), ${kept}`, MIGRATIONS_DIR, kept, true);
      for (const m of [before, after]) {
        console.log(
          [
            m.label.padEnd(40),
            `${m.beats} beats`,
            `${(m.creditedSeconds / 3600).toFixed(1)} credited h`,
            `${m.creditRows} credit rows`,
            `${kb(m.bytes)}`,
            `${kb(perHour(m.bytes, m))} per credited h`,
            `${kb(perHour(m.compactBytes, m))} compacted (credits ${kb(perHour(m.compactCreditBytes, m))})`,
            `content_progress ${kb(perHour(m.progressBytes, m))} per credited h`,
            `${m.beatsPerSecond.toFixed(0)} beats/s`,
            `another database's transaction open up to ${m.foreignHoldSeconds.toFixed(0)} s`,
          ].join(' | '),
        );
      }
      for (const m of [before, after]) {
        const b = m.breakdown;
        console.log(
          `  ${m.label}, grown by: ${Object.entries(m.grown)
            .map(([what, bytes]) => `${what} ${kb(bytes)}`)
            .join(', ')}`,
        );
        console.log(
          `  a compacted credit row of ${m.label}, bytes: heap ${b.heap.toFixed(1)} (tuple ${b.tuple.toFixed(1)}: ` +
            `${bytesOf(b.columns)}; detail keys: ${bytesOf(b.detailKeys)}), indexes: ${bytesOf(b.indexes)}, ` +
            `TOAST ${b.toast.toFixed(1)}`,
        );
      }
      if (before.creditedSeconds !== after.creditedSeconds) {
        throw new Error(
          `Credited seconds differ: ${before.creditedSeconds} before, ${after.creditedSeconds} after`,
        );
      }
      const ratio = perHour(after.bytes, after) / perHour(before.bytes, before);
      const compact = perHour(after.compactBytes, after) / perHour(before.compactBytes, before);
      const credits = after.compactCreditBytes / before.compactCreditBytes;
      ratios.push(ratio);
      console.log(
        `  after/before, ${kept}: ${ratio.toFixed(3)} of the bytes per credited hour (goal <= ${GOAL_RATIO}), ` +
          `${compact.toFixed(3)} compacted (the credits alone ${credits.toFixed(3)}), ` +
          `heartbeat throughput ${(after.beatsPerSecond / before.beatsPerSecond).toFixed(2)}x`,
      );
    }
    console.log(
      'Reproduce: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:audit ' +
        `-- --learners ${LEARNERS} --hours ${HOURS} --parallel ${PARALLEL}`,
    );
    if (Math.max(...ratios) > GOAL_RATIO) process.exitCode = 1;
  } finally {
    await rm(beforeDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
