import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, realpath, symlink } from 'node:fs/promises';
import { join } from 'node:path';

/** A git or synth step failed; the message carries the end of its output. */
export class SynthError extends Error {
  override readonly name = 'SynthError';
}

interface Run {
  readonly code: number | null;
  readonly output: string;
}

/** Runs a command to its end, keeping stdout and stderr together (the CDK reports its errors on either). */
function run(command: string, args: readonly string[], cwd: string, env = process.env): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output: Buffer.concat(chunks).toString() }));
  });
}

function tail(output: string, lines = 40): string {
  return output.trimEnd().split('\n').slice(-lines).join('\n');
}

export interface Checkout {
  /** The repository's top-level directory. */
  readonly root: string;
  /** The CDK app's directory relative to the root ('' when the app is at the root, as here). */
  readonly prefix: string;
}

/** Where the app directory sits in its git repository. */
export async function locateCheckout(appDir: string): Promise<Checkout> {
  const result = await run('git', ['rev-parse', '--show-toplevel', '--show-prefix'], appDir);
  if (result.code !== 0)
    throw new SynthError(`${appDir} is not inside a git repository:\n${tail(result.output)}`);
  const [root = '', prefix = ''] = result.output.split('\n');
  return { root, prefix };
}

/** The commit a ref names, or undefined when it names none (a typo, or a shallow clone without the base). */
export async function resolveCommit(appDir: string, ref: string): Promise<string | undefined> {
  const result = await run(
    'git',
    ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`],
    appDir,
  );
  return result.code === 0 ? result.output.trim() : undefined;
}

/**
 * The files of a commit in `dir`, through `git archive`: unlike `git worktree add`, it leaves the repository's
 * worktree list and index alone, so it can run beside other checkouts and leaves nothing to prune on a crash.
 */
export async function exportCommit(checkout: Checkout, commit: string, dir: string): Promise<void> {
  await extractInto(dir, () => spawn('git', ['archive', '--format=tar', commit], { cwd: checkout.root }));
}

/**
 * The working tree as git sees it (tracked files as they are now, and untracked ones not ignored) in `dir`.
 * The working tree is synthesized from a copy laid out like the base's because bundles carry source maps
 * whose paths run from the cloud assembly to the sources: synthesized in place, every function's asset hash
 * would differ from the base's although no code changed. A copy also leaves ignored files (cdk.out, .local)
 * out of the Docker build context, as a fresh clone in CI would.
 */
export async function exportWorkingTree(checkout: Checkout, dir: string): Promise<void> {
  const listed = await run(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    checkout.root,
  );
  if (listed.code !== 0) throw new SynthError(`git ls-files failed:\n${tail(listed.output)}`);
  // Tracked files deleted in the working tree are still listed; tar would fail on them.
  const files = listed.output.split('\0').filter((file) => file && existsSync(join(checkout.root, file)));
  await extractInto(dir, () => {
    const pack = spawn('tar', ['-c', '-f', '-', '--null', '-T', '-'], { cwd: checkout.root });
    pack.stdin.end(files.join('\0'));
    return pack;
  });
}

/**
 * Pipes the tar stream of the process `start` spawns into `tar -x` in `dir`. Both processes are watched from
 * the moment they start: a listener attached after an await could miss a quick process's exit, and the
 * promise would never settle.
 */
async function extractInto(dir: string, start: () => ChildProcess): Promise<void> {
  await mkdir(dir, { recursive: true });
  const errors: string[] = [];
  const exited = (child: ChildProcess) =>
    new Promise<number | null>((resolve, reject) => {
      child.stderr?.on('data', (c: Buffer) => errors.push(c.toString()));
      child.on('error', reject);
      child.on('close', resolve);
    });
  const source = start();
  const extract = spawn('tar', ['-x', '-f', '-', '-C', dir], { stdio: ['pipe', 'ignore', 'pipe'] });
  source.stdout!.pipe(extract.stdin);
  const codes = await Promise.all([exited(source), exited(extract)]);
  if (codes.some((code) => code !== 0)) {
    throw new SynthError(`copying files into ${dir} failed:\n${tail(errors.join(''))}`);
  }
}

/**
 * Links the app's installed dependencies into an exported checkout: the base is synthesized with today's
 * node_modules, which is right for templates unless the base pinned another aws-cdk-lib (then the diff also
 * shows what the library upgrade changes).
 */
export async function linkDependencies(fromAppDir: string, toAppDir: string): Promise<void> {
  await symlink(await realpath(join(fromAppDir, 'node_modules')), join(toAppDir, 'node_modules'), 'dir');
}

/**
 * `cdk synth -q -o <outDir>` in an app directory: the app command comes from that checkout's cdk.json.
 * Synth needs no AWS account; the environment below keeps the CLI from looking for one (the EC2 instance
 * metadata probe waits on a timeout where there is none) and from calling home.
 */
export async function synthesize(appDir: string, outDir: string, context: readonly string[]): Promise<void> {
  const args = ['--no', 'cdk', 'synth', '--quiet', '--no-notices', '--output', outDir];
  for (const pair of context) args.push('--context', pair);
  const result = await run('npx', args, appDir, {
    ...process.env,
    AWS_EC2_METADATA_DISABLED: 'true',
    CDK_DISABLE_VERSION_CHECK: 'true',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  });
  if (result.code !== 0) {
    throw new SynthError(`cdk synth in ${appDir} exited with ${result.code}:\n${tail(result.output)}`);
  }
}
