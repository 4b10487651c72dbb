import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { useApi } from '../../api/api-context';
import type { Problem } from '../../api/problem';
import { useLocale, useT, type Messages } from '../../i18n';
import { FieldError, ProblemAlert } from '../../ui/problem-alert';
import { asProblem, useLoad } from '../../ui/use-load';
import { formatMoment } from '../../ui/when';
import { ProgressTable } from '../companies/progress-table';
import { managedCompanies, useMemberships } from '../memberships';
import { DecisionForm, period, StateBadge, type Provision } from './provision-common';

const messages: Messages<
  | 'loading'
  | 'back'
  | 'backCompany'
  | 'company'
  | 'period'
  | 'seats'
  | 'enrolled'
  | 'deposit'
  | 'state'
  | 'reason'
  | 'requestedAt'
  | 'decidedAt'
  | 'decide'
  | 'attendees'
  | 'attendeesHint'
  | 'notAccepted'
  | 'noEmployees'
  | 'alreadyEnrolled'
  | 'selected'
  | 'submit'
  | 'submitting'
  | 'notEmployee'
  | 'overSeats'
  | 'nothingChosen'
  | 'done'
  | 'progressLink'
  | 'employeesLink'
  | 'requestOf'
  | 'progress'
  | 'progressCaption'
  | 'noEnrolled'
> = {
  ko: {
    loading: '불러오는 중…',
    back: '과정 신청 목록',
    backCompany: '회사의 과정 신청 목록',
    company: '회사',
    period: '기간',
    seats: '인원',
    enrolled: '등록',
    deposit: '예치금',
    state: '상태',
    reason: '사유',
    requestedAt: '신청 일시',
    decidedAt: '결정 일시',
    decide: '신청 결정',
    attendees: '수강자 등록',
    attendeesHint: '승인된 직원 중에서 고르세요. 남은 자리: {free}석 / {seats}석',
    notAccepted: '기관이 신청을 승인하면 수강자를 등록할 수 있습니다.',
    noEmployees: '승인된 직원이 없습니다. 먼저 직원을 초대하세요.',
    alreadyEnrolled: '(등록됨)',
    selected: '{n}명 선택',
    submit: '수강자 등록',
    submitting: '등록하는 중…',
    notEmployee: '이 회사의 승인된 직원이 아니어서 등록할 수 없습니다.',
    overSeats: '{asked}명을 골랐지만 남은 자리는 {free}석입니다.',
    nothingChosen: '등록할 직원을 한 명 이상 고르세요.',
    done: '{n}명을 등록했습니다. 이미 등록된 {m}명은 그대로입니다.',
    progressLink: '학습 현황',
    employeesLink: '직원',
    requestOf: '{company}의 {course} 신청',
    progress: '수강자 학습 현황',
    progressCaption: '이 신청의 수강자별 진도와 수료',
    noEnrolled: '아직 등록된 수강자가 없습니다.',
  },
  en: {
    loading: 'Loading…',
    back: 'All course requests',
    backCompany: 'The company’s course requests',
    company: 'Company',
    period: 'Period',
    seats: 'Seats',
    enrolled: 'Enrolled',
    deposit: 'Deposit',
    state: 'State',
    reason: 'Reason',
    requestedAt: 'Requested',
    decidedAt: 'Decided',
    decide: 'Decide on the request',
    attendees: 'Attendees',
    attendeesHint: 'Choose from the approved employees. Seats left: {free} of {seats}',
    notAccepted: 'Attendees can be submitted once the institution accepts the request.',
    noEmployees: 'The company has no approved employee yet. Invite them first.',
    alreadyEnrolled: '(enrolled)',
    selected: '{n} chosen',
    submit: 'Submit attendees',
    submitting: 'Submitting…',
    notEmployee: 'Not an approved employee of this company: cannot attend.',
    overSeats: '{asked} chosen, but the seats left are {free}.',
    nothingChosen: 'Choose at least one employee.',
    done: '{n} enrolled; {m} were enrolled already.',
    progressLink: 'Progress',
    employeesLink: 'Employees',
    requestOf: 'the request of {company} for {course}',
    progress: 'Attendees’ progress',
    progressCaption: 'Each attendee’s progress and completion in this request',
    noEnrolled: 'No attendee is enrolled yet.',
  },
};

/** One course request: its facts and state; the institution decides it, the company submits attendees. */
export default function ProvisionScreen() {
  const { provisionId = '' } = useParams();
  const api = useApi();
  const t = useT(messages);
  const { locale } = useLocale();
  const memberships = useMemberships();
  const loaded = useLoad(
    () => api.GET('/provisions/{provisionId}', { params: { path: { provisionId } } }),
    [api, provisionId],
  );
  if (loaded.status === 'loading' || memberships.status === 'loading')
    return <p aria-live="polite">{t('loading')}</p>;
  if (loaded.status === 'failed') return <ProblemAlert problem={loaded.problem} />;
  if (memberships.status === 'failed') return <ProblemAlert problem={memberships.problem} />;
  const p = loaded.data;
  const { institution } = memberships.data;
  const decides = institution?.id === p.institutionId && institution.role === 'institution-manager';
  const forCompany = managedCompanies(memberships.data).some((c) => c.id === p.companyId);
  return (
    <>
      <h1>{p.courseTitle}</h1>
      <nav className="console-links" aria-label={t('back')}>
        {forCompany ? (
          <>
            <Link to={`/console/provisions?companyId=${p.companyId}`}>{t('backCompany')}</Link>
            <Link to={`/console/companies/${p.companyId}`}>{t('employeesLink')}</Link>
            <Link to={`/console/companies/${p.companyId}/progress`}>{t('progressLink')}</Link>
          </>
        ) : (
          <Link to="/console/provisions">{t('back')}</Link>
        )}
      </nav>
      <dl className="facts">
        <dt>{t('company')}</dt>
        <dd>{p.companyName}</dd>
        <dt>{t('period')}</dt>
        <dd>{period(p, locale)}</dd>
        <dt>{t('seats')}</dt>
        <dd>{p.attendeeCount}</dd>
        <dt>{t('enrolled')}</dt>
        <dd>{p.enrolledCount}</dd>
        <dt>{t('deposit')}</dt>
        <dd>{Number(p.depositAmount).toLocaleString(locale === 'ko' ? 'ko-KR' : 'en-GB')}</dd>
        <dt>{t('state')}</dt>
        <dd>
          <StateBadge state={p.state} />
        </dd>
        {p.decisionReason ? (
          <>
            <dt>{t('reason')}</dt>
            <dd>{p.decisionReason}</dd>
          </>
        ) : null}
        <dt>{t('requestedAt')}</dt>
        <dd>{formatMoment(String(p.createdAt), locale)}</dd>
        {p.decidedAt ? (
          <>
            <dt>{t('decidedAt')}</dt>
            <dd>{formatMoment(String(p.decidedAt), locale)}</dd>
          </>
        ) : null}
      </dl>
      {decides && p.state === 'requested' ? (
        <section aria-labelledby="provision-decide">
          <h2 id="provision-decide">{t('decide')}</h2>
          <DecisionForm
            provisionId={p.id}
            what={t('requestOf', { company: p.companyName, course: p.courseTitle })}
            onDecided={() => loaded.reload()}
          />
        </section>
      ) : null}
      {forCompany ? (
        <section aria-labelledby="provision-attendees">
          <h2 id="provision-attendees">{t('attendees')}</h2>
          {p.state === 'accepted' ? (
            <Attendees provision={p} onSubmitted={() => loaded.reload()} />
          ) : (
            <p>{t('notAccepted')}</p>
          )}
        </section>
      ) : null}
      {p.state === 'accepted' ? (
        <section aria-labelledby="provision-progress">
          <h2 id="provision-progress">{t('progress')}</h2>
          <AttendeeProgress provision={p} />
        </section>
      ) : null}
    </>
  );
}

/** The provision's attendees as the dashboard shows them, with their audit records. */
function AttendeeProgress({ provision: p }: { provision: Provision }) {
  const api = useApi();
  const t = useT(messages);
  const rows = useLoad(
    () => api.GET('/provisions/{provisionId}/progress', { params: { path: { provisionId: p.id } } }),
    [api, p.id, p.enrolledCount],
  );
  if (rows.status === 'loading') return <p aria-live="polite">{t('loading')}</p>;
  if (rows.status === 'failed') return <ProblemAlert problem={rows.problem} />;
  return (
    <ProgressTable
      rows={rows.data.map((r) => ({
        ...r,
        provisionId: p.id,
        courseTitle: p.courseTitle,
        startsOn: p.startsOn,
        endsOn: p.endsOn,
      }))}
      caption={t('progressCaption')}
      fileName={`attendees-${p.id}`}
      empty={t('noEnrolled')}
    />
  );
}

/**
 * The company's approved employees to choose attendees from; those enrolled already are shown ticked. The
 * API holds the seats: a choice over them, or of someone no longer an employee, is refused beside the list
 * or beside that person.
 */
function Attendees({ provision: p, onSubmitted }: { provision: Provision; onSubmitted: () => void }) {
  const api = useApi();
  const t = useT(messages);
  const data = useLoad(async () => {
    const [employees, progress] = await Promise.all([
      api.GET('/companies/{companyId}/employees', {
        params: { path: { companyId: p.companyId }, query: { state: 'approved', limit: 500 } },
      }),
      api.GET('/provisions/{provisionId}/progress', { params: { path: { provisionId: p.id } } }),
    ]);
    if (!employees.data) return { error: employees.error, response: employees.response };
    if (!progress.data) return { error: progress.error, response: progress.response };
    const enrolled = new Set(progress.data.map((r) => r.userSub));
    return {
      data: employees.data.map((e) => ({ ...e, enrolled: enrolled.has(e.userSub) })),
      response: employees.response,
    };
  }, [api, p.id, p.companyId, p.enrolledCount]);
  const [chosen, setChosen] = useState<readonly string[]>([]);
  const [problem, setProblem] = useState<Problem | undefined>();
  const [refused, setRefused] = useState<ReadonlySet<string>>(new Set());
  const [listError, setListError] = useState<string | undefined>();
  const [submitting, setSubmitting] = useState(false);
  const [said, setSaid] = useState('');
  const free = p.attendeeCount - p.enrolledCount;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    setRefused(new Set());
    setListError(undefined);
    setSaid('');
    if (chosen.length === 0) {
      setListError(t('nothingChosen'));
      return;
    }
    setSubmitting(true);
    const userSubs = [...chosen];
    try {
      const {
        data: answer,
        error,
        response,
      } = await api.POST('/provisions/{provisionId}/attendees', {
        params: { path: { provisionId: p.id } },
        body: { userSubs },
      });
      if (!answer) throw asProblem(error, response);
      setSaid(t('done', { n: answer.enrolled.length, m: answer.alreadyEnrolled.length }));
      setChosen([]);
      onSubmitted();
    } catch (err) {
      const problem = asProblem(err);
      // `body.userSubs.<i>`: the person at that place in the submission.
      const strangers = new Set(
        (problem.errors ?? []).flatMap((x) => {
          const at = /^body\.userSubs\.(\d+)$/.exec(x.field);
          const sub = at ? userSubs[Number(at[1])] : undefined;
          return sub ? [sub] : [];
        }),
      );
      if (strangers.size > 0) setRefused(strangers);
      else if (problem.status === 409 && userSubs.length > free)
        setListError(t('overSeats', { free, asked: userSubs.length }));
      else setProblem(problem);
      // The seats may have gone to another submission meanwhile: show them as they are now.
      if (problem.status === 409) onSubmitted();
    } finally {
      setSubmitting(false);
    }
  };

  if (data.status === 'loading') return <p aria-live="polite">{t('loading')}</p>;
  if (data.status === 'failed') return <ProblemAlert problem={data.problem} />;
  if (data.data.length === 0) return <p>{t('noEmployees')}</p>;
  const toggle = (sub: string, on: boolean) =>
    setChosen((c) => (on ? [...c, sub] : c.filter((s) => s !== sub)));
  return (
    <form onSubmit={(e) => void submit(e)} noValidate>
      <fieldset
        className="attendees"
        aria-describedby={`attendees-hint${listError ? ' attendees-error' : ''}`}
        aria-invalid={listError ? true : undefined}
      >
        <legend>{t('attendees')}</legend>
        <p id="attendees-hint" className="muted">
          {t('attendeesHint', { free, seats: p.attendeeCount })}
        </p>
        <ul>
          {data.data.map((e) => {
            const id = `attendee-${e.userSub}`;
            const wrong = refused.has(e.userSub);
            return (
              <li key={e.userSub} className="attendee-row">
                <input
                  id={id}
                  type="checkbox"
                  checked={e.enrolled || chosen.includes(e.userSub)}
                  disabled={e.enrolled}
                  onChange={(ev) => toggle(e.userSub, ev.target.checked)}
                  aria-invalid={wrong ? true : undefined}
                  aria-describedby={wrong ? `${id}-error` : undefined}
                />{' '}
                <label htmlFor={id}>
                  {e.email ?? e.userSub}
                  {e.enrolled ? <span className="muted"> {t('alreadyEnrolled')}</span> : null}
                </label>
                <FieldError id={`${id}-error`} message={wrong ? t('notEmployee') : undefined} />
              </li>
            );
          })}
        </ul>
        <FieldError id="attendees-error" message={listError} />
      </fieldset>
      <ProblemAlert problem={problem} />
      <p className="row-actions">
        <button type="submit" disabled={submitting}>
          {submitting ? t('submitting') : t('submit')}
        </button>
        <span aria-live="polite">{t('selected', { n: chosen.length })}</span>
      </p>
      <p aria-live="polite" className="console-status">
        {said}
      </p>
    </form>
  );
}
