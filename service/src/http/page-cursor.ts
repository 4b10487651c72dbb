import * as z from 'zod';
import { HttpError } from './errors';

/*
 * A listing's page position: the ordering values of the last row it gave out, as base64url JSON, so the next
 * page starts after that row (keyset paging: as fast on page 100 as on page 1, and no row skipped when rows
 * are added before it). A cursor is the client's input like any other: decoded against the listing's own
 * schema, and refused as a 400 on `query.cursor` when it is not one this listing gave out.
 */

/** A name or title as a cursor holds it: text PostgreSQL can hold (no NUL), so a forged one is refused here. */
export const cursorText = z
  .string()
  .max(500)
  .refine((text) => !text.includes('\u0000'));

export function encodeCursor(values: readonly unknown[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor<T extends z.ZodType>(schema: T, cursor: string): z.infer<T> {
  const bad = () =>
    new HttpError(400, 'Invalid query.cursor', [
      { field: 'query.cursor', message: 'not a cursor this listing gave out' },
    ]);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad();
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw bad();
  return parsed.data;
}

/** The query fields of a paged listing: at most `max` rows a page, `fallback` when not asked. */
export const pageQuery = (fallback: number, max: number) => ({
  limit: z.coerce.number().int().min(1).max(max).default(fallback).describe(`rows a page, at most ${max}`),
  cursor: z
    .string()
    .min(1)
    .max(1024)
    .optional()
    .describe('the `cursor` of the previous page, for the page after it'),
});
