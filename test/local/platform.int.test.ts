import { COMPLIANCE_PROFILES } from '#contracts/compliance-profiles';
import { CERTIFICATES } from '#contracts/certificates';
import { REVOCATION_CACHE_MS } from '#lambda/auth/session-revocation';
import { SESSION } from '#contracts/resources';
import { startLocalPlatform, type LocalPlatform } from '#local/platform';
import { businessNumberFrom } from '../service/service-fixture';
import { testDatabase, type TestDatabase } from '../service/test-database';

let platform: LocalPlatform;
let database: TestDatabase;
const lines: string[] = [];
const APP = 'http://localhost:5173';
// The core service's clock, moved by the tests: progress is credited in server time, and no test waits.
let nowMs = Date.parse('2026-12-10T01:00:00Z');

beforeAll(async () => {
  database = await testDatabase('local_platform');
  platform = await startLocalPlatform({
    database: database.db,
    dynamoEndpoint: process.env.DYNAMODB_ENDPOINT!,
    port: 0,
    host: '127.0.0.1',
    tablePrefix: `platform-${process.pid}-`,
    appOrigins: [APP],
    log: (line) => lines.push(line),
    clock: () => new Date(nowMs),
    // The example institution's regime, as `npm start` runs it: exam gates, one attempt, a 60-minute timer.
    compliance: COMPLIANCE_PROFILES['kr-employer-training'],
  });
});
afterAll(async () => {
  await platform.close();
  await database.close();
});

const get = (path: string, init: RequestInit = {}) =>
  fetch(`${platform.url}${path}`, { redirect: 'manual', ...init });
const post = (path: string, init: RequestInit = {}) => get(path, { method: 'POST', ...init });
const setCookies = (res: Response) => res.headers.getSetCookie();
const cookieValue = (res: Response, name: string) =>
  setCookies(res)
    .find((c) => c.startsWith(`${name}=`))
    ?.split(';')[0]!
    .slice(name.length + 1);

async function tokenFor(role: string) {
  const res = await post('/local/token', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ role }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** Walks the browser through sign-in as `identity`, returning the callback URL and the state cookie. */
async function signInUntilCallback(identity: string, returnTo = '/me') {
  const login = await get(`/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
  expect(login.status).toBe(302);
  const stateCookie = cookieValue(login, 'lms_oauth_state')!;
  const authorize = await fetch(`${login.headers.get('location')}&identity=${identity}`, {
    redirect: 'manual',
  });
  expect(authorize.status).toBe(302);
  return { callback: new URL(authorize.headers.get('location')!), stateCookie };
}

describe('local platform over HTTP', () => {
  it('throttles the public certificate verification as API Gateway does, for every caller together', async () => {
    const path = '/certificates/LMS-0000-0000-0000-0000-0000/verification';
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 30 }, () => get(path)));
    const seconds = (Date.now() - started) / 1000;
    const statuses = answers.map((r) => r.status);
    // The bucket holds the burst and refills at the rate while the requests arrive: on a busy machine they
    // may take a second or two, and a few more pass.
    const { rate, burst } = CERTIFICATES.verificationThrottle;
    expect(statuses.filter((s) => s === 404).length).toBeLessThanOrEqual(burst + Math.floor(rate * seconds));
    expect(statuses.filter((s) => s !== 404)).toEqual(expect.arrayContaining([429]));
    expect(new Set(statuses)).toEqual(new Set([404, 429]));
    expect(await answers[statuses.indexOf(429)]!.json()).toEqual({ message: 'Too Many Requests' });
  });

  it('answers /health publicly, with the state of the database', async () => {
    const res = await get('/health');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', checks: { database: 'ok' } });
  });

  it('answers /me 401 without a token and 200 with one from /local/token', async () => {
    const anonymous = await get('/me');
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ message: 'Unauthorized' });
    const res = await get('/me', {
      headers: { cookie: `lms_access=${await tokenFor('company-manager')}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      sub: '00000000-0000-4000-8000-000000000004',
      email: 'hr@company.local',
      roles: ['company-manager'],
    });
  });

  it('refuses a garbage token, a bearer token without the cookie, and a malformed mint request', async () => {
    expect((await get('/me', { headers: { cookie: 'lms_access=not.a.jwt' } })).status).toBe(401);
    // API Gateway's identity source is the Cookie header: without it the authorizer is never asked.
    const bearer = `Bearer ${await tokenFor('learner')}`;
    expect((await get('/me', { headers: { authorization: bearer } })).status).toBe(401);
    expect((await get('/me/enrollments', { headers: { authorization: bearer } })).status).toBe(401);
    const res = await post('/local/token', {
      headers: { 'content-type': 'application/json' },
      body: '{"role":"dean"}',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(((await res.json()) as { errors: { field: string }[] }).errors[0]!.field).toBe('body.role');
  });

  it('signs a browser in with HttpOnly cookies and no token in script reach', async () => {
    const { callback, stateCookie } = await signInUntilCallback('learner');
    expect(callback.pathname).toBe('/auth/callback');
    const done = await get(callback.pathname + callback.search, {
      headers: { cookie: `lms_oauth_state=${stateCookie}` },
    });
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe(`${platform.url}/me`);
    const cookies = setCookies(done);
    expect(cookies).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^lms_access=[^;]+; Max-Age=900; Path=\/; HttpOnly; Secure; SameSite=Lax$/),
        expect.stringMatching(
          /^lms_refresh=[^;]+; Max-Age=2592000; Path=\/auth; HttpOnly; Secure; SameSite=Lax$/,
        ),
        'lms_oauth_state=; Max-Age=0; Path=/auth/callback; HttpOnly; Secure; SameSite=Lax',
      ]),
    );
    expect(await done.text()).toBe(''); // the tokens travel in cookies only

    const me = await get('/me', { headers: { cookie: `lms_access=${cookieValue(done, 'lms_access')}` } });
    expect(((await me.json()) as { email: string }).email).toBe('learner@company.local');
  });

  it('refuses a replayed callback', async () => {
    const { callback, stateCookie } = await signInUntilCallback('learner');
    const path = callback.pathname + callback.search;
    const headers = { cookie: `lms_oauth_state=${stateCookie}` };
    expect((await get(path, { headers })).status).toBe(302);
    const replay = await get(path, { headers });
    expect(replay.status).toBe(400);
    expect(setCookies(replay)).toEqual([]);
  });

  it('refuses a forged callback from a browser that did not start the sign-in', async () => {
    const victim = await signInUntilCallback('admin');
    const attacker = await signInUntilCallback('learner');
    // The attacker's code and state, delivered to the victim's browser with the victim's state cookie.
    const res = await get(attacker.callback.pathname + attacker.callback.search, {
      headers: { cookie: `lms_oauth_state=${victim.stateCookie}` },
    });
    expect(res.status).toBe(403);
    expect(setCookies(res)).toEqual([]);
  });

  it('refreshes from the refresh cookie and logs out by revoking it', async () => {
    const { callback, stateCookie } = await signInUntilCallback('instructor');
    const done = await get(callback.pathname + callback.search, {
      headers: { cookie: `lms_oauth_state=${stateCookie}` },
    });
    const refresh = `lms_refresh=${cookieValue(done, 'lms_refresh')}`;

    expect((await post('/auth/refresh')).status).toBe(401);
    expect(
      (await post('/auth/refresh', { headers: { cookie: refresh, origin: 'https://evil.example.com' } }))
        .status,
    ).toBe(403);
    const refreshed = await post('/auth/refresh', { headers: { cookie: refresh, origin: APP } });
    expect(refreshed.status).toBe(204);
    const access = cookieValue(refreshed, 'lms_access')!;
    expect((await get('/me', { headers: { cookie: `lms_access=${access}` } })).status).toBe(200);

    const logout = await post('/auth/logout', { headers: { cookie: refresh, origin: APP } });
    expect(logout.status).toBe(204);
    expect(setCookies(logout)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^lms_access=; Max-Age=0; Path=\//),
        expect.stringMatching(/^lms_refresh=; Max-Age=0; Path=\/auth/),
      ]),
    );
    expect((await post('/auth/refresh', { headers: { cookie: refresh, origin: APP } })).status).toBe(401);
  });

  it('ends a logged-out session for the API once the gateway forgets its answer, refreshed tokens too, not the next sign-in', async () => {
    const signIn = async () => {
      const { callback, stateCookie } = await signInUntilCallback('learner');
      const done = await get(callback.pathname + callback.search, {
        headers: { cookie: `lms_oauth_state=${stateCookie}` },
      });
      return {
        access: `lms_access=${cookieValue(done, 'lms_access')}`,
        refresh: `lms_refresh=${cookieValue(done, 'lms_refresh')}`,
      };
    };
    // A Lambda route and a core service path, both behind the authorizer.
    const statuses = async (headers: Record<string, string>) => [
      (await get('/me', { headers })).status,
      (await get('/me/enrollments', { headers })).status,
    ];
    // API Gateway reuses an answer per Cookie header for SESSION.authorizerCacheSeconds, and each authorizer
    // environment its "not revoked" for REVOCATION_CACHE_MS; the clock moves past both.
    const realNow = Date.now.bind(Date);
    let readingMs = 0;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + readingMs);
    const forgotten = SESSION.authorizerCacheSeconds * 1000 + REVOCATION_CACHE_MS;
    try {
      const session = await signIn();
      expect(await statuses({ cookie: session.access })).toEqual([200, 200]);
      // Another tab refreshed: a new access token of the same sign-in.
      const refreshed = await post('/auth/refresh', { headers: { cookie: session.refresh, origin: APP } });
      const refreshedAccess = `lms_access=${cookieValue(refreshed, 'lms_access')}`;
      expect(await statuses({ cookie: refreshedAccess })).toEqual([200, 200]);

      const logout = await post('/auth/logout', {
        headers: { cookie: `${session.access}; ${session.refresh}`, origin: APP },
      });
      expect(logout.status).toBe(204);
      // The browser forgot its cookies; a copy of one still passes while the gateway keeps its answer.
      expect(await statuses({ cookie: session.access })).toEqual([200, 200]);
      readingMs += forgotten;
      expect(await statuses({ cookie: session.access })).toEqual([401, 401]);
      expect(await statuses({ cookie: refreshedAccess })).toEqual([401, 401]);
      expect(
        (await post('/auth/refresh', { headers: { cookie: session.refresh, origin: APP } })).status,
      ).toBe(401);

      // The same person signs in again: another session, untouched.
      const next = await signIn();
      expect(await statuses({ cookie: next.access })).toEqual([200, 200]);

      // An API client logs out with the token it sends as the session cookie.
      const client = { cookie: `lms_access=${await tokenFor('learner')}` };
      expect(await statuses(client)).toEqual([200, 200]);
      expect((await post('/auth/logout', { headers: client })).status).toBe(204);
      readingMs += forgotten;
      expect(await statuses(client)).toEqual([401, 401]);
      expect(await statuses({ cookie: next.access })).toEqual([200, 200]);
    } finally {
      clock.mockRestore();
    }
  });

  it('refuses cookie writes from a foreign origin on Lambda routes and the core service alike', async () => {
    const cookie = `lms_access=${await tokenFor('institution-manager')}`;
    const json = { cookie, 'content-type': 'application/json' };
    for (const path of ['/uploads', '/companies']) {
      const res = await post(path, { headers: { ...json, origin: 'https://evil.example.com' }, body: '{}' });
      expect([path, res.status, res.headers.get('content-type')]).toEqual([
        path,
        403,
        expect.stringMatching(/^application\/problem\+json/),
      ]);
      // The same request from the app reaches the route, which then judges the body.
      const fromApp = await post(path, { headers: { ...json, origin: APP }, body: '{}' });
      expect([path, fromApp.status]).toEqual([path, 400]);
    }
  });

  it('validates sign-in input and never redirects off the app', async () => {
    const foreign = await get('/auth/login?returnTo=https%3A%2F%2Fevil.example.com%2F');
    expect(foreign.status).toBe(400);
    expect(((await foreign.json()) as { errors: { field: string }[] }).errors[0]!.field).toBe(
      'query.returnTo',
    );
    const unknown = await get('/auth/login?next=/x');
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { errors: { field: string }[] }).errors[0]!.field).toBe('query.next');
    // The callback's query is one of two shapes: a refusal names what each shape missed.
    const noState = await get('/auth/callback?code=x');
    expect(noState.status).toBe(400);
    expect(((await noState.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual([
      'query.state',
      'query.error',
    ]);
    // The identity provider's own refusal, passed on, names the field that carries it.
    const refused = await get('/auth/callback?error=access_denied&error_description=Cancelled');
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toMatch(/application\/problem\+json/);
    expect(((await refused.json()) as { errors: { field: string }[] }).errors).toEqual([
      { field: 'query.error', message: 'Sign-in was not completed: Cancelled' },
    ]);
  });

  it('never sends the browser off the app after sign-in, however a URL parser reads returnTo', async () => {
    // Each starts with `/` or names the app, and each is another host to a WHATWG parser.
    for (const raw of [
      '%2F%5Cevil.example.com',
      '%2F%09%2Fevil.example.com',
      '%2F%0A%2Fevil.example.com',
      '%2F%2Fevil.example.com',
      '%20%2F%2Fevil.example.com',
      `${encodeURIComponent(APP)}%40evil.example.com`,
    ]) {
      const res = await get(`/auth/login?returnTo=${raw}`);
      expect({ raw, status: res.status, location: res.headers.get('location') }).toEqual({
        raw,
        status: 400,
        location: null,
      });
    }
  });

  it('has the local issuer send codes only to the registered callback URL, as Cognito does', async () => {
    const login = await get('/auth/login?returnTo=%2Fme');
    const authorize = new URL(login.headers.get('location')!);
    authorize.searchParams.set('identity', 'learner');
    authorize.searchParams.set('redirect_uri', 'https://evil.example.com/auth/callback');
    const res = await fetch(authorize, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.json()).toMatchObject({ error: 'redirect_mismatch' });
  });

  it('answers a body over API Gateway’s 10 MB with a 413 problem the client reads to the end', async () => {
    const cookie = `lms_access=${await tokenFor('institution-manager')}`;
    const body = JSON.stringify({ name: 'x'.repeat(11 * 1024 * 1024) });
    for (const path of ['/uploads', '/companies']) {
      const res = await post(path, { headers: { cookie, 'content-type': 'application/json' }, body });
      expect([path, res.status, res.headers.get('content-type')]).toEqual([
        path,
        413,
        expect.stringMatching(/^application\/problem\+json/),
      ]);
      expect(((await res.json()) as { errors: { field: string }[] }).errors).toEqual([
        expect.objectContaining({ field: 'body' }),
      ]);
    }
  });

  it('gives every request its own id, which the core service answers with, whatever the client sent', async () => {
    const cookie = `lms_access=${await tokenFor('learner')}`;
    const res = await get('/courses/42', {
      headers: { cookie, 'x-request-id': 'chosen-by-the-client' },
    });
    expect(res.status).toBe(400);
    const { requestId } = (await res.json()) as { requestId: string };
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const lambda = await post('/uploads', {
      headers: { cookie, 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(((await lambda.json()) as { requestId: string }).requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers CORS preflights for the app origins only, with credentials', async () => {
    const ok = await get('/me', {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'GET' },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(APP);
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    const other = await get('/me', { headers: { origin: 'https://evil.example.com' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('logs one line per request', () => {
    expect(lines).toContain(lines.find((l) => /^GET \/health 200 \d+\.\dms$/.test(l)));
    // The local IVS's lines say they are its own.
    const requests = lines.filter((l) => !l.startsWith('ivs: '));
    expect(requests.every((l) => /^[A-Z]+ \S+ \d{3} \d+\.\dms$/.test(l))).toBe(true);
  });

  it('runs a course from an institution to an enrolled employee, through the core service', async () => {
    const as = async (role: string) => ({
      cookie: `lms_access=${await tokenFor(role)}`,
      'content-type': 'application/json',
    });
    const call = async (role: string, method: string, path: string, body?: unknown, status = 200) => {
      const res = await fetch(`${platform.url}${path}`, {
        method,
        headers: await as(role),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      expect([method, path, res.status, text]).toEqual([method, path, status, expect.anything()]);
      return JSON.parse(text);
    };
    await call(
      'institution-manager',
      'POST',
      '/institutions',
      {
        name: 'Local Academy',
        ownerName: 'Kim',
        businessNumber: businessNumberFrom('401810001'),
        certificationNumber: 'C-9',
        contactEmail: 'office@academy.local',
        contactPhone: '02-000-0000',
      },
      201,
    );
    const course = await call('institution-manager', 'POST', '/courses', { title: 'Fire safety' }, 201);
    const chapter = await call(
      'institution-manager',
      'POST',
      `/courses/${course.id}/chapters`,
      { title: 'Week 1' },
      201,
    );
    await call(
      'institution-manager',
      'POST',
      `/courses/${course.id}/chapters/${chapter.id}/contents`,
      { kind: 'video', title: 'Extinguishers' },
      201,
    );
    const exam = await call(
      'institution-manager',
      'POST',
      `/courses/${course.id}/exams`,
      {
        chapterId: chapter.id,
        title: 'Final exam',
        stage: 'final',
        weight: 100,
        questions: [
          { kind: 'choice', prompt: 'Class A fires burn…', choices: ['wood', 'oil'], answer: 0, points: 40 },
          { kind: 'choice', prompt: 'Water on oil?', choices: ['yes', 'never'], answer: 1, points: 40 },
          { kind: 'short', prompt: 'Name the steps of PASS.', points: 20 },
        ],
      },
      201,
    );
    await call('institution-manager', 'POST', `/courses/${course.id}/publish`);

    const company = await call(
      'company-manager',
      'POST',
      '/companies',
      {
        name: 'Local Co',
        ownerName: 'Park',
        businessNumber: businessNumberFrom('401810002'),
        email: 'hr@company.local',
        phone: '031-000-0000',
      },
      201,
    );
    const learner = (await call('learner', 'POST', `/companies/${company.id}/join-requests`)).userSub;
    await call('company-manager', 'PUT', `/companies/${company.id}/employees/${learner}/approval`);
    const provision = await call(
      'company-manager',
      'POST',
      '/provisions',
      {
        companyId: company.id,
        courseId: course.id,
        startsOn: '2026-12-01',
        endsOn: '2026-12-31',
        attendeeCount: 10,
        depositAmount: 500000,
      },
      201,
    );
    await call('institution-manager', 'POST', `/provisions/${provision.id}/decision`, {
      decision: 'accepted',
    });
    await call('company-manager', 'POST', `/provisions/${provision.id}/attendees`, { userSubs: [learner] });

    const mine = await call('learner', 'GET', '/me/enrollments');
    expect(mine).toEqual([expect.objectContaining({ courseId: course.id, courseTitle: 'Fire safety' })]);
    // The route to the service is protected like every other: API Gateway's answer without a token.
    expect((await get('/me/enrollments')).status).toBe(401);

    // Its events reached the platform bus, and the video pipeline's answer reaches the course page.
    await platform.flushEvents();
    const types = platform.bus.published.map((e) => e['detail-type']);
    expect(types).toEqual(
      expect.arrayContaining(['provision.requested', 'provision.accepted', 'enrollment.created']),
    );
    const videoId = (await call('learner', 'GET', `/courses/${course.id}`)).chapters[0].contents[0].id;
    const occurredAt = new Date().toISOString();
    await platform.bus.publish([
      {
        source: 'lms.vod',
        detailType: 'video.ready',
        detail: {
          contentId: videoId,
          occurredAt,
          durationSeconds: 95,
          manifestPath: `videos/${videoId}/index.m3u8`,
        },
        time: new Date(occurredAt),
      },
    ]);
    await platform.bus.settled();
    const page = await call('learner', 'GET', `/courses/${course.id}`);
    expect(page.chapters[0].contents[0]).toMatchObject({ mediaState: 'ready', durationSeconds: 95 });

    // The employee watches: a beat every 10 s of server time, until 80% of the 95 s are covered.
    const enrollmentId = page.enrollment.id;
    let last;
    for (let i = 0; i <= 8; i++) {
      last = await call('learner', 'POST', `/me/enrollments/${enrollmentId}/heartbeats`, {
        contentId: videoId,
        sessionId: 'tab-1',
        sequence: i,
        position: i * 10,
        playbackRate: 1,
      });
      nowMs += 10_000;
    }
    expect(last).toEqual({
      creditedSeconds: 10,
      coveredSeconds: 80,
      durationSeconds: 95,
      completed: true,
      gate: null,
    });
    const progress = await call('learner', 'GET', `/me/enrollments/${enrollmentId}/progress`);
    expect(progress).toEqual([
      // The player resumes where the latest beat left the playhead.
      expect.objectContaining({
        contentId: videoId,
        coveredSeconds: 80,
        completedAt: expect.any(String),
        resumeSeconds: 80,
      }),
      expect.objectContaining({ contentId: exam.id, kind: 'exam', completedAt: null, resumeSeconds: 0 }),
    ]);

    // Watched, but not completed: the profile wants an exam score of 60 too.
    const before = await call('learner', 'GET', '/me/enrollments');
    expect(before).toEqual([
      expect.objectContaining({
        lessonsCompleted: 1,
        lessonsTotal: 1,
        completedAt: null,
        certificateOn: null,
      }),
    ]);

    // The final exam opens at 80% progress; the learner sits it, answers and hands it in.
    const exams = await call('learner', 'GET', `/me/enrollments/${enrollmentId}/exams`);
    expect(exams).toEqual([
      expect.objectContaining({
        examId: exam.id,
        open: true,
        gate: null,
        attemptsUsed: 0,
        attemptsAllowed: 1,
      }),
    ]);
    const sittingPath = `/me/enrollments/${enrollmentId}/exams/${exam.id}/sitting`;
    const sitting = await call('learner', 'POST', sittingPath, undefined, 201);
    expect(sitting).toMatchObject({ state: 'open', secondsLeft: 3600 });
    expect(sitting.questions[0]).not.toHaveProperty('answer');
    const [q1, q2, q3] = sitting.questions;
    nowMs += 60_000;
    await call('learner', 'PUT', `${sittingPath}/answers/${q1.id}`, { choice: 0 });
    await call('learner', 'PUT', `${sittingPath}/answers/${q2.id}`, { choice: 1 });
    await call('learner', 'PUT', `${sittingPath}/answers/${q3.id}`, { text: 'Pull, aim, squeeze, sweep' });
    const handedIn = await call('learner', 'POST', `${sittingPath}/submit`);
    expect(handedIn).toMatchObject({ state: 'submitted', score: null });
    expect(handedIn.questions.map((q: { awardedPoints: number | null }) => q.awardedPoints)).toEqual([
      40,
      40,
      null,
    ]);

    // The institution grades the short answer: 80 + 15 of 100 passes, and the course is completed.
    const takers = await call(
      'institution-manager',
      'GET',
      `/courses/${course.id}/exams/${exam.id}/attempts`,
    );
    expect(takers).toEqual([expect.objectContaining({ enrollmentId, pendingAnswers: 1 })]);
    nowMs += 60_000;
    const graded = await call(
      'institution-manager',
      'PUT',
      `/courses/${course.id}/exams/${exam.id}/attempts/${takers[0].attemptId}/grades/${q3.id}`,
      { points: 15 },
    );
    expect(graded).toMatchObject({ score: 95 });
    // 2026-12-10 10:03 in Seoul.
    const completed = { completedAt: new Date(nowMs).toISOString(), certificateOn: '2026-12-10', score: 95 };
    expect(await call('learner', 'GET', '/me/enrollments')).toEqual([expect.objectContaining(completed)]);

    // The company's dashboard shows it; the institution's audit export lists every credit and grade.
    const dashboard = await call('company-manager', 'GET', `/provisions/${provision.id}/progress`);
    expect(dashboard).toEqual([
      expect.objectContaining({
        enrollmentId,
        lessonsCompleted: 1,
        lessonsTotal: 1,
        watchedSeconds: 80,
        ...completed,
      }),
    ]);
    const audit = await call(
      'institution-manager',
      'GET',
      `/provisions/${provision.id}/enrollments/${enrollmentId}/audit`,
    );
    const credits = audit.entries.filter((e: { kind: string }) => e.kind === 'credit');
    // Eight credited beats of 10 s in one continuous viewing run.
    expect(credits.map((e: { detail: { seconds: number; beats: number } }) => e.detail)).toEqual([
      expect.objectContaining({ seconds: 80, beats: 8 }),
    ]);
    expect(audit.entries.filter((e: { kind: string }) => e.kind !== 'credit')).toEqual([
      expect.objectContaining({ kind: 'completion', contentId: videoId }),
      expect.objectContaining({
        kind: 'gate',
        contentId: exam.id,
        detail: expect.objectContaining({ decision: 'open' }),
      }),
      expect.objectContaining({
        kind: 'grade',
        contentId: exam.id,
        detail: expect.objectContaining({ pendingAnswers: 1 }),
      }),
      expect.objectContaining({
        kind: 'grade',
        contentId: exam.id,
        detail: expect.objectContaining({ points: 15 }),
      }),
      expect.objectContaining({
        kind: 'grade',
        contentId: exam.id,
        detail: expect.objectContaining({ score: 95 }),
      }),
      expect.objectContaining({
        kind: 'completion',
        contentId: null,
        detail: expect.objectContaining({ certificateOn: '2026-12-10' }),
      }),
    ]);

    // Completed, the learner rates the course once.
    expect(await call('learner', 'GET', '/me/enrollments')).toEqual([
      expect.objectContaining({ ratingStars: null }),
    ]);
    await call('learner', 'POST', `/me/enrollments/${enrollmentId}/rating`, { stars: 5 }, 201);
    await call('learner', 'POST', `/me/enrollments/${enrollmentId}/rating`, { stars: 4 }, 409);
    // The app shows the given rating instead of the form.
    expect(await call('learner', 'GET', '/me/enrollments')).toEqual([
      expect.objectContaining({ ratingStars: 5 }),
    ]);

    // The completion's certificate: numbered, rendered and kept by the issuer from enrollment.completed.
    await platform.flushEvents();
    const { certificates } = await call('learner', 'GET', '/me/certificates');
    expect(certificates).toEqual([
      expect.objectContaining({
        enrollmentId,
        learnerName: 'Learner',
        courseTitle: 'Fire safety',
        institutionName: 'Local Academy',
        completedOn: '2026-12-10',
        score: 95,
        hours: 0,
        ready: true,
        status: 'valid',
      }),
    ]);
    const number: string = certificates[0].number;
    expect(number).toMatch(/^LMS(-[0-9A-HJKMNP-TV-Z]{4}){5}$/);
    // The learner and their company's manager download it; the document is a PDF.
    for (const who of ['learner', 'company-manager']) {
      const link = await call(who, 'GET', `/certificates/${number}/download`);
      const pdf = await fetch(link.url);
      expect(pdf.status).toBe(200);
      expect(
        Buffer.from(await pdf.arrayBuffer())
          .subarray(0, 5)
          .toString(),
      ).toBe('%PDF-');
    }
    // Anyone holding the number: valid, for whom and what; a number that does not exist says nothing more.
    const verification = await (await get(`/certificates/${number.toLowerCase()}/verification`)).json();
    expect(verification).toEqual({
      number,
      status: 'valid',
      learnerName: 'Learner',
      courseTitle: 'Fire safety',
      institutionName: 'Local Academy',
      hours: 0,
      completedOn: '2026-12-10',
    });
    const other = `${number.slice(0, -1)}${number.endsWith('0') ? '1' : '0'}`;
    const unknown = await get(`/certificates/${other}/verification`);
    expect([unknown.status, await unknown.json()]).toEqual([
      404,
      {
        type: 'about:blank',
        title: 'Not Found',
        status: 404,
        detail: 'No such certificate',
        requestId: expect.any(String),
      },
    ]);
    expect(await (await get(`/verify/${number}`)).text()).toContain('Valid certificate');
    // The institution revokes it, once, with a reason; the page then says revoked.
    await call('learner', 'POST', `/certificates/${number}/revocation`, { reason: 'x' }, 403);
    await call('institution-manager', 'POST', `/certificates/${number}/revocation`, { reason: 'Exam fraud' });
    await call('institution-manager', 'POST', `/certificates/${number}/revocation`, { reason: 'Again' }, 409);
    expect(await (await get(`/certificates/${number}/verification`)).json()).toMatchObject({
      status: 'revoked',
      revocationReason: 'Exam fraud',
    });
    expect(await (await get(`/verify/${number}`)).text()).toContain('Revoked certificate');
    // The mail catcher holds the completion's e-mail and the revocation's, in Korean (the profile keeps Korea's
    // time and the learner names no language), each with its unsubscribe link.
    await platform.flushEvents();
    const { mail } = (await (await get('/local/mail')).json()) as {
      mail: {
        source: string;
        recipients: string[];
        subject: string;
        text: string;
        headers: { name: string }[];
      }[];
    };
    const learnerMail = mail.filter(
      (m) => m.source === 'ses' && m.recipients.includes('learner@company.local'),
    );
    const completionMail = learnerMail.find((m) => m.subject === 'Fire safety 과정을 수료했습니다');
    expect(completionMail?.text).toContain(`수료증 ${number}을 내려받을 수 있습니다.`);
    expect(completionMail?.headers.map((h) => h.name)).toContain('List-Unsubscribe');
    expect(learnerMail.map((m) => m.subject)).toContain(`수료증 ${number}이 취소되었습니다`);

    // A live lecture ends: the live domain's report reaches the core through the same local bus.
    const ended = new Date(Date.now() + 60_000);
    const lectureId = crypto.randomUUID();
    await platform.bus.publish([
      {
        source: 'lms.live',
        detailType: 'live.ended',
        detail: {
          lectureId,
          provisionId: provision.id,
          courseId: course.id,
          institutionId: provision.institutionId,
          title: 'Extinguishers, live',
          occurredAt: ended.toISOString(),
          startedAt: new Date(ended.getTime() - 3_600_000).toISOString(),
          endedAt: ended.toISOString(),
          quizzesSent: 2,
          part: 1,
          parts: 1,
          attendees: [
            {
              userSub: learner,
              enrollmentId,
              joinedAt: new Date(ended.getTime() - 3_000_000).toISOString(),
              presenceSeconds: 3240,
              attendanceRate: 0.9,
              quizzesAnswered: 2,
              quizzesCorrect: 1,
            },
          ],
        },
        time: ended,
      },
    ]);
    await platform.bus.settled();
    expect(await call('company-manager', 'GET', `/provisions/${provision.id}/progress`)).toEqual([
      expect.objectContaining({ liveLecturesAttended: 1, liveLecturesEnded: 1, liveAttendanceRate: 0.9 }),
    ]);
    const withLive = await call(
      'institution-manager',
      'GET',
      `/provisions/${provision.id}/enrollments/${enrollmentId}/audit`,
    );
    expect(withLive.liveLectures).toEqual([
      expect.objectContaining({ lectureId, title: 'Extinguishers, live', attended: true, quizzesCorrect: 1 }),
    ]);

    // Its recording ends: the live domain's report turns it into a video for this provision's learners,
    // catch-up material that is credited but does not undo the completion.
    await platform.bus.publish([
      {
        source: 'lms.live',
        detailType: 'live.recorded',
        detail: {
          lectureId,
          provisionId: provision.id,
          courseId: course.id,
          institutionId: provision.institutionId,
          title: 'Extinguishers, live',
          occurredAt: new Date(ended.getTime() + 120_000).toISOString(),
          durationSeconds: 3600,
          manifestPath: `hls/${lectureId}/index.m3u8`,
        },
        time: ended,
      },
    ]);
    await platform.bus.settled();
    await platform.flushEvents();
    // The access projection hears of it as its provision's.
    expect(platform.bus.published).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          'detail-type': 'content.set',
          detail: expect.objectContaining({ contentId: lectureId, provisionId: provision.id }),
        }),
      ]),
    );
    const withRecording = await call('learner', 'GET', `/courses/${course.id}`);
    expect(withRecording.chapters.at(-1)).toMatchObject({
      title: 'Live lecture recordings',
      purpose: 'live-recordings',
      contents: [
        expect.objectContaining({
          id: lectureId,
          kind: 'video',
          title: 'Extinguishers, live (recording)',
          mediaState: 'ready',
          durationSeconds: 3600,
          provisionId: provision.id,
        }),
      ],
    });
    const recordingBeat = (sequence: number, position: number) =>
      call('learner', 'POST', `/me/enrollments/${enrollmentId}/heartbeats`, {
        contentId: lectureId,
        sessionId: 'tab-recording',
        sequence,
        position,
        playbackRate: 1,
      });
    nowMs += 60_000;
    await recordingBeat(0, 0);
    nowMs += 10_000;
    expect(await recordingBeat(1, 10)).toMatchObject({ creditedSeconds: 10, coveredSeconds: 10 });
    expect(await call('learner', 'GET', '/me/enrollments')).toEqual([
      expect.objectContaining({ lessonsTotal: 1, lessonsCompleted: 1, completedAt: expect.any(String) }),
    ]);
  });
});
