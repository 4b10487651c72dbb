import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ffmpeg from '@ffmpeg-installer/ffmpeg';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { businessNumberFrom } from '../service/service-fixture';
import { useLocalPlatform } from '../local/local-platform-fixture';
import { eventually, launchChromium, screenshot, seriousViolations } from './browser';

/*
 * The institution manager builds a course in Debian's chromium, on the local platform as `npm start` runs it:
 * creates it, adds chapters and contents, reorders by keyboard, uploads a real video through the multipart
 * flow (PUTs straight to the S3 stand-in) and the local transcoder, and publishes. Then an upload is cut
 * off by a reload half way and, given the same file again, sends only the part the bucket does not hold.
 * Only the manager's institution is made beforehand (the demo's courses and their transcoding are not
 * needed here).
 */

const local = useLocalPlatform('webbuilder', {
  webApp: true,
  host: 'localhost',
  institutionName: 'Demo Academy',
});
let browser: Browser;
let context: BrowserContext;
let page: Page;
let work: string;
let clip: string;
let big: string;
let courseId: string;

const MiB = 1024 * 1024;
/** The API's smallest part (lambda/vod/upload-sessions.ts partSizeFor): the big file is two and a half. */
const PART = 8 * MiB;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'console-builder-'));
  clip = join(work, 'lecture-1.mp4');
  big = join(work, 'long-lecture.mp4');
  await Promise.all([
    promisify(execFile)(ffmpeg.path, [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=15'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '3'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', clip],
    ]),
    // Not a video: the transcoder refuses it, which shows the failure's reason on the page.
    writeFile(big, randomBytes(2 * PART + PART / 2)),
  ]);
  await local.call(
    'manager',
    'POST',
    '/institutions',
    {
      name: 'Demo Academy',
      ownerName: 'Institution Manager',
      businessNumber: businessNumberFrom('220810001'),
      certificationNumber: 'DEMO-1',
      contactEmail: 'manager@institute.local',
      contactPhone: '02-000-0100',
    },
    201,
  );
  browser = await launchChromium();
  context = await browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 900 } });
  page = await context.newPage();
}, 240_000);
afterAll(async () => {
  await context?.close();
  await browser?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Photographs the screen and holds it to axe: no serious or critical violation. */
async function checkScreen(name: string) {
  await screenshot(page, `console-builder-${name}`);
  expect(await seriousViolations(page)).toEqual([]);
}

interface Course {
  state: string;
  chapters: { title: string; contents: { id: string; title: string; mediaState: string | null }[] }[];
}
const courseNow = () => local.call('manager', 'GET', `/courses/${courseId}`) as Promise<Course>;
const outline = (c: Course) => c.chapters.map((ch) => [ch.title, ch.contents.map((x) => x.title)]);

/** The part numbers of the part PUTs the page sends to the bucket. */
function countPartPuts(into: number[]) {
  const listener = (request: Request) => {
    const url = new URL(request.url());
    if (request.method() === 'PUT' && url.searchParams.has('partNumber'))
      into.push(Number(url.searchParams.get('partNumber')));
  };
  page.on('request', listener);
  return () => page.off('request', listener);
}

describe('the institution manager’s course builder', () => {
  it('lists the institution’s courses and refuses a course without a title beside the field', async () => {
    await page.goto(`${local.platform.url}/console`);
    await page.getByRole('link', { name: 'Institution Manager', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Console' }).waitFor();
    await page.getByRole('link', { name: 'Courses', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Courses' }).waitFor();
    await page.getByText('No courses yet.').waitFor();
    await checkScreen('1-courses');

    await page.getByRole('button', { name: 'Create the course' }).click();
    const title = page.getByLabel('Title', { exact: true });
    await page.getByText('Enter a title of 1 to 200 characters.').waitFor();
    expect(await title.getAttribute('aria-invalid')).toBe('true');
    await checkScreen('2-field-error');

    await title.fill('Crane operation basics');
    await page.getByLabel('Introduction (optional)').fill('Lifting plans, signals and inspections.');
    await page.getByRole('button', { name: 'Create the course' }).click();
    await page.getByRole('heading', { level: 1, name: 'Crane operation basics' }).waitFor();
    courseId = new URL(page.url()).pathname.split('/').pop()!;
    expect((await courseNow()).state).toBe('draft');
  });

  it('builds the curriculum, shows a refused publish, and reorders by keyboard and by drag, the move announced', async () => {
    // Nothing to learn yet: the API refuses, and the page says why.
    await page.getByRole('button', { name: 'Publish the course' }).click();
    await page.getByRole('alert').filter({ hasText: 'Add at least one content before publishing' }).waitFor();

    for (const chapter of ['Week 1', 'Week 2']) {
      await page.getByLabel('New chapter title').fill(chapter);
      await page.getByRole('button', { name: 'Add chapter' }).click();
      await page.getByRole('heading', { level: 3, name: chapter }).waitFor();
    }
    const week1 = page.getByRole('form', { name: 'Add content: Week 1' });
    for (const [kind, title] of [
      ['Video', 'Lecture 1'],
      ['Material', 'Handout'],
    ] as const) {
      await week1.getByLabel('Kind').selectOption({ label: kind });
      await week1.getByLabel('New content title').fill(title);
      await week1.getByRole('button', { name: /^Add content/ }).click();
      await page.getByText(title, { exact: true }).waitFor();
    }
    expect(outline(await courseNow())).toEqual([
      ['Week 1', ['Lecture 1', 'Handout']],
      ['Week 2', []],
    ]);

    // A move button works from the keyboard, and the focus stays on the moved chapter's controls.
    await page.getByRole('button', { name: 'Move up “Week 2”' }).focus();
    await page.keyboard.press('Enter');
    const announcement = page.getByTestId('builder-announcement');
    await expect_(announcement, 'Moved “Week 2” to position 1 of 2.');
    expect(await eventually(focusedText, (t) => t === 'Move down “Week 2”')).toBe('Move down “Week 2”');
    // Alt+Arrow Up on any control of an item moves it; here the handout's Rename button has the focus.
    await page.getByRole('button', { name: 'Rename “Handout”' }).focus();
    await page.keyboard.press('Alt+ArrowUp');
    await expect_(announcement, 'Moved “Handout” to position 1 of 2.');
    expect(await eventually(focusedText, (t) => t === 'Rename “Handout”')).toBe('Rename “Handout”');
    expect(
      outline(await eventually(courseNow, (c) => c.chapters[1]?.contents[0]?.title === 'Handout')),
    ).toEqual([
      ['Week 2', []],
      ['Week 1', ['Handout', 'Lecture 1']],
    ]);
    await checkScreen('3-builder');

    // And by mouse: the lecture dragged onto the handout takes its place.
    const item = (title: string) => page.locator('li.builder-content').filter({ hasText: title });
    await item('Lecture 1').locator('[draggable="true"]').dragTo(item('Handout'));
    await expect_(announcement, 'Moved “Lecture 1” to position 1 of 2.');
    expect(
      outline(await eventually(courseNow, (c) => c.chapters[1]?.contents[0]?.title === 'Lecture 1')),
    ).toEqual([
      ['Week 2', []],
      ['Week 1', ['Lecture 1', 'Handout']],
    ]);
  });

  it('uploads a real video in parts, shows it transcoded, and publishes', async () => {
    const puts: number[] = [];
    const stop = countPartPuts(puts);
    await page.getByLabel('Video file for “Lecture 1”').setInputFiles(clip);
    await page.getByText(/^Ready \(0:0[23]\)$/).waitFor({ timeout: 60_000 });
    stop();
    expect(puts).toEqual([1]);
    const lecture = (await courseNow()).chapters[1]!.contents.find((c) => c.title === 'Lecture 1')!;
    expect(lecture.mediaState).toBe('ready');
    await checkScreen('4-video-ready');

    await page.getByRole('button', { name: 'Publish the course' }).click();
    await page.getByText('The course is published.').waitFor();
    await page.getByText('State: Published').waitFor();
    expect((await courseNow()).state).toBe('published');
    await checkScreen('5-published');
  }, 120_000);

  it('resumes an upload after a reload, sending only the part the bucket does not hold', async () => {
    await page.getByLabel('New chapter title').fill('Week 3');
    await page.getByRole('button', { name: 'Add chapter' }).click();
    const week3 = page.getByRole('form', { name: 'Add content: Week 3' });
    await week3.getByLabel('New content title').fill('Long lecture');
    await week3.getByRole('button', { name: /^Add content/ }).click();
    const picker = page.getByLabel('Video file for “Long lecture”');
    await picker.waitFor();

    // The third part's PUT is held until the page goes away: the reload comes with two parts in the bucket.
    const sentBefore: number[] = [];
    const stopBefore = countPartPuts(sentBefore);
    const delivered: number[] = [];
    page.on('requestfinished', (r) => {
      const n = new URL(r.url()).searchParams.get('partNumber');
      if (r.method() === 'PUT' && n) delivered.push(Number(n));
    });
    await page.route(/[?&]partNumber=3(&|$)/, (route) =>
      route.request().method() === 'PUT' ? undefined : route.continue(),
    );
    await picker.setInputFiles(big);
    await page.getByText(/^Uploading long-lecture\.mp4: \d+%$/).waitFor();
    expect(
      await eventually(
        async () => [...delivered].sort(),
        (d) => d.length === 2,
      ),
    ).toEqual([1, 2]);
    const saved = JSON.parse((await savedUploads())!) as {
      uploadId: string;
      fileName: string;
      size: number;
      partCount: number;
    }[];
    expect(saved).toEqual([
      expect.objectContaining({ fileName: 'long-lecture.mp4', size: 2 * PART + PART / 2, partCount: 3 }),
    ]);
    const uploadId = encodeURIComponent(saved[0]!.uploadId);
    expect(
      ((await local.call('manager', 'GET', `/uploads/${uploadId}/parts`)) as { partNumber: number }[]).map(
        (p) => p.partNumber,
      ),
    ).toEqual([1, 2]);
    stopBefore();
    expect(sentBefore.sort()).toEqual([1, 2, 3]);

    await page.reload();
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    await page
      .getByText(
        'An upload of long-lecture.mp4 (21 MB) is unfinished. Pick the same file again to resume it.',
      )
      .waitFor();
    await checkScreen('6-unfinished-upload');

    const sentAfter: number[] = [];
    const stopAfter = countPartPuts(sentAfter);
    await page.getByLabel('Video file for “Long lecture”').setInputFiles(big);
    // Random bytes are no video: the transcoder says so, and the page shows its reason.
    await page.getByText(/^Transcoding failed: .+/).waitFor({ timeout: 60_000 });
    stopAfter();
    expect(sentAfter).toEqual([3]);
    expect(await savedUploads()).toBeNull();
    const long = (await courseNow()).chapters[2]!.contents[0]!;
    expect(long).toMatchObject({ title: 'Long lecture', mediaState: 'failed' });
    await checkScreen('7-resumed-upload-failed-transcode');
  }, 120_000);

  it('archives the course only after a second, deliberate click, and then offers no more changes', async () => {
    await page.getByRole('button', { name: 'Archive the course' }).click();
    await page.getByRole('button', { name: 'Keep it' }).click();
    expect((await courseNow()).state).toBe('published');
    await page.getByRole('button', { name: 'Archive the course' }).click();
    await page.getByRole('button', { name: 'Archive for good' }).click();
    await page.getByText('State: Archived').waitFor();
    expect((await courseNow()).state).toBe('archived');
    expect(await page.getByRole('button', { name: /^Move up/ }).count()).toBe(0);
    await checkScreen('8-archived');
  });
});

/** The browser's globals this file reads; the test code itself is compiled without the DOM's types. */
type Window = {
  document: { activeElement: { textContent: string | null } | null };
  localStorage: { getItem(key: string): string | null };
};
/** The text of the element that has the focus. */
const focusedText = () =>
  page.evaluate(() => (globalThis as unknown as Window).document.activeElement?.textContent);
/** What the builder keeps about unfinished uploads (upload-browser.ts). */
const savedUploads = () =>
  page.evaluate(() => (globalThis as unknown as Window).localStorage.getItem('lms.console.uploads'));

/** Waits until the live region says `text`. */
async function expect_(region: ReturnType<Page['getByTestId']>, text: string) {
  await region.filter({ hasText: text }).waitFor({ state: 'attached' });
}
