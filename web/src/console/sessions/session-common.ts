import type { paths } from '../../api/schema';

export type Session = paths['/sessions/{sessionId}']['get']['responses'][200]['content']['application/json'];

const pad = (n: number) => String(n).padStart(2, '0');

/** A moment as a `datetime-local` input holds it: the browser's own time, to the minute. */
export function toLocalInput(iso: string | Date): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * A `datetime-local` value as the API's instant (with its offset). What is not a moment is sent as typed,
 * so the API refuses it by its field.
 */
export function fromLocalInput(value: string): string {
  const d = new Date(value);
  return value && !Number.isNaN(d.getTime()) ? d.toISOString() : value;
}

/** A calendar day in the browser's time, `days` from now. */
export function dayFromNow(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
