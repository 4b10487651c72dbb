import { readFile } from 'node:fs/promises';
import { DEMO_COURSE_TITLE, seedDemoData, type DemoData } from '#local/demo-data';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { useLocalPlatform } from '../local/local-platform-fixture';
import { launchChromium, screenshot, seriousViolations } from './browser';

/*
 * The course boards and notes in Debian's chromium, on the local platform: the demo learner asks a question
 * at a moment of the demo lecture and keeps, edits and exports a note on it; the instructor (a second browser
 * context) finds the question in the console's Q&A, sees it counted at its minute, answers and accepts the
 * answer, and posts a notice; the learner reads the answer and the notice, and comments. Each screen is
 * photographed (artifacts/web/boards-*) and checked by axe.
 */

const local = useLocalPlatform('webboards', {
  webApp: true,
  host: 'localhost',
  institutionName: 'Demo Academy',
  // The demo's two clips are the same bytes in every file: only the first file's encode runs ffmpeg.
  vod: { transcodeCache: true },
});
let browser: Browser;
let learner: { context: BrowserContext; page: Page };
let instructor: { context: BrowserContext; page: Page };
let demo: DemoData;
let enrollmentId: string;
let videoTitle: string;
let postId: string;

const QUESTION = 'Where do the forks sit when driving?';
const ANSWER = 'Keep them 10 to 15 cm above the ground, tilted back.';

async function signedIn(path: string, name: string, heading: string) {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${local.platform.url}${path}`);
  await page.getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  return { context, page };
}

beforeAll(async () => {
  demo = await seedDemoData(local.platform, { log: () => undefined });
  enrollmentId = ((await local.call('learner', 'GET', '/me/enrollments')) as { id: string }[])[0]!.id;
  const course = (await local.call('learner', 'GET', `/courses/${demo.courseId}`)) as {
    chapters: { contents: { id: string; title: string }[] }[];
  };
  videoTitle = course.chapters.flatMap((c) => c.contents).find((c) => c.id === demo.videoIds[0])!.title;
  browser = await launchChromium();
  learner = await signedIn('/', 'Learner', 'My courses');
}, 240_000);
afterAll(async () => {
  await learner?.context.close();
  await instructor?.context.close();
  await browser?.close();
});

/** Photographs the screen and holds it to axe: no serious or critical violation. */
async function checkScreen(page: Page, name: string) {
  await screenshot(page, `boards-${name}`);
  expect(await seriousViolations(page)).toEqual([]);
}

describe('course boards and notes in the browser', () => {
  it('the learner asks a question at 0:30 of the lecture from the course’s board', async () => {
    const { page } = learner;
    await page.getByRole('link', { name: DEMO_COURSE_TITLE, exact: true }).click();
    await page.getByRole('link', { name: 'Notices and Q&A board' }).click();
    await page.getByRole('heading', { level: 1, name: `Board: ${DEMO_COURSE_TITLE}` }).waitFor();
    await page.getByText('No questions yet.').waitFor();
    await page.getByLabel('Title', { exact: true }).fill(QUESTION);
    await page.getByLabel('Your question').fill('At the start of the lecture the forks look high.');
    await page.getByLabel('About a video (optional)').selectOption({ label: videoTitle });
    const at = page.getByLabel('Moment in the video (m:ss)');
    await at.fill('half a minute');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    await page.getByText('Write the moment as minutes:seconds').waitFor();
    expect(await at.getAttribute('aria-invalid')).toBe('true');
    await checkScreen(page, '1-board-ask');

    await at.fill('0:30');
    await page.getByRole('button', { name: 'Ask', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: QUESTION }).waitFor();
    await page.getByText('No answers yet.').waitFor();
    await page.getByRole('link', { name: 'Watch the video at 0:30' }).waitFor();
    await checkScreen(page, '2-question');
    const mine = (await local.call('learner', 'GET', '/me/board-posts')) as {
      posts: { postId: string; title: string; videoAt?: unknown }[];
    };
    expect(mine.posts).toEqual([
      expect.objectContaining({ title: QUESTION, videoAt: { contentId: demo.videoIds[0], second: 30 } }),
    ]);
    postId = mine.posts[0]!.postId;
  }, 60_000);

  it('the learner keeps a note at 0:12 of the lecture, edits it, sees its earlier version and exports', async () => {
    const { page } = learner;
    // `?t=12` starts the video at 0:12, as a question's "watch at" link does.
    await page.goto(`${local.platform.url}/learn/${enrollmentId}/watch/${demo.videoIds[0]}?t=12`);
    const note = page.getByLabel('Note at 0:12');
    await note.waitFor();
    await note.fill('Check the tilt before lifting.');
    await page.getByRole('button', { name: 'Keep note' }).click();
    const item = page.getByRole('listitem').filter({ hasText: 'Check the tilt before lifting.' });
    await item.getByRole('button', { name: 'Jump to 0:12' }).waitFor();

    await item.getByRole('button', { name: 'Edit', exact: true }).click();
    await page.getByLabel('Edit the note at 0:12').fill('Check the tilt and the load before lifting.');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const edited = page.getByRole('listitem').filter({ hasText: 'Check the tilt and the load' });
    await edited.getByRole('button', { name: 'Earlier versions' }).click();
    await page.getByText(/^Version 1 \(0:12, /).waitFor();
    await checkScreen(page, '3-notes');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export this course’s notes (Markdown)' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`notes-${demo.courseId}.md`);
    const markdown = await readFile((await download.path())!, 'utf8');
    expect(markdown).toContain(`## Video ${demo.videoIds[0]}`);
    expect(markdown).toContain('- **[0:12]** Check the tilt and the load before lifting.');

    // A note's time jumps the video back to it.
    const video = page.locator('video');
    await video.evaluate((v: { currentTime: number }) => {
      v.currentTime = 30;
    });
    await page.getByLabel('Note at 0:30').waitFor();
    await edited.getByRole('button', { name: 'Jump to 0:12' }).click();
    await page.getByLabel('Note at 0:12').waitFor();
    expect(await video.evaluate((v: { currentTime: number }) => Math.floor(v.currentTime))).toBe(12);

    // "Ask about this moment" opens the board's form with the video and the moment filled in.
    await page.getByRole('link', { name: 'Ask a question about this moment (0:12)' }).click();
    await page.getByRole('heading', { level: 1, name: `Board: ${DEMO_COURSE_TITLE}` }).waitFor();
    expect(await page.getByLabel('About a video (optional)').inputValue()).toBe(demo.videoIds[0]);
    expect(await page.getByLabel('Moment in the video (m:ss)').inputValue()).toBe('0:12');
  }, 60_000);

  it('the instructor sees the question and its minute in the console, answers, accepts and posts a notice', async () => {
    instructor = await signedIn('/console', 'Instructor', 'Console');
    const { page } = instructor;
    await page.getByRole('link', { name: 'Q&A and notices' }).click();
    await page.getByRole('heading', { level: 1, name: 'Q&A and notices' }).waitFor();
    const question = page.getByRole('listitem').filter({ hasText: QUESTION });
    await question.getByText('Awaiting an answer').waitFor();
    await question.getByText(`${videoTitle} at 0:30`).waitFor();
    const minutes = page.getByRole('table', { name: new RegExp(`${videoTitle}: questions by minute`) });
    await minutes.getByRole('row', { name: '0:00–0:59 1', exact: true }).waitFor();
    await minutes.getByText('(1 in all)').waitFor();
    await checkScreen(page, '4-console-questions');

    await question.getByLabel('Your answer').fill(ANSWER);
    await question.getByRole('button', { name: 'Post', exact: true }).click();
    await question.getByText(ANSWER).waitFor();
    await question.getByRole('button', { name: 'Accept this answer' }).click();
    await question.getByText('✓ Accepted answer').waitFor();
    await question.getByText('Answered', { exact: true }).waitFor();

    await page.getByLabel('Notice title').fill('Practical session on Friday');
    await page.getByLabel('Notice text').fill('Bring safety shoes.');
    await page.getByRole('button', { name: 'Post notice' }).click();
    await page.getByText('Notice posted: Practical session on Friday').waitFor();
    await checkScreen(page, '5-console-answered');
    const post = (await local.call('learner', 'GET', `/board-posts/${postId}`)) as {
      answered: boolean;
      acceptedCommentId: string | null;
    };
    expect(post.answered).toBe(true);
    expect(post.acceptedCommentId).not.toBeNull();
  }, 60_000);

  it('the learner reads the accepted answer and the notice, and comments, edits and removes a comment', async () => {
    const { page } = learner;
    await page.goto(`${local.platform.url}/learn/${enrollmentId}/board/${postId}`);
    await page.getByRole('heading', { level: 1, name: QUESTION }).waitFor();
    const answer = page.getByRole('listitem').filter({ hasText: ANSWER });
    await answer.getByText('✓ Accepted answer').waitFor();
    await answer.getByText('Instructor', { exact: true }).waitFor();

    await page.getByLabel('Your comment').fill('Thank you!');
    await page.getByRole('button', { name: 'Post', exact: true }).click();
    const comment = page.getByRole('listitem').filter({ hasText: 'Thank you!' });
    await comment.getByRole('button', { name: 'Edit', exact: true }).click();
    // While edited, the comment's text is the field's value, not the item's text.
    await page.getByLabel('Edit comment').fill('Thank you, that helps.');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Thank you, that helps.').waitFor();
    await page.getByText('(edited)').waitFor();
    await checkScreen(page, '6-answer-seen');
    await page
      .getByRole('listitem')
      .filter({ hasText: 'Thank you, that helps.' })
      .getByRole('button', { name: 'Delete', exact: true })
      .click();
    await page.getByText('Thank you, that helps.').waitFor({ state: 'detached' });

    // Twenty newer notices push the console's one onto the board's second page.
    for (let i = 1; i <= 20; i++) {
      await local.call(
        'instructor',
        'POST',
        '/board-posts',
        { provisionId: demo.provisionId, board: 'notice', title: `Reminder ${i}`, body: 'Stay safe.' },
        201,
      );
    }
    await page.getByRole('link', { name: 'Back to the board' }).click();
    await page.getByRole('link', { name: 'Reminder 20', exact: true }).waitFor();
    expect(await page.getByRole('link', { name: 'Practical session on Friday' }).count()).toBe(0);
    await page.getByRole('button', { name: 'Show older posts' }).click();
    await page.getByRole('link', { name: 'Practical session on Friday' }).waitFor();
    await page
      .getByRole('listitem')
      .filter({ hasText: QUESTION })
      .getByText('Answered', { exact: true })
      .waitFor();
    await checkScreen(page, '7-board');
  }, 60_000);
});
