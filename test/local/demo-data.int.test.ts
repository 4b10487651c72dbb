import { contentSecurityPolicy, WEB_APP } from '#contracts/web-app';
import { DEMO_COURSE_TITLE, seedDemoData, type DemoData } from '#local/demo-data';
import { useLocalPlatform } from './local-platform-fixture';

/*
 * What a newcomer meets at the first `npm start`: the web app on the API's origin, and a demo world made
 * through the API that the demo learner can watch, download and sit an exam in at once.
 */

const local = useLocalPlatform('demo', { webApp: true, institutionName: 'Demo Academy' });
const { send, call } = local;
let seeded: DemoData;
const lines: string[] = [];

beforeAll(async () => {
  seeded = await seedDemoData(local.platform, { log: (line) => lines.push(line) });
}, 180_000);

/** The `name=value` part of each Set-Cookie, joined as a browser sends them back. */
const cookieHeader = (setCookies: readonly string[]) => setCookies.map((c) => c.split(';')[0]).join('; ');

describe('demo data', () => {
  it('seeds the demo world, one log line per step and the total', () => {
    expect(seeded.created).toBe(true);
    expect(lines.at(-1)).toMatch(/^demo: seeded in \d+ ms$/);
    expect(lines.length).toBeGreaterThanOrEqual(8);
  });

  it('enrolls the demo learners in the published demo course, whose videos are ready', async () => {
    for (const learner of ['learner', 'learner2'])
      expect(await call(learner, 'GET', '/me/enrollments')).toEqual([
        expect.objectContaining({ courseId: seeded.courseId, courseTitle: DEMO_COURSE_TITLE }),
      ]);
    const page = await call('learner', 'GET', `/courses/${seeded.courseId}`);
    expect(page).toMatchObject({ state: 'published', enrollment: { provisionId: seeded.provisionId } });
    const contents = page.chapters.flatMap((c: { contents: unknown[] }) => c.contents);
    expect(contents).toEqual([
      expect.objectContaining({ kind: 'video', mediaState: 'ready', durationSeconds: 45 }),
      expect.objectContaining({ kind: 'video', mediaState: 'ready', durationSeconds: 8 }),
      expect.objectContaining({ kind: 'material', id: seeded.materialId }),
      expect.objectContaining({ kind: 'exam', id: seeded.examId }),
    ]);
  });

  it('lets the learner play the lecture: cookies that open a real HLS master playlist on the CDN', async () => {
    const res = await send('learner', 'POST', `/contents/${seeded.videoIds[0]}/playback`);
    expect(res.status).toBe(200);
    const { playlistUrl } = (await res.json()) as { playlistUrl: string };
    expect(playlistUrl.startsWith(local.platform.vod.playbackOrigin)).toBe(true);
    // As hls.js fetches it from the app: with the cookies, from the runner's origin, with credentials.
    const master = await fetch(playlistUrl, {
      headers: { cookie: cookieHeader(res.headers.getSetCookie()), origin: local.platform.url },
    });
    const text = await master.text();
    expect(master.status).toBe(200);
    expect(master.headers.get('access-control-allow-origin')).toBe(local.platform.url);
    expect(master.headers.get('access-control-allow-credentials')).toBe('true');
    expect(text.split('\n')[0]).toBe('#EXTM3U');
    expect(text).toMatch(/#EXT-X-STREAM-INF:BANDWIDTH=\d+,RESOLUTION=640x360\n\S+\.m3u8/);
  });

  it('hands the learner the checklist, a PDF', async () => {
    const { url, fileName } = await call('learner', 'GET', `/contents/${seeded.materialId}/download`);
    expect(fileName).toBe('pre-use-checklist.pdf');
    const pdf = Buffer.from(await (await fetch(url)).arrayBuffer());
    expect(pdf.subarray(0, 8).toString()).toBe('%PDF-1.4');
    expect(pdf.toString('latin1')).toContain('Forklift pre-use checklist');
  });

  it('shows the learner the final exam, of three questions', async () => {
    const enrollmentId = (await call('learner', 'GET', `/courses/${seeded.courseId}`)).enrollment.id;
    expect(await call('learner', 'GET', `/me/enrollments/${enrollmentId}/exams`)).toEqual([
      expect.objectContaining({ examId: seeded.examId }),
    ]);
    const exam = await call('manager', 'GET', `/courses/${seeded.courseId}/exams/${seeded.examId}`);
    expect(exam).toMatchObject({ stage: 'final', maxPoints: 100 });
    expect(exam.questions).toHaveLength(3);
  });

  it('lists an open session in the catalog that the learner can register for', async () => {
    const sessions = await call('learner', 'GET', '/sessions?seatsLeft=true');
    expect(sessions).toEqual([
      expect.objectContaining({ id: seeded.sessionId, courseId: seeded.sessionCourseId, seatsLeft: 20 }),
    ]);
    const now = Date.now();
    expect(Date.parse(sessions[0].opensAt)).toBeLessThanOrEqual(now);
    expect(Date.parse(sessions[0].closesAt)).toBeGreaterThan(now);
  });

  it('seeds nothing the second time', async () => {
    const before = await call('company', 'GET', '/provisions?limit=200');
    const again = await seedDemoData(local.platform, { log: () => undefined });
    expect(again).toEqual({ ...seeded, created: false, ms: expect.any(Number) });
    expect(await call('company', 'GET', '/provisions?limit=200')).toEqual(before);
    expect(await call('manager', 'GET', '/courses?limit=200')).toHaveLength(2);
    expect(await call('learner', 'GET', '/sessions')).toHaveLength(1);
  });
});

describe('the web app on the API’s origin', () => {
  const page = (path: string, headers: Record<string, string> = { accept: 'text/html' }) =>
    fetch(`${local.platform.url}${path}`, { headers });
  // The platform starts in beforeAll: read it when asked.
  const ivs = () => local.platform.live.ivs;
  const csp = () =>
    contentSecurityPolicy({
      apiOrigins: [],
      videoOrigins: [local.platform.vod.playbackOrigin],
      uploadOrigins: [new URL(local.platform.vod.s3Endpoint).origin],
      liveOrigins: [ivs().endpoint, new URL(ivs().chatMessagingUrl).origin],
    });

  it('answers index.html for / and for any screen path, with the security headers, never cached', async () => {
    const index = await page('/');
    const html = await index.text();
    expect(index.status).toBe(200);
    expect(html).toMatch(/^<!doctype html>/i);
    for (const path of ['/learn/anything', '/catalog', ...WEB_APP.screens.map((s) => `${s}/a/b`)]) {
      const res = await page(path);
      expect([path, res.status, await res.text()]).toEqual([path, 200, html]);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('cache-control')).toBe('no-cache');
      expect(res.headers.get('content-security-policy')).toBe(csp());
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    }
  });

  it('serves the hashed assets index.html names, cached for a year', async () => {
    const html = await (await page('/')).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      const res = await page(asset, {});
      expect([asset, res.status]).toEqual([asset, 200]);
      expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect(res.headers.get('content-security-policy')).toBe(csp());
    }
    expect((await page('/assets/nothing-here.js', {})).status).toBe(404);
  });

  it('answers the runtime config: the API on the same origin, the institution and its language', async () => {
    const res = await page(WEB_APP.configPath, {});
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(await res.json()).toEqual({
      apiUrl: '',
      institutionName: 'Demo Academy',
      defaultLocale: 'en',
      // The local IVS: chat's socket, and quizzes as server-sent events rather than inside the stream.
      live: {
        chat: ivs().chatMessagingUrl,
        quizFeed: {
          kind: 'server-sent-events',
          url: `${ivs().endpoint}/local/ivs/channels/{channelId}/metadata`,
        },
      },
    });
  });

  it('leaves the API’s paths to the API', async () => {
    const me = await send('learner', 'GET', '/me');
    expect(me.status).toBe(200);
    expect(me.headers.get('content-type')).toMatch(/^application\/json/);
    expect(me.headers.get('content-security-policy')).toBeNull();
    expect(await me.json()).toMatchObject({ sub: '00000000-0000-4000-8000-000000000005' });
    expect((await page('/no-such-screen')).status).toBe(404);
  });
});
