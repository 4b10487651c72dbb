import { DEMO_COURSE_TITLE, seedDemoData } from '#local/demo-data';
import type { Browser } from 'playwright-core';
import { useLocalPlatform } from '../local/local-platform-fixture';
import { launchChromium, screenshot } from './browser';

const local = useLocalPlatform('websmoke', {
  webApp: true,
  host: 'localhost',
  institutionName: 'Demo Academy',
});
let browser: Browser;
beforeAll(async () => {
  await seedDemoData(local.platform, { log: () => undefined });
  browser = await launchChromium();
}, 180_000);
afterAll(() => browser?.close());

it('signs in', async () => {
  const page = await browser.newPage({ locale: 'en-US' });
  await page.goto(`${local.platform.url}/`);
  await page.getByRole('link', { name: 'Learner', exact: true }).click();
  await page.getByRole('heading', { name: 'My courses' }).waitFor();
  await page.getByText(DEMO_COURSE_TITLE).first().waitFor();
  await screenshot(page, 'smoke');
});
