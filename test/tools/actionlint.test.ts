import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** `npm run lint`'s actionlint step (tools/actionlint.ts) over the workflows given, in one run. */
function actionlint(workflows: Record<string, string>): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'actionlint-'));
  try {
    const files = Object.entries(workflows).map(([name, text]) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    });
    const run = spawnSync('npx', ['tsx', 'tools/actionlint.ts', ...files], {
      cwd: join(__dirname, '..', '..'),
      encoding: 'utf8',
    });
    return { status: run.status, output: run.stdout + run.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const workflow = (condition: string) => `name: Check
on: pull_request
permissions: {}
jobs:
  check:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    if: \${{ ${condition} }}
    steps:
      - run: echo "\${{ github.event.pull_request.number }} \${{ vars.SOME_SETTING }}"
`;

describe('actionlint step', () => {
  it('fails on a broken expression, naming where, and passes the same workflow without it', () => {
    const { status, output } = actionlint({
      'sound.yml': workflow("github.base_ref == 'main'"),
      'broken.yml': workflow("github.base_ref = 'main'"),
    });
    expect(status).toBe(1);
    const findings = output.split('\n').filter((line) => /\.yml:\d+:\d+: /.test(line));
    expect(findings).toEqual([expect.stringMatching(/broken\.yml:9:\d+: .+ \[expression\]$/)]);
  });
});
