import * as z from 'zod';
import { ENV, VOD } from '#contracts/resources';

type EnvKey = keyof typeof ENV;

/**
 * Reads the named platform variables once, failing loudly at cold start if the infrastructure forgot one:
 * a missing variable is a deployment bug, not a request error.
 */
export function readEnv<K extends EnvKey>(...keys: K[]): Record<K, string> {
  const out = {} as Record<K, string>;
  const missing: string[] = [];
  for (const key of keys) {
    const value = process.env[ENV[key]];
    if (value === undefined || value === '') missing.push(ENV[key]);
    else out[key] = value;
  }
  if (missing.length > 0) throw new Error(`Missing environment: ${missing.join(', ')}`);
  return out;
}

/** readEnv for the video pipeline's variables (VOD.env). */
export function readVodEnv<K extends keyof typeof VOD.env>(...keys: K[]): Record<K, string> {
  const missing = keys.filter((k) => !process.env[VOD.env[k]]).map((k) => VOD.env[k]);
  if (missing.length > 0) throw new Error(`Missing environment: ${missing.join(', ')}`);
  return Object.fromEntries(keys.map((k) => [k, process.env[VOD.env[k]]!])) as Record<K, string>;
}

const count = z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** A video pipeline variable that holds a positive whole number (bytes, seconds, minutes). */
export function readVodCount(key: keyof typeof VOD.env): number {
  const parsed = count.safeParse(process.env[VOD.env[key]]);
  if (!parsed.success) throw new Error(`Missing or invalid environment: ${VOD.env[key]}`);
  return parsed.data;
}

export function readOptionalEnv(key: EnvKey): string | undefined {
  return process.env[ENV[key]] || undefined;
}

export const csv = (value: string | undefined): string[] =>
  z
    .string()
    .optional()
    .parse(value)
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean) ?? [];
