import { useMemo, useState, type FormEvent } from 'react';
import { useApi } from '../../api/api-context';
import { fieldError, type Problem } from '../../api/problem';
import type { paths } from '../../api/schema';
import { useLocale, useT, type Messages } from '../../i18n';
import { DataTable, type Column } from '../../ui/data-table';
import { FieldError, ProblemAlert } from '../../ui/problem-alert';
import { useLoad, type Loaded } from '../../ui/use-load';
import { usePages, type Pages } from '../../ui/use-pages';

/** Rows a listing loads at a time: a screenful that keeps the chart readable. */
const PAGE_ROWS = 50;
import { ManagedInstitution } from '../institution/managed-institution';
import { Chart, type ChartOption } from './chart';
import { activityRows, completionRows, defaultRange, percent, popularRows, type PopularRow } from './figures';
import '../institution/insights.css';
import './analytics.css';

type Json<P extends keyof paths> = paths[P] extends {
  get: { responses: { 200: { content: { 'application/json': infer T } } } };
}
  ? T
  : never;
type Activity = Json<'/institutions/{institutionId}/analytics/activity'>[number];
type Completion = Json<'/institutions/{institutionId}/analytics/completion'>['rows'][number];
// Most rated first, as the API pages them.
type Rating = Json<'/institutions/{institutionId}/analytics/ratings'>['courses'][number];

const messages: Messages<
  | 'title'
  | 'loading'
  | 'range'
  | 'from'
  | 'to'
  | 'show'
  | 'period'
  | 'month'
  | 'quarter'
  | 'popular'
  | 'popularChart'
  | 'activity'
  | 'activityChart'
  | 'completion'
  | 'completionChart'
  | 'ratings'
  | 'ratingsChart'
  | 'course'
  | 'company'
  | 'enrollments'
  | 'provisions'
  | 'companies'
  | 'learners'
  | 'enrolled'
  | 'attended'
  | 'completed'
  | 'completionRate'
  | 'attendanceRate'
  | 'liveRate'
  | 'ratingCount'
  | 'average'
  | 'stars'
  | 'star'
  | 'noFigures'
  | 'more'
  | 'shown'
> = {
  ko: {
    title: '통계',
    loading: '불러오는 중…',
    range: '기간',
    from: '시작 월',
    to: '끝 월',
    show: '보기',
    period: '활동 집계 단위',
    month: '월별',
    quarter: '분기별',
    popular: '인기 강좌',
    popularChart: '월별 강좌 수강 신청 수 (막대 그래프)',
    activity: '운영 현황',
    activityChart: '기간별 운영 과정, 회사, 수강생 수 (막대 그래프)',
    completion: '회사별 수료 현황',
    completionChart: '회사와 강좌별 수료율 (막대 그래프)',
    ratings: '강좌 평점',
    ratingsChart: '강좌별 별점 분포 (누적 막대 그래프)',
    course: '강좌',
    company: '회사',
    enrollments: '수강 신청',
    provisions: '운영 과정',
    companies: '회사',
    learners: '수강생',
    enrolled: '수강생',
    attended: '참여',
    completed: '수료',
    completionRate: '수료율 (%)',
    attendanceRate: '참여율 (%)',
    liveRate: '실시간 강의 출석률 (%)',
    ratingCount: '평가 수',
    average: '평균',
    stars: '{n}점',
    star: '{n}점',
    noFigures: '이 기간에는 수치가 없습니다.',
    more: '더 보기',
    shown: '{n}개 표시 중',
  },
  en: {
    title: 'Analytics',
    loading: 'Loading…',
    range: 'Period',
    from: 'From month',
    to: 'To month',
    show: 'Show',
    period: 'Activity by',
    month: 'Month',
    quarter: 'Quarter',
    popular: 'Popular courses',
    popularChart: 'Enrollments per course and month (bar chart)',
    activity: 'Activity',
    activityChart: 'Running provisions, companies and learners per period (bar chart)',
    completion: 'Completion per company',
    completionChart: 'Completion rate per company and course (bar chart)',
    ratings: 'Course ratings',
    ratingsChart: 'Spread of star ratings per course (stacked bar chart)',
    course: 'Course',
    company: 'Company',
    enrollments: 'Enrollments',
    provisions: 'Running provisions',
    companies: 'Companies',
    learners: 'Learners',
    enrolled: 'Enrolled',
    attended: 'Attended',
    completed: 'Completed',
    completionRate: 'Completion rate (%)',
    attendanceRate: 'Attendance rate (%)',
    liveRate: 'Live attendance rate (%)',
    ratingCount: 'Ratings',
    average: 'Average',
    stars: '{n} stars',
    star: '{n} star',
    noFigures: 'There are no figures for this period.',
    more: 'Show more',
    shown: '{n} shown',
  },
};

/** The institution's analytics: four charts, each with its figures in a table that sorts, filters and exports. */
export default function AnalyticsScreen() {
  const t = useT(messages);
  return (
    <ManagedInstitution title={t('title')}>
      {(institution) => <Analytics institutionId={institution.id} />}
    </ManagedInstitution>
  );
}

function Analytics({ institutionId }: { institutionId: string }) {
  const api = useApi();
  const t = useT(messages);
  const { locale } = useLocale();
  const [range, setRange] = useState(defaultRange);
  const [draft, setDraft] = useState(range);
  const [period, setPeriod] = useState<'month' | 'quarter'>('month');
  const path = { institutionId };
  const popular = useLoad(
    () =>
      api.GET('/institutions/{institutionId}/analytics/popular-courses', {
        params: { path, query: range },
      }),
    [api, institutionId, range],
  );
  const activity = useLoad(
    () =>
      api.GET('/institutions/{institutionId}/analytics/activity', {
        params: { path, query: { ...range, period } },
      }),
    [api, institutionId, range, period],
  );
  const completion = usePages(
    (cursor) =>
      api.GET('/institutions/{institutionId}/analytics/completion', {
        params: { path, query: { limit: PAGE_ROWS, ...(cursor ? { cursor } : {}) } },
      }),
    (data) => data,
    [api, institutionId],
  );
  const ratings = usePages(
    (cursor) =>
      api.GET('/institutions/{institutionId}/analytics/ratings', {
        params: { path, query: { limit: PAGE_ROWS, ...(cursor ? { cursor } : {}) } },
      }),
    (data) => ({ rows: data.courses, cursor: data.cursor }),
    [api, institutionId],
  );
  // The range's refusal, from whichever of its two calls made it, beside the month it names.
  const rangeProblem: Problem | undefined =
    popular.status === 'failed'
      ? popular.problem
      : activity.status === 'failed'
        ? activity.problem
        : undefined;
  const fromError = fieldError(rangeProblem, 'query.from');
  const toError = fieldError(rangeProblem, 'query.to');
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setRange(draft);
  };
  const number = useMemo(() => new Intl.NumberFormat(locale === 'ko' ? 'ko-KR' : 'en-GB'), [locale]);

  return (
    <>
      <h1>{t('title')}</h1>
      <form className="analytics-filters" onSubmit={apply} noValidate>
        <fieldset>
          <legend>{t('range')}</legend>
          <div className="insights-field">
            <label htmlFor="analytics-from">{t('from')}</label>
            <input
              id="analytics-from"
              type="month"
              value={draft.from}
              onChange={(e) => setDraft({ ...draft, from: e.target.value })}
              aria-invalid={fromError ? true : undefined}
              aria-describedby={fromError ? 'analytics-from-error' : undefined}
            />
            <FieldError id="analytics-from-error" message={fromError} />
          </div>
          <div className="insights-field">
            <label htmlFor="analytics-to">{t('to')}</label>
            <input
              id="analytics-to"
              type="month"
              value={draft.to}
              onChange={(e) => setDraft({ ...draft, to: e.target.value })}
              aria-invalid={toError ? true : undefined}
              aria-describedby={toError ? 'analytics-to-error' : undefined}
            />
            <FieldError id="analytics-to-error" message={toError} />
          </div>
          <button type="submit">{t('show')}</button>
        </fieldset>
        <fieldset>
          <legend>{t('period')}</legend>
          {(['month', 'quarter'] as const).map((p) => (
            <label key={p} className="analytics-radio">
              <input
                type="radio"
                name="analytics-period"
                value={p}
                checked={period === p}
                onChange={() => setPeriod(p)}
              />
              {t(p)}
            </label>
          ))}
        </fieldset>
      </form>
      {rangeProblem && !fromError && !toError ? <ProblemAlert problem={rangeProblem} /> : null}

      <Section id="analytics-popular" title={t('popular')} loaded={popular} hideProblem>
        {(data) => {
          const rows = popularRows(data);
          const months = data.map((m) => m.month);
          const courses = [...new Set(rows.map((r) => r.title))];
          return (
            <Figures
              label={t('popularChart')}
              option={{
                legend: { type: 'scroll', top: 0 },
                grid: { containLabel: true, left: 8, right: 8, top: 40, bottom: 8 },
                xAxis: { type: 'category', data: months },
                yAxis: { type: 'value', minInterval: 1 },
                series: courses.map((title) => ({
                  type: 'bar',
                  name: title,
                  stack: 'enrollments',
                  data: months.map(
                    (m) => rows.find((r) => r.month === m && r.title === title)?.enrollments ?? 0,
                  ),
                })),
              }}
              empty={rows.length === 0 ? t('noFigures') : undefined}
              table={
                <DataTable<PopularRow>
                  caption={t('popular')}
                  fileName="popular-courses"
                  rows={rows}
                  rowKey={(r) => `${r.month}/${r.courseId}`}
                  columns={[
                    { key: 'month', header: t('month'), value: (r) => r.month },
                    { key: 'course', header: t('course'), value: (r) => r.title },
                    {
                      key: 'enrollments',
                      header: t('enrollments'),
                      value: (r) => r.enrollments,
                      numeric: true,
                    },
                  ]}
                />
              }
            />
          );
        }}
      </Section>

      <Section id="analytics-activity" title={t('activity')} loaded={activity} hideProblem>
        {(data) => {
          const rows = activityRows(data);
          const columns: Column<Activity>[] = [
            { key: 'period', header: t(period), value: (r) => r.period },
            { key: 'provisions', header: t('provisions'), value: (r) => r.runningProvisions, numeric: true },
            { key: 'companies', header: t('companies'), value: (r) => r.companies, numeric: true },
            { key: 'learners', header: t('learners'), value: (r) => r.learners, numeric: true },
          ];
          return (
            <Figures
              label={t('activityChart')}
              option={{
                legend: { top: 0 },
                grid: { containLabel: true, left: 8, right: 8, top: 40, bottom: 8 },
                xAxis: { type: 'category', data: rows.map((r) => r.period) },
                yAxis: { type: 'value', minInterval: 1 },
                series: columns.slice(1).map((c) => ({
                  type: 'bar',
                  name: c.header,
                  data: rows.map((r) => c.value(r) as number),
                })),
              }}
              empty={rows.every((r) => r.runningProvisions === 0) ? t('noFigures') : undefined}
              table={
                <DataTable<Activity>
                  caption={t('activity')}
                  fileName="activity"
                  rows={rows}
                  rowKey={(r) => r.period}
                  columns={columns}
                />
              }
            />
          );
        }}
      </Section>

      <Section id="analytics-completion" title={t('completion')} loaded={completion}>
        {(data) => {
          const rows = completionRows(data.rows);
          return (
            <>
              <Figures
                label={t('completionChart')}
                option={{
                  grid: { containLabel: true, left: 8, right: 24, top: 16, bottom: 8 },
                  xAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
                  yAxis: { type: 'category', inverse: true, data: rows.map((r) => r.label) },
                  series: [
                    {
                      type: 'bar',
                      name: t('completionRate'),
                      data: rows.map((r) => percent(r.completionRate)),
                      label: { show: true, position: 'right', formatter: '{c}%' },
                    },
                  ],
                }}
                height={Math.max(160, rows.length * 36 + 60)}
                empty={rows.length === 0 ? t('noFigures') : undefined}
                table={
                  <DataTable<Completion>
                    caption={t('completion')}
                    fileName="completion"
                    rows={rows}
                    rowKey={(r) => `${r.companyId}/${r.courseId}`}
                    columns={[
                      { key: 'company', header: t('company'), value: (r) => r.companyName },
                      { key: 'course', header: t('course'), value: (r) => r.courseTitle },
                      { key: 'enrolled', header: t('enrolled'), value: (r) => r.enrolled, numeric: true },
                      { key: 'attended', header: t('attended'), value: (r) => r.attended, numeric: true },
                      { key: 'completed', header: t('completed'), value: (r) => r.completed, numeric: true },
                      {
                        key: 'completionRate',
                        header: t('completionRate'),
                        value: (r) => percent(r.completionRate),
                        numeric: true,
                      },
                      {
                        key: 'attendanceRate',
                        header: t('attendanceRate'),
                        value: (r) => percent(r.attendanceRate),
                        numeric: true,
                      },
                      {
                        key: 'liveRate',
                        header: t('liveRate'),
                        value: (r) => (r.liveAttendanceRate === null ? null : percent(r.liveAttendanceRate)),
                        numeric: true,
                      },
                    ]}
                  />
                }
              />
              <MoreRows pages={data} />
            </>
          );
        }}
      </Section>

      <Section id="analytics-ratings" title={t('ratings')} loaded={ratings}>
        {(data) => {
          const rows = data.rows;
          const stars = [1, 2, 3, 4, 5] as const;
          return (
            <>
              <Figures
                label={t('ratingsChart')}
                option={{
                  legend: { top: 0 },
                  grid: { containLabel: true, left: 8, right: 8, top: 40, bottom: 8 },
                  xAxis: { type: 'value', minInterval: 1 },
                  yAxis: { type: 'category', inverse: true, data: rows.map((r) => r.title) },
                  series: stars.map((n) => ({
                    type: 'bar',
                    name: t(n === 1 ? 'star' : 'stars', { n }),
                    stack: 'ratings',
                    data: rows.map((r) => r.distribution[n - 1] ?? 0),
                  })),
                }}
                height={Math.max(180, rows.length * 36 + 80)}
                empty={rows.length === 0 ? t('noFigures') : undefined}
                table={
                  <DataTable<Rating>
                    caption={t('ratings')}
                    fileName="ratings"
                    rows={rows}
                    rowKey={(r) => r.courseId}
                    columns={[
                      { key: 'course', header: t('course'), value: (r) => r.title },
                      { key: 'ratings', header: t('ratingCount'), value: (r) => r.ratings, numeric: true },
                      {
                        key: 'average',
                        header: t('average'),
                        value: (r) => r.average,
                        render: (r) => (r.average === null ? '' : number.format(r.average)),
                        numeric: true,
                      },
                      ...stars.map((n): Column<Rating> => ({
                        key: `stars${n}`,
                        header: t(n === 1 ? 'star' : 'stars', { n }),
                        value: (r) => r.distribution[n - 1] ?? 0,
                        numeric: true,
                      })),
                    ]}
                  />
                }
              />
              <MoreRows pages={data} />
            </>
          );
        }}
      </Section>
    </>
  );
}

/** A chart's section: its heading, and its figures once loaded (or why they are not). */
/** How many rows are shown and, while more follow, the button that loads the next page. */
function MoreRows<T>({ pages }: { pages: Pages<T> }) {
  const t = useT(messages);
  if (!pages.more && !pages.moreProblem) return null;
  return (
    <div className="analytics-more">
      <p aria-live="polite">{t('shown', { n: pages.rows.length })}</p>
      {pages.moreProblem ? <ProblemAlert problem={pages.moreProblem} /> : null}
      {pages.more ? (
        <button type="button" onClick={pages.more} disabled={pages.loadingMore} aria-busy={pages.loadingMore}>
          {t('more')}
        </button>
      ) : null}
    </div>
  );
}

function Section<T>({
  id,
  title,
  loaded,
  hideProblem,
  children,
}: {
  id: string;
  title: string;
  loaded: Loaded<T>;
  /** The range's refusal is said beside the range's fields instead. */
  hideProblem?: boolean;
  children: (data: T) => React.ReactNode;
}) {
  const t = useT(messages);
  return (
    <section aria-labelledby={id} className="analytics-section">
      <h2 id={id}>{title}</h2>
      {loaded.status === 'loading' ? <p aria-live="polite">{t('loading')}</p> : null}
      {loaded.status === 'failed' && !hideProblem ? <ProblemAlert problem={loaded.problem} /> : null}
      {loaded.status === 'ready' ? children(loaded.data) : null}
    </section>
  );
}

/** The chart and its table; with nothing to draw, a sentence instead of an empty chart. */
function Figures({
  label,
  option,
  table,
  empty,
  height,
}: {
  label: string;
  option: ChartOption;
  table: React.ReactNode;
  empty: string | undefined;
  height?: number;
}) {
  return (
    <div className="analytics-figures">
      {empty ? <p className="muted">{empty}</p> : <Chart label={label} option={option} height={height} />}
      {table}
    </div>
  );
}
