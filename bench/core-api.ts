import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { createAccessTokenVerifier } from '../lambda/shared/access-token';
import { LOCAL_CLIENT_ID, LocalTokenIssuer } from '../local/token-issuer';
import { buildCoreService } from '../service/src/app';
import { connectPostgres } from '../service/src/db/connect';
import { scratchDatabase } from '../test/service/test-database';
import { migrateToLatest } from '../service/src/db/migrate';

/**
 * The learner's course page (GET /courses/:id: course, curriculum, the caller's enrollment) under
 * autocannon on loopback, beside pgbench running the same SQL on the same server in the same run.
 * Reproduce: DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npm run bench:core-api
 */
const CONNECTIONS = 64;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const GOAL_RATIO = 0.4;
const GOAL_P99_MS = 25;
const server = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const dbName = 'lms_bench_core_api';

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
      starts_on: '2026-12-01',
      ends_on: '2027-02-28',
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

  // The service as in AWS: production token verifier (JWKS over HTTP), its own pool.
  let issuer: LocalTokenIssuer | undefined; // eslint-disable-line prefer-const
  const jwks = createServer((_req, res) => res.end(JSON.stringify(issuer!.jwks())));
  jwks.listen(0, '127.0.0.1');
  await once(jwks, 'listening');
  const base = `http://127.0.0.1:${(jwks.address() as { port: number }).port}`;
  issuer = await LocalTokenIssuer.create(base);
  // The service's own pool, recording the SQL of one page view for pgbench to replay.
  const captured: { sql: string; parameters: readonly unknown[] }[] = [];
  let capturing = false;
  const serviceDb = connectPostgres({
    connectionString: scratch.url!,
    log: (event) => {
      if (capturing && event.level === 'query') captured.push(event.query);
    },
  });
  const app = await buildCoreService({
    db: serviceDb,
    verifyToken: createAccessTokenVerifier({
      issuer: base,
      jwksUri: issuer.jwksUri,
      clientIds: [LOCAL_CLIENT_ID],
    }),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const serviceUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  const learner = learners[0]!;
  const { access_token } = await issuer.mintAccessToken({
    sub: learner,
    email: 'l@bench.example',
    roles: ['learner'],
  });
  const page = `${serviceUrl}/courses/${course.id}`;
  capturing = true;
  const check = await fetch(page, { headers: { authorization: `Bearer ${access_token}` } });
  capturing = false;
  if (check.status !== 200) throw new Error(`course page answered ${check.status}: ${await check.text()}`);

  // autocannon in its own process: on the service's event loop it would compete with what it measures.
  const run = async (duration: number) => {
    const child = spawn(
      process.execPath,
      [
        require.resolve('autocannon/autocannon.js'),
        '-j',
        '-c',
        String(CONNECTIONS),
        '-d',
        String(duration),
        '-H',
        `authorization=Bearer ${access_token}`,
        page,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    if (code !== 0) throw new Error(`autocannon exited with ${code}`);
    return JSON.parse(out) as {
      requests: { average: number };
      latency: { p50: number; p99: number };
      non2xx: number;
      errors: number;
    };
  };
  await run(2); // warm-up: JIT, pool, plan caches
  const http = await run(SECONDS);
  if (http.non2xx > 0 || http.errors > 0)
    throw new Error(`${http.non2xx} non-2xx answers, ${http.errors} errors`);
  await app.close();
  await serviceDb.destroy();
  jwks.close();

  // Exactly the SQL the route sent for one page view, parameters in place, as one pgbench transaction.
  const dir = mkdtempSync(join(tmpdir(), 'lms-pgbench-'));
  const script = join(dir, 'course-page.sql');
  const literal = (v: unknown) => (typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`);
  writeFileSync(
    script,
    captured
      .map(
        (q) =>
          `${q.sql.replace(/\$(\d+)/g, (_, n: string) => literal(q.parameters[Number(n) - 1])).replace(/\s+/g, ' ')};`,
      )
      .join('\n') + '\n',
  );
  const pgArgs = [
    '-h',
    url.hostname,
    '-p',
    url.port || '5432',
    '-U',
    decodeURIComponent(url.username) || 'postgres',
  ];
  const out = execFileSync(
    'pgbench',
    [
      ...pgArgs,
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
      script,
      '-l',
      `--log-prefix=${join(dir, 'tx')}`,
      dbName,
    ],
    {
      encoding: 'utf8',
    },
  );
  const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1]);
  const latenciesUs = readdirSync(dir)
    .filter((f) => f.startsWith('tx'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n'))
    .map((line) => Number(line.split(' ')[2]))
    .sort((a, b) => a - b);
  const pct = (p: number) =>
    latenciesUs[Math.min(latenciesUs.length - 1, Math.floor((p / 100) * latenciesUs.length))]! / 1000;
  rmSync(dir, { recursive: true, force: true });
  await scratch.close();

  const ratio = http.requests.average / tps;
  console.log(
    `bench/core-api: the learner's course page, ${CONNECTIONS} connections, ${SECONDS} s each, on ${cpus().length} cores`,
  );
  console.log(
    `  page: GET /courses/:id (course, 5 chapters x 6 contents, own enrollment; 1000 learners enrolled)`,
  );
  console.log(
    `  HTTP (autocannon -> Fastify -> PostgreSQL): ${http.requests.average.toFixed(0)} req/s, p50 ${http.latency.p50} ms, p99 ${http.latency.p99} ms`,
  );
  console.log(
    `  SQL  (pgbench, the route's ${captured.length} ${captured.length === 1 ? 'query' : 'queries'}, prepared): ${tps.toFixed(0)} tx/s, p50 ${pct(50).toFixed(2)} ms, p99 ${pct(99).toFixed(2)} ms`,
  );
  console.log(
    `  throughput ratio HTTP/pgbench: ${(ratio * 100).toFixed(0)}% (goal >= ${GOAL_RATIO * 100}%: ${ratio >= GOAL_RATIO ? 'met' : 'MISSED'})`,
  );
  console.log(
    `  HTTP p99: ${http.latency.p99} ms (goal < ${GOAL_P99_MS} ms: ${http.latency.p99 < GOAL_P99_MS ? 'met' : 'MISSED'})`,
  );
  console.log(`reproduce: DATABASE_URL=${server.replace(/:[^:@/]*@/, ':***@')} npm run bench:core-api`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
