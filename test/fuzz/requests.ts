import fc from 'fast-check';

/*
 * Requests on the wire, and the ways the fuzz breaks a valid one. A request is built from its parts' values
 * (path parameters, query, body) and then one thing about it is changed: a field's value or presence, the
 * encoding of a path segment or of the query, the body's bytes or its content type. `target` names the field
 * a field-level change broke (`body.name`, `query.from`), so a 400 can be held to naming it.
 */

export type Part = 'path' | 'query' | 'body';
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The parts of a request before encoding. `body: undefined` sends none. */
export interface RequestValues {
  readonly params: Record<string, unknown>;
  readonly query: Record<string, unknown>;
  readonly body: unknown;
}

export interface WireRequest {
  readonly method: string;
  /** Path and query exactly as sent on the request line. */
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
  /** What was changed, for the log and for a failure's report. */
  readonly mutation: string;
  /** The field the change broke, when it was one field. */
  readonly target?: string;
  /** The values the server's schemas see, when the change left them exactly readable (no encoding tricks). */
  readonly values?: RequestValues;
}

/** One change to a valid request. */
export type Mutation = (values: RequestValues, route: { method: string; path: string }) => WireRequest;

const RAW = '\u0000raw:';
/** A JSON token written verbatim into the body (numbers JSON.stringify cannot write, nesting, broken text). */
const raw = (text: string) => `${RAW}${text}`;

/** JSON text of a value, with raw(...) strings written as their text. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0000raw:((?:[^"\\]|\\.)*)"/g, (_m, s: string) =>
    JSON.parse(`"${s}"`),
  );
}

/**
 * Percent-encodes as a browser would, except that a lone surrogate (which encodeURIComponent refuses) is
 * written as the three bytes UTF-8 would give it: an invalid sequence the server has to refuse or replace.
 */
export function percentEncode(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        out += encodeURIComponent(text.slice(i, i + 2));
        i++;
        continue;
      }
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      out += `%${(0xe0 | (c >> 12)).toString(16).toUpperCase()}%${(0x80 | ((c >> 6) & 0x3f)).toString(16).toUpperCase()}%${(0x80 | (c & 0x3f)).toString(16).toUpperCase()}`;
    } else out += encodeURIComponent(text[i]!);
  }
  return out;
}

const hasLoneSurrogate = (s: string) =>
  /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

/** A query value as it travels: arrays repeat the key, objects use the bracket notation some parsers read. */
function queryPairs(key: string, value: unknown): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap((v) => queryPairs(key, v));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => queryPairs(`${key}[${k}]`, v));
  if (value === null) return [percentEncode(key)];
  return [`${percentEncode(key)}=${percentEncode(String(value))}`];
}

export function queryString(query: Record<string, unknown>): string {
  return Object.entries(query)
    .flatMap(([k, v]) => queryPairs(k, v))
    .join('&');
}

export function fillPath(
  path: string,
  params: Record<string, unknown>,
  rawSegments: Record<string, string> = {},
) {
  return path.replace(/:(\w+)/g, (_m, name: string) =>
    name in rawSegments ? rawSegments[name]! : percentEncode(String(params[name] ?? '')),
  );
}

/** The request as built from valid values, with only `changes` applied on the wire. */
function wire(
  route: { method: string; path: string },
  values: RequestValues,
  changes: {
    mutation: string;
    target?: string;
    exact?: boolean;
    rawSegments?: Record<string, string>;
    extraQuery?: string;
    body?: Buffer | null;
    contentType?: string | null;
  },
): WireRequest {
  const qs = [queryString(values.query), changes.extraQuery].filter(Boolean).join('&');
  const url = fillPath(route.path, values.params, changes.rawSegments) + (qs ? `?${qs}` : '');
  const body =
    changes.body === undefined
      ? values.body === undefined
        ? undefined
        : Buffer.from(jsonText(values.body))
      : (changes.body ?? undefined);
  const contentType =
    changes.contentType === undefined ? (body ? 'application/json' : undefined) : changes.contentType;
  return {
    method: route.method,
    url,
    headers: contentType === undefined || contentType === null ? {} : { 'content-type': contentType },
    ...(body ? { body } : {}),
    mutation: changes.mutation,
    ...(changes.target ? { target: changes.target } : {}),
    ...(changes.exact === false ? {} : { values }),
  };
}

/** The route's own valid request, unchanged. */
export const unchanged: Mutation = (values, route) => wire(route, values, { mutation: 'none' });

type Path = readonly (string | number)[];

/** Every place inside a value a change can go: each object key and array element, at any depth. */
function placesIn(value: unknown, at: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => [[...at, i], ...placesIn(v, [...at, i])]);
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => [[...at, k], ...placesIn(v, [...at, k])]);
  return [];
}

/** Objects inside a value (itself included), where a key can be added. */
function objectsIn(value: unknown, at: Path = []): Path[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => objectsIn(v, [...at, i]));
  if (value !== null && typeof value === 'object')
    return [at, ...Object.entries(value).flatMap(([k, v]) => objectsIn(v, [...at, k]))];
  return [];
}

/** A copy of `value` with the thing at `path` replaced (or removed, for REMOVE). */
const REMOVE = Symbol('remove');
function setAt(value: unknown, path: Path, to: unknown): unknown {
  if (path.length === 0) return to;
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...value];
    if (rest.length === 0 && to === REMOVE) copy.splice(head as number, 1);
    else copy[head as number] = setAt(copy[head as number], rest, to);
    return copy;
  }
  const copy = { ...(value as Record<string, unknown>) };
  if (rest.length === 0 && to === REMOVE) delete copy[head as string];
  else copy[head as string] = setAt(copy[head as string], rest, to);
  return copy;
}
const getAt = (value: unknown, path: Path): unknown =>
  path.reduce<unknown>((v, k) => (v as Record<string | number, unknown>)?.[k], value);

const nested = (depth: number, open: string, close: string, leaf = '1') =>
  open.repeat(depth) + leaf + close.repeat(depth);

/** Strings no schema of the platform should take as they are. */
const oddStrings = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u0007\u001b[31m',
  '\u007f',
  '\u2028\u2029',
  '\ufeff',
  '\ud800',
  'a\udfffb',
  '\ud83d',
  '𝕏\u0301',
  '../../etc/passwd',
  '..\\..\\windows',
  '%2e%2e%2f',
  "' or 1=1 --",
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  '-0',
  'NaN',
  'Infinity',
  '1e309',
  '00000000-0000-0000-0000-000000000000',
  '00000000-0000-4000-8000-00000000000G',
];

/** Values of the wrong type, or with sizes and magnitudes past every bound. */
const replacementValue: fc.Arbitrary<{ label: string; value: unknown }> = fc.oneof(
  fc
    .constantFrom<unknown>(42, -1, 0, 0.5, true, false, null, [], {}, 'text', [1, 2], { a: 1 })
    .map((value) => ({
      label: `wrong type ${JSON.stringify(value)}`,
      value,
    })),
  fc.constantFrom(...oddStrings).map((value) => ({ label: `odd string ${JSON.stringify(value)}`, value })),
  fc
    .constantFrom(
      '1e400',
      '-1e400',
      '9007199254740993',
      '1e308',
      '-1e308',
      '123456789012345678901234567890',
      '-0',
      '5e-324',
      '2147483648',
      '-2147483649',
    )
    .map((n) => ({ label: `huge number ${n}`, value: raw(n) })),
  fc.constantFrom(300, 5000, 70_000).map((n) => ({ label: `string of ${n}`, value: 'x'.repeat(n) })),
  fc
    .constantFrom(33, 200, 5000)
    .map((n) => ({ label: `array nested ${n} deep`, value: raw(nested(n, '[', ']')) })),
  fc
    .constantFrom(33, 200)
    .map((n) => ({ label: `object nested ${n} deep`, value: raw(nested(n, '{"a":', '}')) })),
  fc.constantFrom(1000, 20_000).map((n) => ({ label: `array of ${n}`, value: new Array<number>(n).fill(1) })),
);

const extraKeys = ['extra', '__proto__', 'constructor', 'prototype', '', 'toString', '$where'];

const partValue = (values: RequestValues, part: Part): unknown =>
  part === 'path' ? values.params : part === 'query' ? values.query : values.body;
const withPart = (values: RequestValues, part: Part, to: unknown): RequestValues =>
  part === 'path'
    ? { ...values, params: to as Record<string, unknown> }
    : part === 'query'
      ? { ...values, query: to as Record<string, unknown> }
      : { ...values, body: to };
const fieldName = (part: Part, path: Path) => [part, ...path.map(String)].join('.');

/**
 * Whether values survive the trip as they are: a body's JSON always does; a path or query value does when it is
 * a string (or a list of them, for the query) that encodes to UTF-8 and that no parser splits or trims.
 */
function exactOnWire(part: Part, value: unknown): boolean {
  if (part === 'body') return true;
  const plain = (v: unknown) =>
    typeof v === 'string' && !hasLoneSurrogate(v) && !/[,+%\s]/.test(v) && v !== '' && !v.includes('/');
  return Object.values(value as Record<string, unknown>).every(
    (v) => plain(v) || typeof v === 'number' || (part === 'query' && Array.isArray(v) && v.every(plain)),
  );
}

/** Changes one field of one part: its value, its presence, or a key beside it. */
function fieldMutations(values: RequestValues, parts: readonly Part[]): fc.Arbitrary<Mutation>[] {
  const out: fc.Arbitrary<Mutation>[] = [];
  for (const part of parts) {
    const value = partValue(values, part);
    const places = placesIn(value);
    if (places.length > 0) {
      out.push(
        fc
          .tuple(fc.constantFrom(...places), replacementValue)
          .map(([path, { label, value: to }]): Mutation => (v, route) => {
            const changed = withPart(v, part, setAt(partValue(v, part), path, to));
            // A raw token or a number in a path or query is only text there.
            const onWire =
              part === 'body' || typeof to !== 'string' || !to.startsWith(RAW)
                ? changed
                : withPart(v, part, setAt(partValue(v, part), path, to.slice(RAW.length)));
            // A body nested past MAX_JSON_DEPTH is refused whole, before any field is read.
            const shown = label.includes('nested') && part === 'body' ? 'body' : fieldName(part, path);
            return part === 'path'
              ? wire(route, onWire, {
                  mutation: `${shown}: ${label}`,
                  target: shown,
                  exact: exactOnWire(part, partValue(onWire, part)),
                  rawSegments: {
                    [String(path[0])]: percentEncode(String(getAt(partValue(onWire, part), path) ?? '')),
                  },
                })
              : wire(route, onWire, {
                  mutation: `${shown}: ${label}`,
                  target: shown,
                  exact: exactOnWire(part, partValue(onWire, part)),
                });
          }),
      );
      if (part !== 'path')
        out.push(
          fc.constantFrom(...places).map(
            (path): Mutation =>
              (v, route) =>
                wire(route, withPart(v, part, setAt(partValue(v, part), path, REMOVE)), {
                  mutation: `${fieldName(part, path)}: removed`,
                  // An element taken out of a list changes the list (its length), not the element.
                  target: fieldName(part, typeof path.at(-1) === 'number' ? path.slice(0, -1) : path),
                }),
          ),
        );
    }
    const objects = part === 'path' ? [] : objectsIn(value);
    if (objects.length > 0)
      out.push(
        fc
          .tuple(fc.constantFrom(...objects), fc.constantFrom(...extraKeys))
          .map(([path, key]): Mutation => (v, route) => {
            const obj = getAt(partValue(v, part), path) as Record<string, unknown>;
            if (key in obj) return unchanged(v, route);
            const next = { ...obj };
            // Defined as an own property, so `__proto__` is a key on the wire and not a prototype here.
            Object.defineProperty(next, key, {
              value: 'x',
              enumerable: true,
              writable: true,
              configurable: true,
            });
            return wire(route, withPart(v, part, setAt(partValue(v, part), path, next)), {
              mutation: `${fieldName(part, [...path, key])}: extra key`,
              target: fieldName(part, [...path, key]),
              exact: key !== '__proto__' && key !== '',
            });
          }),
      );
  }
  return out;
}

/** Path segments that tools and parsers read differently: traversal, backslashes, broken percent-encoding. */
const oddSegments = [
  '..%2f..%2f',
  '..%2F',
  '%2e%2e',
  '%2e%2e%2f%2e%2e%2f',
  '..%5c..%5c',
  '%5c',
  '\\',
  '..\\..\\',
  '%00',
  '%',
  '%ZZ',
  '%C0%AE%C0%AE%C0%AF',
  '%E0%80%AF',
  '%ED%A0%80',
  '%FF%FE',
  '%252e%252e%252f',
  '%25',
  '%2F',
  ';x',
  '%3B',
  '.',
  '..',
  'x'.repeat(2000),
  'x'.repeat(20_000),
  '%F0%9F%98%80',
  '%0d%0aX-Injected:%201',
];

/** Query texts past what a form would send: broken or doubled encodings, repeated keys, parser tricks. */
const oddQueries = [
  '%',
  '%zz=1',
  'a=%zz',
  'a=%C0%AF',
  'a=%E0%80%80',
  'a=%ED%A0%80',
  'a=%FF',
  'a=%252f',
  'a=..%2f..%2f',
  'a=b\\c',
  '+=+',
  'a[]=1',
  'a[b]=1',
  '=x',
  '&&&',
  '__proto__=1',
  'constructor[prototype][x]=1',
  'a=1&a=2&a=3',
  `a=${'x'.repeat(10_000)}`,
  `${'k'.repeat(5000)}=1`,
];

/** Changes to the request as a whole: its encodings, its body's bytes and its content type. */
function requestMutations(
  values: RequestValues,
  route: { method: string; path: string },
): fc.Arbitrary<Mutation>[] {
  const out: fc.Arbitrary<Mutation>[] = [];
  const params = Object.keys(values.params);
  if (params.length > 0)
    out.push(
      fc.tuple(fc.constantFrom(...params), fc.constantFrom(...oddSegments)).map(
        ([name, segment]): Mutation =>
          (v, r) =>
            wire(r, v, {
              mutation: `path.${name}: segment ${JSON.stringify(segment.slice(0, 40))}`,
              exact: false,
              rawSegments: { [name]: segment },
            }),
      ),
    );
  out.push(
    fc.constantFrom(...oddQueries).map(
      (q): Mutation =>
        (v, r) =>
          wire(r, v, { mutation: `query: ${JSON.stringify(q.slice(0, 40))}`, exact: false, extraQuery: q }),
    ),
  );
  // Every key the query has, sent twice: API Gateway joins them with commas, Fastify makes a list.
  const queryKeys = Object.keys(values.query).filter((k) => values.query[k] !== undefined);
  if (queryKeys.length > 0)
    out.push(
      fc.constantFrom(...queryKeys).map(
        (key): Mutation =>
          (v, r) =>
            wire(r, v, {
              mutation: `query.${key}: repeated`,
              target: `query.${key}`,
              exact: false,
              extraQuery: queryPairs(key, v.query[key]).join('&'),
            }),
      ),
    );
  if (route.method !== 'GET') {
    const bodies: [string, Buffer | null][] = [
      ['no body', null],
      ['empty', Buffer.from('')],
      ['whitespace', Buffer.from(' \n\t ')],
      ['null', Buffer.from('null')],
      ['array', Buffer.from('[]')],
      ['string', Buffer.from('"x"')],
      ['number', Buffer.from('1e400')],
      ['truncated', Buffer.from('{"a":')],
      ['not JSON', Buffer.from('name=x&y=1')],
      [
        'invalid UTF-8',
        Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0xaf, 0x22, 0x7d]),
      ],
      ['a BOM before JSON', Buffer.from(`\ufeff${jsonText(values.body ?? {})}`)],
      ['duplicate keys', Buffer.from(`{"a":1,"a":2}`)],
      ['a __proto__ key', Buffer.from('{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}')],
      ['nested 10000 deep', Buffer.from(nested(10_000, '[', ']'))],
      ['2 MiB', Buffer.from(`{"a":"${'x'.repeat(2 * 1024 * 1024)}"}`)],
    ];
    out.push(
      fc
        .tuple(
          fc.constantFrom(...bodies),
          fc.constantFrom<string | null>('application/json', null, 'text/plain'),
        )
        .map(
          ([[label, body], type]): Mutation =>
            (v, r) =>
              wire(r, v, {
                mutation: `body: ${label} as ${type ?? 'no content type'}`,
                exact: false,
                body,
                contentType: type,
              }),
        ),
    );
    const types = [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      'application/jsonx',
      'APPLICATION/JSON',
      'application/problem+json',
      'application/json, text/plain',
      'application/xml',
      '',
      '*/*',
      ';;;',
    ];
    out.push(
      fc.constantFrom(...types).map(
        (type): Mutation =>
          (v, r) =>
            wire(r, v, {
              mutation: `content-type ${JSON.stringify(type)}`,
              exact: false,
              body: Buffer.from(jsonText(v.body ?? {})),
              contentType: type,
            }),
      ),
    );
  }
  return out;
}

/** One change to the given valid request: mostly to one field, else to the request as a whole. */
export function mutationsOf(
  values: RequestValues,
  route: { method: string; path: string },
): fc.Arbitrary<Mutation> {
  const parts = (['path', 'query', 'body'] as const).filter((p) => {
    const v = partValue(values, p);
    return v !== undefined && v !== null;
  });
  const field = fieldMutations(values, parts);
  const whole = requestMutations(values, route);
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(unchanged) },
    ...field.map((arbitrary) => ({ weight: 3, arbitrary })),
    ...whole.map((arbitrary) => ({ weight: 2, arbitrary })),
  );
}
