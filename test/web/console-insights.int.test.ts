import { readFile } from 'node:fs/promises';
import { DEMO_IDENTITIES } from '#local/demo-identities';
import { DEMO_COURSE_TITLE, seedDemoData, type DemoData } from '#local/demo-data';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { useLocalPlatform } from '../local/local-platform-fixture';
import { businessNumberFrom } from '../service/service-fixture';
import { eventually, launchChromium, screenshot, seriousViolations } from './browser';

/*
 * The institution's console in Debian's chromium, on the local platform with the demo seeded: the manager's
 * analytics (ECharts under the app's CSP, each chart's figures in its table, as the API answers them), the
 * profile and members, the certificates issued; then the platform admin, in a context of their own,
 * registers a company and names its manager. Each screen is photographed and held to axe.
 */

const local = useLocalPlatform('webinsights', {
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
/** What the browser's console said the CSP refused, if anything. */
const refusals: string[] = [];

const sub = (id: string) => DEMO_IDENTITIES.find((i) => i.id === id)!.sub;
const month = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
const now = new Date();
const range = { from: month(new Date(now.getFullYear(), now.getMonth() - 11, 1)), to: month(now) };

beforeAll(async () => {
  demo = await seedDemoData(local.platform, { log: () => undefined });
  browser = await launchChromium();
  context = await browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 900 } });
  page = await context.newPage();
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) refusals.push(m.text());
  });
}, 240_000);
afterAll(async () => {
  await context?.close();
  await browser?.close();
});

async function checkScreen(on: Page, name: string) {
  await screenshot(on, `console-insights-${name}`);
  expect(await seriousViolations(on)).toEqual([]);
}

/** A table's body as text, row by row, cell by cell, once the table is shown. */
async function tableRows(on: Page, caption: string): Promise<string[][]> {
  const table = on.getByRole('table', { name: caption });
  await table.waitFor();
  return table
    .locator('tbody tr')
    .evaluateAll((rows) =>
      rows.map((r) => [...r.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())),
    );
}

describe('the institution console in the browser', () => {
  it('signs the manager in to the console’s home: one card for the institution, with every screen of its role', async () => {
    await page.goto(`${local.platform.url}/console`);
    await page.getByRole('link', { name: 'Institution Manager', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Console' }).waitFor();
    const card = page.getByRole('region', { name: /^Institution: / });
    expect(await card.getByRole('link').allInnerTexts()).toEqual([
      'Profile and members',
      'Courses',
      'Course requests',
      'Open sessions',
      'Certificates issued',
      'Analytics',
      'Exams and grading',
      'Live lectures',
      'Q&A and notices',
    ]);
    // The manager runs no company and is no platform admin: no other card.
    expect(await page.getByRole('region').count()).toBe(1);
    await checkScreen(page, '0-home');
  });

  it('shows the manager the analytics: a chart per figure set, drawn as SVG, with the API’s figures in tables', async () => {
    await page.goto(`${local.platform.url}/console/analytics`);
    await page.getByRole('heading', { level: 1, name: 'Analytics' }).waitFor();
    const charts = [
      'Enrollments per course and month (bar chart)',
      'Running provisions, companies and learners per period (bar chart)',
      'Completion rate per company and course (bar chart)',
      'Spread of star ratings per course (stacked bar chart)',
    ];
    for (const name of charts) {
      const chart = page.getByRole('img', { name, exact: true });
      await chart.locator('svg rect, svg path').first().waitFor();
      expect(await chart.locator('svg').count()).toBe(1);
    }

    // Popular courses: one row per month and course with enrollments, as the API counts them.
    const base = `/institutions/${demo.institutionId}/analytics`;
    const popular = (await local.call(
      'manager',
      'GET',
      `${base}/popular-courses?from=${range.from}&to=${range.to}`,
    )) as { month: string; courses: { title: string; enrollments: number }[] }[];
    const expected = popular.flatMap((m) =>
      m.courses.filter((c) => c.enrollments > 0).map((c) => [m.month, c.title, String(c.enrollments)]),
    );
    expect(expected).toContainEqual([range.to, DEMO_COURSE_TITLE, '2']);
    expect(await tableRows(page, 'Popular courses')).toEqual(expected);

    // Completion per company and course, rates as percentages.
    const { rows: completion } = (await local.call('manager', 'GET', `${base}/completion`)) as {
      rows: {
        companyName: string;
        courseTitle: string;
        enrolled: number;
        attended: number;
        completed: number;
        completionRate: number;
        attendanceRate: number;
        liveAttendanceRate: number | null;
      }[];
    };
    expect(completion.length).toBeGreaterThan(0);
    const pct = (share: number) => String(Math.round(share * 1000) / 10);
    expect(await tableRows(page, 'Completion per company')).toEqual(
      completion.map((r) => [
        r.companyName,
        r.courseTitle,
        String(r.enrolled),
        String(r.attended),
        String(r.completed),
        pct(r.completionRate),
        pct(r.attendanceRate),
        r.liveAttendanceRate === null ? '' : pct(r.liveAttendanceRate),
      ]),
    );
    await checkScreen(page, '1-analytics');

    // Activity by quarter: the toggle asks the API again, and the table follows.
    await page.getByRole('radio', { name: 'Quarter' }).check();
    const quarters = (await local.call(
      'manager',
      'GET',
      `${base}/activity?period=quarter&from=${range.from}&to=${range.to}`,
    )) as { period: string; runningProvisions: number; companies: number; learners: number }[];
    const byQuarter = quarters.map((q) => [
      q.period,
      String(q.runningProvisions),
      String(q.companies),
      String(q.learners),
    ]);
    // The demo's provision and its open session run this quarter.
    expect(Number(byQuarter.at(-1)?.[1])).toBeGreaterThan(0);
    await page.getByRole('columnheader', { name: 'Quarter' }).waitFor();
    expect(await tableRows(page, 'Activity')).toEqual(byQuarter);

    // Sorted newest first by its period column, then exported as shown.
    const periodHeader = page.getByRole('columnheader', { name: 'Quarter' });
    await periodHeader.getByRole('button').click();
    await periodHeader.getByRole('button').click();
    expect(await periodHeader.getAttribute('aria-sort')).toBe('descending');
    expect(await tableRows(page, 'Activity')).toEqual([...byQuarter].reverse());
    const activity = page.locator('section', { has: page.getByRole('heading', { name: 'Activity' }) });
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      activity.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('activity.csv');
    const csv = (await readFile((await download.path())!, 'utf8')).replace(/^\uFEFF/, '').split('\r\n');
    expect(csv[0]).toBe('Quarter,Running provisions,Companies,Learners');
    expect(csv[1]).toBe(byQuarter.at(-1)!.join(','));

    // A range the API refuses is said beside the month it names.
    await page.getByLabel('From month').fill(range.to);
    await page.getByLabel('To month').fill(range.from);
    await page.getByRole('button', { name: 'Show' }).click();
    const to = page.getByLabel('To month');
    await expectAttribute(to, 'aria-invalid', 'true');
    expect(await page.locator('#analytics-to-error').textContent()).toBe('must not be before from');
    // ECharts drew under the CSP (no inline styles or eval) without a single refusal.
    expect(refusals).toEqual([]);
  }, 120_000);

  it('edits the institution’s profile, with a refusal beside its field, and changes a member’s role', async () => {
    await page.goto(`${local.platform.url}/console/institution`);
    await page.getByRole('heading', { level: 1, name: 'Profile and members' }).waitFor();
    const phone = page.getByLabel('Contact phone');
    await expectValue(phone, '02-000-0100');
    await phone.fill('not a phone');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await expectAttribute(phone, 'aria-invalid', 'true');
    expect(await page.locator('#institution-contactPhone-error').isVisible()).toBe(true);
    await phone.fill('02-000-0199');
    await page.getByRole('button', { name: 'Save profile' }).click();
    await page.getByText('Saved.').waitFor();
    expect(await local.call('manager', 'GET', `/institutions/${demo.institutionId}`)).toMatchObject({
      contactPhone: '02-000-0199',
    });

    // The members, as the API lists them; the instructor made a manager through the row's role.
    const members = (await local.call('manager', 'GET', `/institutions/${demo.institutionId}/members`)) as {
      userSub: string;
      role: string;
    }[];
    const rows = await tableRows(page, 'Members');
    expect(rows.map((r) => r[0]!.replace(' (you)', ''))).toEqual(members.map((m) => m.userSub));
    expect(rows.find((r) => r[0]!.endsWith('(you)'))?.[0]).toContain(sub('manager'));
    await checkScreen(page, '2-institution');

    const instructorRole = page.getByLabel(`Role of ${sub('instructor')}`);
    await instructorRole.selectOption('institution-manager');
    await page.getByText(`The role of ${sub('instructor')} was changed.`).waitFor();
    expect(
      (
        (await local.call('manager', 'GET', `/institutions/${demo.institutionId}/members`)) as {
          userSub: string;
          role: string;
        }[]
      ).find((m) => m.userSub === sub('instructor'))?.role,
    ).toBe('institution-manager');
    await instructorRole.selectOption('instructor');
    await page.getByText(`The role of ${sub('instructor')} was changed.`).waitFor();
    await eventually(
      async () =>
        (
          (await local.call('manager', 'GET', `/institutions/${demo.institutionId}/members`)) as {
            userSub: string;
            role: string;
          }[]
        ).find((m) => m.userSub === sub('instructor'))?.role,
      (role) => role === 'instructor',
    );

    // An invitation refused for its address says so beside the address.
    const invite = page.locator('form', { has: page.getByRole('heading', { name: 'Invite an instructor' }) });
    await invite.getByLabel('Name', { exact: true }).fill('New Instructor');
    await invite.getByLabel('E-mail', { exact: true }).fill('not-an-address');
    await invite.getByRole('button', { name: 'Send invitation' }).click();
    await expectAttribute(invite.getByLabel('E-mail', { exact: true }), 'aria-invalid', 'true');
    // A good one: the local Cognito makes the account, and the core affiliates them once the fact arrives.
    await invite.getByLabel('E-mail', { exact: true }).fill('new.instructor@institute.local');
    await invite.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByText('An invitation was sent to new.instructor@institute.local.').waitFor();
    await local.platform.flushEvents();
    await local.platform.flushEvents();
    await page.reload();
    await eventually(
      async () => (await tableRows(page, 'Members')).length,
      (n) => n === members.length + 1,
    );
    const after = (await local.call('manager', 'GET', `/institutions/${demo.institutionId}/members`)) as {
      userSub: string;
      role: string;
    }[];
    const invited = after.filter((m) => !members.some((b) => b.userSub === m.userSub));
    expect(invited).toEqual([expect.objectContaining({ role: 'instructor' })]);

    // Removing takes a second click that says whom it removes.
    const newSub = invited[0]!.userSub;
    await page.getByRole('button', { name: `Remove ${newSub}` }).click();
    await page.getByRole('button', { name: `Yes, remove ${newSub}` }).click();
    await page.getByText(`${newSub} was removed.`).waitFor();
    expect(
      (
        (await local.call('manager', 'GET', `/institutions/${demo.institutionId}/members`)) as {
          userSub: string;
        }[]
      ).map((m) => m.userSub),
    ).toEqual(members.map((m) => m.userSub));
  }, 60_000);

  it('lists the certificates the institution issued and revokes one behind a confirm step, with a reason', async () => {
    await page.goto(`${local.platform.url}/console/certificates`);
    await page.getByRole('heading', { level: 1, name: 'Certificates issued' }).waitFor();
    await page.getByText('No certificate has been issued yet.', { exact: false }).waitFor();
    await checkScreen(page, '3-certificates-none');

    // Completing the demo course takes its lecture's real time; the core's completion fact, published on the
    // platform bus as the core does, has the certificates domain issue both learners' certificates instead.
    for (const learner of ['learner', 'learner2']) {
      const [enrollment] = (await local.call(learner, 'GET', '/me/enrollments')) as { id: string }[];
      await local.platform.bus.publish([
        {
          source: 'lms.core',
          detailType: 'enrollment.completed',
          time: new Date(),
          detail: {
            eventId: `completed-${enrollment!.id}`,
            occurredAt: new Date().toISOString(),
            enrollmentId: enrollment!.id,
            provisionId: demo.provisionId,
            courseId: demo.courseId,
            institutionId: demo.institutionId,
            companyId: demo.companyId,
            userSub: sub(learner),
            completedAt: new Date().toISOString(),
            certificateOn: now.toISOString().slice(0, 10),
            score: 90,
            courseTitle: DEMO_COURSE_TITLE,
            institutionName: 'Demo Academy',
            institutionCertificationNumber: 'DEMO-1',
            periodStart: now.toISOString().slice(0, 10),
            periodEnd: now.toISOString().slice(0, 10),
            hours: 0.1,
          },
        },
      ]);
    }
    await local.platform.flushEvents();
    const { certificates } = (await local.call(
      'manager',
      'GET',
      `/certificates?institutionId=${demo.institutionId}`,
    )) as { certificates: { number: string; learnerName: string; status: string }[] };
    expect(certificates).toHaveLength(2);
    await page.reload();
    const rows = await tableRows(page, 'Certificates issued');
    expect(rows.map((r) => [r[0], r[1], r[5]])).toEqual(
      certificates.map((c) => [c.number, c.learnerName, 'Valid']),
    );

    // The confirm step refuses an empty reason beside the reason field, before asking the API.
    const [first, second] = certificates;
    await page.getByRole('button', { name: `Revoke certificate ${first!.number}…` }).click();
    const confirm = page.getByRole('form', { name: `Revoke certificate ${first!.number}` });
    const reason = confirm.getByLabel('Reason');
    await confirm.getByRole('button', { name: 'Revoke certificate' }).click();
    await expectAttribute(reason, 'aria-invalid', 'true');
    expect(await page.locator('#revocation-reason-error').textContent()).toBe(
      'Give a reason for the revocation.',
    );
    await checkScreen(page, '3-certificates-confirm');
    await reason.fill('Issued in error');
    await confirm.getByRole('button', { name: 'Revoke certificate' }).click();
    await page.getByText(`Certificate ${first!.number} was revoked.`).waitFor();
    expect(await local.call('manager', 'GET', `/certificates/${first!.number}/verification`)).toMatchObject({
      status: 'revoked',
      revocationReason: 'Issued in error',
    });
    expect((await tableRows(page, 'Certificates issued')).find((r) => r[0] === first!.number)?.[5]).toBe(
      'Revoked',
    );

    // Revoked meanwhile by someone else: the API's refusal is said beside the reason field.
    await page.getByRole('button', { name: `Revoke certificate ${second!.number}…` }).click();
    await local.call('manager', 'POST', `/certificates/${second!.number}/revocation`, {
      reason: 'Duplicate',
    });
    const again = page.getByRole('form', { name: `Revoke certificate ${second!.number}` });
    await again.getByLabel('Reason').fill('Also in error');
    await again.getByRole('button', { name: 'Revoke certificate' }).click();
    await expectAttribute(again.getByLabel('Reason'), 'aria-invalid', 'true');
    expect(await page.locator('#revocation-reason-error').textContent()).toBe(
      'The certificate is already revoked',
    );
  }, 60_000);

  it('has the platform admin register a company and name its manager', async () => {
    const admin = await browser.newContext({ locale: 'en-US', viewport: { width: 1100, height: 900 } });
    try {
      const adminPage = await admin.newPage();
      await adminPage.goto(`${local.platform.url}/console/admin`);
      await adminPage.getByRole('link', { name: 'Platform Admin', exact: true }).click();
      await adminPage.getByRole('heading', { level: 1, name: 'Institutions and companies' }).waitFor();
      // The institutions with their managers, as GET /institutions lists them.
      const institutions = await tableRows(adminPage, 'Institutions');
      const academy = institutions.find((r) => r[0] === 'Demo Academy');
      expect(academy?.[3]).toContain(sub('manager'));
      await checkScreen(adminPage, '4-admin');

      const form = adminPage.locator('form', {
        has: adminPage.getByRole('heading', { name: 'Register a company' }),
      });
      const fill = async (label: string, value: string) =>
        form.getByLabel(label, { exact: true }).fill(value);
      await fill('Name', 'Hanbit Logistics');
      await fill('Owner', 'Park Jisoo');
      await fill('Business number', '1234567890');
      await fill('E-mail', 'hr@hanbit.example.com');
      await fill('Phone', '031-555-0101');
      await form.getByRole('button', { name: 'Register' }).click();
      await expectAttribute(form.getByLabel('Business number', { exact: true }), 'aria-invalid', 'true');
      await fill('Business number', businessNumberFrom('201810077'));
      await form.getByRole('button', { name: 'Register' }).click();
      await adminPage.getByText('“Hanbit Logistics” is registered. Now name its manager.').waitFor();

      // The new company is chosen for naming its manager: the demo's company manager.
      const managers = adminPage.locator('form', {
        has: adminPage.getByRole('heading', { name: 'Company managers' }),
      });
      const company = managers.getByLabel('Company', { exact: true });
      await expectSelectedText(company, 'Hanbit Logistics');
      await managers.getByLabel('User id', { exact: true }).fill(sub('company'));
      await managers.getByRole('button', { name: 'Make manager' }).click();
      await adminPage.getByText(`${sub('company')} now manages “Hanbit Logistics”.`).waitFor();
      // Read again from GET /companies/{id}/managers: the one just named.
      await managers.getByRole('list', { name: 'Managers now' }).getByText(sub('company')).waitFor();
      const theirs = (await local.call('company', 'GET', '/me/memberships')) as {
        companies: { name: string; role: string; state: string }[];
      };
      expect(theirs.companies).toContainEqual(
        expect.objectContaining({ name: 'Hanbit Logistics', role: 'company-manager', state: 'approved' }),
      );
      expect(await tableRows(adminPage, 'Companies')).toContainEqual([
        'Hanbit Logistics',
        expect.any(String),
      ]);
      await checkScreen(adminPage, '5-admin-company');
    } finally {
      await admin.close();
    }
  }, 60_000);
});

async function expectAttribute(
  locator: ReturnType<Page['locator']>,
  name: string,
  value: string,
): Promise<void> {
  const seen = await eventually(
    () => locator.getAttribute(name),
    (v) => v === value,
  );
  expect(seen).toBe(value);
}

async function expectValue(locator: ReturnType<Page['locator']>, value: string): Promise<void> {
  expect(
    await eventually(
      () => locator.inputValue(),
      (v) => v === value,
    ),
  ).toBe(value);
}

async function expectSelectedText(locator: ReturnType<Page['locator']>, text: string): Promise<void> {
  expect(
    await eventually(
      () =>
        locator.evaluate(
          (s) =>
            (s as unknown as { selectedOptions: { textContent: string | null }[] }).selectedOptions[0]
              ?.textContent ?? '',
        ),
      (v) => v === text,
    ),
  ).toBe(text);
}
