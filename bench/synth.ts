import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Whole-app synth wall time with real esbuild bundling, and the size of every Lambda bundle.
 * Reproduce: `npm run bench:synth` (optionally `-- example-academy` for another config).
 */
const GOAL_SECONDS = 20;
const GOAL_BUNDLE_KB = 500;
const institution = process.argv[2] ?? 'default';
const outdir = mkdtempSync(join(tmpdir(), 'lms-synth-'));

const started = process.hrtime.bigint();
execFileSync('npx', ['cdk', 'synth', '-q', '-c', `institution=${institution}`, '-o', outdir], {
  stdio: ['ignore', 'ignore', 'inherit'],
});
const seconds = Number(process.hrtime.bigint() - started) / 1e9;

interface FunctionBundle {
  readonly name: string;
  readonly kb: number;
  readonly mapKb: number;
}
const bundles: FunctionBundle[] = [];
for (const file of readdirSync(outdir).filter((f) => f.endsWith('.template.json'))) {
  const template = JSON.parse(readFileSync(join(outdir, file), 'utf8')) as {
    Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
  };
  for (const resource of Object.values(template.Resources)) {
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (resource.Type !== 'AWS::Lambda::Function' || !assetPath) continue;
    const dir = join(outdir, assetPath);
    const size = (f: string) => {
      try {
        return statSync(join(dir, f)).size / 1024;
      } catch {
        return 0;
      }
    };
    bundles.push({
      name: (resource.Metadata?.['aws:cdk:path'] ?? assetPath).replace(/\/Resource$/, ''),
      kb: size('index.js') || size('index.mjs'),
      mapKb: size('index.js.map'),
    });
  }
}
rmSync(outdir, { recursive: true, force: true });

bundles.sort((a, b) => b.kb - a.kb);
const largest = bundles[0]?.kb ?? 0;
console.log(`bench/synth: whole-app synth of config "${institution}" with real bundling`);
console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), node ${process.version}`);
console.log(
  `synth wall time: ${seconds.toFixed(1)} s  (goal < ${GOAL_SECONDS} s: ${seconds < GOAL_SECONDS ? 'met' : 'MISSED'})`,
);
console.log(`Lambda bundles (minified index.js, source map beside it; goal <= ${GOAL_BUNDLE_KB} KB each):`);
for (const b of bundles) {
  console.log(`  ${b.kb.toFixed(1).padStart(7)} KB  (map ${b.mapKb.toFixed(0).padStart(4)} KB)  ${b.name}`);
}
console.log(
  `largest bundle: ${largest.toFixed(1)} KB (${largest <= GOAL_BUNDLE_KB ? 'met' : 'MISSED'}); ${bundles.length} functions`,
);
console.log(`reproduce: npm run bench:synth${institution === 'default' ? '' : ` -- ${institution}`}`);
