import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { useApi } from '../../api/api-context';
import type { Problem } from '../../api/problem';
import type { paths } from '../../api/schema';
import { useLocale, useT, type Messages } from '../../i18n';
import { DataTable, type Column } from '../../ui/data-table';
import { ProblemAlert } from '../../ui/problem-alert';
import { asProblem, useLoad } from '../../ui/use-load';
import { formatDay } from '../../ui/when';
import { managedCompanies, useMemberships } from '../memberships';
import './companies.css';

type Progress =
  paths['/provisions/{provisionId}/progress']['get']['responses'][200]['content']['application/json'][number];

/** One employee in one of the company's provisions. */
interface Row extends Progress {
  readonly provisionId: string;
  readonly courseTitle: string;
  readonly startsOn: string;
  readonly endsOn: string;
}

const messages: Messages<
  | 'title'
  | 'titleOf'
  | 'loading'
  | 'caption'
  | 'empty'
  | 'employee'
  | 'course'
  | 'period'
  | 'lessons'
  | 'percent'
  | 'watched'
  | 'live'
  | 'attendance'
  | 'completed'
  | 'score'
  | 'certificate'
  | 'audit'
  | 'auditOf'
  | 'auditing'
  | 'enrollments'
  | 'employees'
  | 'completions'
  | 'meanPercent'
  | 'requestsLink'
  | 'employeesLink'
  | 'none'
> = {
  ko: {
    title: '학습 현황',
    titleOf: '학습 현황: {name}',
    loading: '불러오는 중…',
    caption: '직원별 과정 진도와 수료',
    empty: '아직 수강 중인 직원이 없습니다. 승인된 과정 신청에 수강자를 등록하세요.',
    employee: '직원',
    course: '과정',
    period: '기간',
    lessons: '완료 강의',
    percent: '진도율 (%)',
    watched: '시청 시간 (분)',
    live: '실시간 강의 출석',
    attendance: '실시간 출석률 (%)',
    completed: '수료일',
    score: '점수',
    certificate: '수료증 날짜',
    audit: '감사 기록',
    auditOf: '{who}의 {course} 감사 기록 내려받기',
    auditing: '내려받는 중…',
    enrollments: '수강 등록',
    employees: '수강 직원',
    completions: '수료',
    meanPercent: '평균 진도율',
    requestsLink: '과정 신청과 수강자',
    employeesLink: '직원',
    none: '없음',
  },
  en: {
    title: 'Progress',
    titleOf: 'Progress: {name}',
    loading: 'Loading…',
    caption: 'Each employee’s progress and completion by course',
    empty: 'No employee is enrolled yet. Submit attendees to an accepted course request.',
    employee: 'Employee',
    course: 'Course',
    period: 'Period',
    lessons: 'Lessons done',
    percent: 'Progress (%)',
    watched: 'Watched (min)',
    live: 'Live lectures attended',
    attendance: 'Live attendance (%)',
    completed: 'Completed on',
    score: 'Score',
    certificate: 'Certificate date',
    audit: 'Audit record',
    auditOf: 'Download the audit record of {who} in {course}',
    auditing: 'Downloading…',
    enrollments: 'Enrollments',
    employees: 'Employees learning',
    completions: 'Completions',
    meanPercent: 'Mean progress',
    requestsLink: 'Course requests and attendees',
    employeesLink: 'Employees',
    none: 'none',
  },
};

const percentOf = (r: Row) =>
  r.lessonsTotal > 0 ? Math.round((100 * r.lessonsCompleted) / r.lessonsTotal) : 0;

/** Offers a JSON document as a download named `fileName`. */
function downloadJson(fileName: string, value: unknown) {
  const url = URL.createObjectURL(new Blob([JSON.stringify(value, null, 2)], { type: 'application/json' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}

/**
 * The company's dashboard: every employee's progress, live attendance and completion in each accepted
 * provision, exportable as CSV, with each learner's audit record to download.
 */
export default function CompanyProgress() {
  const { companyId = '' } = useParams();
  const api = useApi();
  const t = useT(messages);
  const { locale } = useLocale();
  const memberships = useMemberships();
  const company =
    memberships.status === 'ready'
      ? managedCompanies(memberships.data).find((c) => c.id === companyId)
      : undefined;
  const rows = useLoad(async () => {
    const provisions = await api.GET('/provisions', { params: { query: { state: 'accepted', limit: 200 } } });
    if (!provisions.data) return { error: provisions.error, response: provisions.response };
    const ours = provisions.data.filter((p) => p.companyId === companyId && p.enrolledCount > 0);
    const answers = await Promise.all(
      ours.map((p) =>
        api.GET('/provisions/{provisionId}/progress', { params: { path: { provisionId: p.id } } }),
      ),
    );
    const failed = answers.find((a) => !a.data);
    if (failed) return { error: failed.error, response: failed.response };
    const data: Row[] = ours.flatMap((p, i) =>
      (answers[i]!.data ?? []).map((r) => ({
        ...r,
        provisionId: p.id,
        courseTitle: p.courseTitle,
        startsOn: p.startsOn,
        endsOn: p.endsOn,
      })),
    );
    return { data, response: provisions.response };
  }, [api, companyId]);
  const [auditing, setAuditing] = useState<string | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();

  const who = (r: Row) => r.email ?? r.userSub;
  const audit = async (r: Row) => {
    setProblem(undefined);
    setAuditing(r.enrollmentId);
    try {
      const { data, error, response } = await api.GET(
        '/provisions/{provisionId}/enrollments/{enrollmentId}/audit',
        { params: { path: { provisionId: r.provisionId, enrollmentId: r.enrollmentId } } },
      );
      if (!data) throw asProblem(error, response);
      const name = `audit-${who(r).replace(/[^\w.@-]+/g, '_')}-${r.enrollmentId}.json`;
      downloadJson(name, { employee: r.email, course: r.courseTitle, provisionId: r.provisionId, ...data });
    } catch (err) {
      setProblem(asProblem(err));
    } finally {
      setAuditing(undefined);
    }
  };

  const columns: Column<Row>[] = [
    {
      key: 'employee',
      header: t('employee'),
      value: (r) => who(r),
      // The audit button sits beside the name, so the CSV export has no empty column for it.
      render: (r) => (
        <span className="employee-cell">
          {who(r)}{' '}
          <button
            type="button"
            className="secondary"
            disabled={auditing === r.enrollmentId}
            aria-label={t('auditOf', { who: who(r), course: r.courseTitle })}
            onClick={() => void audit(r)}
          >
            {auditing === r.enrollmentId ? t('auditing') : t('audit')}
          </button>
        </span>
      ),
    },
    { key: 'course', header: t('course'), value: (r) => r.courseTitle },
    {
      key: 'period',
      header: t('period'),
      value: (r) => `${r.startsOn} ~ ${r.endsOn}`,
      render: (r) => `${formatDay(r.startsOn, locale)} ~ ${formatDay(r.endsOn, locale)}`,
    },
    {
      key: 'lessons',
      header: t('lessons'),
      value: (r) => `${r.lessonsCompleted}/${r.lessonsTotal}`,
    },
    {
      key: 'percent',
      header: t('percent'),
      value: percentOf,
      numeric: true,
      render: (r) => (
        <span className="progress-cell">
          <progress max={100} value={percentOf(r)} aria-hidden="true" /> {percentOf(r)}
        </span>
      ),
    },
    {
      key: 'watched',
      header: t('watched'),
      value: (r) => Math.round((r.watchedSeconds / 60) * 10) / 10,
      numeric: true,
    },
    {
      key: 'live',
      header: t('live'),
      value: (r) => `${r.liveLecturesAttended}/${r.liveLecturesEnded}`,
    },
    {
      key: 'attendance',
      header: t('attendance'),
      value: (r) => (r.liveAttendanceRate === null ? null : Math.round(r.liveAttendanceRate * 100)),
      numeric: true,
    },
    {
      key: 'completed',
      header: t('completed'),
      value: (r) => (r.completedAt ? String(r.completedAt).slice(0, 10) : null),
    },
    { key: 'score', header: t('score'), value: (r) => r.score, numeric: true },
    { key: 'certificate', header: t('certificate'), value: (r) => r.certificateOn },
  ];
  const data = rows.status === 'ready' ? rows.data : [];
  const completions = data.filter((r) => r.completedAt).length;
  const mean = data.length ? Math.round(data.reduce((s, r) => s + percentOf(r), 0) / data.length) : 0;
  return (
    <>
      <h1>{company ? t('titleOf', { name: company.name }) : t('title')}</h1>
      <nav className="console-links" aria-label={t('title')}>
        <Link to={`/console/companies/${companyId}`}>{t('employeesLink')}</Link>
        <Link to={`/console/provisions?companyId=${companyId}`}>{t('requestsLink')}</Link>
      </nav>
      <ProblemAlert problem={problem} />
      {rows.status === 'loading' ? <p aria-live="polite">{t('loading')}</p> : null}
      {rows.status === 'failed' ? <ProblemAlert problem={rows.problem} /> : null}
      {rows.status === 'ready' ? (
        <>
          <ul className="progress-summary">
            <li>
              <strong>{new Set(data.map((r) => r.userSub)).size}</strong> {t('employees')}
            </li>
            <li>
              <strong>{data.length}</strong> {t('enrollments')}
            </li>
            <li>
              <strong>{completions}</strong> {t('completions')}
            </li>
            <li>
              <strong>{data.length ? `${mean}%` : t('none')}</strong> {t('meanPercent')}
            </li>
          </ul>
          <DataTable
            caption={t('caption')}
            columns={columns}
            rows={data}
            rowKey={(r) => r.enrollmentId}
            fileName="employee-progress"
            empty={t('empty')}
          />
        </>
      ) : null}
    </>
  );
}
