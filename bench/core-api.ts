import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Kysely, sql } from 'kysely';
import { createAccessTokenVerifier } from '#contracts/access-token';
import { LOCAL_CLIENT_ID, LocalTokenIssuer } from '#local/token-issuer';
import { buildCoreService } from '#service/app';
import { connectPostgres } from '#service/db/connect';
import { scratchDatabase } from '../test/service/test-database';
import { migrateToLatest } from '#service/db/migrate';
import type { Database } from '#service/db/schema';

/**
 * The core service's hottest routes under load on loopback, each beside pgbench replaying the SQL the
 * route really sent (captured from the service's own pool) on the same server in the same run:
 *  1. the learner's course page (GET /courses/:id: course, curriculum, the caller's enrollment), autocannon;
 *  2. heartbeats (POST /me/enrollments/:id/heartbeats) from 1000 learners' players, bench/load/heartbeats.ts.
 * Reproduce: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:core-api
 */
const execFileAsync = promisify(execFile);
const CONNECTIONS = 64;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const GOAL_RATIO = 0.4;
const GOAL_P99_MS = 25;
const server = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const dbName = 'lms_bench_core_api';

/**
 * Credited beats: one a per-beat credit row, `beats` a viewing run (migration 0017), closed or still open.
 */
async function creditedBeats(db: Kysely<Database>): Promise<{ n: string }> {
  const { rows } = await sql<{ n: string }>`
    select coalesce(sum(case when detail ? 'beats' then (detail->>'beats')::int else 1 end), 0)::text as n
    from (select detail from learning_audit where kind = 'credit'
          union all select detail from learning_audit_open_runs) credits`.execute(db);
  return rows[0]!;
}

async function main() {
  const scratch = await scratchDatabase(server, dbName);
  const db = scratch.db;
  const url = new URL(scratch.url!);
  await migrateToLatest(db);

  // Seed: one institution, a published course of 5 chapters x 6 contents, a company, 1000 enrolled learners.
  const institution = await db
    .insertInto('institutions')
    .values({
      name: 'Bench Academy',
      owner_name: 'B',
      business_number: '1234567891',
      certification_number: 'C',
      contact_email: 'a@b.c',
      contact_phone: '0',
      created_by: 'bench',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const course = await db
    .insertInto('courses')
    .values({ institution_id: institution.id, title: 'Bench course', state: 'published' })
    .returning('id')
    .executeTakeFirstOrThrow();
  for (let c = 0; c < 5; c++) {
    const chapter = await db
      .insertInto('chapters')
      .values({ course_id: course.id, title: `Chapter ${c + 1}`, position: c })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('contents')
      .values(
        Array.from({ length: 6 }, (_, i) => ({
          course_id: course.id,
          chapter_id: chapter.id,
          kind: 'video' as const,
          title: `Lesson ${c + 1}.${i + 1}`,
          position: i,
          media_state: 'ready' as const,
          duration_seconds: 600,
        })),
      )
      .execute();
  }
  const company = await db
    .insertInto('companies')
    .values({
      name: 'Bench Co',
      owner_name: 'B',
      business_number: '2234567891',
      email: 'hr@bench.example',
      phone: '0',
      created_by: 'bench',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const provision = await db
    .insertInto('provisions')
    .values({
      company_id: company.id,
      course_id: course.id,
      institution_id: institution.id,
      // A period around today, so heartbeats are credited whenever the bench runs.
      starts_on: day(-30),
      ends_on: day(60),
      attendee_count: 1000,
      enrolled_count: 1000,
      deposit_amount: 0,
      state: 'accepted',
      requested_by: 'bench',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const learners = Array.from({ length: 1000 }, () => randomUUID());
  await db
    .insertInto('affiliations')
    .values(
      learners.map((s) => ({
        company_id: company.id,
        user_sub: s,
        role: 'employee' as const,
        state: 'approved' as const,
        email: null,
      })),
    )
    .execute();
  await db
    .insertInto('enrollments')
    .values(learners.map((s) => ({ provision_id: provision.id, course_id: course.id, user_sub: s })))
    .execute();
  await sql`analyze`.execute(db);

  // Who is who, for pgbench to pick a learner per transaction as the load does.
  await sql`create table bench_learners (i int primary key, sub text not null, enrollment_id uuid not null)`.execute(
    db,
  );
  await sql`insert into bench_learners
    select row_number() over (order by user_sub) - 1, user_sub, id from enrollments`.execute(db);
  const video = await db
    .selectFrom('contents')
    .select('id')
    .where('course_id', '=', course.id)
    .orderBy('position')
    .executeTakeFirstOrThrow();

  // The service as in AWS: production token verifier (JWKS over HTTP), its own pool.
  let issuer: LocalTokenIssuer | undefined; // eslint-disable-line prefer-const
  const jwks = createServer((_req, res) => res.end(JSON.stringify(issuer!.jwks())));
  jwks.listen(0, '127.0.0.1');
  await once(jwks, 'listening');
  const base = `http://127.0.0.1:${(jwks.address() as { port: number }).port}`;
  issuer = await LocalTokenIssuer.create(base);
  // The service's own pool, recording the SQL of one request for pgbench to replay.
  let captured: { sql: string; parameters: readonly unknown[] }[] | undefined;
  const serviceDb = connectPostgres({
    connectionString: scratch.url!,
    log: (event) => {
      if (event.level === 'query') captured?.push(event.query);
    },
  });
  // The service's clock runs ahead when the bench needs a beat to find time passed (no waiting).
  let clockAheadMs = 0;
  const app = await buildCoreService({
    db: serviceDb,
    verifyToken: createAccessTokenVerifier({
      issuer: base,
      jwksUri: issuer.jwksUri,
      clientIds: [LOCAL_CLIENT_ID],
    }),
    clock: () => new Date(Date.now() + clockAheadMs),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const serviceUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const { rows: enrolled } = await sql<{ sub: string; enrollment_id: string }>`
    select sub, enrollment_id from bench_learners order by i`.execute(db);
  const players = await Promise.all(
    enrolled.map(async (e) => ({
      sub: e.sub,
      enrollmentId: e.enrollment_id,
      token: (await issuer!.mintAccessToken({ sub: e.sub, email: 'l@bench.example', roles: ['learner'] }))
        .access_token,
    })),
  );
  const first = players[0]!;
  const captureOf = async (send: () => Promise<Response>) => {
    captured = [];
    const res = await send();
    const sent = captured;
    captured = undefined;
    if (res.status !== 200) throw new Error(`${res.url} answered ${res.status}: ${await res.text()}`);
    return { sent, body: await res.text() };
  };

  // 1. The learner's course page.
  const page = `${serviceUrl}/courses/${course.id}`;
  const pageSql = await captureOf(() => fetch(page, { headers: { cookie: `lms_access=${first.token}` } }));
  const pageHttp = await autocannon((seconds) => [
    require.resolve('autocannon/autocannon.js'),
    '-j',
    '-c',
    String(CONNECTIONS),
    '-d',
    String(seconds),
    '-H',
    `cookie=lms_access=${first.token}`,
    page,
  ]);
  const pageBench = await pgbench(url, pgbenchScript(pageSql.sent, []));

  // 2. Heartbeats: one learner's beat that credits time is what pgbench replays, for a random learner.
  const beat = (sequence: number, position: number) =>
    fetch(`${serviceUrl}/me/enrollments/${first.enrollmentId}/heartbeats`, {
      method: 'POST',
      headers: { cookie: `lms_access=${first.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        contentId: video.id,
        sessionId: 'capture',
        sequence,
        position,
        playbackRate: 1,
      }),
    });
  await captureOf(() => beat(1, 0));
  clockAheadMs += 10_000;
  const beatSql = await captureOf(() => beat(2, 10));
  if (JSON.parse(beatSql.body).creditedSeconds !== 10) throw new Error(`no credit: ${beatSql.body}`);
  const dir = mkdtempSync(join(tmpdir(), 'lms-heartbeats-'));
  const load = (sequenceStart: number, seconds: number) => {
    const file = join(dir, `plan-${sequenceStart}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        url: serviceUrl,
        contentId: video.id,
        learners: players.map(({ token, enrollmentId }) => ({ token, enrollmentId })),
        connections: CONNECTIONS,
        seconds,
        sequenceStart,
      }),
    );
    return ['--import', 'tsx', join(__dirname, 'load', 'heartbeats.ts'), file];
  };
  // The measured run's sequence numbers start above the warm-up's, as one player's would.
  const beatHttp = await autocannon((seconds, warmUp) => load(warmUp ? 1000 : 1_000_000, seconds));
  const credited = await creditedBeats(db);
  rmSync(dir, { recursive: true, force: true });
  // The captured beat's values, replayed as they are, would make every replay after a learner's first a
  // late beat, which changes nothing. So the replay plays as the load's players do: the service's clock
  // and a playhead moving with the wall clock, and each pgbench client beats its own learners (no two
  // beats of a learner at once, as with the load) with a sequence rising per beat.
  const replayFrom = new Date().toISOString();
  const beatBench = await pgbench(
    url,
    pgbenchScript(
      beatSql.sent,
      [
        [first.sub, ':sub'],
        [first.enrollmentId, ':enrollment_id'],
      ],
      {
        p_now: `(clock_timestamp() + interval '${clockAheadMs} milliseconds')`,
        p_position: `extract(epoch from clock_timestamp() - '${replayFrom}'::timestamptz)`,
        p_sequence: '(:tick + 1000)',
      },
    ),
    [
      '\\set tick :tick + 1',
      `\\set i :client_id + ${CONNECTIONS} * random(0, ${Math.floor(players.length / CONNECTIONS) - 1})`,
      'select sub, enrollment_id from bench_learners where i = :i \\gset',
    ],
    ['-D', 'tick=0'],
  );

  const replayCredited = await creditedBeats(db);

  await app.close();
  await serviceDb.destroy();
  jwks.close();
  await scratch.close();

  console.log(
    `bench/core-api: ${CONNECTIONS} connections, ${SECONDS} s each, on ${cpus().length} cores; HTTP is autocannon -> Fastify -> PostgreSQL, SQL is pgbench replaying what the route sent (prepared)`,
  );
  report(
    'course page: GET /courses/:id (course, 5 chapters x 6 contents, own enrollment; 1000 learners enrolled)',
    pageHttp,
    pageBench,
    pageSql.sent.length,
  );
  report(
    `heartbeat: POST /me/enrollments/:id/heartbeats (1000 learners' players, ${credited.n} beats credited time; replayed: ${Number(replayCredited.n) - Number(credited.n)} of ${beatBench.transactions})`,
    beatHttp,
    beatBench,
    beatSql.sent.length,
  );
  console.log(`reproduce: DATABASE_URL=${server.replace(/:[^:@/]*@/, ':***@')} npm run bench:core-api`);
}

interface HttpResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}

/**
 * Runs a load generator in its own process (on the service's event loop it would compete with what it
 * measures): first a short warm-up (JIT, pools, plan caches), then the measured run.
 */
async function autocannon(args: (seconds: number, warmUp: boolean) => string[]): Promise<HttpResult> {
  const run = async (argv: string[]) => {
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    if (code !== 0) throw new Error(`the load generator exited with ${code}`);
    return JSON.parse(out) as HttpResult;
  };
  await run(args(2, true));
  const result = await run(args(SECONDS, false));
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return result;
}

/**
 * The statements a route sent, one per line, parameters written in: replaced by pgbench variables where
 * their value is listed, or by an expression where they are a function's argument named in `args`
 * (`name => $n`).
 */
function pgbenchScript(
  sent: readonly { sql: string; parameters: readonly unknown[] }[],
  variables: readonly (readonly [string, string])[],
  args: Readonly<Record<string, string>> = {},
): string {
  const literal = (v: unknown) => {
    if (v === null) return 'null';
    const text = v instanceof Date ? v.toISOString() : String(v);
    const variable = variables.find(([value]) => value === text);
    if (variable) return variable[1];
    return typeof v === 'number' ? text : `'${text.replace(/'/g, "''")}'`;
  };
  return sent
    .map(
      (q) =>
        `${q.sql
          .replace(
            /(?:(\w+) => )?\$(\d+)/g,
            (_, name: string | undefined, n: string) =>
              `${name ? `${name} => ` : ''}${(name && args[name]) ?? literal(q.parameters[Number(n) - 1])}`,
          )
          .replace(/\s+/g, ' ')};`,
    )
    .join('\n');
}

interface PgbenchResult {
  transactions: number;
  tps: number;
  p50: number;
  p99: number;
}

// Asynchronous: the service runs in this process, and its last requests must be able to finish (and
// release their row locks) while pgbench runs.
async function pgbench(
  url: URL,
  script: string,
  preamble: string[] = [],
  options: string[] = [],
): Promise<PgbenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'lms-pgbench-'));
  const file = join(dir, 'script.sql');
  writeFileSync(file, [...preamble, script].join('\n') + '\n');
  const { stdout: out } = await execFileAsync(
    'pgbench',
    [
      '-h',
      url.hostname,
      '-p',
      url.port || '5432',
      '-U',
      decodeURIComponent(url.username) || 'postgres',
      '-n',
      '-M',
      'prepared',
      '-c',
      String(CONNECTIONS),
      '-j',
      '2',
      '-T',
      String(SECONDS),
      '-f',
      file,
      '-l',
      `--log-prefix=${join(dir, 'tx')}`,
      ...options,
      url.pathname.slice(1),
    ],
    { encoding: 'utf8' },
  );
  const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1]);
  const transactions = Number(/actually processed: (\d+)/.exec(out)?.[1]);
  const latenciesUs = readdirSync(dir)
    .filter((f) => f.startsWith('tx'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n'))
    .map((line) => Number(line.split(' ')[2]))
    .sort((a, b) => a - b);
  const pct = (p: number) =>
    latenciesUs[Math.min(latenciesUs.length - 1, Math.floor((p / 100) * latenciesUs.length))]! / 1000;
  rmSync(dir, { recursive: true, force: true });
  return { transactions, tps, p50: pct(50), p99: pct(99) };
}

function report(title: string, http: HttpResult, sql: PgbenchResult, statements: number): void {
  const ratio = http.requests.average / sql.tps;
  console.log(`  ${title}`);
  console.log(
    `    HTTP: ${http.requests.average.toFixed(0)} req/s, p50 ${http.latency.p50} ms, p99 ${http.latency.p99} ms`,
  );
  console.log(
    `    SQL:  ${sql.tps.toFixed(0)} tx/s (${statements} statements each), p50 ${sql.p50.toFixed(2)} ms, p99 ${sql.p99.toFixed(2)} ms`,
  );
  console.log(
    `    HTTP/SQL throughput: ${(ratio * 100).toFixed(0)}% (goal >= ${GOAL_RATIO * 100}%: ${ratio >= GOAL_RATIO ? 'met' : 'MISSED'}); HTTP p99 goal < ${GOAL_P99_MS} ms: ${http.latency.p99 < GOAL_P99_MS ? 'met' : 'MISSED'}`,
  );
}

/** The calendar day `offset` days from today, as `YYYY-MM-DD`. */
function day(offset: number): string {
  return new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
