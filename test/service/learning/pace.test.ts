import { COMPLIANCE_PROFILES } from '#contracts/compliance-profiles';
import { lessonsRequired, paceOf } from '#service/learning/pace';
import { isoWeekOf } from '#service/learning/pace-reminders';

const kr = COMPLIANCE_PROFILES['kr-employer-training'];
const standard = COMPLIANCE_PROFILES.standard;

// 50 lessons: the progress rule (80%) asks for 40. December 2026, the 1st to the 30th.
const krCourse = {
  lessonsTotal: 50,
  periodStart: '2026-12-01',
  periodEnd: '2026-12-30',
  profile: kr,
};

describe('paceOf on the Korean profile (8 lessons a day by Korea time)', () => {
  it('with 40 lessons needed, is still closable with 5 days left and unreachable with 4', () => {
    const six = paceOf({ ...krCourse, lessonsCompleted: 0, today: '2026-12-25' });
    expect(six).toMatchObject({ lessonsNeeded: 40, daysLeft: 6, maxCreditable: 48, verdict: 'behind' });
    // 40 = 5 × 8: closable only by doing the cap today and every day after.
    const five = paceOf({ ...krCourse, lessonsCompleted: 0, today: '2026-12-26' });
    expect(five).toMatchObject({ lessonsNeeded: 40, daysLeft: 5, maxCreditable: 40, verdict: 'last-chance' });
    const four = paceOf({ ...krCourse, lessonsCompleted: 0, today: '2026-12-27' });
    expect(four).toMatchObject({ lessonsNeeded: 40, daysLeft: 4, maxCreditable: 32, verdict: 'unreachable' });
  });

  it('calls last-chance once the days after today could not close the gap, however little is left', () => {
    // 33 needed with 5 days left: 4 days after today credit 32, so today's work is needed.
    expect(paceOf({ ...krCourse, lessonsCompleted: 7, today: '2026-12-26' }).verdict).toBe('last-chance');
    // 32 needed: closable from tomorrow on; but below an even pace (25 days of 30 elapsed: 33 expected).
    expect(paceOf({ ...krCourse, lessonsCompleted: 8, today: '2026-12-26' }).verdict).toBe('behind');
    // The last day: anything up to 8 needed is closable today only.
    expect(paceOf({ ...krCourse, lessonsCompleted: 32, today: '2026-12-30' })).toMatchObject({
      lessonsNeeded: 8,
      daysLeft: 1,
      verdict: 'last-chance',
    });
    expect(paceOf({ ...krCourse, lessonsCompleted: 31, today: '2026-12-30' }).verdict).toBe('unreachable');
  });

  it("takes the day in Korea's time zone: 14:59:59Z is still that day, 15:00:00Z the next", () => {
    // 2026-12-26 in Seoul begins at 2026-12-25T15:00:00Z.
    const before = paceOf({ ...krCourse, lessonsCompleted: 0, today: new Date('2026-12-25T14:59:59Z') });
    expect(before).toMatchObject({ daysLeft: 6, verdict: 'behind' });
    const at = paceOf({ ...krCourse, lessonsCompleted: 0, today: new Date('2026-12-25T15:00:00Z') });
    expect(at).toMatchObject({ daysLeft: 5, verdict: 'last-chance' });
    // The last day ends at 14:59:59Z; a second later the period is over.
    const lastDay = { ...krCourse, periodEnd: '2026-12-10', lessonsCompleted: 38 };
    expect(paceOf({ ...lastDay, today: new Date('2026-12-10T14:59:59Z') })).toMatchObject({
      daysLeft: 1,
      verdict: 'last-chance',
    });
    expect(paceOf({ ...lastDay, today: new Date('2026-12-10T15:00:00Z') })).toMatchObject({
      daysLeft: 0,
      maxCreditable: 0,
      verdict: 'unreachable',
    });
  });

  it('judges an even pace in whole lessons before today', () => {
    // Day 16 of 30: 15 days elapsed, 40 × 15 / 30 = 20 expected.
    const day16 = { ...krCourse, today: '2026-12-16' };
    expect(paceOf({ ...day16, lessonsCompleted: 20 })).toMatchObject({
      expectedByToday: 20,
      verdict: 'on-track',
    });
    expect(paceOf({ ...day16, lessonsCompleted: 19 }).verdict).toBe('behind');
    // Day 2: 40 / 30 = 1.33 expected; one lesson done is on track, none is behind.
    expect(paceOf({ ...krCourse, today: '2026-12-02', lessonsCompleted: 1 }).verdict).toBe('on-track');
    expect(paceOf({ ...krCourse, today: '2026-12-02', lessonsCompleted: 0 }).verdict).toBe('behind');
    // The first day expects nothing yet.
    expect(paceOf({ ...krCourse, today: '2026-12-01', lessonsCompleted: 0 })).toMatchObject({
      expectedByToday: 0,
      daysLeft: 30,
      verdict: 'on-track',
    });
  });

  it('answers for a period of one day', () => {
    const oneDay = { lessonsTotal: 10, periodStart: '2026-12-10', periodEnd: '2026-12-10', profile: kr };
    // 8 needed, 8 creditable in the day.
    expect(paceOf({ ...oneDay, lessonsCompleted: 0, today: '2026-12-10' })).toMatchObject({
      lessonsNeeded: 8,
      daysLeft: 1,
      maxCreditable: 8,
      expectedByToday: 0,
      verdict: 'last-chance',
    });
    // 12 lessons: 10 needed, more than one day credits, from the start.
    expect(paceOf({ ...oneDay, lessonsTotal: 12, lessonsCompleted: 0, today: '2026-12-10' }).verdict).toBe(
      'unreachable',
    );
    // Before the period, the whole period is left.
    expect(paceOf({ ...oneDay, lessonsCompleted: 0, today: '2026-12-09' })).toMatchObject({
      daysLeft: 1,
      verdict: 'last-chance',
    });
    expect(paceOf({ ...oneDay, lessonsCompleted: 0, today: '2026-12-11' }).verdict).toBe('unreachable');
  });

  it('has nothing to ask of a course with no lessons', () => {
    expect(paceOf({ ...krCourse, lessonsTotal: 0, lessonsCompleted: 0, today: '2026-12-30' })).toMatchObject({
      lessonsNeeded: 0,
      lessonsRequired: 0,
      verdict: 'progress-met',
    });
  });

  it('is met once the rule holds, even after the period', () => {
    expect(paceOf({ ...krCourse, lessonsCompleted: 40, today: '2026-12-31' })).toMatchObject({
      lessonsNeeded: 0,
      verdict: 'progress-met',
    });
  });
});

describe('paceOf on the standard profile (no daily cap)', () => {
  const course = { lessonsTotal: 50, periodStart: '2026-12-01', periodEnd: '2026-12-30', profile: standard };

  it('is never unreachable before the period ends', () => {
    expect(paceOf({ ...course, lessonsCompleted: 0, today: '2026-12-29' })).toMatchObject({
      lessonsNeeded: 40,
      daysLeft: 2,
      maxCreditable: null,
      verdict: 'behind',
    });
    expect(paceOf({ ...course, lessonsCompleted: 0, today: '2026-12-30' }).verdict).toBe('last-chance');
  });

  it('is unreachable once the period ended, by UTC', () => {
    expect(paceOf({ ...course, lessonsCompleted: 0, today: new Date('2026-12-30T23:59:59Z') }).verdict).toBe(
      'last-chance',
    );
    expect(
      paceOf({ ...course, lessonsCompleted: 39, today: new Date('2026-12-31T00:00:00Z') }),
    ).toMatchObject({
      daysLeft: 0,
      verdict: 'unreachable',
    });
  });
});

describe('lessonsRequired', () => {
  it('agrees with the completion rule (completed / total ≥ share) despite floating point', () => {
    for (const share of [0.1, 0.3, 0.7, 0.8, 0.9, 1]) {
      for (let total = 1; total <= 200; total++) {
        const k = lessonsRequired(total, share);
        expect(k / total >= share).toBe(true);
        if (k > 0) expect((k - 1) / total >= share).toBe(false);
      }
    }
  });
});

describe('isoWeekOf', () => {
  it.each([
    ['2026-12-14', '2026-W51'],
    ['2026-12-20', '2026-W51'],
    ['2026-12-21', '2026-W52'],
    // 2026 begins on a Thursday: it has 53 weeks, the last reaching into 2027.
    ['2026-12-31', '2026-W53'],
    ['2027-01-03', '2026-W53'],
    ['2027-01-04', '2027-W01'],
    // A Monday that belongs to the next year's first week.
    ['2024-12-30', '2025-W01'],
    ['2026-01-01', '2026-W01'],
  ])('puts %s in %s', (day, week) => expect(isoWeekOf(day)).toBe(week));
});
