import type { paths } from '../../api/schema';

type Json<P extends keyof paths> = paths[P] extends {
  get: { responses: { 200: { content: { 'application/json': infer T } } } };
}
  ? T
  : never;
type Popular = Json<'/institutions/{institutionId}/analytics/popular-courses'>;
type Activity = Json<'/institutions/{institutionId}/analytics/activity'>;
type Completion = Json<'/institutions/{institutionId}/analytics/completion'>;

/** `YYYY-MM` of a date in the browser's calendar. */
export const monthOf = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;

/** The twelve months up to and including this one: what a manager looks at first. */
export function defaultRange(now = new Date()): { from: string; to: string } {
  return { from: monthOf(new Date(now.getFullYear(), now.getMonth() - 11, 1)), to: monthOf(now) };
}

export interface PopularRow {
  readonly month: string;
  readonly courseId: string;
  readonly title: string;
  readonly enrollments: number;
}

/** One row per month and course that had enrollments, months in order, most enrolled first within one. */
export function popularRows(data: Popular): PopularRow[] {
  return data.flatMap((m) =>
    m.courses
      .filter((c) => c.enrollments > 0)
      .map((c) => ({ month: m.month, courseId: c.courseId, title: c.title, enrollments: c.enrollments })),
  );
}

export const activityRows = (data: Activity) => [...data];

/** Each company and course of the pages loaded, labelled for the chart's axis. */
export const completionRows = (rows: readonly Completion['rows'][number][]) =>
  rows.map((r) => ({ ...r, label: `${r.companyName} · ${r.courseTitle}` }));

/** A share (0 to 1) as a percentage with one decimal, as the tables and charts show it. */
export const percent = (share: number) => Math.round(share * 1000) / 10;
