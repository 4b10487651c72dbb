import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { COOKIES } from '#contracts/resources';

/*
 * The learner's course page as a browser meets it on `npm start`: the JavaScript and CSS it loads (gzip) and
 * the time to its first render, in headless Chromium, each run in a new browser context (nothing cached).
 *
 *   npm run bench:web                            # starts npm start on port 3200 with the demo, then measures
 *   npm run bench:web -- --url http://localhost:3000   # measures an npm start that is already running
 *   npm run bench:web -- --runs 10
 */

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = join(__dirname, '..');
/** The issue's goal for the first screen's JavaScript. */
const JS_GOAL_BYTES = 200 * 1024;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** `npm start` on a port of its own, resolved once its banner says the demo is in place. */
async function startPlatform(port: number): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['local/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), RTMP_PORT: String(port + 1) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = `http://localhost:${port}`;
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes(`open ${url}/`)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`npm start exited (${code}) before it was ready`)));
  });
  return { url, child };
}

async function learnerEnrollment(url: string): Promise<{ token: string; enrollmentId: string }> {
  const token = (
    (await (
      await fetch(`${url}/local/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ identity: 'learner' }),
      })
    ).json()) as { access_token: string }
  ).access_token;
  const enrollments = (await (
    await fetch(`${url}/me/enrollments`, { headers: { cookie: `${COOKIES.access}=${token}` } })
  ).json()) as { id: string }[];
  if (!enrollments[0]) throw new Error('The demo learner has no enrollment: is the demo seeded (LMS_DEMO)?');
  return { token, enrollmentId: enrollments[0].id };
}

interface Run {
  readonly jsGzip: number;
  readonly cssGzip: number;
  readonly files: number;
  readonly firstContentfulPaintMs: number;
  readonly courseRenderedMs: number;
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

async function main() {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(`No chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)`);
  const runs = Number(arg('runs') ?? 5);
  const given = arg('url');
  const started = given ? undefined : await startPlatform(Number(arg('port') ?? 3200));
  const url = given ?? started!.url;
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
  try {
    const { token, enrollmentId } = await learnerEnrollment(url);
    const results: Run[] = [];
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext({ locale: 'ko-KR' });
      await context.addCookies([{ name: COOKIES.access, value: token, url }]);
      const page = await context.newPage();
      const assets: Promise<{ kind: 'js' | 'css'; bytes: number }>[] = [];
      page.on('response', (res) => {
        const type = res.request().resourceType();
        if (type === 'script' || type === 'stylesheet')
          assets.push(
            res.body().then((b) => ({ kind: type === 'script' ? 'js' : 'css', bytes: gzipSync(b).length })),
          );
      });
      const t0 = Date.now();
      await page.goto(`${url}/learn/${enrollmentId}`);
      await page.getByRole('heading', { level: 1 }).first().waitFor();
      // The course's own heading, not the shell's loading text: the first render a learner can use.
      await page.locator('main h1').filter({ hasNotText: /…/ }).first().waitFor();
      const courseRenderedMs = Date.now() - t0;
      const fcp = await page.evaluate(
        () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN,
      );
      const loaded = await Promise.all(assets);
      results.push({
        jsGzip: loaded.filter((a) => a.kind === 'js').reduce((s, a) => s + a.bytes, 0),
        cssGzip: loaded.filter((a) => a.kind === 'css').reduce((s, a) => s + a.bytes, 0),
        files: loaded.length,
        firstContentfulPaintMs: fcp,
        courseRenderedMs,
      });
      await context.close();
    }
    const js = median(results.map((r) => r.jsGzip));
    console.log(`Course page (/learn/:enrollmentId) on ${url}, ${runs} cold loads in headless Chromium`);
    console.log(
      `  JavaScript (gzip): ${kb(js)} in ${results[0]!.files} files with CSS; goal < ${kb(JS_GOAL_BYTES)}: ${js < JS_GOAL_BYTES ? 'met' : 'missed'}`,
    );
    console.log(`  CSS (gzip):        ${kb(median(results.map((r) => r.cssGzip)))}`);
    console.log(
      `  first contentful paint: median ${median(results.map((r) => r.firstContentfulPaintMs)).toFixed(0)} ms (${results
        .map((r) => r.firstContentfulPaintMs.toFixed(0))
        .join(', ')})`,
    );
    console.log(
      `  course rendered:        median ${median(results.map((r) => r.courseRenderedMs))} ms (${results
        .map((r) => r.courseRenderedMs)
        .join(', ')})`,
    );
    console.log(`Reproduce: npm run bench:web${given ? ` -- --url ${given}` : ''}`);
  } finally {
    await browser.close();
    started?.child.kill('SIGTERM');
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
