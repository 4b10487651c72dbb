import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { institutionConfigSchema, type InstitutionConfig } from './institution-config';

export const CONFIG_DIR = join(__dirname, '..', '..', 'config');

export class InvalidConfigError extends Error {
  constructor(file: string, problems: string[]) {
    super(`Invalid institution config ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'InvalidConfigError';
  }
}

/** Validates raw config data; the error names every offending field by its path. */
export function parseConfig(raw: unknown, file = '<config>'): InstitutionConfig {
  const result = institutionConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return `${path}: ${issue.message}`;
  });
  throw new InvalidConfigError(file, problems);
}

/** Loads `config/<name>.json`; `name` comes from `-c institution=<name>` and defaults to `default`. */
export function loadConfig(name = 'default', dir = CONFIG_DIR): InstitutionConfig {
  const available = () =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.replace(/\.json$/, ''));
  if (
    !z
      .string()
      .regex(/^[a-z0-9-]+$/)
      .safeParse(name).success
  ) {
    throw new InvalidConfigError(name, [
      `institution: "${name}" is not a config name (${available().join(', ')})`,
    ]);
  }
  const file = join(dir, `${name}.json`);
  if (!existsSync(file)) {
    throw new InvalidConfigError(file, [
      `institution: no config named "${name}"; available: ${available().join(', ')}`,
    ]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InvalidConfigError(file, [`(file): not valid JSON: ${(e as Error).message}`]);
  }
  return parseConfig(raw, file);
}
