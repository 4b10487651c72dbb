import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useApi } from '../../api/api-context';
import type { Problem } from '../../api/problem';
import type { paths } from '../../api/schema';
import { useLocale, useT, type Messages } from '../../i18n';
import { DataTable, type Column } from '../../ui/data-table';
import { ProblemAlert } from '../../ui/problem-alert';
import { asProblem, useLoad } from '../../ui/use-load';
import { formatMoment } from '../../ui/when';
import { managedCompanies, useMemberships } from '../memberships';
import { InviteEmployees } from './invite-employees';
import './companies.css';

type Employee =
  paths['/companies/{companyId}/employees']['get']['responses'][200]['content']['application/json'][number];

/** How often, and how many times, the list is asked again for people just invited. */
const AWAIT_EVERY_MS = 1000;
const AWAIT_TRIES = 15;

const messages: Messages<
  | 'title'
  | 'titleOf'
  | 'loading'
  | 'requests'
  | 'requestsCaption'
  | 'noRequests'
  | 'employees'
  | 'employeesCaption'
  | 'noEmployees'
  | 'email'
  | 'userId'
  | 'requestedAt'
  | 'approvedAt'
  | 'actions'
  | 'approve'
  | 'approveOf'
  | 'refuse'
  | 'refuseOf'
  | 'remove'
  | 'removeOf'
  | 'confirmRemove'
  | 'confirmRemoveOf'
  | 'cancel'
  | 'noEmail'
  | 'requestsLink'
  | 'progressLink'
  | 'done'
> = {
  ko: {
    title: '직원',
    titleOf: '직원: {name}',
    loading: '불러오는 중…',
    requests: '가입 요청',
    requestsCaption: '승인을 기다리는 가입 요청',
    noRequests: '기다리는 가입 요청이 없습니다.',
    employees: '직원 목록',
    employeesCaption: '승인된 직원',
    noEmployees: '아직 직원이 없습니다. 아래에서 초대하세요.',
    email: '이메일',
    userId: '사용자 ID',
    requestedAt: '요청 일시',
    approvedAt: '승인 일시',
    actions: '작업',
    approve: '승인',
    approveOf: '{who} 승인',
    refuse: '거절',
    refuseOf: '{who} 요청 거절',
    remove: '내보내기',
    removeOf: '{who} 내보내기',
    confirmRemove: '정말 내보내기',
    confirmRemoveOf: '{who}을(를) 정말 내보내기',
    cancel: '취소',
    noEmail: '(이메일 없음)',
    requestsLink: '과정 신청과 수강자',
    progressLink: '학습 현황',
    done: '처리했습니다: {who}',
  },
  en: {
    title: 'Employees',
    titleOf: 'Employees: {name}',
    loading: 'Loading…',
    requests: 'Join requests',
    requestsCaption: 'Join requests waiting for approval',
    noRequests: 'No join request is waiting.',
    employees: 'Employees',
    employeesCaption: 'Approved employees',
    noEmployees: 'No employees yet. Invite them below.',
    email: 'E-mail',
    userId: 'User id',
    requestedAt: 'Requested',
    approvedAt: 'Approved',
    actions: 'Actions',
    approve: 'Approve',
    approveOf: 'Approve {who}',
    refuse: 'Refuse',
    refuseOf: 'Refuse the request of {who}',
    remove: 'Remove',
    removeOf: 'Remove {who}',
    confirmRemove: 'Confirm removal',
    confirmRemoveOf: 'Confirm the removal of {who}',
    cancel: 'Cancel',
    noEmail: '(no e-mail)',
    requestsLink: 'Course requests and attendees',
    progressLink: 'Progress',
    done: 'Done: {who}',
  },
};

/** A company's employees and join requests: approve, refuse, remove, and invite more by e-mail or CSV. */
export default function CompanyEmployees() {
  const { companyId = '' } = useParams();
  const api = useApi();
  const t = useT(messages);
  const { locale } = useLocale();
  const memberships = useMemberships();
  const company =
    memberships.status === 'ready'
      ? managedCompanies(memberships.data).find((c) => c.id === companyId)
      : undefined;
  const employees = useLoad(
    () =>
      api.GET('/companies/{companyId}/employees', {
        params: { path: { companyId }, query: { limit: 500 } },
      }),
    [api, companyId],
  );
  const [problem, setProblem] = useState<Problem | undefined>();
  const [busy, setBusy] = useState<string | undefined>();
  const [confirming, setConfirming] = useState<string | undefined>();
  const [status, setStatus] = useState('');
  // People just invited: the core affiliates them when the users domain's fact reaches it, a moment later.
  const [awaited, setAwaited] = useState<{ subs: readonly string[]; tries: number } | undefined>();
  useEffect(() => {
    if (!awaited || employees.status !== 'ready') return;
    const listed = new Set(employees.data.filter((e) => e.state === 'approved').map((e) => e.userSub));
    if (awaited.subs.every((s) => listed.has(s)) || awaited.tries >= AWAIT_TRIES) return;
    const timer = setTimeout(() => {
      setAwaited({ ...awaited, tries: awaited.tries + 1 });
      employees.reload();
    }, AWAIT_EVERY_MS);
    return () => clearTimeout(timer);
    // `employees` is a new object every render; its data is what the list depends on.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [awaited, employees.status === 'ready' ? employees.data : undefined]);

  const who = (e: Employee) => e.email ?? e.userSub;
  const act = async (e: Employee, action: 'approve' | 'remove') => {
    setProblem(undefined);
    setStatus('');
    setBusy(e.userSub);
    const path = { companyId, userSub: e.userSub };
    try {
      const { data, error, response } =
        action === 'approve'
          ? await api.PUT('/companies/{companyId}/employees/{userSub}/approval', { params: { path } })
          : await api.DELETE('/companies/{companyId}/employees/{userSub}', { params: { path } });
      if (!data) throw asProblem(error, response);
      setStatus(t('done', { who: who(e) }));
      setConfirming(undefined);
      employees.reload();
    } catch (err) {
      setProblem(asProblem(err));
    } finally {
      setBusy(undefined);
    }
  };

  const emailColumn: Column<Employee> = {
    key: 'email',
    header: t('email'),
    value: (e) => e.email,
    render: (e) => e.email ?? <span className="muted">{t('noEmail')}</span>,
  };
  const requestColumns: Column<Employee>[] = [
    emailColumn,
    { key: 'userSub', header: t('userId'), value: (e) => e.userSub },
    {
      key: 'requestedAt',
      header: t('requestedAt'),
      value: (e) => String(e.requestedAt),
      render: (e) => formatMoment(String(e.requestedAt), locale),
    },
    {
      key: 'actions',
      header: t('actions'),
      value: () => null,
      render: (e) => (
        <span className="row-actions">
          <button
            type="button"
            disabled={busy === e.userSub}
            aria-label={t('approveOf', { who: who(e) })}
            onClick={() => void act(e, 'approve')}
          >
            {t('approve')}
          </button>
          <button
            type="button"
            className="secondary"
            disabled={busy === e.userSub}
            aria-label={t('refuseOf', { who: who(e) })}
            onClick={() => void act(e, 'remove')}
          >
            {t('refuse')}
          </button>
        </span>
      ),
    },
  ];
  const employeeColumns: Column<Employee>[] = [
    emailColumn,
    { key: 'userSub', header: t('userId'), value: (e) => e.userSub },
    {
      key: 'decidedAt',
      header: t('approvedAt'),
      value: (e) => (e.decidedAt ? String(e.decidedAt) : null),
      render: (e) => (e.decidedAt ? formatMoment(String(e.decidedAt), locale) : ''),
    },
    {
      key: 'actions',
      header: t('actions'),
      value: () => null,
      // Removing takes a second click: it ends the person's access to the company's courses.
      render: (e) =>
        confirming === e.userSub ? (
          <span className="row-actions">
            <button
              type="button"
              className="danger"
              disabled={busy === e.userSub}
              aria-label={t('confirmRemoveOf', { who: who(e) })}
              onClick={() => void act(e, 'remove')}
            >
              {t('confirmRemove')}
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(undefined)}>
              {t('cancel')}
            </button>
          </span>
        ) : (
          <button
            type="button"
            className="secondary"
            aria-label={t('removeOf', { who: who(e) })}
            onClick={() => setConfirming(e.userSub)}
          >
            {t('remove')}
          </button>
        ),
    },
  ];

  const rows = employees.status === 'ready' ? employees.data : [];
  return (
    <>
      <h1>{company ? t('titleOf', { name: company.name }) : t('title')}</h1>
      <nav className="console-links" aria-label={t('title')}>
        <Link to={`/console/provisions?companyId=${companyId}`}>{t('requestsLink')}</Link>
        <Link to={`/console/companies/${companyId}/progress`}>{t('progressLink')}</Link>
      </nav>
      <ProblemAlert problem={problem} />
      <p className="visually-hidden" aria-live="polite">
        {status}
      </p>
      {employees.status === 'loading' ? <p aria-live="polite">{t('loading')}</p> : null}
      {employees.status === 'failed' ? <ProblemAlert problem={employees.problem} /> : null}
      {employees.status === 'ready' ? (
        <>
          <section aria-labelledby="employees-requests">
            <h2 id="employees-requests">{t('requests')}</h2>
            <DataTable
              caption={t('requestsCaption')}
              columns={requestColumns}
              rows={rows.filter((e) => e.state === 'requested')}
              rowKey={(e) => e.userSub}
              fileName="join-requests"
              empty={t('noRequests')}
            />
          </section>
          <section aria-labelledby="employees-list">
            <h2 id="employees-list">{t('employees')}</h2>
            <DataTable
              caption={t('employeesCaption')}
              columns={employeeColumns}
              rows={rows.filter((e) => e.state === 'approved')}
              rowKey={(e) => e.userSub}
              fileName="employees"
              empty={t('noEmployees')}
            />
          </section>
        </>
      ) : null}
      <InviteEmployees
        companyId={companyId}
        onInvited={(subs) => {
          setAwaited({ subs, tries: 0 });
          employees.reload();
        }}
      />
    </>
  );
}
