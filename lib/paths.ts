import { join } from 'node:path';

/** Repository root, resolved once so no stack repeats a relative path. */
export const REPO_ROOT = join(__dirname, '..');
