import { DEMO_COURSE_TITLE, seedDemoData, type DemoData } from '#local/demo-data';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { useLocalPlatform } from '../local/local-platform-fixture';
import { eventually, launchChromium, screenshot, seriousViolations } from './browser';

/*
 * The demo learner's journey in Debian's chromium, on the local platform as `npm start` runs it (the web app on
 * the API's origin, the demo seeded through the API): sign in through the local sign-in page, open the course,
 * watch until the server credits 30 seconds, see the progress move, sit the exam, visit every other screen,
 * sign out. Each screen is photographed (artifacts/web/) and checked by axe. The video plays in real time: the
 * server credits only what real time allows, and the demo lecture is 45 seconds long, so no fast path is needed.
 */

// Cookies are Secure and SameSite=Lax: browsers keep them on http://localhost, not on http://127.0.0.1.
const local = useLocalPlatform('weblearner', {
  webApp: true,
  host: 'localhost',
  institutionName: 'Demo Academy',
  // The demo's two clips are the same bytes in every file: only the first file's encode runs ffmpeg.
  vod: { transcodeCache: true },
});
let browser: Browser;
let context: BrowserContext;
let page: Page;
let demo: DemoData;
let enrollmentId: string;

beforeAll(async () => {
  demo = await seedDemoData(local.platform, { log: () => undefined });
  enrollmentId = ((await local.call('learner', 'GET', '/me/enrollments')) as { id: string }[])[0]!.id;
  browser = await launchChromium();
  context = await browser.newContext({ locale: 'en-US', viewport: { width: 1024, height: 800 } });
  page = await context.newPage();
}, 240_000);
afterAll(async () => {
  await context?.close();
  await browser?.close();
});

/** Photographs the screen and holds it to axe: no serious or critical violation. */
async function checkScreen(name: string) {
  await screenshot(page, name);
  expect(await seriousViolations(page)).toEqual([]);
}

const covered = async () =>
  (
    (await local.call('learner', 'GET', `/me/enrollments/${enrollmentId}/progress`)) as {
      contentId: string;
      coveredSeconds: number;
    }[]
  ).find((p) => p.contentId === demo.videoIds[0])?.coveredSeconds ?? 0;

describe('the demo learner in the browser', () => {
  it('signs in through the local sign-in page and lands on their courses', async () => {
    await page.goto(`${local.platform.url}/`);
    // Not signed in: the app sends the browser to /auth/login, which leads to the local Cognito's page.
    await page.getByRole('link', { name: 'Learner', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'My courses' }).waitFor();
    await page.getByText(DEMO_COURSE_TITLE).first().waitFor();
    await checkScreen('1-my-courses');
  });

  it('opens the course: its curriculum, with the lecture, the checklist and the exam', async () => {
    await page.getByRole('link', { name: DEMO_COURSE_TITLE, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: DEMO_COURSE_TITLE }).waitFor();
    await page.getByRole('button', { name: /^Download / }).waitFor();
    await page.getByRole('link', { name: /^Take exam: / }).waitFor();
    await checkScreen('2-course');
  });

  it('plays the lecture until the server credits 30 seconds, and shows the progress move', async () => {
    // Until the video origin has refused the stream, the cookies carry a key pair id it does not trust, as those
    // signed before a key rotation or a renamed key: the player must renew them and play on.
    let refused = 0;
    let renewed = 0;
    await page.route('**/hls/**', async (route) => {
      const response = await route.fetch();
      if (response.status() === 403) refused++;
      return route.fulfill({ response });
    });
    await page.route('**/contents/*/playback', async (route) => {
      const response = await route.fetch();
      if (refused > 0) {
        renewed++;
        return route.fulfill({ response });
      }
      const setCookie = response
        .headersArray()
        .filter((h) => h.name.toLowerCase() === 'set-cookie')
        .map((h) => h.value.replace(/^CloudFront-Key-Pair-Id=[^;]*/, 'CloudFront-Key-Pair-Id=K2RETIREDKEY'));
      expect(setCookie.filter((c) => c.startsWith('CloudFront-Key-Pair-Id=K2RETIREDKEY;'))).toHaveLength(1);
      return route.fulfill({
        response,
        headers: { ...response.headers(), 'set-cookie': setCookie.join('\n') },
      });
    });
    await page
      .getByRole('link', { name: /^Play / })
      .first()
      .click();
    const video = page.locator('video');
    await video.waitFor();
    // A function, not a string: the app's CSP (no 'unsafe-eval') refuses string predicates, as it should.
    await page.waitForFunction(
      (v) => (v as unknown as { readyState: number }).readyState >= 2,
      await video.elementHandle(),
    );
    await video.evaluate((v: { muted: boolean; play(): Promise<void> }) => {
      v.muted = true;
      return v.play();
    });
    expect(refused).toBeGreaterThan(0);
    expect(renewed).toBeGreaterThan(0);
    await page.unroute('**/contents/*/playback');
    await page.unroute('**/hls/**');
    await checkScreen('3-player');
    // Real time: the server credits at most what elapsed between beats, and the screen shows what it credited.
    await page.getByText(/^Credited: 0:(3\d|4\d) of 0:45/).waitFor({ timeout: 60_000 });
    await video.evaluate((v: { pause(): void }) => v.pause());
    expect(await eventually(covered, (s) => s >= 30)).toBeGreaterThanOrEqual(30);
    await screenshot(page, '3-player-credited');
  }, 120_000);

  it('shows the progress moved on the course page', async () => {
    await page.getByRole('link', { name: /^Back to the course/ }).click();
    await page.getByRole('heading', { level: 1, name: DEMO_COURSE_TITLE }).waitFor();
    await screenshot(page, '3-course-after-watching');
    expect(await page.locator('main').innerText()).toMatch(/0:(3\d|4\d)/);
  });

  it('sits the final exam and sees the result', async () => {
    await page.goto(`${local.platform.url}/learn/${enrollmentId}/exams/${demo.examId}`);
    await page.getByRole('button', { name: 'Start the exam' }).click();
    await page.getByRole('radio', { name: 'At the start of every shift' }).check();
    await page.getByRole('radio', { name: 'Load facing uphill' }).check();
    await page.getByRole('radio', { name: 'Nobody' }).check();
    expect(
      await eventually(
        () => page.getByText(/^Saved/).count(),
        (n) => n === 3,
      ),
    ).toBe(3);
    await checkScreen('4-exam');
    await page.getByRole('button', { name: 'Submit answers' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Submit now' }).click();
    await page.getByText('Score: 100 out of 100').waitFor();
    await checkScreen('5-exam-result');
  });

  it.each([
    ['6-certificates', '/learn/certificates', 'My certificates'],
    ['7-inbox', '/inbox', 'Notifications'],
    ['8-settings', '/settings', 'Settings'],
    ['9-catalog', '/catalog', 'Catalog'],
    ['10-cart', '/cart', 'My registrations'],
  ])('shows %s', async (name, path, heading) => {
    await page.goto(`${local.platform.url}${path}`);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
    await checkScreen(name);
  });

  it('signs out: the session is gone for the API too', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { level: 1, name: 'You are signed out.' }).waitFor();
    await checkScreen('11-signed-out');
    expect(await page.evaluate(async () => (await fetch('/me')).status)).toBe(401);
  });
});
