import { existsSync, rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadAllowList } from './allow-list';
import { readCloudAssembly } from './cloud-assembly';
import { formatMarkdown, formatText, type ReportLabels } from './format-report';
import {
  exportCommit,
  exportWorkingTree,
  linkDependencies,
  locateCheckout,
  resolveCommit,
  synthesize,
} from './synth';
import { diffStackTemplates } from './template-diff';

const USAGE = `Usage: npm run diff -- --base <git ref> [options]

Synthesizes the CDK app at <git ref> and in the working tree (no AWS account needed), prints the
CloudFormation diff of every stack, and fails when a stateful resource would be replaced or destroyed
without an entry in the allow-list.

Options:
  --base <ref>             the git ref to compare with (origin/main, HEAD~1, a tag or a commit);
                           the working tree is compared as it is, uncommitted changes included
  -c, --context <k=v>      CDK context for both synths, repeatable (-c institution=example-academy)
  --allow-list <file>      the allow-list (default: destructive-changes.json beside cdk.json)
  --markdown <file>        also write the report as Markdown, for a pull-request comment
  -h, --help               this text

Exit codes:
  0  no stateful resource is replaced or destroyed, or each one is allowed
  1  a stateful resource is replaced (or may be) or destroyed (or orphaned) without an allow-list entry
  2  usage error, invalid allow-list, unknown ref, or a synth that failed`;

class UsageError extends Error {}

const OPTIONS = {
  base: { type: 'string' },
  context: { type: 'string', short: 'c', multiple: true },
  'allow-list': { type: 'string' },
  markdown: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

async function timed<T>(what: string, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  log(`${what}…`);
  const result = await work();
  log(`${what}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

async function main(argv: readonly string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const ref = values.base;
  if (!ref) throw new UsageError('--base <ref> is required.');
  if (ref.startsWith('-')) throw new UsageError(`--base takes a git ref, not ${ref}`);
  const context = values.context ?? [];
  const badPair = context.find((pair) => !/^[^=]+=/.test(pair));
  if (badPair !== undefined) throw new UsageError(`-c takes key=value, not ${badPair}`);

  const appDir = process.cwd();
  if (!existsSync(join(appDir, 'cdk.json'))) {
    throw new UsageError(`Run it where cdk.json is (the repository root); ${appDir} has none.`);
  }
  const allowListFile = resolve(appDir, values['allow-list'] ?? 'destructive-changes.json');
  const allowList = await loadAllowList(allowListFile);
  const commit = await resolveCommit(appDir, ref);
  if (!commit) {
    throw new Error(
      `${ref} names no commit here. In a shallow clone, fetch it first (git fetch origin <branch>).`,
    );
  }
  const checkout = await locateCheckout(appDir);
  const short = commit.slice(0, 7);
  const baseLabel = commit.startsWith(ref.toLowerCase()) ? short : `${ref} (${short})`;

  const work = await mkdtemp(join(tmpdir(), 'lms-diff-'));
  // Two assemblies of about 30 MB each: removed however the run ends (an uncaught EPIPE, Ctrl-C, CI cancel).
  const cleanUp = () => rmSync(work, { recursive: true, force: true });
  const onSignal = (signal: NodeJS.Signals) => process.exit(signal === 'SIGINT' ? 130 : 143);
  process.once('exit', cleanUp).once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    // Both sides in the same layout (<side>/src, <side>/out): see exportWorkingTree. One after the other,
    // since each synth bundles every function and keeps the cores busy.
    const sides = [
      { label: baseLabel, dir: join(work, 'base'), copy: (to: string) => exportCommit(checkout, commit, to) },
      {
        label: 'the working tree',
        dir: join(work, 'head'),
        copy: (to: string) => exportWorkingTree(checkout, to),
      },
    ];
    for (const side of sides) {
      const sideAppDir = join(side.dir, 'src', checkout.prefix);
      await side.copy(join(side.dir, 'src'));
      await linkDependencies(appDir, sideAppDir);
      await timed(`Synthesizing ${side.label}`, () => synthesize(sideAppDir, join(side.dir, 'out'), context));
    }

    const report = diffStackTemplates(
      await readCloudAssembly(join(work, 'base', 'out')),
      await readCloudAssembly(join(work, 'head', 'out')),
      allowList,
    );
    const labels: ReportLabels = {
      base: baseLabel,
      head: 'working tree',
      allowList: relative(appDir, allowListFile) || allowListFile,
    };
    process.stdout.write(formatText(report, labels));
    if (values.markdown) {
      await writeFile(resolve(appDir, values.markdown), formatMarkdown(report, labels));
      log(`Markdown report written to ${values.markdown}`);
    }
    return report.exitCode;
  } finally {
    process.off('exit', cleanUp).off('SIGINT', onSignal).off('SIGTERM', onSignal);
    cleanUp();
  }
}

// Until the report is out, the exit code says the check did not run: were the event loop ever to empty
// with a promise still pending, Node would otherwise exit with 0 and a CI gate would pass unchecked.
process.exitCode = 2;
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    log(e instanceof Error ? e.message : String(e));
    if (e instanceof UsageError) log(`\n${USAGE}`);
    process.exitCode = 2;
  },
);
