import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/*
 * What actionlint does not check in .github/workflows: every action pinned to a commit (a tag can be moved to
 * other code), and tokens with no permission a job does not name.
 */
const DIR = join(__dirname, '..', '.github', 'workflows');
const workflows = readdirSync(DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => [f, readFileSync(join(DIR, f), 'utf8')] as const);

/** The jobs' ids and texts: the lines indented by two spaces under `jobs:`, up to the next such line. */
function jobsOf(text: string): [string, string][] {
  const jobs = text.slice(text.search(/^jobs:$/m));
  return [...jobs.matchAll(/^ {2}([\w-]+):\n((?: {4}.*\n|\n)*)/gm)].map((m) => [m[1]!, m[2]!]);
}

describe.each(workflows)('workflow %s', (_, text) => {
  it('pins every action to a full commit SHA, its release named beside it', () => {
    const uses = [...text.matchAll(/^\s*(?:- )?uses:\s*(.*)$/gm)].map((m) => m[1]!);
    expect(uses.length).toBeGreaterThan(0);
    for (const use of uses) expect(use).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  it('grants nothing at the top and names each job’s permissions', () => {
    expect(text).toMatch(/^permissions: \{\}$/m);
    const jobs = jobsOf(text);
    expect(jobs.length).toBeGreaterThan(0);
    for (const [id, job] of jobs) expect([id, /^ {4}permissions:/m.test(job)]).toEqual([id, true]);
  });
});
