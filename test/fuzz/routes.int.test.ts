import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { request as httpRequest, Agent } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import type { FastifyInstance, RouteOptions } from 'fastify';
import type * as z from 'zod';
import { CORE_SERVICE, TABLES, type TableSpec } from '#contracts/resources';
import { routeList, type Access } from '#contracts/routes';
import { LOCAL_AWS } from '#local/dynamodb-local';
import { DEMO_IDENTITIES } from '#local/demo-identities';
import { startLocalPlatform, type LocalPlatform } from '#local/platform';
import { businessNumberFrom } from '../service/service-fixture';
import { testDatabase, type TestDatabase } from '../service/test-database';
import { snapshot } from '../service/world';
import { jsonText, mutationsOf, type RequestValues, type WireRequest } from './requests';
import { valuesOf } from './schema-values';

/*
 * Property-based fuzz over every route the platform serves: each Lambda route of the route table and each
 * route of the core service (read from the service's own Fastify instance), called over HTTP through the
 * local platform. Each case is a valid request built from the route's zod schemas with one thing broken
 * (requests.ts), sent as a caller the route admits (and sometimes as nobody). For every answer:
 *   - never a 5xx;
 *   - a 4xx is application/problem+json (contracts/problem.ts), API Gateway's own refusals aside;
 *   - a 400 names fields under body/query/path/headers/token, and when the route's own schema refuses the
 *     request the fuzz sent, it names the field that was broken (or one inside it);
 *   - a refused request leaves PostgreSQL and DynamoDB as they were.
 * FUZZ_RUNS (4), FUZZ_SEED (20261201), FUZZ_ROUTE (a pattern route ids must match), FUZZ_LOG (print each
 * request) and FUZZ_STACK (a failure's stack, when the test itself threw) tune it; `npm run fuzz` is the
 * long run. A failing route stops at its first counterexample, unshrunk: each case is one change already.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const RUNS = Number(process.env.FUZZ_RUNS ?? 4);
const ONLY = process.env.FUZZ_ROUTE ? new RegExp(process.env.FUZZ_ROUTE) : undefined;
const LOG = Boolean(process.env.FUZZ_LOG);
// A handler's unhandled error is what a 500 here means: its log line (loggers are made when the platform loads
// the handlers, after this) tells why, without a replay.
process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';

type Who = (typeof DEMO_IDENTITIES)[number]['id'] | null;

interface RouteUnderTest {
  /** `lambda getMe` or `core POST /institutions/:institutionId`: what FUZZ_ROUTE matches. */
  readonly id: string;
  readonly runtime: 'lambda' | 'core';
  readonly method: string;
  /** Fastify syntax (`/uploads/:uploadId`). */
  readonly path: string;
  readonly params?: z.ZodType;
  readonly query?: z.ZodType;
  readonly body?: z.ZodType;
  /** Callers the route admits; the service decides tenancy itself, so every role may be the right one. */
  readonly callers: readonly Who[];
  /** Deletions a refusal may make, by design (see the route's entry). */
  readonly refusalMayDeleteItems?: boolean;
}

/** The demo identities holding one of the roles, or null for a public route. */
function callersFor(access: Access): Who[] {
  if (access === 'public') return [null];
  const all = DEMO_IDENTITIES.filter(
    (d) => access === 'signed-in' || d.roles.some((r) => access.includes(r)),
  );
  return all.map((d) => d.id);
}

const lambdaRoutes: RouteUnderTest[] = routeList.map((r) => ({
  id: `lambda ${r.id}`,
  runtime: 'lambda',
  method: r.method,
  path: r.path.replace(/\{(\w+)\}/g, ':$1'),
  ...(r.params ? { params: r.params } : {}),
  ...(r.query ? { query: r.query } : {}),
  ...(r.body ? { body: r.body } : {}),
  callers: callersFor(r.access),
  // A completion whose parts S3 refuses aborts the upload and deletes its session: the route says so, and
  // the client must start again (lambda/vod/upload-sessions.ts).
  refusalMayDeleteItems: r.id === 'completeUpload',
}));

/**
 * The core service's routes as its Fastify instance registers them: every Fastify instance announces itself
 * on this channel when created, before any route exists, so an onRoute hook sees each route with its zod
 * schemas. The service is the instance with @fastify/swagger serving `/openapi.json` (the local runner serves
 * the whole API's document at that path too, without swagger).
 */
const registered = new Map<FastifyInstance, RouteOptions[]>();
const onInstance = (message: unknown) => {
  const { fastify } = message as { fastify: FastifyInstance };
  const list: RouteOptions[] = [];
  registered.set(fastify, list);
  fastify.addHook('onRoute', (route) => void list.push(route));
};

function coreRoutesOf(): RouteUnderTest[] {
  const [service, options] = [...registered].find(
    ([fastify, list]) =>
      typeof (fastify as { swagger?: unknown }).swagger === 'function' &&
      list.some((r) => r.url === '/openapi.json'),
  )!;
  const routes = options.flatMap((r) =>
    (Array.isArray(r.method) ? r.method : [r.method])
      .filter((m) => m !== 'HEAD')
      .map((method) => ({ ...r, method })),
  );
  // Hold the list to the OpenAPI document, so a route registered some other way cannot go unfuzzed.
  const documented = Object.entries((service.swagger() as { paths: Record<string, object> }).paths).flatMap(
    ([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
  );
  const seen = new Set(routes.map((r) => `${r.method} ${r.url}`));
  const missing = documented.filter((r) => !seen.has(r));
  if (missing.length > 0) throw new Error(`onRoute missed ${missing.join(', ')}`);
  const served = (url: string) =>
    url === CORE_SERVICE.healthPath ||
    CORE_SERVICE.pathPrefixes.some((p) => url === p || url.startsWith(`${p}/`));
  // Only the load balancer reaches these; the API routes nothing else to the service.
  const internal = routes.filter((r) => !served(r.url)).map((r) => r.url);
  expect([...new Set(internal)].sort()).toEqual([CORE_SERVICE.livenessPath, '/openapi.json'].sort());
  return routes
    .filter((r) => served(r.url))
    .map((r) => {
      const schema = (r.schema ?? {}) as { params?: z.ZodType; querystring?: z.ZodType; body?: z.ZodType };
      return {
        id: `core ${r.method} ${r.url}`,
        runtime: 'core' as const,
        method: r.method as string,
        path: r.url,
        ...(schema.params ? { params: schema.params } : {}),
        ...(schema.querystring ? { query: schema.querystring } : {}),
        ...(schema.body ? { body: schema.body } : {}),
        callers: r.url === CORE_SERVICE.healthPath ? [null] : DEMO_IDENTITIES.map((d) => d.id),
      };
    });
}

let platform: LocalPlatform;
let database: TestDatabase;
let dynamo: DynamoDBDocumentClient;
const lines: string[] = [];
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const tokens = new Map<string, { token: string; at: number }>();
/** Ids of the seeded world, which uuid fields use half the time so requests get past "not found". */
const ids: string[] = DEMO_IDENTITIES.map((d) => d.sub);

beforeAll(async () => {
  subscribe('fastify.initialization', onInstance);
  database = await testDatabase('fuzz_routes');
  try {
    platform = await startLocalPlatform({
      database: database.db,
      dynamoEndpoint: process.env.DYNAMODB_ENDPOINT!,
      port: 0,
      host: '127.0.0.1',
      tablePrefix: `fuzz-${process.pid}-`,
      log: (line) => lines.push(line),
    });
  } finally {
    unsubscribe('fastify.initialization', onInstance);
  }
  dynamo = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT!, ...LOCAL_AWS }),
  );
  await seedWorld();
}, 120_000);
afterAll(async () => {
  agent.destroy();
  dynamo?.destroy();
  await platform?.close();
  await database?.close();
});

interface Answer {
  readonly status: number;
  readonly type: string;
  readonly text: string;
}

/** Sends the request exactly as given: node:http keeps the path's bytes, which fetch would normalize. */
function send(req: WireRequest, who: Who): Promise<Answer> {
  const url = new URL(platform.url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers };
    const token = who ? tokens.get(who)?.token : undefined;
    if (token) headers.cookie = `lms_access=${token}`;
    if (req.body) headers['content-length'] = String(req.body.length);
    const call = httpRequest(
      { host: url.hostname, port: url.port, method: req.method, path: req.url, headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers['content-type'] ?? ''),
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    call.on('error', reject);
    call.end(req.body);
  });
}

/** A fresh token per identity, well inside the 15 minutes they live (a long run outlasts one). */
async function ensureTokens() {
  for (const d of DEMO_IDENTITIES) {
    const held = tokens.get(d.id);
    if (held && Date.now() - held.at < 5 * 60_000) continue;
    const res = await fetch(`${platform.url}/local/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ identity: d.id }),
    });
    expect(res.status).toBe(200);
    tokens.set(d.id, {
      token: ((await res.json()) as { access_token: string }).access_token,
      at: Date.now(),
    });
  }
}

async function call(who: Who, method: string, path: string, body?: unknown) {
  await ensureTokens();
  const res = await fetch(`${platform.url}${path}`, {
    method,
    headers: {
      ...(who ? { cookie: `lms_access=${tokens.get(who)!.token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json().catch(() => ({}))) as Record<string, string>;
  if (res.status >= 300) throw new Error(`seed ${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/**
 * A small world owned by the demo identities (an institution with a course, a company with a provision of
 * it and an enrolled learner), so the fuzz's ids, and its callers, are sometimes the right ones.
 */
async function seedWorld() {
  const sub = (id: string) => DEMO_IDENTITIES.find((d) => d.id === id)!.sub;
  const institution = await call('manager', 'POST', '/institutions', {
    name: 'Fuzz Academy',
    ownerName: 'Owner',
    businessNumber: businessNumberFrom('300000001'),
    certificationNumber: 'CERT-1',
    contactEmail: 'office@academy.example.com',
    contactPhone: '02-100-0001',
  });
  await call('manager', 'PUT', `/institutions/${institution.id}/members/${sub('instructor')}`, {
    role: 'instructor',
  });
  const course = await call('manager', 'POST', '/courses', {
    title: 'Fuzz course',
    instructorSub: sub('instructor'),
  });
  const chapter = await call('manager', 'POST', `/courses/${course.id}/chapters`, { title: 'Basics' });
  const contents = [];
  for (const kind of ['video', 'material'] as const)
    contents.push(
      await call('manager', 'POST', `/courses/${course.id}/chapters/${chapter.id}/contents`, {
        kind,
        title: kind,
      }),
    );
  await call('manager', 'POST', `/courses/${course.id}/publish`);
  const company = await call('company', 'POST', '/companies', {
    name: 'Fuzz Company',
    ownerName: 'Boss',
    businessNumber: businessNumberFrom('400000001'),
    email: 'hr@company.example.com',
    phone: '031-200-0001',
  });
  await call('learner', 'POST', `/companies/${company.id}/join-requests`);
  await call('company', 'PUT', `/companies/${company.id}/employees/${sub('learner')}/approval`);
  const provision = await call('company', 'POST', '/provisions', {
    companyId: company.id,
    courseId: course.id,
    startsOn: '2026-01-01',
    endsOn: '2030-12-31',
    attendeeCount: 10,
    depositAmount: 500000,
  });
  await call('manager', 'POST', `/provisions/${provision.id}/decision`, { decision: 'accepted' });
  await call('company', 'POST', `/provisions/${provision.id}/attendees`, { userSubs: [sub('learner')] });
  const enrollments = (await call('learner', 'GET', '/me/enrollments')) as unknown as { id: string }[];
  ids.push(
    institution.id!,
    course.id!,
    chapter.id!,
    ...contents.map((c) => c.id!),
    company.id!,
    provision.id!,
    ...(Array.isArray(enrollments) ? enrollments.map((e) => e.id) : []),
  );
  await platform.flushEvents();
  // A live lecture of the provision and a quiz of it (the projection knows the provision by now), so the
  // live routes reach their domain too.
  const lecture = await call('manager', 'POST', '/lectures', {
    provisionId: provision.id,
    title: 'Fuzz lecture',
    startsAt: new Date(Date.now() + 3_600_000).toISOString(),
    endsAt: new Date(Date.now() + 7_200_000).toISOString(),
  });
  const quiz = await call('manager', 'POST', `/lectures/${lecture.lectureId}/quizzes`, {
    question: 'Fuzz?',
    options: ['yes', 'no'],
    answer: 0,
    timeLimitSeconds: 30,
  });
  ids.push(lecture.lectureId!, quiz.quizId!);
  // A notice, a question at 1:30 of the video with a staff answer, and a learner's note with a drawing, so
  // the board and notes routes reach their domain too.
  const notice = await call('manager', 'POST', '/board-posts', {
    provisionId: provision.id,
    board: 'notice',
    title: 'Fuzz notice',
    body: 'Read this.',
  });
  const question = await call('learner', 'POST', '/board-posts', {
    provisionId: provision.id,
    board: 'qna',
    title: 'Fuzz question',
    body: 'Why?',
    videoAt: { contentId: contents[0]!.id, second: 90 },
  });
  const answer = await call('instructor', 'POST', `/board-posts/${question.postId}/comments`, {
    body: 'Because.',
  });
  const note = await call('learner', 'POST', '/notes', {
    contentId: contents[0]!.id,
    second: 90,
    text: 'Fuzz note',
    drawing: { strokes: [{ color: '#000000', width: 2, points: [[0.5, 0.5]] }] },
  });
  ids.push(notice.postId!, question.postId!, answer.commentId!, note.noteId!);
}

/** JSON with every object's keys in order, so equal items read equal (sets as sorted lists). */
function canonical(value: unknown): string {
  if (value instanceof Set) return canonical([...(value as Set<unknown>)].map(canonical).sort());
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'undefined';
}

async function itemsOf(table: string): Promise<string[]> {
  const found: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamo.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    found.push(...(page.Items ?? []).map(canonical));
    start = page.LastEvaluatedKey;
  } while (start);
  return found.sort();
}

/** Every row of PostgreSQL and every item of the platform's DynamoDB tables, in a comparable form. */
async function dataNow() {
  const names = Object.keys(platform.tables);
  const [rows, ...lists] = await Promise.all([
    snapshot(database.db),
    ...names.map((name) => itemsOf(platform.tables[name]!)),
  ]);
  return { rows, items: Object.fromEntries(names.map((name, i) => [name, lists[i]!])) };
}
type Data = Awaited<ReturnType<typeof dataNow>>;

/**
 * Whether DynamoDB's own TTL sweep may have taken the item (DynamoDB Local runs one too): a sign-in state
 * outlives a long run's first minutes, and its disappearing is no request's doing.
 */
function expired(table: string, item: string): boolean {
  const attribute = (TABLES as Record<string, TableSpec>)[table]?.timeToLiveAttribute;
  const at = attribute ? (JSON.parse(item) as Record<string, unknown>)[attribute] : undefined;
  return typeof at === 'number' && at * 1000 <= Date.now();
}

function dataChanges(before: Data, after: Data, mayDelete: boolean): string[] {
  const out: string[] = [];
  for (const [table, sum] of Object.entries(after.rows))
    if (before.rows[table] !== sum) out.push(`PostgreSQL ${table}: ${before.rows[table]} -> ${sum}`);
  for (const [table, list] of Object.entries(after.items)) {
    const was = new Set(before.items[table] ?? []);
    const added = list.filter((i) => !was.has(i));
    const removed = (before.items[table] ?? []).filter((i) => !list.includes(i) && !expired(table, i));
    if (added.length > 0 || (removed.length > 0 && !mayDelete))
      out.push(
        `DynamoDB ${table}: +${added.length} -${removed.length} ${[...added, ...removed][0]?.slice(0, 200)}`,
      );
  }
  return out;
}

/** What the server's schemas see of the sent values: strings in the path and query, JSON in the body. */
function serverView(route: RouteUnderTest, values: RequestValues) {
  const text = (v: unknown) => (v === null ? '' : String(v));
  const query = Object.fromEntries(
    Object.entries(values.query)
      // Neither travels: no pair is written for them.
      .filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0))
      .map(([k, v]) => {
        if (!Array.isArray(v)) return [k, text(v)];
        // API Gateway joins a repeated key's values with commas; Fastify makes a list of two or more.
        return [
          k,
          route.runtime === 'lambda' ? v.map(text).join(',') : v.length === 1 ? text(v[0]) : v.map(text),
        ];
      }),
  );
  return {
    path: Object.fromEntries(Object.entries(values.params).map(([k, v]) => [k, text(v)])),
    query,
    body: values.body === undefined ? undefined : (JSON.parse(jsonText(values.body)) as unknown),
  };
}

/** The fields a 400 may name for a request the route's schemas refuse: the broken one, or a refinement's. */
function schemaVerdict(route: RouteUnderTest, values: RequestValues): string[] | 'valid' {
  const seen = serverView(route, values);
  const issues: string[] = [];
  const parts: [string, z.ZodType | undefined, unknown][] = [
    ['path', route.params, seen.path],
    ['query', route.query, seen.query],
    ['body', route.body, seen.body],
  ];
  for (const [where, schema, value] of parts) {
    if (!schema) continue;
    const parsed = schema.safeParse(value);
    if (!parsed.success)
      issues.push(
        // A refinement's issue names the object it judged (`body` for "change at least one field").
        ...parsed.error.issues
          .filter((issue) => issue.code === 'custom')
          .map((issue) => [where, ...issue.path.map(String)].join('.')),
        `${where}:invalid`,
      );
  }
  return issues.length === 0 ? 'valid' : issues;
}

/** API Gateway's own refusals, in AWS's shape (emulated by the local front door), which no handler writes. */
const GATEWAY: Record<number, string> = {
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  // A route's own throttle (the public certificate verification), which HTTP APIs answer in this shape.
  429: 'Too Many Requests',
};
const FIELD = /^(body|query|path|headers|token)(\.|$)/;

interface Case {
  readonly who: Who;
  readonly base: RequestValues;
  readonly request: WireRequest;
}

/** What is wrong with one answer, or nothing. */
function judge(route: RouteUnderTest, c: Case, answer: Answer, changes: string[]): string[] {
  const wrong: string[] = [];
  // With what it said, so a failure met once under load can be read without replaying it.
  if (answer.status >= 500) wrong.push(`answered ${answer.status} ${answer.text.slice(0, 300)}`);
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    body = undefined;
  }
  if (answer.status >= 400 && answer.status < 500) {
    const gateway =
      answer.type.startsWith('application/json') &&
      isDeepStrictEqual(body, { message: GATEWAY[answer.status] });
    if (!gateway) {
      const p = body as { type?: unknown; title?: unknown; status?: unknown; errors?: unknown } | undefined;
      if (!answer.type.startsWith('application/problem+json'))
        wrong.push(`${answer.status} as ${answer.type || 'no type'}`);
      if (typeof p?.type !== 'string' || typeof p.title !== 'string' || p.status !== answer.status)
        wrong.push(`${answer.status} body is not a problem: ${answer.text.slice(0, 200)}`);
      const errors = Array.isArray(p?.errors)
        ? (p.errors as { field?: unknown; message?: unknown }[])
        : undefined;
      if (
        p?.errors !== undefined &&
        !errors?.every((e) => typeof e.field === 'string' && typeof e.message === 'string')
      )
        wrong.push(`errors are not { field, message }: ${JSON.stringify(p?.errors)}`);
      if (answer.status === 400) {
        const fields = (errors ?? []).map((e) => String(e.field));
        if (fields.length === 0) wrong.push(`400 names no field: ${answer.text.slice(0, 200)}`);
        const stray = fields.filter((f) => !FIELD.test(f));
        if (stray.length > 0) wrong.push(`400 names ${stray.join(', ')}, not request fields`);
      }
    }
  }
  // When the route's own schema refuses what was sent (and accepts the valid request it came from), a caller
  // it admits must get a 400 naming the broken field.
  const { target, values } = c.request;
  if (target && values && admitted(route, c.who) && schemaVerdict(route, c.base) === 'valid') {
    const verdict = schemaVerdict(route, values);
    if (verdict !== 'valid') {
      let fields: string[] = [];
      try {
        fields = ((JSON.parse(answer.text) as { errors?: { field: string }[] }).errors ?? []).map(
          (e) => e.field,
        );
      } catch {
        // judged above
      }
      const named = fields.some((f) => f === target || f.startsWith(`${target}.`) || verdict.includes(f));
      // A request line or body too large for the server is refused by size first (413, 414, 431).
      if (![400, 413, 414, 431].includes(answer.status))
        wrong.push(`the schema refuses ${target}, the answer was ${answer.status}`);
      else if (answer.status === 400 && !named)
        wrong.push(`400 does not name ${target}: ${fields.join(', ') || 'no fields'}`);
    }
  }
  if (answer.status >= 400) wrong.push(...changes.map((c) => `refused, yet changed ${c}`));
  return wrong;
}

function caseOf(route: RouteUnderTest): fc.Arbitrary<Case> {
  const part = (schema: z.ZodType | undefined) =>
    schema ? valuesOf(schema, { ids }) : fc.constant(undefined);
  // Now and then nobody: the gateway's 401 (or a public route's own answer) must hold too.
  const callers = route.callers.includes(null) ? route.callers : [...route.callers, null];
  const who = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...route.callers) },
    { weight: 1, arbitrary: fc.constantFrom(...callers) },
  );
  return fc
    .tuple(part(route.params), part(route.query), part(route.body), who)
    .chain(([params, query, body, w]) => {
      const base: RequestValues = {
        params: (params ?? {}) as Record<string, unknown>,
        query: (query ?? {}) as Record<string, unknown>,
        body,
      };
      return mutationsOf(base, route).map((m) => ({ who: w, base, request: m(base, route) }));
    });
}

/** Whether the caller passes every check before the schemas': the right role, or any token for the service. */
const admitted = (route: RouteUnderTest, who: Who) =>
  route.callers.includes(who) && (route.runtime === 'lambda' || who !== null || route.callers.includes(null));

interface Tally {
  cases: number;
  statuses: Record<number, number>;
}

/**
 * The data as the last request left it: a refusal that changed nothing leaves it as it was, so each case costs
 * one look at the data, after its request.
 */
let known: Data | undefined;

async function fuzz(route: RouteUnderTest, tally: Tally): Promise<string | undefined> {
  const result = await fc.check(
    fc.asyncProperty(caseOf(route), async (c) => {
      await ensureTokens();
      const before = (known ??= await dataNow());
      const answer = await send(c.request, c.who);
      tally.cases += 1;
      tally.statuses[answer.status] = (tally.statuses[answer.status] ?? 0) + 1;
      if (LOG)
        console.log(
          `${route.id} as ${c.who ?? 'nobody'} | ${c.request.mutation} | ${c.request.method} ${c.request.url.slice(0, 160)} -> ${answer.status} ${answer.text.slice(0, 160)}`,
        );
      // An accepted request may write, and its events reach DynamoDB through the bus: let them land.
      if (answer.status < 400) await platform.flushEvents();
      const after = (known = await dataNow());
      const changes =
        answer.status >= 400 ? dataChanges(before, after, route.refusalMayDeleteItems ?? false) : [];
      const wrong = judge(route, c, answer, changes);
      if (wrong.length > 0)
        throw new Error(
          `${c.request.method} ${c.request.url.slice(0, 300)} as ${c.who ?? 'nobody'} (${c.request.mutation}): ${wrong.join('; ')}`,
        );
    }),
    { seed: SEED, numRuns: RUNS, endOnFailure: true },
  );
  if (!result.failed) return undefined;
  const error =
    result.errorInstance instanceof Error
      ? process.env.FUZZ_STACK
        ? result.errorInstance.stack
        : result.errorInstance.message
      : String(result.errorInstance);
  return `${route.id}: ${error}\n  replay: FUZZ_SEED=${SEED} FUZZ_ROUTE='${route.id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$' (counterexample ${result.counterexamplePath})`;
}

async function fuzzAll(routes: RouteUnderTest[]) {
  const chosen = routes.filter((r) => !ONLY || ONLY.test(r.id));
  const failures: string[] = [];
  const started = Date.now();
  const tally: Tally = { cases: 0, statuses: {} };
  for (const route of chosen) {
    const failure = await fuzz(route, tally);
    if (failure) failures.push(failure);
  }
  if (LOG || RUNS > 4)
    console.log(
      `fuzz: ${chosen.length} routes, ${RUNS} runs each, ${tally.cases} cases in ${((Date.now() - started) / 1000).toFixed(1)} s, seed ${SEED}; statuses ${JSON.stringify(tally.statuses)}`,
    );
  expect(failures).toEqual([]);
  return chosen.length;
}

describe('fuzz over every route', () => {
  it('holds for each Lambda route of the route table', async () => {
    const count = await fuzzAll(lambdaRoutes);
    if (!ONLY) expect(count).toBe(routeList.length);
  }, 600_000);

  it('holds for each route of the core service', async () => {
    const routes = coreRoutesOf();
    expect(routes.length).toBeGreaterThan(30);
    await fuzzAll(routes);
  }, 1_800_000);
});
