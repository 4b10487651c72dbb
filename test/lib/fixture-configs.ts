import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidConfigError, loadConfig, parseConfig } from '#lib/config/load-config';

/**
 * The tests' own copies of config/default.json and config/example-academy.json: a fork edits its configs in
 * place, and the tests' expectations stay with these (`npm run synth:all` checks the fork's own).
 */
export const FIXTURE_CONFIG_DIR = join(__dirname, '..', 'fixtures', 'config');

/** Raw JSON as a fork would write it; the tests break it on purpose, so it stays loosely typed. */
export type RawConfig = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A fixture config's JSON, to be changed and parsed. */
export const rawFixture = (name: string): RawConfig =>
  JSON.parse(readFileSync(join(FIXTURE_CONFIG_DIR, `${name}.json`), 'utf8'));

/** A fixture config, loaded and validated as `bin/lms.ts` loads a fork's. */
export const fixtureConfig = (name: string) => loadConfig(name, FIXTURE_CONFIG_DIR);

/** The validation message for a config that must be refused; fails the test if it is accepted. */
export function refusalOf(config: RawConfig): string {
  try {
    parseConfig(config, 'test.json');
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidConfigError);
    return (e as Error).message;
  }
  throw new Error('expected the config to be refused');
}
