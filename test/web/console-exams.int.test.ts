import { readFile } from 'node:fs/promises';
import { COMPLIANCE_PROFILES } from '#contracts/compliance-profiles';
import { DEMO_COURSE_TITLE, DEMO_SESSION_COURSE_TITLE, seedDemoData, type DemoData } from '#local/demo-data';
import { DEMO_IDENTITIES } from '#local/demo-identities';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { useLocalPlatform } from '../local/local-platform-fixture';
import { launchChromium, screenshot, seriousViolations } from './browser';

/*
 * The institution's exams and open sessions in the console, in Debian's chromium on the local platform: the
 * manager writes an exam with a multiple-choice and a short-answer question (a blank choice refused beside
 * it first), the demo learner sits and submits it through the API, the manager opens the sitting, grades the
 * short answer (too many points refused first) and sees the score, grants a retake with its reason; then
 * offers an open session, sees the learners who registered through the API, one waiting, and raises the
 * seats so the waiting one is seated.
 */

// One attempt per exam, so that a retake is something to grant (the standard profile does not limit them).
const local = useLocalPlatform('webexams', {
  webApp: true,
  host: 'localhost',
  institutionName: 'Demo Academy',
  compliance: { ...COMPLIANCE_PROFILES.standard, examAttempts: 1 },
  // The demo's two clips are the same bytes in every file: only the first file's encode runs ffmpeg.
  vod: { transcodeCache: true },
});
const person = (id: string) => DEMO_IDENTITIES.find((p) => p.id === id)!;

let browser: Browser;
let context: BrowserContext;
let page: Page;
let demo: DemoData;
let examId: string;
let enrollmentId: string;
let sessionId: string;

beforeAll(async () => {
  demo = await seedDemoData(local.platform, { log: () => undefined });
  browser = await launchChromium();
  context = await browser.newContext({ locale: 'en-US', viewport: { width: 1200, height: 900 } });
  page = await context.newPage();
  await page.goto(`${local.platform.url}/console`);
  await page.getByRole('link', { name: person('manager').name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Console' }).waitFor();
}, 240_000);
afterAll(async () => {
  await context?.close();
  await browser?.close();
});

/** Photographs the screen and holds it to axe: no serious or critical violation. */
async function checkScreen(name: string) {
  await screenshot(page, `console-exams-${name}`);
  expect(await seriousViolations(page)).toEqual([]);
}

describe('exams in the console', () => {
  it('lists the demo course’s exams', async () => {
    await page.getByRole('link', { name: 'Exams and grading' }).click();
    await page.getByRole('heading', { level: 1, name: 'Exams' }).waitFor();
    await page.getByLabel('Course', { exact: true }).selectOption({ label: DEMO_COURSE_TITLE });
    await page.getByRole('link', { name: 'Final exam' }).waitFor();
    await checkScreen('1-exams');
  });

  it('writes an exam: a blank choice is refused beside it, then it is saved', async () => {
    await page.getByRole('link', { name: 'Write a new exam' }).click();
    await page.getByRole('heading', { level: 1, name: 'New exam' }).waitFor();
    await page.getByLabel('Exam title').fill('Dock safety quiz');
    const q1 = page.getByRole('group', { name: 'Question 1' });
    await q1.getByLabel('Question text').fill('Who may ride on the forks?');
    await q1.getByLabel('Choice 1', { exact: true }).fill('Nobody');
    // Choice 2 left blank: the API names body.questions.0.choices.1.
    await page.getByRole('button', { name: 'Add a question' }).click();
    const q2 = page.getByRole('group', { name: 'Question 2' });
    await q2.getByLabel('Kind').selectOption('short');
    await q2.getByLabel('Question text').fill('Name one item of the pre-use check.');
    await q2.getByLabel('Points').fill('20');
    await page.getByRole('button', { name: 'Save the exam' }).click();
    const blank = q1.getByLabel('Choice 2', { exact: true });
    await q1.getByText('Write the choice, up to 500 characters').waitFor();
    expect(await blank.getAttribute('aria-invalid')).toBe('true');
    expect(await blank.getAttribute('aria-describedby')).toMatch(/-c1-error$/);
    await checkScreen('2-new-exam-refused');

    await blank.fill('A trained colleague');
    await page.getByRole('button', { name: 'Save the exam' }).click();
    await page.getByRole('heading', { level: 1, name: 'Dock safety quiz' }).waitFor();
    await page.getByText('The exam is saved.').waitFor();
    examId = /\/exams\/([0-9a-f-]{36})$/.exec(page.url())![1]!;
    const saved = await local.call('manager', 'GET', `/courses/${demo.courseId}/exams/${examId}`);
    expect(saved.questions).toMatchObject([
      { kind: 'choice', choices: ['Nobody', 'A trained colleague'], answer: 0, points: 10 },
      { kind: 'short', choices: null, points: 20 },
    ]);
    // The profile's rules, as the platform runs them: one attempt, untimed, open from the start.
    const facts = page.locator('dl');
    await facts.getByText('1 per learner').waitFor();
    expect(await facts.innerText()).toMatch(/Time limit\s+none/);
    await checkScreen('3-exam');
  });

  it('shows the learner’s sitting, and the short answer graded gives the score', async () => {
    // The demo learner sits it through the API: the right choice, and a short answer for the grader.
    const enrollments = (await local.call('learner', 'GET', '/me/enrollments')) as {
      id: string;
      courseId: string;
    }[];
    enrollmentId = enrollments.find((e) => e.courseId === demo.courseId)!.id;
    const sittingPath = `/me/enrollments/${enrollmentId}/exams/${examId}/sitting`;
    const sitting = await local.call('learner', 'POST', sittingPath, undefined, 201);
    const [choice, short] = sitting.questions as { id: string }[];
    await local.call('learner', 'PUT', `${sittingPath}/answers/${choice!.id}`, { choice: 0 });
    await local.call('learner', 'PUT', `${sittingPath}/answers/${short!.id}`, { text: 'The brakes' });
    await local.call('learner', 'POST', `${sittingPath}/submit`);

    await page.reload();
    await page.getByText('Learners have sat this exam').waitFor();
    const learnerEmail = person('learner').email;
    await page.getByRole('link', { name: `Open attempt 1 of ${learnerEmail}` }).click();
    await page.getByRole('heading', { level: 1, name: `Sitting of ${learnerEmail}` }).waitFor();
    await page.getByText('Waiting for grades').waitFor();
    await page.getByText('The brakes').waitFor();
    await checkScreen('4-sitting');

    const points = page.getByLabel('Points for question 2 (0 to 20)');
    await points.fill('25');
    await page.getByRole('button', { name: 'Save the grade' }).click();
    await page.getByText('Enter a whole number from 0 to 20.').waitFor();
    expect(await points.getAttribute('aria-invalid')).toBe('true');
    await points.fill('15');
    await page.getByRole('button', { name: 'Save the grade' }).click();
    // (10 + 15) of 30 points: 83 of 100, rounded down.
    await page.getByText('83 of 100').waitFor();
    await page.getByText('The grade of question 2 is saved.').waitFor();
    const taken = (await local.call(
      'manager',
      'GET',
      `/courses/${demo.courseId}/exams/${examId}/attempts`,
    )) as {
      score: number | null;
      pendingAnswers: number;
    }[];
    expect(taken).toMatchObject([{ score: 83, pendingAnswers: 0 }]);
    await checkScreen('5-sitting-graded');
  });

  it('grants a retake with its reason', async () => {
    const learnerExam = async () =>
      (
        (await local.call('learner', 'GET', `/me/enrollments/${enrollmentId}/exams`)) as {
          examId: string;
          open: boolean;
          attemptsAllowed: number | null;
        }[]
      ).find((e) => e.examId === examId)!;
    expect(await learnerExam()).toMatchObject({ open: false, attemptsAllowed: 1 });
    await page.getByLabel('Reason').fill('The fire alarm cut the sitting short.');
    await page.getByRole('button', { name: 'Grant the retake' }).click();
    await page.getByText('Retake granted: the learner may now sit the exam 2 times in all.').waitFor();
    expect(await learnerExam()).toMatchObject({ open: true, attemptsAllowed: 2 });
    await checkScreen('6-retake');
  });
});

describe('open sessions in the console', () => {
  it('lists the institution’s sessions', async () => {
    await page.goto(`${local.platform.url}/console`);
    await page.getByRole('link', { name: 'Open sessions' }).click();
    await page.getByRole('heading', { level: 1, name: 'Open sessions' }).waitFor();
    await page
      .getByRole('table', { name: /open sessions/ })
      .getByRole('link', { name: DEMO_SESSION_COURSE_TITLE })
      .waitFor();
    await checkScreen('7-sessions');
  });

  it('offers a session of one seat: no seats is refused beside the field first', async () => {
    await page.getByLabel('Course', { exact: true }).selectOption({ label: DEMO_SESSION_COURSE_TITLE });
    const seats = page.getByLabel('Seats', { exact: true });
    await seats.fill('');
    await page.getByRole('button', { name: 'Offer the session' }).click();
    await page.getByText('Enter a whole number from 1 to 10000.').waitFor();
    expect(await seats.getAttribute('aria-invalid')).toBe('true');
    await checkScreen('8-offer-refused');
    await seats.fill('1');
    await page.getByRole('button', { name: 'Offer the session' }).click();
    await page.getByRole('heading', { level: 1, name: DEMO_SESSION_COURSE_TITLE }).waitFor();
    await page.getByText('Nobody has registered yet.').waitFor();
    sessionId = /\/sessions\/([0-9a-f-]{36})$/.exec(page.url())![1]!;
  });

  it('shows who registered and who waits, and seats the waiting one when the seats are raised', async () => {
    // learner2 takes the only seat; the demo learner waits in line.
    await local.call('learner2', 'POST', `/sessions/${sessionId}/registrations`, {}, 201);
    await local.call('learner', 'POST', `/sessions/${sessionId}/registrations`, { waitlist: true }, 201);
    await page.reload();
    const roster = page.getByRole('table', { name: /Who holds a seat/ });
    // By the whole cell: one learner's address is the end of the other's.
    const row = (email: string) =>
      roster.getByRole('row').filter({ has: page.getByRole('cell', { name: email, exact: true }) });
    await row(person('learner2').email).getByText('Registered', { exact: true }).waitFor();
    await row(person('learner').email).getByText('Waiting', { exact: true }).waitFor();
    await checkScreen('9-session-roster');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const csv = await readFile((await download.path())!, 'utf8');
    expect(csv).toContain(person('learner2').email);
    expect(csv).toContain(person('learner').email);

    await page.getByLabel('Seats', { exact: true }).fill('2');
    await page.getByRole('button', { name: 'Save the changes' }).click();
    await page.getByText('2 taken of 2 (0 left)').waitFor();
    await page.getByText('The changes are saved.').waitFor();
    await row(person('learner').email).getByText('Registered', { exact: true }).waitFor();
    const session = await local.call('manager', 'GET', `/sessions/${sessionId}`);
    expect(session).toMatchObject({ capacity: 2, seatsTaken: 2, waiting: 0 });
    await checkScreen('10-session-changed');
  });
});
