import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { Pool } from 'pg';
import { createAccessTokenVerifier } from '#contracts/access-token';
import { LOCAL_CLIENT_ID, LocalTokenIssuer } from '#local/token-issuer';
import { buildCoreService } from '#service/app';
import { connectPostgres } from '#service/db/connect';
import { migrateToLatest } from '#service/db/migrate';
import type { Database } from '#service/db/schema';
import { scratchDatabase } from '../test/service/test-database';

/**
 * The institution analytics routes (issue 22) against one institution's history of 5k, 50k and 500k
 * enrollments: the median and p90 of 20 requests per route, sent one after another over HTTP on loopback
 * to the service in this process, and the answer's size. One database per size, seeded by bulk SQL on the
 * server and kept while its recipe is unchanged, so a rerun only migrates (new migrations apply to the
 * kept data) and measures.
 * Reproduce: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:analytics [-- --sizes 5000,50000]
 */
const REQUESTS = 20;
const WARM_UP = 2;
const GOAL_MS = 50;
const GOAL_GROWTH = 1.5;
const server = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** Enrollments per provision: 5k enrollments make 100 provisions, 500k make 10,000. */
const PER_PROVISION = 50;
const COURSES = 50;
const COMPANIES = 100;
/** The months the history covers: provisions start from 2025-01-01 over ~700 days. */
const RANGE = { from: '2026-01', to: '2026-12' };

/**
 * The history as SQL, every id derived from its ordinal (md5 of a tag and the number), so rows refer to
 * each other by formula rather than by joins and the seed is one INSERT … SELECT per table.
 * Enrollment i is in provision i / 50, whose company is p % 100 and course (p + p / 100) % 50.
 */
function seedStatements(n: number): string[] {
  const provisions = Math.ceil(n / PER_PROVISION);
  const extra = Math.ceil(provisions / 10);
  const pool = Math.max(PER_PROVISION, Math.floor(n / 3));
  // Version 4 and its variant marked, as zod's uuid() wants of an id in a path.
  const id = (tag: string, expr: string) =>
    `overlay(overlay(md5('${tag}' || ${expr}) placing '4' from 13) placing '8' from 17)::uuid`;
  // Each block of 100 provisions pairs the companies with courses shifted by one: the pairs (the completion
  // answer's rows) grow with history up to all 5,000.
  const courseOf = (p: string) => `((${p}) + (${p}) / ${COMPANIES}) % ${COURSES}`;
  const provisionStart = (p: string) => `(date '2025-01-01' + ((${p}) * 7919 % 700))`;
  return [
    `insert into institutions (id, name, owner_name, business_number, certification_number, contact_email,
       contact_phone, created_by)
     values (${id('inst', "''")}, 'Bench Academy', 'B', '1234567891', 'C', 'office@bench.example', '0', 'bench')`,
    `insert into institution_members (institution_id, user_sub, role)
     values (${id('inst', "''")}, 'bench-manager', 'institution-manager')`,
    `insert into courses (id, institution_id, title, state, created_at)
     select ${id('c', 'k')}, ${id('inst', "''")}, 'Course ' || lpad(k::text, 2, '0'), 'published',
       timestamptz '2024-12-01' from generate_series(0, ${COURSES - 1}) k`,
    `insert into chapters (id, course_id, title, position)
     select ${id('ch', 'k')}, ${id('c', 'k')}, 'Chapter', 0 from generate_series(0, ${COURSES - 1}) k`,
    `insert into contents (id, course_id, chapter_id, kind, title, position, media_state, duration_seconds)
     select ${id('v', "k || '-' || j")}, ${id('c', 'k')}, ${id('ch', 'k')}, 'video', 'Lesson ' || j, j,
       'ready', 600
     from generate_series(0, ${COURSES - 1}) k, generate_series(0, 1) j`,
    `insert into contents (id, course_id, chapter_id, kind, title, position)
     select ${id('x', 'k')}, ${id('c', 'k')}, ${id('ch', 'k')}, 'exam', 'Final exam', 2
     from generate_series(0, ${COURSES - 1}) k`,
    `insert into exams (content_id, stage, weight)
     select ${id('x', 'k')}, 'final', 100 from generate_series(0, ${COURSES - 1}) k`,
    `insert into companies (id, name, owner_name, business_number, email, phone, created_by)
     select ${id('co', 'k')}, 'Company ' || lpad(k::text, 3, '0'), 'O', lpad((2000000000 + k)::text, 10, '0'),
       'hr' || k || '@bench.example', '0', 'bench'
     from generate_series(0, ${COMPANIES - 1}) k`,
    // The accepted provisions, which have the enrollments, then a tenth more requested or rejected ones.
    `insert into provisions (id, company_id, course_id, institution_id, starts_on, ends_on, attendee_count,
       enrolled_count, deposit_amount, state, requested_by, created_at)
     select ${id('p', 'p')}, ${id('co', `p % ${COMPANIES}`)}, ${id('c', courseOf('p'))},
       ${id('inst', "''")}, ${provisionStart('p')}, ${provisionStart('p')} + 30 + p % 60,
       ${PER_PROVISION}, case when p < ${provisions} then ${PER_PROVISION} else 0 end, 0,
       case when p < ${provisions} then 'accepted' when p % 2 = 0 then 'requested' else 'rejected' end,
       'bench', ${provisionStart('p')} - 14
     from generate_series(0, ${provisions + extra - 1}) p`,
    `insert into enrollments (id, provision_id, course_id, user_sub, created_at, completed_at, score)
     select ${id('e', 'i')}, ${id('p', `i / ${PER_PROVISION}`)}, ${id('c', courseOf(`i / ${PER_PROVISION}`))},
       'bench-learner-' || (i % ${pool}),
       ${provisionStart(`i / ${PER_PROVISION}`)} + (i % 20) * interval '1 day' + (i % 24) * interval '1 hour',
       case when i % 5 < 2 then ${provisionStart(`i / ${PER_PROVISION}`)} + interval '25 days' end,
       case when i % 5 < 2 then 60 + i % 41 end
     from generate_series(0, ${n - 1}) i`,
    `insert into affiliations (company_id, user_sub, role, state)
     select distinct ${id('co', `i / ${PER_PROVISION} % ${COMPANIES}`)}, 'bench-learner-' || (i % ${pool}),
       'employee', 'approved'
     from generate_series(0, ${n - 1}) i`,
    // 7 in 10 enrollments watched the first lesson (one in those with a row and no credit), 4 in 10 both.
    `insert into content_progress (enrollment_id, content_id, covered_seconds, updated_at)
     select ${id('e', 'i')}, ${id('v', `${courseOf(`i / ${PER_PROVISION}`)} || '-' || j`)},
       (i % 10) * 60, ${provisionStart(`i / ${PER_PROVISION}`)} + interval '3 days'
     from generate_series(0, ${n - 1}) i, generate_series(0, 1) j
     where i % 10 < case j when 0 then 7 else 4 end`,
    // Two credits per watched lesson.
    `insert into learning_audit (enrollment_id, user_sub, kind, content_id, detail, at)
     select ${id('e', 'i')}, 'bench-learner-' || (i % ${pool}), 'credit',
       ${id('v', `${courseOf(`i / ${PER_PROVISION}`)} || '-' || j`)},
       jsonb_build_object('seconds', 30, 'sequence', r), ${provisionStart(`i / ${PER_PROVISION}`)} + r * interval '1 day'
     from generate_series(0, ${n - 1}) i, generate_series(0, 1) j, generate_series(1, 2) r
     where i % 10 < case j when 0 then 7 else 4 end`,
    `insert into learning_audit (enrollment_id, user_sub, kind, detail, at)
     select ${id('e', 'i')}, 'bench-learner-' || (i % ${pool}), 'completion', '{}',
       ${provisionStart(`i / ${PER_PROVISION}`)} + interval '25 days'
     from generate_series(0, ${n - 1}) i where i % 5 < 2`,
    // A quarter sat the exam.
    `insert into exam_attempts (exam_id, enrollment_id, attempt_no, started_at, submitted_at, submitted_by,
       max_points, score, graded_at)
     select ${id('x', courseOf(`i / ${PER_PROVISION}`))}, ${id('e', 'i')}, 1,
       ${provisionStart(`i / ${PER_PROVISION}`)} + interval '20 days',
       ${provisionStart(`i / ${PER_PROVISION}`)} + interval '20 days 30 minutes', 'learner', 100, i % 101,
       ${provisionStart(`i / ${PER_PROVISION}`)} + interval '20 days 30 minutes'
     from generate_series(0, ${n - 1}) i where i % 4 = 0`,
    // The triggers' plans for the live reports below see the tables the statements above filled (in this
    // transaction, where autovacuum cannot yet): without it the planner took the counters for empty and scanned
    // them once per attendee (at 500k, minutes instead of seconds).
    'analyze',
    // One provision in five has two live lectures, attended by two learners in three.
    `insert into live_lectures (lecture_id, provision_id, course_id, institution_id, title, started_at,
       ended_at, quizzes_sent, occurred_at)
     select ${id('l', "p || '-' || j")}, ${id('p', 'p')}, ${id('c', courseOf('p'))}, ${id('inst', "''")},
       'Live ' || j, ${provisionStart('p')} + (7 * (j + 1)) * interval '1 day',
       ${provisionStart('p')} + (7 * (j + 1)) * interval '1 day' + interval '1 hour', 0,
       ${provisionStart('p')} + (7 * (j + 1)) * interval '1 day' + interval '1 hour'
     from generate_series(0, ${provisions - 1}) p, generate_series(0, 1) j where p % 5 = 0`,
    `insert into live_attendance (lecture_id, enrollment_id, user_sub, joined_at, presence_seconds,
       attendance_rate, quizzes_answered, quizzes_correct, occurred_at)
     select ${id('l', `(i / ${PER_PROVISION}) || '-' || j`)}, ${id('e', 'i')}, 'bench-learner-' || (i % ${pool}),
       ${provisionStart(`i / ${PER_PROVISION}`)} + (7 * (j + 1)) * interval '1 day', 1800 + i % 1800,
       round((1800 + i % 1800) / 3600.0, 6), 0, 0,
       ${provisionStart(`i / ${PER_PROVISION}`)} + (7 * (j + 1)) * interval '1 day' + interval '1 hour'
     from generate_series(0, ${n - 1}) i, generate_series(0, 1) j
     where i / ${PER_PROVISION} % 5 = 0 and i % 3 <> 0`,
    `insert into course_ratings (enrollment_id, course_id, stars, created_at)
     select ${id('e', 'i')}, ${id('c', courseOf(`i / ${PER_PROVISION}`))}, 1 + i % 5,
       ${provisionStart(`i / ${PER_PROVISION}`)} + interval '26 days'
     from generate_series(0, ${n - 1}) i where i % 3 = 0`,
  ];
}

interface Seeded {
  readonly url: string;
  readonly institutionId: string;
  /** The first company by name, for the completion of one company. */
  readonly companyId: string;
  readonly seedSeconds: number | null;
}

/** The size's database, seeded unless one with this recipe is there already; migrated to the latest. */
async function databaseFor(n: number): Promise<Seeded> {
  const statements = seedStatements(n);
  const recipe = createHash('sha256').update(statements.join(';\n')).digest('hex');
  const dbName = `lms_bench_analytics_${n}`;
  const url = new URL(server);
  url.pathname = `/${dbName}`;
  const kept = await keptRecipe(url.toString());
  if (kept === recipe) {
    const db = connectPostgres({ connectionString: url.toString(), maxConnections: 1 });
    await migrateToLatest(db);
    await db.destroy();
    return { url: url.toString(), ...(await institutionOf(url.toString())), seedSeconds: null };
  }
  const started = performance.now();
  // Seeded at the schema of the bench's start: a later migration meets the data as production's would.
  const scratch = await scratchDatabase(server, dbName);
  await migrateToLatest(scratch.db);
  await scratch.db.transaction().execute(async (trx) => {
    for (const statement of statements) await sql.raw(statement).execute(trx);
    await sql`create table bench_seed (recipe text not null)`.execute(trx);
    await sql`insert into bench_seed values (${recipe})`.execute(trx);
  });
  await sql`vacuum analyze`.execute(scratch.db);
  await scratch.db.destroy();
  return {
    url: url.toString(),
    ...(await institutionOf(url.toString())),
    seedSeconds: (performance.now() - started) / 1000,
  };
}

async function keptRecipe(url: string): Promise<string | undefined> {
  const db = new Kysely<unknown>({
    dialect: new PostgresDialect({ pool: new Pool({ connectionString: url, max: 1 }) }),
  });
  try {
    const { rows } = await sql<{ recipe: string }>`select recipe from bench_seed`.execute(db);
    return rows[0]?.recipe;
  } catch {
    return undefined; // no such database or table: seed it
  } finally {
    await db.destroy();
  }
}

async function institutionOf(url: string): Promise<{ institutionId: string; companyId: string }> {
  const db = connectPostgres({ connectionString: url, maxConnections: 1 });
  const { rows } = await sql<{ institutionId: string; companyId: string }>`
    select (select id from institutions) as "institutionId",
      (select id from companies order by name limit 1) as "companyId"`.execute(db);
  await db.destroy();
  return rows[0]!;
}

interface Footprint {
  readonly aggregates: number;
  readonly learnerPeriods: number;
  readonly learnerPeriodRows: number;
  readonly enrollments: number;
}

/** Bytes (indexes included) of the kept counts and of the enrollments table, after a vacuum. */
async function footprintOf(url: string): Promise<Footprint> {
  const db = connectPostgres({ connectionString: url, maxConnections: 1 });
  try {
    await sql`vacuum analyze`.execute(db);
    const { rows } = await sql<Footprint>`
      select (pg_total_relation_size('company_course_counts') + pg_total_relation_size('course_month_enrollments')
          + pg_total_relation_size('course_rating_counts') + pg_total_relation_size('institution_period_counts')
          + pg_total_relation_size('institution_period_learners')
          + pg_total_relation_size('institution_period_provisions')
          + pg_total_relation_size('institution_period_companies')
          + pg_total_relation_size('provision_live_counts'))::float8 as aggregates,
        pg_total_relation_size('institution_period_learners')::float8 as "learnerPeriods",
        (select count(*) from institution_period_learners)::float8 as "learnerPeriodRows",
        pg_total_relation_size('enrollments')::float8 as enrollments`.execute(db);
    return rows[0]!;
  } finally {
    await db.destroy();
  }
}

interface Measure {
  readonly median: number;
  readonly p90: number;
  readonly bytes: number;
}

const ROUTES = [
  { name: 'completion', path: 'completion' },
  { name: 'completion (one company)', path: 'completion?companyId=:company' },
  { name: 'activity (12 months)', path: `activity?period=month&from=${RANGE.from}&to=${RANGE.to}` },
  { name: 'popular-courses (12 months)', path: `popular-courses?from=${RANGE.from}&to=${RANGE.to}` },
  { name: 'ratings', path: 'ratings' },
] as const;

async function measure(seeded: Seeded, issuer: LocalTokenIssuer, verifierBase: string) {
  const serviceDb: Kysely<Database> = connectPostgres({ connectionString: seeded.url });
  const app = await buildCoreService({
    db: serviceDb,
    verifyToken: createAccessTokenVerifier({
      issuer: verifierBase,
      jwksUri: issuer.jwksUri,
      clientIds: [LOCAL_CLIENT_ID],
    }),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const token = (
    await issuer.mintAccessToken({
      sub: 'bench-manager',
      email: 'm@bench.example',
      roles: ['institution-manager'],
    })
  ).access_token;
  const results: Measure[] = [];
  for (const route of ROUTES) {
    const url = `${base}/institutions/${seeded.institutionId}/analytics/${route.path.replace(':company', seeded.companyId)}`;
    const request = async () => {
      const started = performance.now();
      const res = await fetch(url, { headers: { cookie: `lms_access=${token}` } });
      const body = await res.arrayBuffer();
      const ms = performance.now() - started;
      if (res.status !== 200)
        throw new Error(`${url} answered ${res.status}: ${Buffer.from(body).toString()}`);
      return { ms, bytes: body.byteLength };
    };
    for (let i = 0; i < WARM_UP; i++) await request();
    const runs = [];
    for (let i = 0; i < REQUESTS; i++) runs.push(await request());
    const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
    results.push({
      median: (ms[REQUESTS / 2 - 1]! + ms[REQUESTS / 2]!) / 2,
      p90: ms[Math.ceil(0.9 * REQUESTS) - 1]!,
      bytes: runs[0]!.bytes,
    });
  }
  await app.close();
  await serviceDb.destroy();
  return results;
}

async function main() {
  const { values } = parseArgs({ options: { sizes: { type: 'string', default: '5000,50000,500000' } } });
  const sizes = values.sizes.split(',').map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < PER_PROVISION) throw new Error(`--sizes: ${s} is no whole number >= 50`);
    return n;
  });

  let issuer: LocalTokenIssuer | undefined; // eslint-disable-line prefer-const
  const jwks = createServer((_req, res) => res.end(JSON.stringify(issuer!.jwks())));
  jwks.listen(0, '127.0.0.1');
  await once(jwks, 'listening');
  const verifierBase = `http://127.0.0.1:${(jwks.address() as { port: number }).port}`;
  issuer = await LocalTokenIssuer.create(verifierBase);

  const bySize: Measure[][] = [];
  const footprints: Footprint[] = [];
  for (const n of sizes) {
    const seeded = await databaseFor(n);
    console.error(
      `${n} enrollments: ${seeded.seedSeconds === null ? 'kept database' : `seeded in ${seeded.seedSeconds.toFixed(0)} s`}`,
    );
    bySize.push(await measure(seeded, issuer, verifierBase));
    footprints.push(await footprintOf(seeded.url));
  }
  jwks.close();

  const kb = (b: number) => (b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : `${(b / 1e3).toFixed(1)} kB`);
  const growthFrom = sizes.indexOf(50_000);
  const growthTo = sizes.indexOf(500_000);
  console.log(
    `bench/analytics: ${REQUESTS} requests per route and size one after another (after ${WARM_UP} warm-up), HTTP on loopback -> Fastify -> PostgreSQL, ${cpus().length} cores; months ${RANGE.from}..${RANGE.to}`,
  );
  const header = ['route', ...sizes.map((n) => `${n / 1000}k: median / p90 ms, answer`)];
  if (growthFrom >= 0 && growthTo >= 0) header.push('50k->500k');
  header.push(`goal < ${GOAL_MS} ms at the largest, growth < ${GOAL_GROWTH}x`);
  const rows = ROUTES.map((route, r) => {
    const cells = [
      route.name,
      ...bySize.map((m) => `${m[r]!.median.toFixed(1)} / ${m[r]!.p90.toFixed(1)}, ${kb(m[r]!.bytes)}`),
    ];
    let growthMet = true;
    if (growthFrom >= 0 && growthTo >= 0) {
      const growth = bySize[growthTo]![r]!.median / bySize[growthFrom]![r]!.median;
      growthMet = growth < GOAL_GROWTH;
      cells.push(`${growth.toFixed(2)}x`);
    }
    const largest = bySize.at(-1)![r]!.median;
    cells.push(largest < GOAL_MS && growthMet ? 'met' : 'MISSED');
    return cells;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  for (const row of [header, ...rows])
    console.log(`  ${row.map((c, i) => c.padEnd(widths[i]!)).join(' | ')}`);
  console.log('what the kept counts cost (migrations/0016, 0018), beside the enrollments they count:');
  sizes.forEach((n, i) => {
    const f = footprints[i]!;
    console.log(
      `  ${n / 1000}k: counts ${kb(f.aggregates)} (of which the learner-period set ${kb(f.learnerPeriods)}, ${f.learnerPeriodRows} rows); enrollments ${kb(f.enrollments)}`,
    );
  });
  console.log(
    `reproduce: DATABASE_URL=${server.replace(/:[^:@/]*@/, ':***@')} npm run bench:analytics -- --sizes ${sizes.join(',')}`,
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
