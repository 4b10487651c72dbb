import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { institutionConfigSchema, type InstitutionConfig } from './institution-config';

export const CONFIG_DIR = join(__dirname, '..', '..', 'config');
/** The JSON Schema editors validate configs against (`npm run config:schema`); not a config itself. */
export const SCHEMA_FILE = 'institution.schema.json';

export class InvalidConfigError extends Error {
  constructor(file: string, problems: string[]) {
    super(`Invalid institution config ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'InvalidConfigError';
  }
}

/** zod's own issue: its union variant carries the issues of every alternative. */
type Issue = z.core.$ZodIssue;

/**
 * A union's issue says only "Invalid input"; when the value has the type of exactly one alternative (a string
 * where a string or a list is taken), that alternative's issues say what is wrong with it.
 */
function explained(issue: Issue): Issue[] {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return [issue];
  const ofTheRightType = issue.errors.filter(
    (branch) => !branch.some((i) => i.code === 'invalid_type' && i.path.length === 0),
  );
  if (ofTheRightType.length !== 1) return [issue];
  return ofTheRightType[0]!.flatMap((i) => explained({ ...i, path: [...issue.path, ...i.path] } as Issue));
}

/** Validates raw config data; the error names every offending field by its path. */
export function parseConfig(raw: unknown, file = '<config>'): InstitutionConfig {
  const result = institutionConfigSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap(explained).map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return `${path}: ${issue.message}`;
  });
  throw new InvalidConfigError(file, problems);
}

/** The configs under `dir`: every JSON file but the schema, by name, sorted. */
export function configNames(dir = CONFIG_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== SCHEMA_FILE)
    .map((f) => f.replace(/\.json$/, ''))
    .sort();
}

/**
 * `-c institution=` takes a config's name; the file's name (`acme.json`) or its path (`config/acme.json`)
 * name the same config, as a shell's completion writes them.
 */
export function configNameOf(given: string): string {
  return given.replace(/^(?:\.\/)?config\//, '').replace(/\.json$/, '');
}

/** Line and column (from 1) of a character offset in a text. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}

/** Parses a config file's JSON; a syntax error says where, as an editor counts lines and columns. */
function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    // V8 gives the offset ("at position 12"), or "line 2 column 3" itself in newer releases.
    const position = /at position (\d+)/.exec(message);
    const where =
      !/line \d+ column \d+/.test(message) && position
        ? (({ line, column }) => ` (line ${line}, column ${column})`)(
            lineAndColumn(text, Number(position[1])),
          )
        : '';
    throw new InvalidConfigError(file, [`(file): not valid JSON: ${message}${where}`]);
  }
}

/**
 * Loads `config/<name>.json`; `name` comes from `-c institution=<name>` (cdk.json's context names the fork's
 * default).
 */
export function loadConfig(given = 'default', dir = CONFIG_DIR): InstitutionConfig {
  const available = () => configNames(dir);
  const name = configNameOf(given);
  if (
    !z
      .string()
      .regex(/^[a-z0-9-]+$/)
      .safeParse(name).success
  ) {
    throw new InvalidConfigError(given, [
      `institution: "${given}" is not a config name: give the file's name under config/ without .json ` +
        `(${available().join(', ')})`,
    ]);
  }
  const file = join(dir, `${name}.json`);
  if (!existsSync(file)) {
    throw new InvalidConfigError(file, [
      `institution: no config named "${name}"; available: ${available().join(', ')}`,
    ]);
  }
  const config = parseConfig(parseJson(readFileSync(file, 'utf8'), file), file);
  const twin = sameStackNames(config, name, dir);
  if (twin) {
    throw new InvalidConfigError(file, [
      `institution.slug: "${config.institution.slug}" is also the slug of config/${twin}.json in the same ` +
        `account and region (${config.account}, ${config.region}): stacks are named <slug>-<stack>, so the ` +
        'two would deploy over each other; give one its own slug (for example with -dev at its end)',
    ]);
  }
  const keyTwin = sameKeyNames(config, name, dir);
  if (keyTwin) {
    throw new InvalidConfigError(file, [
      `video.signingKeys.regionalNames: config/${keyTwin}.json deploys slug "${config.institution.slug}" to ` +
        `another region of account ${config.account} with video too, and CloudFront ` +
        'names public keys account-wide: set regionalNames to true in the config of whichever platform is not ' +
        'deployed yet (a deployed key cannot be renamed)',
    ]);
  }
  return config;
}

/**
 * Another config under `dir` with this one's slug and account in another region, both with video, neither
 * naming its playback keys by region: their CloudFront public keys would have the same account-wide name.
 */
function sameKeyNames(config: InstitutionConfig, name: string, dir: string): string | undefined {
  if (!config.account || !config.region || !config.features.video) return undefined;
  if (config.video.signingKeys.regionalNames) return undefined;
  return configNames(dir).find((other) => {
    if (other === name) return false;
    try {
      const raw = JSON.parse(readFileSync(join(dir, `${other}.json`), 'utf8')) as {
        institution?: { slug?: unknown };
        account?: unknown;
        region?: unknown;
        features?: { video?: unknown };
        video?: { signingKeys?: { regionalNames?: unknown } };
      };
      return (
        raw.institution?.slug === config.institution.slug &&
        raw.account === config.account &&
        raw.region !== config.region &&
        raw.features?.video === true &&
        raw.video?.signingKeys?.regionalNames !== true
      );
    } catch {
      return false;
    }
  });
}

/**
 * Another config under `dir` bound to the same account and region with the same slug, whose stacks would have
 * this one's names. Only what that needs is read from the others, so a broken neighbour is no reason to refuse
 * this config (synth:all reports it on its own).
 */
function sameStackNames(config: InstitutionConfig, name: string, dir: string): string | undefined {
  if (!config.account || !config.region) return undefined;
  return configNames(dir).find((other) => {
    if (other === name) return false;
    try {
      const raw = JSON.parse(readFileSync(join(dir, `${other}.json`), 'utf8')) as Record<string, unknown>;
      const slug = (raw.institution as { slug?: unknown } | undefined)?.slug;
      return (
        slug === config.institution.slug && raw.account === config.account && raw.region === config.region
      );
    } catch {
      return false;
    }
  });
}
