import { createHash } from 'node:crypto';

/**
 * A UUID (version 8, custom) derived from what a create request said, so that the same request retried after
 * a timeout names the same thing, and a conditional write of it finds the first one instead of making a
 * second.
 */
export function derivedUuid(...parts: readonly unknown[]): string {
  const hex = createHash('sha256').update(JSON.stringify(parts)).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
