/** PostgreSQL's unique_violation: a row with the same key exists. */
export const isUniqueViolation = (e: unknown) => (e as { code?: string }).code === '23505';

/** Socket errors of a connection that could not be made or was lost. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);
/**
 * SQLSTATEs of a server that is going away or cannot take us now: connection exceptions (class 08),
 * admin or crash shutdown and "cannot connect now" (57P01-57P03), too many connections (53300).
 */
const UNAVAILABLE_STATES = /^(08...|57P0[1-3]|53300)$/;
/** What node-postgres says when a connection ends under a query, or the pool waited too long for one. */
const UNAVAILABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i;

/**
 * Whether an error means the database could not be reached (as opposed to refusing what was asked). Such a
 * request changed nothing it could not roll back: a transaction cut short is rolled back by the server.
 */
export function isDatabaseUnavailable(e: unknown): boolean {
  const { code, message } = (e ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.test(code))) return true;
  return typeof message === 'string' && UNAVAILABLE_MESSAGES.test(message);
}
