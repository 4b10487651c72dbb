import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import { DEMO_COURSE_TITLE, seedDemoData, type DemoData } from '#local/demo-data';
import { DEMO_IDENTITIES } from '#local/demo-identities';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { useLocalPlatform } from '../local/local-platform-fixture';
import { eventually, launchChromium, screenshot, seriousViolations } from './browser';

/*
 * A live lecture in two browsers on the local platform as `npm start` runs it: the instructor schedules one
 * for the demo course, copies the stream key and goes live with a real RTMP stream (ffmpeg's test pattern to
 * the local IVS's ingest, as OBS would), and sends a quiz; the learner, in a second browser context, joins,
 * sees the picture, gets the quiz from the stream's metadata, answers it once and chats; the instructor sees
 * the answer counted, the chat message and the learner in attendance, and removes the message. Every screen
 * is photographed (artifacts/web/console-live-*, live-*) and held to axe.
 */

const local = useLocalPlatform('weblive', {
  webApp: true,
  host: 'localhost',
  institutionName: 'Demo Academy',
  // The demo's two clips are the same bytes in every file: only the first file's encode runs ffmpeg.
  vod: { transcodeCache: true },
});
const learnerSub = DEMO_IDENTITIES.find((i) => i.id === 'learner')!.sub;
let browser: Browser;
let staffContext: BrowserContext;
let learnerContext: BrowserContext;
let staff: Page;
let learner: Page;
let encoder: ChildProcess | undefined;
let lectureId: string;
let demo: DemoData;

beforeAll(async () => {
  demo = await seedDemoData(local.platform, { log: () => undefined });
  browser = await launchChromium();
  const options = { locale: 'en-US', viewport: { width: 1200, height: 900 } };
  staffContext = await browser.newContext({ ...options, permissions: ['clipboard-read', 'clipboard-write'] });
  learnerContext = await browser.newContext(options);
  staff = await staffContext.newPage();
  learner = await learnerContext.newPage();
}, 240_000);
afterAll(async () => {
  encoder?.kill('SIGKILL');
  await staffContext?.close();
  await learnerContext?.close();
  await browser?.close();
});

async function checkScreen(page: Page, name: string) {
  await screenshot(page, name);
  expect(await seriousViolations(page)).toEqual([]);
}

/** Signs in through the local sign-in page as the demo person whose link is `name`. */
async function signIn(page: Page, name: string) {
  await page.goto(`${local.platform.url}/`);
  await page.getByRole('link', { name, exact: true }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

/** `datetime-local`'s value for a moment `ms` from now, in the browser's zone (the machine's, as here). */
const localInput = (ms: number) => {
  const at = new Date(Date.now() + ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
};

describe('a live lecture, instructor and learner', () => {
  it('schedules a lecture, refusing a bad one beside its field', async () => {
    await signIn(staff, 'Instructor');
    await staff.goto(`${local.platform.url}/console/lectures`);
    await staff.getByRole('heading', { level: 1, name: 'Live lectures' }).waitFor();
    const form = staff.locator('form.lecture-form');
    await form.getByLabel('Course (a company’s request)').selectOption({ index: 1 });
    await form.getByLabel('Title').fill('Forklift checks, live');
    await form.getByLabel('Starts at').fill(localInput(60_000));
    await form.getByLabel('Ends at').fill(localInput(-3600_000));
    await form.getByRole('button', { name: 'Schedule' }).click();
    // The API's refusal names endsAt: the message sits beside it and the input says so.
    const endsAt = form.getByLabel('Ends at');
    await staff.getByText('must be later than startsAt').waitFor();
    expect(await endsAt.getAttribute('aria-invalid')).toBe('true');
    await checkScreen(staff, 'console-live-1-schedule-refused');

    await endsAt.fill(localInput(3600_000));
    await form.getByRole('button', { name: 'Schedule' }).click();
    await staff.getByRole('heading', { level: 1, name: 'Forklift checks, live' }).waitFor();
    lectureId = new URL(staff.url()).pathname.split('/').at(-1)!;
    expect((await local.call('instructor', 'GET', `/lectures/${lectureId}`)).state).toBe('scheduled');
    await staff
      .getByText('Connecting to the chat…')
      .or(staff.getByText('Connected to the chat.'))
      .first()
      .waitFor();
    await checkScreen(staff, 'console-live-2-room-scheduled');
  }, 60_000);

  it('copies the stream key and goes live with ffmpeg streaming RTMP to the local IVS', async () => {
    await staff.getByRole('button', { name: 'Copy stream key' }).click();
    await staff.getByText('The stream key is on the clipboard').waitFor();
    // As the browser's clipboard holds it (the test's root tsconfig has no DOM types).
    const streamKey = await staff.evaluate(() =>
      (
        globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }
      ).navigator.clipboard.readText(),
    );
    const server = (await staff.locator('.lecture-ingest dd').nth(1).innerText()).trim();
    expect(server).toBe(local.platform.live.rtmpUrl);
    // The key is never on the screen.
    expect(await staff.locator('main').innerText()).not.toContain(streamKey);
    encoder = spawn(ffmpegInstaller.path, [
      ...['-hide_banner', '-loglevel', 'error', '-re'],
      ...['-f', 'lavfi', '-i', 'testsrc=duration=300:size=320x180:rate=15'],
      ...[
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-tune',
        'zerolatency',
        '-g',
        '15',
        '-pix_fmt',
        'yuv420p',
      ],
      ...['-f', 'flv', `${server}${streamKey}`],
    ]);
    // The room looks again every few seconds and shows the state IVS's events set.
    await staff.locator('.live-badge-live').waitFor({ timeout: 30_000 });
    await staff.locator('video[data-state="playing"]').waitFor({ timeout: 30_000 });
    await checkScreen(staff, 'console-live-3-room-live');
  }, 90_000);

  it('lets the learner find the lecture, join it and see the picture', async () => {
    await signIn(learner, 'Learner');
    await learner.getByRole('link', { name: 'Live lectures' }).click();
    await learner.getByRole('heading', { level: 1, name: 'Live lectures' }).waitFor();
    await learner.getByText(`Course: ${DEMO_COURSE_TITLE}`).waitFor();
    await checkScreen(learner, 'live-1-lectures');
    await learner.getByRole('link', { name: 'Join: Forklift checks, live' }).click();
    await learner.getByRole('heading', { level: 1, name: 'Forklift checks, live' }).waitFor();
    await learner.locator('video[data-state="playing"]').waitFor({ timeout: 30_000 });
    await learner.getByText(/^Attendance credited:/).waitFor();
    await learner.getByText('Connected to the chat.').waitFor();
    await checkScreen(learner, 'live-2-lecture');
  }, 60_000);

  it('sends a quiz that the learner answers once, and a chat message the instructor moderates', async () => {
    const writer = staff.locator('form', { has: staff.getByRole('heading', { name: 'Write a quiz' }) });
    await writer.getByLabel('Question').fill('Check the forks before every shift?');
    await writer.getByLabel('Option 1', { exact: true }).fill('Yes');
    await writer.getByLabel('Option 2', { exact: true }).fill('No');
    await writer.getByLabel('Time limit (seconds)').fill('60');
    await writer.getByRole('button', { name: 'Save the quiz' }).click();
    const card = staff.locator('article.quiz-card', { hasText: 'Check the forks before every shift?' });
    await card.getByRole('button', { name: 'Send' }).click();
    await card.getByText('Answers: 0').waitFor();

    // The quiz arrives on the learner's page from the stream's metadata, with its countdown.
    const quiz = learner.locator('section.live-quiz');
    await quiz
      .getByRole('group', { name: 'Check the forks before every shift?' })
      .waitFor({ timeout: 15_000 });
    await quiz.getByText(/^Time left: \d+ s$/).waitFor();
    await quiz.getByRole('radio', { name: 'Yes' }).check();
    await quiz.getByRole('button', { name: 'Send answer' }).click();
    await quiz.getByText('Your answer was sent.', { exact: false }).waitFor();
    // Sent once: the form is shut, and the server refuses a second answer.
    expect(await quiz.getByRole('button', { name: 'Send answer' }).count()).toBe(0);
    expect(await quiz.getByRole('radio', { name: 'No' }).isDisabled()).toBe(true);
    const { quizzes } = await local.call('instructor', 'GET', `/lectures/${lectureId}/quizzes`);
    await local.call(
      'learner',
      'POST',
      `/lectures/${lectureId}/quizzes/${quizzes[0].quizId}/answers`,
      { option: 1 },
      409,
    );
    await checkScreen(learner, 'live-3-quiz-answered');
    // A reload offers no second answer either: the page knows the answer the server recorded.
    await learner.reload();
    await quiz.getByText('Your answer was sent.', { exact: false }).waitFor();
    expect(await quiz.getByRole('radio', { name: 'Yes' }).isChecked()).toBe(true);
    expect(await quiz.getByRole('button', { name: 'Send answer' }).count()).toBe(0);
    await learner.getByText('Connected to the chat.').waitFor();

    const message = 'Is the recap recorded?';
    await learner.getByLabel('Message').fill(message);
    await learner.getByRole('button', { name: 'Send', exact: true }).click();
    await learner.locator('.live-chat-messages').getByText(message).waitFor();

    // The instructor's room: the answer counted, the message, and the learner among the attendees.
    await card.getByText('Answers: 1').waitFor({ timeout: 10_000 });
    await staff.locator('.live-chat-messages').getByText(message).waitFor();
    const attendance = staff.locator('section', { has: staff.getByRole('heading', { name: 'Attendance' }) });
    await attendance.getByRole('cell', { name: 'learner', exact: true }).waitFor({ timeout: 15_000 });
    const row = attendance.getByRole('row', { name: /learner/ });
    // The table is read again every few seconds: the answer shows in the next one.
    await row.getByRole('cell').nth(4).filter({ hasText: /^1$/ }).waitFor({ timeout: 10_000 });
    await checkScreen(staff, 'console-live-4-answers-chat-attendance');

    // Moderation: the message goes from both screens.
    await staff.getByRole('button', { name: 'Delete the message of learner' }).click();
    await learner.locator('.live-chat-messages').getByText(message).waitFor({ state: 'detached' });
    await staff.getByText('No messages yet.').waitFor();
    // …and the person from the chat: their page says so and stops.
    await learner.getByLabel('Message').fill('Me again');
    await learner.getByRole('button', { name: 'Send', exact: true }).click();
    await staff.getByRole('button', { name: 'Remove learner from the chat' }).click();
    await learner.getByText('The host removed you from the chat.').waitFor();
    expect(await learner.getByLabel('Message').isDisabled()).toBe(true);
    await checkScreen(learner, 'live-4-removed-from-chat');
  }, 90_000);

  it('stops counting the learner when they leave the page, and lists the lecture in the console', async () => {
    await learner.getByRole('link', { name: 'Live lectures' }).first().click();
    await learner.getByRole('heading', { level: 1, name: 'Live lectures' }).waitFor();
    const attendance = staff.locator('section', { has: staff.getByRole('heading', { name: 'Attendance' }) });
    await attendance.getByRole('cell', { name: 'Left', exact: true }).waitFor({ timeout: 15_000 });
    expect((await local.call('instructor', 'GET', `/lectures/${lectureId}/attendance`)).attendees).toEqual([
      expect.objectContaining({ userSub: learnerSub, quizzesAnswered: 1, quizzesCorrect: 1, left: true }),
    ]);
    await staff.getByRole('link', { name: 'Live lectures' }).first().click();
    await staff.getByRole('link', { name: 'Forklift checks, live' }).waitFor();
    await checkScreen(staff, 'console-live-5-lectures');
  }, 60_000);

  it('ends the lecture when the encoder stops, and keeps its attendance for the room', async () => {
    encoder!.kill('SIGINT');
    await once(encoder!, 'close');
    encoder = undefined;
    expect(
      await eventually(
        async () => (await local.call('instructor', 'GET', `/lectures/${lectureId}`)).state,
        (state) => state === 'ended',
      ),
    ).toBe('ended');
    await local.platform.live.settled();
    await staff.getByRole('link', { name: 'Forklift checks, live' }).click();
    await staff.getByText('State: Ended').waitFor();
    const attendance = staff.locator('section', { has: staff.getByRole('heading', { name: 'Attendance' }) });
    await attendance.getByRole('cell', { name: 'Left', exact: true }).waitFor();
    // The quiz's results stay; no new quiz is offered for an ended lecture.
    await staff.locator('article.quiz-card').getByText('Answers: 1').waitFor();
    expect(await staff.getByRole('heading', { name: 'Write a quiz' }).count()).toBe(0);
    await checkScreen(staff, 'console-live-6-room-ended');
  }, 60_000);

  it('shows the lecture attended on the company manager’s progress dashboard', async () => {
    const attended = async () =>
      (
        (await local.call('company', 'GET', `/provisions/${demo.provisionId}/progress`)) as {
          userSub: string;
          liveLecturesAttended: number;
        }[]
      ).find((r) => r.userSub === learnerSub)?.liveLecturesAttended ?? 0;
    // The core takes the lecture's end from the bus: the record follows it, not the request.
    expect(await eventually(attended, (n) => n >= 1)).toBe(1);
    const companyContext = await browser.newContext({
      locale: 'en-US',
      viewport: { width: 1200, height: 900 },
    });
    try {
      const company = await companyContext.newPage();
      await signIn(company, 'Company Manager');
      await company.goto(`${local.platform.url}/console/companies/${demo.companyId}/progress`);
      const row = company
        .getByRole('table', { name: 'Each employee’s progress and completion by course' })
        .getByRole('row')
        .filter({ hasText: /^learner@company\.local/ })
        .filter({ hasText: DEMO_COURSE_TITLE });
      await row.getByRole('cell', { name: '1/1', exact: true }).waitFor();
      await checkScreen(company, 'console-live-7-company-attendance');
    } finally {
      await companyContext.close();
    }
  }, 60_000);
});
