import type { Locale } from '../i18n';

const tag = (locale: Locale) => (locale === 'ko' ? 'ko-KR' : 'en-GB');

/** A moment in the browser's own time zone, in the app's language: `2026. 3. 2. 오후 6:00`. */
export function formatMoment(iso: string, locale: Locale): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return new Intl.DateTimeFormat(tag(locale), { dateStyle: 'medium', timeStyle: 'short' }).format(at);
}

/**
 * A calendar day (`2026-03-02`) as written in the app's language. It names a day, not a moment, so it is
 * formatted in UTC, where it was parsed: the browser's zone must not move it to the day before.
 */
export function formatDay(day: string, locale: Locale): string {
  const at = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(at.getTime())) return day;
  return new Intl.DateTimeFormat(tag(locale), { dateStyle: 'medium', timeZone: 'UTC' }).format(at);
}

/** `2026. 3. 2. ~ 2026. 3. 6. 09:00–18:00`: a session's days, and its hours when it has them. */
export function sessionDates(
  s: {
    readonly startsOn: string;
    readonly endsOn: string;
    readonly startTime: string | null;
    readonly endTime: string | null;
  },
  locale: Locale,
): string {
  const days =
    s.startsOn === s.endsOn
      ? formatDay(s.startsOn, locale)
      : `${formatDay(s.startsOn, locale)} ~ ${formatDay(s.endsOn, locale)}`;
  return s.startTime && s.endTime ? `${days} ${s.startTime}–${s.endTime}` : days;
}
