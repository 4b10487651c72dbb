import * as z from 'zod';

/*
 * The `Idempotency-Key` header a client may send with a create, so that its retry after a lost answer (a
 * timeout, a dropped connection) finds what the first attempt made instead of making it twice. The same key
 * from the same caller for the same kind of create names one thing; the client makes a new one per thing.
 */

/** HTTP header names arrive in lower case (API Gateway and the local runner both fold them). */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** Room for a UUID or a ULID, with or without a prefix; nothing that needs escaping in a key. */
export const idempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, '1 to 64 letters, digits, underscores or hyphens');

export const idempotencyKeyHeaders = z.object({ [IDEMPOTENCY_KEY_HEADER]: idempotencyKey.optional() });
