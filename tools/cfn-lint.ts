import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, relative } from 'node:path';

/**
 * cfn-lint over every template of every cloud assembly under cdk.out: cdk.out/<config> for each config
 * `npm run synth:all` synthesizes, and cdk.out itself after a bare `cdk synth`;
 * each template against the region its stack deploys to, with .cfnlintrc.yaml's ignores and schema patch.
 * Any finding fails. Reproduce: `npm run lint:cfn [-- <assembly dir> ...]`.
 */
const ROOT = join(__dirname, '..');
const CONFIG_FILE = join(ROOT, '.cfnlintrc.yaml');
/** cfn-lint's own default, for environment-agnostic stacks (the default config), which deploy anywhere. */
const AGNOSTIC_REGION = 'us-east-1';

interface StackTemplate {
  readonly file: string;
  readonly region: string;
  readonly bytes: number;
}

interface Manifest {
  readonly artifacts?: Record<
    string,
    { readonly type: string; readonly environment?: string; readonly properties?: { templateFile?: string } }
  >;
}

/** cdk.out and each cdk.out/<config> that holds an assembly. */
function defaultAssemblies(): string[] {
  const top = join(ROOT, 'cdk.out');
  if (!existsSync(top)) return [];
  const nested = readdirSync(top)
    // asset.* directories hold bundles and build contexts, never an assembly.
    .filter((name) => !name.startsWith('asset.'))
    .map((name) => join(top, name))
    .filter((dir) => statSync(dir).isDirectory() && existsSync(join(dir, 'manifest.json')));
  return [...(existsSync(join(top, 'manifest.json')) ? [top] : []), ...nested];
}

/**
 * The stacks the assembly's manifest lists: a directory may still hold templates of stacks a previous synth
 * wrote and this one no longer has.
 */
function templatesOf(assembly: string): StackTemplate[] {
  const manifest = JSON.parse(readFileSync(join(assembly, 'manifest.json'), 'utf8')) as Manifest;
  return Object.values(manifest.artifacts ?? {})
    .filter((a) => a.type === 'aws:cloudformation:stack' && a.properties?.templateFile)
    .map((a) => {
      const file = join(assembly, a.properties!.templateFile!);
      // aws://<account>/<region>
      const region = a.environment?.split('/')[3];
      return {
        file,
        region: !region || region === 'unknown-region' ? AGNOSTIC_REGION : region,
        bytes: statSync(file).size,
      };
    });
}

/**
 * One cfn-lint run per region (it lints a template against every region it is given), split further into
 * batches of about equal size while there are more cores than regions: each run pays ~1.5 s of start-up.
 */
function batches(templates: readonly StackTemplate[], cores: number): StackTemplate[][] {
  const regions = [...new Set(templates.map((t) => t.region))];
  const perRegion = Math.max(1, Math.floor(cores / regions.length));
  return regions.flatMap((region) => {
    const ofRegion = templates.filter((t) => t.region === region);
    const bins: StackTemplate[][] = Array.from({ length: Math.min(perRegion, ofRegion.length) }, () => []);
    const size = (bin: StackTemplate[]) => bin.reduce((sum, t) => sum + t.bytes, 0);
    for (const t of [...ofRegion].sort((a, b) => b.bytes - a.bytes)) {
      bins.reduce((smallest, bin) => (size(bin) < size(smallest) ? bin : smallest)).push(t);
    }
    return bins;
  });
}

interface Run {
  readonly status: number | null;
  readonly output: string;
}

function cfnLint(batch: readonly StackTemplate[]): Promise<Run> {
  const args = ['--config-file', CONFIG_FILE, '--regions', batch[0]!.region, '--'];
  return new Promise((resolve, reject) => {
    // From the root, where .cfnlintrc.yaml's override_spec path is relative to.
    const child = spawn('cfn-lint', [...args, ...batch.map((t) => relative(ROOT, t.file))], { cwd: ROOT });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}

/** Runs every batch, `limit` at a time. */
async function runAll(all: StackTemplate[][], limit: number): Promise<Run[]> {
  const runs: Run[] = [];
  let next = 0;
  const worker = async () => {
    while (next < all.length) {
      const i = next++;
      runs[i] = await cfnLint(all[i]!);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return runs;
}

async function main(): Promise<number> {
  const assemblies = process.argv.length > 2 ? process.argv.slice(2) : defaultAssemblies();
  const templates = assemblies.flatMap(templatesOf);
  if (templates.length === 0) {
    console.error('cfn-lint: no cloud assembly with templates under cdk.out; run `npm run synth:all` first.');
    return 1;
  }
  const started = process.hrtime.bigint();
  const cores = availableParallelism();
  let runs: Run[];
  try {
    runs = await runAll(batches(templates, cores), cores);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    console.error('cfn-lint is not installed: `pip install cfn-lint` (1.x), then run this again.');
    return 1;
  }
  const seconds = (Number(process.hrtime.bigint() - started) / 1e9).toFixed(1);
  const failed = runs.filter((r) => r.status !== 0);
  for (const r of failed) process.stdout.write(r.output);
  const what = `${templates.length} templates of ${assemblies.map((a) => relative(ROOT, a)).join(', ')}`;
  if (failed.length) {
    console.error(
      `cfn-lint: findings above in ${what} (${seconds} s). Fix them, or list a false positive in .cfnlintrc.yaml with its reason.`,
    );
    return 1;
  }
  console.log(`cfn-lint: ${what}: no findings (${seconds} s).`);
  return 0;
}

main().then((code) => process.exit(code));
