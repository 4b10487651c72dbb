import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * `npm run synth:all`: `cdk synth` of every config under config/, each into cdk.out/<name>, where
 * `npm run lint:cfn` finds it. A fork's own configs are synthesized as they are added, with no list to keep.
 * One after another: each synth takes the machine's cores for its bundling. Every config is tried; the exit
 * code is 1 when any failed, and the summary names them. Reproduce: `npm run synth:all`.
 */
const ROOT = join(__dirname, '..');
const CONFIG_DIR = join(ROOT, 'config');
/** Beside the configs, for editors; not a config. */
const SCHEMA_FILE = 'institution.schema.json';

/** Every config's name: the JSON files under config/ but the schema. */
function configNames(): string[] {
  return readdirSync(CONFIG_DIR)
    .filter((f) => f.endsWith('.json') && f !== SCHEMA_FILE)
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

/** GitHub Actions folds each config's output into a group of its own. */
const grouped = process.env.GITHUB_ACTIONS === 'true';

function main(): number {
  const names = configNames();
  if (names.length === 0) {
    console.error('synth:all: no config under config/');
    return 1;
  }
  const failed: string[] = [];
  for (const name of names) {
    const out = join(ROOT, 'cdk.out', name);
    console.log(
      `${grouped ? '::group::' : '> '}cdk synth -q -c institution=${name} -o ${relative(ROOT, out)}`,
    );
    const run = spawnSync('npx', ['cdk', 'synth', '-q', '-c', `institution=${name}`, '-o', out], {
      cwd: ROOT,
      stdio: 'inherit',
      // aws-cdk-lib's own template check (about 5 s of WebAssembly a config) only warns with cdk.json's flags;
      // `npm run lint:cfn` checks every template this writes, and fails on what it finds.
      env: { ...process.env, CDK_VALIDATION: process.env.CDK_VALIDATION ?? 'false' },
    });
    if (grouped) console.log('::endgroup::');
    if (run.status !== 0) failed.push(name);
  }
  if (failed.length > 0) {
    console.error(`synth:all: ${failed.length} of ${names.length} configs failed: ${failed.join(', ')}`);
    return 1;
  }
  console.log(`synth:all: ${names.length} configs synthesized: ${names.join(', ')}`);
  return 0;
}

process.exit(main());
