import { Link, useParams } from 'react-router';
import { useApi } from '../../api/api-context';
import { useT, type Messages } from '../../i18n';
import { ProblemAlert } from '../../ui/problem-alert';
import { useLoad } from '../../ui/use-load';
import { managedCompanies, useMemberships } from '../memberships';
import { percentOf, ProgressTable, type ProgressRow } from './progress-table';
import './companies.css';

const messages: Messages<
  | 'title'
  | 'titleOf'
  | 'loading'
  | 'caption'
  | 'empty'
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
    enrollments: 'Enrollments',
    employees: 'Employees learning',
    completions: 'Completions',
    meanPercent: 'Mean progress',
    requestsLink: 'Course requests and attendees',
    employeesLink: 'Employees',
    none: 'none',
  },
};

/**
 * The company's dashboard: every employee's progress, live attendance and completion in each accepted
 * provision of the company, exportable as CSV.
 */
export default function CompanyProgress() {
  const { companyId = '' } = useParams();
  const api = useApi();
  const t = useT(messages);
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
    const data: ProgressRow[] = ours.flatMap((p, i) =>
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
          <ProgressTable rows={data} caption={t('caption')} fileName="employee-progress" empty={t('empty')} />
        </>
      ) : null}
    </>
  );
}
