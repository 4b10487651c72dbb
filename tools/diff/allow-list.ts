import { readFile } from 'node:fs/promises';
import * as z from 'zod';

/**
 * `destructive-changes.json`: the stateful resources a change may replace or destroy on purpose. Each entry
 * names one resource of one stack and says why, so the reviewer of the pull request reads the reason beside
 * the diff and the entry stays in git history with the change that needed it.
 */
export const allowedChangeSchema = z.strictObject({
  /** The stack as the diff names it (its display name: `demo-data`, `example-academy-data`). */
  stack: z.string().min(1),
  logicalId: z.string().min(1),
  /** `replace` also covers "may be replaced"; `destroy` also covers a retained resource left orphaned. */
  change: z.enum(['replace', 'destroy']),
  reason: z.string().trim().min(1, 'say why losing this resource is intended'),
});

export const allowListSchema = z.strictObject({
  $schema: z.string().optional(),
  changes: z.array(allowedChangeSchema),
});

export type AllowedChange = z.infer<typeof allowedChangeSchema>;

export class InvalidAllowListError extends Error {
  override readonly name = 'InvalidAllowListError';
}

/** Validates the parsed JSON of an allow-list; `source` names it in the error. */
export function parseAllowList(json: unknown, source: string): AllowedChange[] {
  const parsed = allowListSchema.safeParse(json);
  if (!parsed.success) {
    throw new InvalidAllowListError(`${source} is not a valid allow-list:\n${z.prettifyError(parsed.error)}`);
  }
  return parsed.data.changes;
}

/** Reads an allow-list file; a missing file allows nothing (a repository needs none until it replaces data). */
export async function loadAllowList(file: string): Promise<AllowedChange[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InvalidAllowListError(`${file} is not JSON: ${(e as Error).message}`);
  }
  return parseAllowList(json, file);
}
