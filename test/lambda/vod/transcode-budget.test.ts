import { budgetUsedUp, monthOf, resetDayOf, transcodeMinutesOf } from '#lambda/vod/transcode-budget';

describe('transcode budget', () => {
  it.each([
    ['2026-11-30T23:59:59.999Z', '2026-11'],
    ['2026-12-01T00:00:00.000Z', '2026-12'],
    // 09:00 in Seoul on 1 December is still November in UTC, where AWS bills.
    ['2026-12-01T09:00:00.000+09:00', '2026-12'],
    ['2026-12-01T08:59:59.000+09:00', '2026-11'],
  ])('counts %s in %s (UTC)', (at, month) => {
    expect(monthOf(new Date(at))).toBe(month);
  });

  it.each([
    ['2026-11', '2026-12-01'],
    ['2026-12', '2027-01-01'],
    ['2028-02', '2028-03-01'],
  ])('starts again after %s on %s', (month, day) => {
    expect(resetDayOf(month)).toBe(day);
  });

  it.each([
    [1, 1],
    [60_000, 1],
    [60_001, 2],
    [90_000, 2],
    [3_600_000, 60],
  ])('charges %i ms as %i minutes (rounded up, at least one)', (ms, minutes) => {
    expect(transcodeMinutesOf(ms)).toBe(minutes);
  });

  it('says what the budget is, what is used and when it starts again', () => {
    expect(budgetUsedUp({ month: '2026-11', used: 5990, budget: 6000 }, 12)).toBe(
      "The institution's transcoding budget of 6000 minutes for 2026-11 is used up " +
        '(5990 used, this video needs 12); it starts again on 2026-12-01 at 00:00 UTC',
    );
  });
});
