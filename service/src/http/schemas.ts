import * as z from 'zod';

/** Text a person types: trimmed, not empty, at most `max` characters. */
export const text = (max: number) => z.string().trim().min(1).max(max);

export const phone = z
  .string()
  .regex(/^\+?[0-9-]{7,20}$/, 'a phone number: digits, hyphens, optional leading +');

/** A PATCH body: the creation schema's fields, all optional, at least one given. */
export const patchOf = <T extends z.ZodObject>(schema: T) =>
  schema.partial().refine((b) => Object.keys(b).length > 0, 'change at least one field');
