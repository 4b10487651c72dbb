import * as z from 'zod';

const WEIGHTS = [1, 3, 7, 1, 3, 7, 1, 3, 5];

/**
 * Korean business registration numbers (사업자등록번호) end in a check digit: the weighted sum of the first
 * nine digits, plus the tenth part of the ninth digit times five, completes to a multiple of ten.
 */
export function isValidBusinessNumber(digits: string): boolean {
  if (!/^\d{10}$/.test(digits)) return false;
  const d = [...digits].map(Number);
  let sum = WEIGHTS.reduce((acc, w, i) => acc + d[i]! * w, 0);
  sum += Math.floor((d[8]! * 5) / 10);
  return (10 - (sum % 10)) % 10 === d[9];
}

/** Accepts `123-45-67890` or `1234567890`; yields the ten digits. */
export const businessNumber = z
  .string()
  .max(12)
  .transform((v) => v.replace(/-/g, ''))
  .refine(isValidBusinessNumber, 'not a valid business registration number (10 digits with a check digit)');
