import { readFile } from 'node:fs/promises';
import { DEMO_COURSE_TITLE, seedDemoData, type DemoData } from '#local/demo-data';
import { DEMO_IDENTITIES } from '#local/demo-identities';
import type { Browser, BrowserContext, Download, Page } from 'playwright-core';
import { useLocalPlatform } from '../local/local-platform-fixture';
import { launchChromium, screenshot, seriousViolations } from './browser';

/*
 * A company's course request from both sides of the console, in Debian's chromium on the local platform: the
 * company's manager sees the employees, invites from a CSV file and removes one, requests the demo course for one seat,
 * the institution's manager (a second browser context) accepts it, the company's manager submits an employee
 * (a refusal over the seats first), the employee learns (heartbeats through the API, the server's clock moved
 * rather than waited for) and the company's dashboard shows it and exports it; the institution's manager downloads the
 * attendee's audit record.
 */

// The core service's clock runs this far ahead of the wall clock: the employee's heartbeats move it instead
// of waiting for the seconds the server credits.
let aheadMs = 0;
const local = useLocalPlatform('webcompany', {
  webApp: true,
  host: 'localhost',
  institutionName: 'Demo Academy',
  clock: () => new Date(Date.now() + aheadMs),
  // The demo's two clips are the same bytes in every file: only the first file's encode runs ffmpeg.
  vod: { transcodeCache: true },
});
const person = (id: string) => DEMO_IDENTITIES.find((p) => p.id === id)!;
const learner2 = person('learner2');

let browser: Browser;
let company: { context: BrowserContext; page: Page };
let manager: { context: BrowserContext; page: Page };
let demo: DemoData;
let provisionId: string;

async function signedIn(name: string) {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${local.platform.url}/console`);
  await page.getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: 'Console' }).waitFor();
  return { context, page };
}

beforeAll(async () => {
  demo = await seedDemoData(local.platform, { log: () => undefined });
  browser = await launchChromium();
  company = await signedIn(person('company').name);
}, 240_000);
afterAll(async () => {
  await company?.context.close();
  await manager?.context.close();
  await browser?.close();
});

/** Photographs the screen and holds it to axe: no serious or critical violation. */
async function checkScreen(page: Page, name: string) {
  await screenshot(page, `console-company-${name}`);
  expect(await seriousViolations(page)).toEqual([]);
}

const downloaded = async (download: Download) => readFile((await download.path())!, 'utf8');

describe('a company’s course request in the console', () => {
  it('lists the company’s employees, invites from a CSV file row by row, and removes one', async () => {
    const { page } = company;
    await page.getByRole('link', { name: 'Employees', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: /^Employees: / }).waitFor();
    const employees = page.getByRole('table', { name: 'Approved employees' });
    await employees.getByRole('cell', { name: learner2.email, exact: true }).waitFor();
    await checkScreen(page, '1-employees');

    // One person by e-mail: a bad address is refused beside its field, a good one invited.
    const email = page.getByLabel('E-mail', { exact: true });
    await email.fill('not-an-address');
    await page.getByLabel('Name', { exact: true }).fill('Park Jisu');
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    await page.getByText('Enter a valid e-mail address.').waitFor();
    expect(await email.getAttribute('aria-invalid')).toBe('true');
    await email.fill('jisu.park@company.local');
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    await page.getByText('jisu.park@company.local is invited;').waitFor();
    await employees.getByRole('cell', { name: 'jisu.park@company.local', exact: true }).waitFor();

    await page.getByLabel('CSV file', { exact: true }).setInputFiles({
      name: 'hires.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        'Name,E-mail\n"Kim, Minji",minji.kim@company.local\nNo Address,\nBad,not-an-address\n',
      ),
    });
    await page.getByRole('button', { name: 'Invite the file’s people' }).click();
    const results = page.getByRole('table', { name: 'Invitation results' });
    await results.waitFor();
    const outcome = (line: number) => results.getByRole('row').filter({ hasText: new RegExp(`^${line}`) });
    await expect(outcome(2).innerText()).resolves.toMatch(/minji\.kim@company\.local\s+Kim, Minji\s+Invited/);
    await expect(outcome(3).innerText()).resolves.toMatch(
      /Invalid row\s+Needs both an e-mail address and a name/,
    );
    await expect(outcome(4).innerText()).resolves.toMatch(/Invalid row\s+email: /);
    await checkScreen(page, '2-invited');
    const invited = (await local.call('company', 'GET', `/companies/${demo.companyId}/employees`)) as {
      email: string;
      state: string;
    }[];
    expect(invited).toContainEqual(
      expect.objectContaining({ email: 'minji.kim@company.local', state: 'approved' }),
    );

    // Removing someone takes a second click.
    await employees.getByRole('button', { name: 'Remove minji.kim@company.local' }).click();
    await employees.getByRole('button', { name: 'Confirm the removal of minji.kim@company.local' }).click();
    await employees
      .getByRole('cell', { name: 'minji.kim@company.local', exact: true })
      .waitFor({ state: 'detached' });
    expect(await local.call('company', 'GET', `/companies/${demo.companyId}/employees`)).toContainEqual(
      expect.objectContaining({ email: 'minji.kim@company.local', state: 'removed' }),
    );
  }, 60_000);

  it('requests the demo course for a period and one seat, a bad seat count refused beside its field', async () => {
    const { page } = company;
    await page.getByRole('link', { name: 'Course requests and attendees' }).click();
    await page.getByRole('heading', { level: 1, name: /^Course requests: / }).waitFor();
    await page
      .getByLabel('Course', { exact: true })
      .selectOption({ label: `${DEMO_COURSE_TITLE} (Demo Academy)` });
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('Starts on', { exact: true }).fill(yesterday);
    await page.getByLabel('Seats', { exact: true }).fill('0');
    await page.getByRole('button', { name: 'Send the request' }).click();
    const seats = page.getByLabel('Seats', { exact: true });
    await page.getByText('Enter a whole number from 1 to 10000.').waitFor();
    expect(await seats.getAttribute('aria-invalid')).toBe('true');
    await checkScreen(page, '3-request-refused');

    await seats.fill('1');
    await page.getByRole('button', { name: 'Send the request' }).click();
    await page.getByRole('heading', { level: 1, name: DEMO_COURSE_TITLE }).waitFor();
    await page.getByText('Waiting for a decision').waitFor();
    provisionId = new URL(page.url()).pathname.split('/').pop()!;
    expect(await local.call('company', 'GET', `/provisions/${provisionId}`)).toMatchObject({
      state: 'requested',
      attendeeCount: 1,
      startsOn: yesterday,
    });
    await checkScreen(page, '4-requested');
  }, 60_000);

  it('lets the institution’s manager, in another browser, reject only with a reason, then accept', async () => {
    manager = await signedIn(person('manager').name);
    const { page } = manager;
    await page.getByRole('link', { name: 'Course requests', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Course requests' }).waitFor();
    const request = page.getByRole('article').filter({ hasText: DEMO_COURSE_TITLE });
    await request.getByRole('button', { name: /^Reject the request of / }).click();
    await request.getByText('Give the reason for rejecting').waitFor();
    expect(await request.getByLabel('Reason').getAttribute('aria-invalid')).toBe('true');
    await checkScreen(page, '5-incoming');

    await request.getByRole('button', { name: /^Accept the request of / }).click();
    await page.getByText('No request is waiting for a decision.').waitFor();
    expect(await local.call('company', 'GET', `/provisions/${provisionId}`)).toMatchObject({
      state: 'accepted',
    });
  }, 60_000);

  it('submits an employee as the attendee, two for one seat refused beside the list first', async () => {
    const { page } = company;
    await page.reload();
    await page.getByText('Accepted', { exact: true }).waitFor();
    await page.getByLabel(learner2.email, { exact: true }).check();
    await page.getByLabel(person('learner').email, { exact: true }).check();
    await page.getByRole('button', { name: 'Submit attendees' }).click();
    await page.getByText('2 chosen, but the seats left are 1.').waitFor();
    expect(await page.getByRole('group', { name: 'Attendees' }).getAttribute('aria-invalid')).toBe('true');
    await checkScreen(page, '6-over-seats');

    await page.getByLabel(person('learner').email, { exact: true }).uncheck();
    await page.getByRole('button', { name: 'Submit attendees' }).click();
    await page.getByText('1 enrolled; 0 were enrolled already.').waitFor();
    await page.getByLabel(`${learner2.email} (enrolled)`, { exact: true }).waitFor();
    await checkScreen(page, '7-attendees');
  }, 60_000);

  it('shows the employee’s progress on the company’s dashboard and exports it as CSV', async () => {
    const [row] = (await local.call('company', 'GET', `/provisions/${provisionId}/progress`)) as {
      enrollmentId: string;
      userSub: string;
    }[];
    expect(row!.userSub).toBe(learner2.sub);
    // The employee watches the 45-second lecture through: a beat every 10 s of the server's time.
    for (let i = 0; i <= 5; i++) {
      await local.call('learner2', 'POST', `/me/enrollments/${row!.enrollmentId}/heartbeats`, {
        contentId: demo.videoIds[0],
        sessionId: 'console-company-test',
        sequence: i,
        position: Math.min(i * 10, 45),
        playbackRate: 1,
      });
      aheadMs += 10_000;
    }

    const { page } = company;
    await page.getByRole('link', { name: 'Progress', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: /^Progress: / }).waitFor();
    const table = page.getByRole('table', { name: 'Each employee’s progress and completion by course' });
    const ours = table.getByRole('row').filter({ hasText: learner2.email }).filter({ hasText: /1\/2/ });
    await ours.waitFor();
    expect(await ours.innerText()).toMatch(/\b50\b/);
    await checkScreen(page, '8-progress');

    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(csv.suggestedFilename()).toBe('employee-progress.csv');
    const text = await downloaded(csv);
    expect(text.split('\r\n')[0]).toBe(
      '\uFEFFEmployee,Course,Period,Lessons done,Progress (%),Watched (min),Live lectures attended,Live attendance (%),Completed on,Score,Certificate date',
    );
    expect(text).toContain(`${learner2.email},${DEMO_COURSE_TITLE},`);

    // The company answers for the training it claims: it downloads the learner's audit record too.
    const [audit] = await Promise.all([
      page.waitForEvent('download'),
      ours.getByRole('button', { name: /^Download the audit record of / }).click(),
    ]);
    const record = JSON.parse(await downloaded(audit)) as { userSub: string };
    expect(record.userSub).toBe(learner2.sub);
  }, 60_000);

  it('gives the institution’s manager the attendee’s progress and audit record on the request', async () => {
    const { page } = manager;
    await page.goto(`${local.platform.url}/console/provisions/${provisionId}`);
    await page.getByRole('heading', { level: 1, name: DEMO_COURSE_TITLE }).waitFor();
    const row = page
      .getByRole('table', { name: 'Each attendee’s progress and completion in this request' })
      .getByRole('row')
      .filter({ hasText: learner2.email });
    await row.filter({ hasText: /1\/2/ }).waitFor();
    await checkScreen(page, '9-institution-request');

    const [audit] = await Promise.all([
      page.waitForEvent('download'),
      row
        .getByRole('button', {
          name: `Download the audit record of ${learner2.email} in ${DEMO_COURSE_TITLE}`,
        })
        .click(),
    ]);
    expect(audit.suggestedFilename()).toMatch(/^audit-.+\.json$/);
    const record = JSON.parse(await downloaded(audit)) as { userSub: string; entries: { kind: string }[] };
    expect(record.userSub).toBe(learner2.sub);
    expect(record.entries.map((e) => e.kind)).toContain('credit');
  }, 60_000);
});
