import fc from 'fast-check';
import type * as z from 'zod';

/*
 * Values a zod schema accepts, as fast-check arbitraries: the valid request every fuzz case starts from
 * before it is broken. Read from zod 4's own definitions (`schema._zod.def`), so a route's schema is the
 * only source of what a field holds. Refinements (`.refine`, `patchOf`'s "at least one field") are met by
 * filtering; the domain may still refuse a base value (an unknown id, a date in the past), which the
 * properties allow for.
 */

export interface ValueOptions {
  /** Ids the seeded world holds: a uuid field takes one of them half the time, so requests reach the domain. */
  readonly ids?: readonly string[];
  /** Longest string or array a base value gets (schemas' own maxima above it are not approached). */
  readonly maxLength?: number;
}

interface Def {
  readonly type: string;
  readonly format?: string;
  readonly checks?: readonly { readonly _zod: { readonly def: CheckDef } }[];
  readonly [key: string]: unknown;
}
interface CheckDef {
  readonly check: string;
  readonly format?: string;
  readonly pattern?: RegExp;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly length?: number;
  readonly value?: number | bigint;
  readonly inclusive?: boolean;
}

/** Candidates drawn for a refined schema before settling for one it refuses. */
const REFINE_TRIES = 8;

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** A schema's own checks, and those of its string format (z.email() keeps its pattern on the def). */
function checksOf(def: Def): CheckDef[] {
  return (def.checks ?? []).map((c) => c._zod.def);
}

interface Bounds {
  min: number;
  max: number;
}

/** Length bounds from min_length/max_length/length_equals checks, clamped to what a base value needs. */
function lengthBounds(checks: CheckDef[], cap: number): Bounds {
  let min = 0;
  let max = Number.POSITIVE_INFINITY;
  for (const c of checks) {
    if (c.check === 'min_length' && c.minimum !== undefined) min = Math.max(min, c.minimum);
    if (c.check === 'max_length' && c.maximum !== undefined) max = Math.min(max, c.maximum);
    if (c.check === 'length_equals' && c.length !== undefined) min = max = c.length;
  }
  return { min, max: Math.max(min, Math.min(max, min + cap)) };
}

/** Letters and digits only: every string schema here trims, and none refuses these characters. */
const plainChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789');

function stringArbitrary(def: Def, options: Required<ValueOptions>): fc.Arbitrary<string> {
  const checks = checksOf(def);
  const format = def.format ?? checks.find((c) => c.check === 'string_format')?.format;
  const { min, max } = lengthBounds(checks, options.maxLength);
  const sized = (a: fc.Arbitrary<string>) => a.filter((s) => s.length >= min && s.length <= max);
  switch (format) {
    case 'uuid':
    case 'guid':
      return options.ids.length > 0
        ? fc.oneof(fc.constantFrom(...options.ids), fc.uuid({ version: 4 }))
        : fc.uuid({ version: 4 });
    case 'email':
      return sized(
        fc
          .tuple(
            fc.string({ unit: plainChar, minLength: 1, maxLength: 12 }),
            fc.constantFrom('a.example', 'b.test'),
          )
          .map(([local, domain]) => `${local}@${domain}.com`),
      );
    case 'url':
      return sized(fc.webUrl());
    case 'datetime':
      return fc
        .date({
          min: new Date('2020-01-01T00:00:00Z'),
          max: new Date('2030-12-31T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString());
    case 'date':
      return fc
        .date({
          min: new Date('2020-01-01T00:00:00Z'),
          max: new Date('2030-12-31T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString().slice(0, 10));
    case 'regex': {
      const pattern =
        checks.find((c) => c.format === 'regex')?.pattern ?? (def.pattern as RegExp | undefined);
      return pattern
        ? sized(fc.stringMatching(pattern))
        : fc.string({ unit: plainChar, minLength: min, maxLength: max });
    }
    default: {
      const pattern = checks.find((c) => c.format === 'regex')?.pattern;
      if (pattern) return sized(fc.stringMatching(pattern));
      return fc.string({ unit: plainChar, minLength: Math.max(min, 1), maxLength: Math.max(max, 1) });
    }
  }
}

function numberArbitrary(def: Def): fc.Arbitrary<number> {
  const checks = checksOf(def);
  const integer =
    ['safeint', 'int32', 'uint32'].includes(def.format ?? '') ||
    checks.some(
      (c) => c.check === 'number_format' && ['safeint', 'int32', 'uint32'].includes(c.format ?? ''),
    );
  let min = -1e6;
  let max = 1e6;
  let minExcluded = false;
  let maxExcluded = false;
  for (const c of checks) {
    if (c.check === 'greater_than' && c.value !== undefined) {
      min = Number(c.value);
      minExcluded = !c.inclusive;
    }
    if (c.check === 'less_than' && c.value !== undefined) {
      max = Number(c.value);
      maxExcluded = !c.inclusive;
    }
  }
  // Base values stay near the bounds that matter; the mutations bring the huge ones.
  if (max - min > 2e6) max = min + 2e6;
  if (integer) {
    return fc.integer({
      min: Math.ceil(minExcluded ? Math.floor(min) + 1 : min),
      max: Math.floor(maxExcluded ? Math.ceil(max) - 1 : max),
    });
  }
  return fc.double({ min, max, minExcluded, maxExcluded, noNaN: true, noDefaultInfinity: true });
}

/** Whether an object's key may be left out: optional, defaulted, or accepting undefined. */
function isOptional(schema: z.ZodType): boolean {
  const t = defOf(schema).type;
  return t === 'optional' || t === 'default' || t === 'prefault' || t === 'undefined';
}

/** An arbitrary of values the schema's types and checks accept (refinements aside). */
export function valuesOf(schema: z.ZodType, options: ValueOptions = {}): fc.Arbitrary<unknown> {
  const full: Required<ValueOptions> = { ids: options.ids ?? [], maxLength: options.maxLength ?? 24 };
  return arbitraryOf(schema, full);
}

function arbitraryOf(schema: z.ZodType, options: Required<ValueOptions>): fc.Arbitrary<unknown> {
  const values = typeOf(schema, options);
  // A refinement (a PATCH's "at least one field", a business number's check digit) is not solved: of a few
  // candidates the first it accepts is taken, else the first (a check digit is rarely met by chance; the
  // request is then refused for it, and the fuzz still checks that refusal).
  if (!checksOf(defOf(schema)).some((c) => c.check === 'custom')) return values;
  return fc
    .array(values, { minLength: REFINE_TRIES, maxLength: REFINE_TRIES })
    .map((candidates) => candidates.find((v) => schema.safeParse(v).success) ?? candidates[0]);
}

function typeOf(schema: z.ZodType, options: Required<ValueOptions>): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  const inner = (s: unknown) => arbitraryOf(s as z.ZodType, options);
  switch (def.type) {
    case 'string':
      return stringArbitrary(def, options);
    case 'number':
      return numberArbitrary(def);
    case 'bigint':
      return fc.bigInt({ min: -(10n ** 6n), max: 10n ** 6n });
    case 'boolean':
      return fc.boolean();
    case 'date':
      return fc.date({ noInvalidDate: true });
    case 'null':
      return fc.constant(null);
    case 'undefined':
    case 'void':
      return fc.constant(undefined);
    case 'literal':
      return fc.constantFrom(...(def.values as unknown[]));
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries as Record<string, string | number>));
    case 'array': {
      const { min, max } = lengthBounds(checksOf(def), 3);
      return fc.array(inner(def.element), { minLength: min, maxLength: max });
    }
    case 'tuple':
      return fc.tuple(...(def.items as z.ZodType[]).map(inner));
    case 'object': {
      const shape = def.shape as Record<string, z.ZodType>;
      const model = Object.fromEntries(Object.entries(shape).map(([k, s]) => [k, inner(s)]));
      const requiredKeys = Object.keys(shape).filter((k) => !isOptional(shape[k]!));
      return fc.record(model, { requiredKeys });
    }
    case 'record':
      return fc.dictionary(inner(def.keyType) as fc.Arbitrary<string>, inner(def.valueType), { maxKeys: 3 });
    case 'union':
      return fc.oneof(...(def.options as z.ZodType[]).map(inner));
    case 'intersection':
      // Objects on both sides, as the platform uses it: each side's fields together.
      return fc
        .tuple(inner(def.left), inner(def.right))
        .map(([a, b]) => ({ ...(a as object), ...(b as object) }));
    case 'optional':
      return fc.option(inner(def.innerType), { nil: undefined, freq: 4 });
    case 'nullable':
      return fc.option(inner(def.innerType), { nil: null, freq: 4 });
    case 'default':
    case 'prefault':
      return fc.option(inner(def.innerType), { nil: undefined, freq: 4 });
    case 'readonly':
    case 'catch':
    case 'nonoptional':
    case 'success':
      return inner(def.innerType);
    case 'pipe':
      // A transform's input is what the client sends.
      return defOf(def.in as z.ZodType).type === 'transform' ? inner(def.out) : inner(def.in);
    case 'lazy':
      return inner((def.getter as () => z.ZodType)());
    case 'any':
    case 'unknown':
      return fc.jsonValue({ maxDepth: 2 });
    default:
      throw new Error(`schema-values: no generator for zod type ${def.type}`);
  }
}
