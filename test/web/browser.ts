import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium (`apt-get install -y chromium`), or the one CHROMIUM_PATH names: never a downloaded one. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where the browser tests leave a screenshot of every screen they visit (CI keeps the folder). */
export const SCREENSHOTS_DIR = join(__dirname, '..', '..', 'artifacts', 'web');

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(
      `The browser tests drive Debian's chromium (apt-get install -y chromium) or the one CHROMIUM_PATH names; there is none at ${CHROMIUM_PATH}`,
    );
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    // As root in a container, with no network beyond the machine: no sandbox, nothing phoning home.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS_DIR, `${name}.png`), fullPage: true });
}

/** The screen's serious and critical accessibility violations, by axe-core: each rule with the elements it found. */
export async function seriousViolations(
  page: Page,
): Promise<{ id: string; help: string; targets: string[] }[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
}
