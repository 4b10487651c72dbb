import { join } from 'node:path';

/**
 * The tests' own copies of config/default.json and config/example-academy.json: a fork edits its configs in
 * place, and the tests' expectations stay with these (`npm run synth:all` checks the fork's own).
 */
export const FIXTURE_CONFIG_DIR = join(__dirname, '..', 'fixtures', 'config');
