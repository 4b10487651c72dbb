import * as z from 'zod';
import { invalid } from './domain-error';

/*
 * Cursors of listings that page through a DynamoDB Query: the page's LastEvaluatedKey as base64url JSON.
 * A cursor comes back from the client, so it is checked against the keys this very listing hands out (its
 * partition fixed) before it becomes an ExclusiveStartKey: one listing's cursor cannot open another's.
 */

const keyPart = z.string().min(1).max(400);

/**
 * The key shape of one listing: the attributes its partition fixes (the table's or the index's partition
 * key), the other key attributes a LastEvaluatedKey of it holds, and the prefix its key condition gives the
 * sort key (DynamoDB refuses a start key outside the condition, which would otherwise answer 500).
 */
export function cursorShape(
  fixed: Readonly<Record<string, string>>,
  free: readonly string[],
  prefixes: Readonly<Record<string, string>> = {},
) {
  return z.strictObject({
    ...Object.fromEntries(
      free.map((name) => [name, prefixes[name] ? keyPart.startsWith(prefixes[name]) : keyPart]),
    ),
    ...Object.fromEntries(Object.entries(fixed).map(([name, value]) => [name, z.literal(value)])),
  });
}

const badCursor = () =>
  invalid('Invalid query.cursor', { field: 'query.cursor', message: 'not a cursor this listing gave out' });

export function decodeCursor(cursor: string, shape: z.ZodType): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  const parsed = shape.safeParse(json);
  if (!parsed.success) throw badCursor();
  return parsed.data as Record<string, unknown>;
}

export const encodeCursor = (key: Record<string, unknown> | undefined) =>
  key ? { cursor: Buffer.from(JSON.stringify(key), 'utf8').toString('base64url') } : {};
