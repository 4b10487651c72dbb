import { defaultRange, percent, popularRows } from '../../web/src/console/analytics/figures';

describe('the analytics screen’s figures', () => {
  it('starts with the twelve months up to this one, across a year’s turn', () => {
    expect(defaultRange(new Date(2027, 2, 15))).toEqual({ from: '2026-04', to: '2027-03' });
    expect(defaultRange(new Date(2026, 11, 31))).toEqual({ from: '2026-01', to: '2026-12' });
  });

  it('makes a row per month and course that had enrollments, in the API’s order', () => {
    const course = (title: string, enrollments: number) => ({ courseId: title, title, enrollments });
    expect(
      popularRows([
        { month: '2027-01', courses: [course('A', 3), course('B', 0)] },
        { month: '2027-02', courses: [] },
        { month: '2027-03', courses: [course('B', 2), course('A', 1)] },
      ]),
    ).toEqual([
      { month: '2027-01', courseId: 'A', title: 'A', enrollments: 3 },
      { month: '2027-03', courseId: 'B', title: 'B', enrollments: 2 },
      { month: '2027-03', courseId: 'A', title: 'A', enrollments: 1 },
    ]);
  });

  it('shows shares as percentages to one decimal', () => {
    expect([percent(0), percent(0.5), percent(0.6667), percent(1)]).toEqual([0, 50, 66.7, 100]);
  });
});
