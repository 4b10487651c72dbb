import { HttpError } from './problem';

/**
 * How deeply a request body may nest. No schema of the platform goes past a handful of levels; a bound far
 * above that and far below any recursion limit lets every walk that follows (validation, the NUL check,
 * logging) run on any body a parser accepts.
 */
export const MAX_JSON_DEPTH = 32;

const refusal = (message: string) =>
  new HttpError(400, 'The body is not valid JSON', [{ field: 'body', message }]);

/**
 * Measures the nesting of a JSON text without parsing it: one pass, no recursion, so a body of a million
 * brackets costs a loop over its bytes and never a stack.
 */
function depthWithin(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return false;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return true;
}

/**
 * Parses a request body as JSON for both runtimes (the Lambda routes and the core service), refusing with a
 * 400 naming `body` what is not JSON or nests deeper than MAX_JSON_DEPTH. Size is bounded before this, by
 * whoever read the body (API Gateway and Lambda's payload limits, the service's body limit).
 */
export function parseJsonBody(text: string): unknown {
  if (!depthWithin(text, MAX_JSON_DEPTH)) throw refusal(`nested deeper than ${MAX_JSON_DEPTH} levels`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw refusal('not valid JSON');
  }
}
