import { spawn } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MARKDOWN_MARKER } from '#tools/diff/format-report';

/*
 * `npm run diff` as CI runs it: a git repository holding the fixture app in two commits, the CLI started
 * with tsx against `--base HEAD~1`, two real `cdk synth` runs. The second commit changes the Orders table's
 * key (replace), drops the Sessions table (destroy), adds a queue and lets the role write Orders.
 */
const ROOT = join(__dirname, '..', '..', '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'diff-app');
const work = mkdtempSync(join(tmpdir(), 'diff-cli-test-'));
const repo = join(work, 'repo');
// The CLI's temporary directories land here, so the test can see that it removes them.
const cliTmp = join(work, 'tmp');
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[]): Promise<Result> {
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: cliTmp };
  // NODE_OPTIONS carries jest's --experimental-vm-modules; GIT_DIR and friends would point git elsewhere.
  for (const name of ['NODE_OPTIONS', 'GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE']) delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: repo, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function git(...args: string[]): Promise<void> {
  const result = await run('git', [
    '-c',
    'user.name=Fixture',
    '-c',
    'user.email=fixture@example.com',
    ...args,
  ]);
  if (result.code !== 0) throw new Error(`git ${args.join(' ')}: ${result.stderr}`);
}

const diffCli = (...args: string[]) =>
  run(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'tools', 'diff', 'cli.ts'), ...args]);

const setRevision = (revision: number) =>
  writeFileSync(join(repo, 'revision.json'), JSON.stringify({ revision }) + '\n');

beforeAll(async () => {
  mkdirSync(repo);
  mkdirSync(cliTmp);
  for (const file of ['app.ts', 'fixture-stack.ts', 'cdk.json'])
    copyFileSync(join(FIXTURE, file), join(repo, file));
  symlinkSync(join(ROOT, 'node_modules'), join(repo, 'node_modules'), 'dir');
  writeFileSync(join(repo, '.gitignore'), 'node_modules\ncdk.out\n');
  setRevision(1);
  await git('init', '--quiet');
  await git('add', '.');
  await git('commit', '--quiet', '-m', 'revision 1');
  setRevision(2);
  await git('commit', '--quiet', '-am', 'revision 2');
}, 30_000);

describe('npm run diff -- --base HEAD~1', () => {
  let result: Result;
  beforeAll(async () => {
    writeFileSync(
      join(repo, 'destructive-changes.json'),
      JSON.stringify({
        changes: [
          {
            stack: 'fixture',
            logicalId: 'Orders',
            change: 'replace',
            reason: 'new key schema; no orders yet',
          },
          { stack: 'fixture', logicalId: 'Gone', change: 'destroy', reason: 'removed last release' },
        ],
      }),
    );
    result = await diffCli('--base', 'HEAD~1', '--markdown', 'report.md');
  }, 240_000);

  it('fails on the destroyed table, which the allow-list does not name, and lets the replaced one through', () => {
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^ {2}BLOCKED {3}fixture Sessions \(AWS::DynamoDB::Table\): destroy/m);
    expect(result.stdout).toMatch(/^ {2}allowed {3}fixture Orders \(AWS::DynamoDB::Table\): replace/m);
    expect(result.stdout).toMatch(/reason: new key schema; no orders yet/);
  });

  it('prints the stack diff: the added queue and the broadened IAM statement too', () => {
    expect(result.stdout).toMatch(/^CloudFormation diff: HEAD~1 \([0-9a-f]{7}\) → working tree$/m);
    expect(result.stdout).toMatch(/^Stack fixture \(broadens permissions\)$/m);
    expect(result.stdout).toMatch(/\[\+\] AWS::SQS::Queue DeadLetters/);
    expect(result.stdout).toMatch(/IAM Statement Changes[\s\S]*dynamodb:PutItem/);
  });

  it('reports the entry that matches nothing as stale', () => {
    expect(result.stdout).toMatch(
      /Stale entries in destructive-changes\.json[^\n]*\n {2}fixture Gone destroy/,
    );
  });

  it('writes the Markdown report and removes its temporary directories', () => {
    const markdown = readFileSync(join(repo, 'report.md'), 'utf8');
    expect(markdown.startsWith(MARKDOWN_MARKER)).toBe(true);
    expect(markdown).toMatch(/\| \*\*blocked\*\* \| fixture \| `Sessions` \|/);
    // tsx keeps its compile cache there too.
    expect(readdirSync(cliTmp).filter((name) => name.startsWith('lms-diff-'))).toEqual([]);
  });
});

describe('usage and setup errors exit with 2', () => {
  it('refuses a ref that names no commit', async () => {
    const result = await diffCli('--base', 'no-such-branch');
    expect(result).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/no-such-branch names no commit/),
    });
  }, 60_000);

  it('refuses an allow-list entry without a reason', async () => {
    writeFileSync(
      join(work, 'no-reason.json'),
      JSON.stringify({ changes: [{ stack: 'fixture', logicalId: 'Orders', change: 'replace', reason: '' }] }),
    );
    const result = await diffCli('--base', 'HEAD~1', '--allow-list', join(work, 'no-reason.json'));
    expect(result).toMatchObject({ code: 2, stderr: expect.stringMatching(/not a valid allow-list/) });
  }, 60_000);

  it('refuses to run without --base, and says how to', async () => {
    const result = await diffCli('-c', 'institution=example-academy');
    expect(result).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/--base <ref> is required[\s\S]*Usage:/),
    });
  }, 60_000);
});
