import type { ComplianceProfile } from '#contracts/compliance-profiles';
import { dayIn } from './days';

/**
 * Where a learner stands against the calendar:
 * - `progress-met`: enough lessons completed for the profile's progress rule (the course may still wait
 *   on exams, which are no matter of pace);
 * - `unreachable`: the lessons still needed can no longer be credited before the period ends (more than
 *   the daily cap allows on the days left, or no day left);
 * - `last-chance`: still closable, but not if today passes without work: the lessons needed are more than
 *   the days after today could credit. With a cap that is `needed > cap × (daysLeft − 1)`; without one it
 *   is the period's last day;
 * - `behind`: closable with a day to spare, but fewer lessons completed than an even pace over the period
 *   would have by now;
 * - `on-track`: none of these.
 */
export type PaceVerdict = 'progress-met' | 'on-track' | 'behind' | 'last-chance' | 'unreachable';

/** The verdicts a learner is reminded of: a gap they can still close. */
export const REMINDED_VERDICTS: readonly PaceVerdict[] = ['behind', 'last-chance'];

export interface PaceInput {
  readonly lessonsCompleted: number;
  readonly lessonsTotal: number;
  /** The provision's first and last day (inclusive), `YYYY-MM-DD` in the profile's time zone. */
  readonly periodStart: string;
  readonly periodEnd: string;
  /** A day (`YYYY-MM-DD`, in the profile's time zone) or an instant, whose day in that zone is taken. */
  readonly today: string | Date;
  readonly profile: ComplianceProfile;
}

export interface Pace {
  /** Lessons still to complete for the progress rule; 0 once it holds. */
  readonly lessonsNeeded: number;
  /** The lessons the progress rule asks for in all. */
  readonly lessonsRequired: number;
  /** Days of the period from today to its end, today included (the whole period before it begins). */
  readonly daysLeft: number;
  /** The most lessons the days left can still credit; null without a daily cap (unbounded). */
  readonly maxCreditable: number | null;
  /** Lessons an even pace over the period would have completed before today. */
  readonly expectedByToday: number;
  readonly verdict: PaceVerdict;
}

const DAY_MS = 86_400_000;
const dayNumber = (day: string) => Date.parse(`${day}T00:00:00Z`) / DAY_MS;

/**
 * The smallest number of lessons that satisfies the progress rule, decided by the same comparison as
 * `evaluateCompletion` (completed / total ≥ share): `Math.ceil(share × total)` alone would misjudge when
 * the product carries floating point noise (0.7 × 10 is 7.000000000000001).
 */
export function lessonsRequired(lessonsTotal: number, minProgressShare: number): number {
  if (lessonsTotal === 0) return 0;
  let k = Math.min(lessonsTotal, Math.max(0, Math.ceil(minProgressShare * lessonsTotal - 1e-9)));
  while (k > 0 && (k - 1) / lessonsTotal >= minProgressShare) k--;
  while (k < lessonsTotal && k / lessonsTotal < minProgressShare) k++;
  return k;
}

/**
 * The pace rule. Days are calendar days in the profile's time zone, as the daily cap counts them, and
 * today counts whole: the scan runs as the day begins, before any of today's cap is spent, so a learner
 * flagged `last-chance` can still close the gap by doing the cap today and every day after. The
 * reminder therefore comes on the last day the gap is closable at the latest (`last-chance`), and earlier
 * for a learner below an even pace (`behind`). Even pace: `floor(required × daysElapsed / periodDays)`
 * lessons before today, so a learner a fraction of a lesson short is not nagged. The cap counts a lesson
 * on every day it is credited, so `cap × daysLeft` is what the days left can complete when each remaining
 * lesson is watched within one day: the most, never a promise.
 */
export function paceOf(input: PaceInput): Pace {
  const { profile } = input;
  const today = typeof input.today === 'string' ? input.today : dayIn(input.today, profile.timeZone);
  const start = dayNumber(input.periodStart);
  const end = dayNumber(input.periodEnd);
  const now = dayNumber(today);
  const periodDays = Math.max(0, end - start + 1);
  const daysLeft = Math.max(0, Math.min(periodDays, end - now + 1));
  const elapsed = periodDays - daysLeft;
  const required = lessonsRequired(input.lessonsTotal, profile.courseCompletion.minProgressShare);
  const needed = Math.max(0, required - input.lessonsCompleted);
  const cap = profile.dailyLessonCap;
  const maxCreditable = cap === null ? null : cap * daysLeft;
  const expectedByToday = periodDays === 0 ? required : Math.floor((required * elapsed) / periodDays);
  const verdict = ((): PaceVerdict => {
    if (needed === 0) return 'progress-met';
    if (daysLeft === 0 || (maxCreditable !== null && needed > maxCreditable)) return 'unreachable';
    const closableFromTomorrow = cap === null ? daysLeft > 1 : needed <= cap * (daysLeft - 1);
    if (!closableFromTomorrow) return 'last-chance';
    return input.lessonsCompleted < expectedByToday ? 'behind' : 'on-track';
  })();
  return {
    lessonsNeeded: needed,
    lessonsRequired: required,
    daysLeft,
    maxCreditable,
    expectedByToday,
    verdict,
  };
}
