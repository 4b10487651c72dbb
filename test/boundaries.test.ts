import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/*
 * The floors of the house (eslint.config.mjs): contracts/ stands on libraries only; lib/, lambda/, service/
 * and web/ on contracts/ and themselves; local/ and bench/ on everything. Each case lints one import, as if
 * written in a file of that floor, with the project's own ESLint config.
 */
const ROOT = join(__dirname, '..');

type Case = readonly [file: string, specifier: string, allowed: boolean];

const cases: Case[] = [
  // The core service: contracts/ and itself.
  ['service/src/exams/probe.ts', '#contracts/resources', true],
  ['service/src/exams/probe.ts', '../db/schema', true],
  ['service/src/exams/probe.ts', '#service/db/schema', true],
  ['service/src/exams/probe.ts', '#lib/config/institution-config', false],
  ['service/src/exams/probe.ts', '#lambda/shared/env', false],
  ['service/src/exams/probe.ts', '#local/token-issuer', false],
  ['service/src/exams/probe.ts', '../../../lib/config/institution-config', false],
  ['service/src/exams/probe.ts', '../../../lambda/shared/env', false],
  ['service/src/main-probe.ts', '../../lib/platform', false],
  ['service/src/exams/probe.ts', 'aws-cdk-lib', false],
  // The contracts: libraries only.
  ['contracts/probe.ts', 'zod', true],
  ['contracts/probe.ts', './resources', true],
  ['contracts/probe.ts', '#contracts/resources', false],
  ['contracts/probe.ts', '#lib/platform', false],
  ['contracts/probe.ts', '#lambda/shared/env', false],
  ['contracts/probe.ts', '#service/app', false],
  ['contracts/probe.ts', '#local/token-issuer', false],
  ['contracts/probe.ts', '../lambda/shared/env', false],
  ['contracts/probe.ts', './../service/src/app', false],
  ['contracts/probe.ts', '../lib/config/institution-config', false],
  ['contracts/probe.ts', 'aws-cdk-lib', false],
  // Handlers: contracts/ and themselves.
  ['lambda/vod/probe.ts', '#contracts/routes', true],
  ['lambda/vod/probe.ts', '../shared/env', true],
  ['lambda/vod/probe.ts', '#service/app', false],
  ['lambda/vod/probe.ts', '#lib/platform', false],
  ['lambda/vod/probe.ts', '../../service/src/db/migrate', false],
  ['lambda/vod/probe.ts', 'constructs', false],
  // Infrastructure: contracts/ and itself, the CDK of course.
  ['lib/stacks/probe.ts', '#contracts/routes', true],
  ['lib/stacks/probe.ts', '../constructs/lms-function', true],
  ['lib/stacks/probe.ts', 'aws-cdk-lib', true],
  ['lib/stacks/probe.ts', '#lambda/vod/uploads', false],
  ['lib/stacks/probe.ts', '#service/app', false],
  ['lib/stacks/probe.ts', '../../lambda/vod/uploads', false],
  ['bin/probe.ts', '#lib/platform', true],
  ['bin/probe.ts', '#service/app', false],
  // The web app: contracts/ only.
  ['web/src/probe.ts', '#contracts/routes', true],
  ['web/src/probe.ts', '#lambda/shared/problem', false],
  ['web/src/probe.ts', '#service/app', false],
  // The local runner composes every floor, by alias.
  ['local/probe.ts', '#service/app', true],
  ['local/probe.ts', '#lambda/shared/http-handler', true],
  ['local/probe.ts', '#lib/config/load-config', true],
  ['local/probe.ts', '../service/src/app', false],
  // Repository tools: themselves, reading what the app synthesizes rather than its code.
  ['tools/diff/probe.ts', './template-diff', true],
  ['tools/diff/probe.ts', '#tools/diff/allow-list', true],
  ['tools/diff/probe.ts', '#lib/platform', false],
  ['tools/diff/probe.ts', '../../lib/platform', false],
  ['tools/diff/probe.ts', 'aws-cdk-lib', false],
  ['lib/stacks/probe.ts', '#tools/diff/template-diff', false],
];

interface Verdict {
  readonly messages: readonly string[];
}

/** Lints every case in one child process: ESLint's flat config is an ES module that jest's loader would re-transpile. */
function lint(all: readonly Case[]): Verdict[] {
  const script = `
    import { ESLint } from 'eslint';
    const cases = JSON.parse(process.argv[1]);
    const eslint = new ESLint({ cwd: process.cwd() });
    const out = [];
    for (const [file, specifier] of cases) {
      const [result] = await eslint.lintText("import '" + specifier + "';\\n", { filePath: file });
      out.push({ messages: result.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message) });
    }
    process.stdout.write(JSON.stringify(out));
  `;
  const stdout = execFileSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(all)], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return JSON.parse(stdout) as Verdict[];
}

describe('import boundaries between the floors', () => {
  let verdicts: Verdict[];
  beforeAll(() => {
    verdicts = lint(cases);
  }, 60_000);

  it.each(cases.map((c, i) => [...c, i] as const))(
    '%s importing %s: allowed %s',
    (_file, _spec, allowed, i) => {
      const { messages } = verdicts[i]!;
      if (allowed) expect(messages).toEqual([]);
      else expect(messages.length).toBeGreaterThan(0);
    },
  );

  it('names the rule a refused import breaks', () => {
    const i = cases.findIndex(([f, s]) => f.startsWith('service/') && s === '#lambda/shared/env');
    expect(verdicts[i]!.messages).toEqual([
      expect.stringContaining('The core service imports contracts/ and service/ only'),
    ]);
  });
});
