import { randomBytes } from 'node:crypto';

/**
 * A UUID version 7 (RFC 9562): the first 48 bits are the creation time in Unix milliseconds, so ids sort as
 * their things were made and a sort key of ids lists them in time order with no second attribute. The rest
 * is random, so two made in the same millisecond still differ.
 */
export function timeOrderedUuid(at: Date, random: (size: number) => Buffer = randomBytes): string {
  const bytes = random(16);
  const ms = BigInt(at.getTime());
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
