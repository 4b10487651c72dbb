import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useApi } from '../../api/api-context';
import { fieldError, type Problem } from '../../api/problem';
import type { paths } from '../../api/schema';
import { useLocale, useT, type Messages } from '../../i18n';
import { DataTable, type Column } from '../../ui/data-table';
import { FieldError, fieldProps, ProblemAlert } from '../../ui/problem-alert';
import { asProblem, useLoad } from '../../ui/use-load';
import { formatMoment } from '../../ui/when';
import { managedCompanies, useMemberships } from '../memberships';
import { DecisionForm, period, StateBadge, stateMessages, type Provision } from './provision-common';

type Course = paths['/courses']['get']['responses'][200]['content']['application/json'][number];

const messages: Messages<
  | 'title'
  | 'titleOf'
  | 'loading'
  | 'nothing'
  | 'notYours'
  | 'request'
  | 'course'
  | 'chooseCourse'
  | 'noCourses'
  | 'startsOn'
  | 'endsOn'
  | 'seats'
  | 'seatsHint'
  | 'deposit'
  | 'depositHint'
  | 'send'
  | 'sending'
  | 'courseInvalid'
  | 'dateInvalid'
  | 'endsBeforeStart'
  | 'seatsInvalid'
  | 'depositInvalid'
  | 'requests'
  | 'requestsCaption'
  | 'noRequests'
  | 'company'
  | 'period'
  | 'seatsTaken'
  | 'state'
  | 'requestedAt'
  | 'incoming'
  | 'noIncoming'
  | 'all'
  | 'allCaption'
  | 'requestOf'
  | 'employeesLink'
  | 'progressLink'
  | 'institutionOf'
> = {
  ko: {
    title: '과정 신청',
    titleOf: '과정 신청: {name}',
    loading: '불러오는 중…',
    nothing: '과정 신청을 관리할 회사나 기관이 없습니다.',
    notYours: '이 회사의 관리자가 아닙니다.',
    request: '과정 신청하기',
    course: '과정',
    chooseCourse: '과정을 고르세요',
    noCourses: '신청할 수 있는 공개 과정이 아직 없습니다.',
    startsOn: '시작일',
    endsOn: '종료일',
    seats: '인원',
    seatsHint: '수강할 직원 수 (1~10000명)',
    deposit: '예치금',
    depositHint: '원 단위 금액 (없으면 0)',
    send: '신청하기',
    sending: '신청하는 중…',
    courseInvalid: '목록에서 과정을 고르세요.',
    dateInvalid: '2000년에서 2999년 사이의 날짜를 고르세요.',
    endsBeforeStart: '종료일은 시작일보다 앞설 수 없습니다.',
    seatsInvalid: '1에서 10000 사이의 정수를 입력하세요.',
    depositInvalid: '0 이상의 정수를 입력하세요.',
    requests: '신청 내역',
    requestsCaption: '회사의 과정 신청',
    noRequests: '아직 신청한 과정이 없습니다.',
    company: '회사',
    period: '기간',
    seatsTaken: '등록 / 인원',
    state: '상태',
    requestedAt: '신청 일시',
    incoming: '결정을 기다리는 신청',
    noIncoming: '결정을 기다리는 신청이 없습니다.',
    all: '모든 신청',
    allCaption: '기관 과정에 대한 신청',
    requestOf: '{company}의 {course} 신청',
    employeesLink: '직원',
    progressLink: '학습 현황',
    institutionOf: '{course} ({institution})',
  },
  en: {
    title: 'Course requests',
    titleOf: 'Course requests: {name}',
    loading: 'Loading…',
    nothing: 'You manage no company or institution that requests courses.',
    notYours: 'You do not manage this company.',
    request: 'Request a course',
    course: 'Course',
    chooseCourse: 'Choose a course',
    noCourses: 'There is no published course to request yet.',
    startsOn: 'Starts on',
    endsOn: 'Ends on',
    seats: 'Seats',
    seatsHint: 'How many employees attend (1 to 10000)',
    deposit: 'Deposit',
    depositHint: 'In won, the smallest unit (0 for none)',
    send: 'Send the request',
    sending: 'Sending…',
    courseInvalid: 'Choose a course from the list.',
    dateInvalid: 'Choose a date in the years 2000 to 2999.',
    endsBeforeStart: 'The end cannot come before the start.',
    seatsInvalid: 'Enter a whole number from 1 to 10000.',
    depositInvalid: 'Enter a whole number, 0 or more.',
    requests: 'Requests',
    requestsCaption: 'The company’s course requests',
    noRequests: 'No course has been requested yet.',
    company: 'Company',
    period: 'Period',
    seatsTaken: 'Enrolled / seats',
    state: 'State',
    requestedAt: 'Requested',
    incoming: 'Waiting for your decision',
    noIncoming: 'No request is waiting for a decision.',
    all: 'All requests',
    allCaption: 'Requests for the institution’s courses',
    requestOf: 'the request of {company} for {course}',
    employeesLink: 'Employees',
    progressLink: 'Progress',
    institutionOf: '{course} ({institution})',
  },
};

/**
 * Course requests from either side: a company's managers request a course and follow their requests
 * (`?companyId=`); an institution's managers decide the requests for their courses.
 */
export default function Provisions() {
  const t = useT(messages);
  const [search] = useSearchParams();
  const memberships = useMemberships();
  if (memberships.status === 'loading') return <p aria-live="polite">{t('loading')}</p>;
  if (memberships.status === 'failed') return <ProblemAlert problem={memberships.problem} />;
  const companies = managedCompanies(memberships.data);
  const decides = memberships.data.institution?.role === 'institution-manager';
  // Without `?companyId=`, a company's sole manager who decides for no institution means their company.
  const companyId =
    search.get('companyId') ?? (!decides && companies.length === 1 ? companies[0]!.id : undefined);
  if (companyId) {
    const company = companies.find((c) => c.id === companyId);
    if (!company)
      return (
        <>
          <h1>{t('title')}</h1>
          <p>{t('notYours')}</p>
        </>
      );
    return <CompanyProvisions companyId={company.id} companyName={company.name} />;
  }
  if (decides) return <InstitutionProvisions />;
  return (
    <>
      <h1>{t('title')}</h1>
      <p>{t('nothing')}</p>
    </>
  );
}

function useProvisions() {
  const api = useApi();
  return useLoad(() => api.GET('/provisions', { params: { query: { limit: 200 } } }), [api]);
}

function useColumns(withCompany: boolean): Column<Provision>[] {
  const t = useT(messages);
  const states = useT(stateMessages);
  const { locale } = useLocale();
  return [
    {
      key: 'course',
      header: t('course'),
      value: (p) => p.courseTitle,
      render: (p) => <Link to={`/console/provisions/${p.id}`}>{p.courseTitle}</Link>,
    },
    ...(withCompany
      ? [{ key: 'company', header: t('company'), value: (p: Provision) => p.companyName }]
      : []),
    { key: 'period', header: t('period'), value: (p) => p.startsOn, render: (p) => period(p, locale) },
    {
      key: 'seats',
      header: t('seatsTaken'),
      value: (p) => p.attendeeCount,
      render: (p) => `${p.enrolledCount} / ${p.attendeeCount}`,
      numeric: true,
    },
    {
      key: 'state',
      header: t('state'),
      value: (p) => states(p.state),
      render: (p) => <StateBadge state={p.state} />,
    },
    {
      key: 'createdAt',
      header: t('requestedAt'),
      value: (p) => String(p.createdAt),
      render: (p) => formatMoment(String(p.createdAt), locale),
    },
  ];
}

function CompanyProvisions({ companyId, companyName }: { companyId: string; companyName: string }) {
  const t = useT(messages);
  const provisions = useProvisions();
  const columns = useColumns(false);
  return (
    <>
      <h1>{t('titleOf', { name: companyName })}</h1>
      <nav className="console-links" aria-label={t('title')}>
        <Link to={`/console/companies/${companyId}`}>{t('employeesLink')}</Link>
        <Link to={`/console/companies/${companyId}/progress`}>{t('progressLink')}</Link>
      </nav>
      <RequestForm companyId={companyId} />
      <section aria-labelledby="provisions-requests">
        <h2 id="provisions-requests">{t('requests')}</h2>
        {provisions.status === 'loading' ? <p aria-live="polite">{t('loading')}</p> : null}
        {provisions.status === 'failed' ? <ProblemAlert problem={provisions.problem} /> : null}
        {provisions.status === 'ready' ? (
          <DataTable
            caption={t('requestsCaption')}
            columns={columns}
            rows={provisions.data.filter((p) => p.companyId === companyId)}
            rowKey={(p) => p.id}
            fileName="course-requests"
            empty={t('noRequests')}
          />
        ) : null}
      </section>
    </>
  );
}

/** The published catalogue a company may request from, with each course's institution by name. */
function useCatalogue() {
  const api = useApi();
  return useLoad(async () => {
    const courses = await api.GET('/courses', { params: { query: { state: 'published', limit: 200 } } });
    if (!courses.data) return { error: courses.error, response: courses.response };
    const ids = [...new Set(courses.data.map((c) => c.institutionId))];
    const profiles = await Promise.all(
      ids.map((institutionId) =>
        api.GET('/institutions/{institutionId}/public-profile', { params: { path: { institutionId } } }),
      ),
    );
    // A profile that cannot be read leaves its courses listed by title alone.
    const names = new Map(profiles.flatMap((p) => (p.data ? [[p.data.id, p.data.name] as const] : [])));
    const data = courses.data.map((c) => ({ ...c, institutionName: names.get(c.institutionId) }));
    return { data, response: courses.response };
  }, [api]);
}

const isoDay = (d: Date) =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

function RequestForm({ companyId }: { companyId: string }) {
  const api = useApi();
  const t = useT(messages);
  const navigate = useNavigate();
  const catalogue = useCatalogue();
  const [courseId, setCourseId] = useState('');
  const [startsOn, setStartsOn] = useState(() => isoDay(new Date()));
  const [endsOn, setEndsOn] = useState(() => isoDay(new Date(Date.now() + 29 * 86_400_000)));
  const [seats, setSeats] = useState('10');
  const [deposit, setDeposit] = useState('0');
  const [problem, setProblem] = useState<Problem | undefined>();
  const [sending, setSending] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    setSending(true);
    try {
      const { data, error, response } = await api.POST('/provisions', {
        body: {
          companyId,
          courseId,
          startsOn,
          endsOn,
          // Sent as typed: the API names the field when it is not a whole number in range.
          attendeeCount: seats.trim() === '' ? Number.NaN : Number(seats),
          depositAmount: deposit.trim() === '' ? 0 : Number(deposit),
        },
      });
      if (!data) throw asProblem(error, response);
      void navigate(`/console/provisions/${data.id}`);
    } catch (err) {
      setProblem(asProblem(err));
      setSending(false);
    }
  };

  // A refusal said in the app's language beside its field; the API words its messages for developers.
  const courseError = fieldError(problem, 'body.courseId') && t('courseInvalid');
  const startsError = fieldError(problem, 'body.startsOn') && t('dateInvalid');
  const endsError = fieldError(problem, 'body.endsOn')
    ? startsOn && endsOn && endsOn < startsOn
      ? t('endsBeforeStart')
      : t('dateInvalid')
    : undefined;
  const seatsError = fieldError(problem, 'body.attendeeCount') && t('seatsInvalid');
  const depositError = fieldError(problem, 'body.depositAmount') && t('depositInvalid');
  const shown = courseError || startsError || endsError || seatsError || depositError;
  const courses: (Course & { institutionName?: string | undefined })[] =
    catalogue.status === 'ready' ? catalogue.data : [];
  return (
    <section aria-labelledby="provisions-request">
      <h2 id="provisions-request">{t('request')}</h2>
      {catalogue.status === 'failed' ? <ProblemAlert problem={catalogue.problem} /> : null}
      {catalogue.status === 'ready' && courses.length === 0 ? <p>{t('noCourses')}</p> : null}
      <form className="console-form" onSubmit={(e) => void submit(e)} noValidate>
        <div className="console-field">
          <label htmlFor="request-course">{t('course')}</label>
          <select
            {...fieldProps('request-course', courseError)}
            value={courseId}
            onChange={(e) => setCourseId(e.target.value)}
            disabled={catalogue.status !== 'ready'}
          >
            <option value="">{catalogue.status === 'loading' ? t('loading') : t('chooseCourse')}</option>
            {courses.map((c) => (
              <option key={c.id} value={c.id}>
                {c.institutionName
                  ? t('institutionOf', { course: c.title, institution: c.institutionName })
                  : c.title}
              </option>
            ))}
          </select>
          <FieldError id="request-course-error" message={courseError} />
        </div>
        <div className="console-field">
          <label htmlFor="request-starts">{t('startsOn')}</label>
          <input
            {...fieldProps('request-starts', startsError)}
            type="date"
            value={startsOn}
            onChange={(e) => setStartsOn(e.target.value)}
          />
          <FieldError id="request-starts-error" message={startsError} />
        </div>
        <div className="console-field">
          <label htmlFor="request-ends">{t('endsOn')}</label>
          <input
            {...fieldProps('request-ends', endsError)}
            type="date"
            value={endsOn}
            onChange={(e) => setEndsOn(e.target.value)}
          />
          <FieldError id="request-ends-error" message={endsError} />
        </div>
        <div className="console-field">
          <label htmlFor="request-seats">{t('seats')}</label>
          <input
            {...fieldProps('request-seats', seatsError, true)}
            type="number"
            inputMode="numeric"
            min={1}
            max={10000}
            step={1}
            value={seats}
            onChange={(e) => setSeats(e.target.value)}
          />
          <span id="request-seats-hint" className="muted">
            {t('seatsHint')}
          </span>
          <FieldError id="request-seats-error" message={seatsError} />
        </div>
        <div className="console-field">
          <label htmlFor="request-deposit">{t('deposit')}</label>
          <input
            {...fieldProps('request-deposit', depositError, true)}
            type="number"
            inputMode="numeric"
            min={0}
            step={1}
            value={deposit}
            onChange={(e) => setDeposit(e.target.value)}
          />
          <span id="request-deposit-hint" className="muted">
            {t('depositHint')}
          </span>
          <FieldError id="request-deposit-error" message={depositError} />
        </div>
        {problem && !shown ? <ProblemAlert problem={problem} /> : null}
        <button type="submit" disabled={sending}>
          {sending ? t('sending') : t('send')}
        </button>
      </form>
    </section>
  );
}

function InstitutionProvisions() {
  const t = useT(messages);
  const { locale } = useLocale();
  const provisions = useProvisions();
  const columns = useColumns(true);
  const waiting = provisions.status === 'ready' ? provisions.data.filter((p) => p.state === 'requested') : [];
  return (
    <>
      <h1>{t('title')}</h1>
      {provisions.status === 'loading' ? <p aria-live="polite">{t('loading')}</p> : null}
      {provisions.status === 'failed' ? <ProblemAlert problem={provisions.problem} /> : null}
      {provisions.status === 'ready' ? (
        <>
          <section aria-labelledby="provisions-incoming">
            <h2 id="provisions-incoming">{t('incoming')}</h2>
            {waiting.length === 0 ? <p className="muted">{t('noIncoming')}</p> : null}
            <div className="incoming">
              {waiting.map((p) => (
                <article key={p.id} aria-labelledby={`incoming-${p.id}`}>
                  <h3 id={`incoming-${p.id}`}>
                    <Link to={`/console/provisions/${p.id}`}>{p.courseTitle}</Link>
                  </h3>
                  <dl className="facts">
                    <dt>{t('company')}</dt>
                    <dd>{p.companyName}</dd>
                    <dt>{t('period')}</dt>
                    <dd>{period(p, locale)}</dd>
                    <dt>{t('seats')}</dt>
                    <dd>{p.attendeeCount}</dd>
                    <dt>{t('requestedAt')}</dt>
                    <dd>{formatMoment(String(p.createdAt), locale)}</dd>
                  </dl>
                  <DecisionForm
                    provisionId={p.id}
                    what={t('requestOf', { company: p.companyName, course: p.courseTitle })}
                    onDecided={() => provisions.reload()}
                  />
                </article>
              ))}
            </div>
          </section>
          <section aria-labelledby="provisions-all">
            <h2 id="provisions-all">{t('all')}</h2>
            <DataTable
              caption={t('allCaption')}
              columns={columns}
              rows={provisions.data}
              rowKey={(p) => p.id}
              fileName="course-requests"
            />
          </section>
        </>
      ) : null}
    </>
  );
}
