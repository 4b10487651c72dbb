import { useState } from 'react';
import { useApi } from '../../api/api-context';
import type { Problem } from '../../api/problem';
import type { paths } from '../../api/schema';
import { useLocale, useT, type Messages } from '../../i18n';
import { DataTable, type Column } from '../../ui/data-table';
import { downloadText } from '../../ui/download';
import { ProblemAlert } from '../../ui/problem-alert';
import { asProblem } from '../../ui/use-load';
import { formatDay } from '../../ui/when';
import './companies.css';

type Progress =
  paths['/provisions/{provisionId}/progress']['get']['responses'][200]['content']['application/json'][number];

/** One employee in one provision. */
export interface ProgressRow extends Progress {
  readonly provisionId: string;
  readonly courseTitle: string;
  readonly startsOn: string;
  readonly endsOn: string;
}

const messages: Messages<
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
> = {
  ko: {
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
  },
  en: {
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
  },
};

export const percentOf = (r: Progress) =>
  r.lessonsTotal > 0 ? Math.round((100 * r.lessonsCompleted) / r.lessonsTotal) : 0;

/**
 * Employees' progress, live attendance and completion, one row per enrollment, exportable as CSV; each row
 * offers the learner's audit record as a download (the institution's record for its auditors, and the
 * company's for its training claims).
 */
export function ProgressTable({
  rows,
  caption,
  fileName,
  empty,
}: {
  rows: readonly ProgressRow[];
  caption: string;
  fileName: string;
  empty: string;
}) {
  const api = useApi();
  const t = useT(messages);
  const { locale } = useLocale();
  const [auditing, setAuditing] = useState<string | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();

  const who = (r: ProgressRow) => r.email ?? r.userSub;
  const download = async (r: ProgressRow) => {
    setProblem(undefined);
    setAuditing(r.enrollmentId);
    try {
      const { data, error, response } = await api.GET(
        '/provisions/{provisionId}/enrollments/{enrollmentId}/audit',
        { params: { path: { provisionId: r.provisionId, enrollmentId: r.enrollmentId } } },
      );
      if (!data) throw asProblem(error, response);
      const name = `audit-${who(r).replace(/[^\w.@-]+/g, '_')}-${r.enrollmentId}.json`;
      const record = { employee: r.email, course: r.courseTitle, provisionId: r.provisionId, ...data };
      downloadText(name, JSON.stringify(record, null, 2), 'application/json');
    } catch (err) {
      setProblem(asProblem(err));
    } finally {
      setAuditing(undefined);
    }
  };

  const columns: Column<ProgressRow>[] = [
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
            onClick={() => void download(r)}
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
    { key: 'lessons', header: t('lessons'), value: (r) => `${r.lessonsCompleted}/${r.lessonsTotal}` },
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
    { key: 'live', header: t('live'), value: (r) => `${r.liveLecturesAttended}/${r.liveLecturesEnded}` },
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
  return (
    <>
      <ProblemAlert problem={problem} />
      {/* Eleven columns outgrow a laptop's width: the table scrolls sideways, by keyboard too. */}
      <div className="table-scroll" role="region" aria-label={caption} tabIndex={0}>
        <DataTable
          caption={caption}
          columns={columns}
          rows={rows}
          rowKey={(r) => r.enrollmentId}
          fileName={fileName}
          empty={empty}
        />
      </div>
    </>
  );
}
