import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { useApi } from '../../api/api-context';
import { fieldError, type Problem } from '../../api/problem';
import { useLocale, useT, type Messages } from '../../i18n';
import { DataTable, type Column } from '../../ui/data-table';
import { FieldError, fieldProps, ProblemAlert } from '../../ui/problem-alert';
import { asProblem, useLoad } from '../../ui/use-load';
import { formatMoment, sessionDates } from '../../ui/when';
import { useMemberships } from '../memberships';
import { dayFromNow, fromLocalInput, toLocalInput, type Session } from './session-common';
import '../exams/exams.css';

const messages: Messages<
  | 'title'
  | 'loading'
  | 'nothing'
  | 'console'
  | 'offer'
  | 'course'
  | 'chooseCourse'
  | 'noCourses'
  | 'capacity'
  | 'capacityHint'
  | 'startsOn'
  | 'endsOn'
  | 'startTime'
  | 'endTime'
  | 'timesHint'
  | 'opensAt'
  | 'closesAt'
  | 'cancelDeadline'
  | 'send'
  | 'sending'
  | 'courseInvalid'
  | 'capacityInvalid'
  | 'dayInvalid'
  | 'endsBeforeStart'
  | 'timeInvalid'
  | 'momentInvalid'
  | 'closesBeforeOpens'
  | 'deadlineBeforeOpens'
  | 'filters'
  | 'filterCourse'
  | 'allCourses'
  | 'from'
  | 'to'
  | 'seatsLeftOnly'
  | 'sessions'
  | 'caption'
  | 'noSessions'
  | 'dates'
  | 'window'
  | 'seats'
  | 'waiting'
> = {
  ko: {
    title: '공개 수강 신청 차수',
    loading: '불러오는 중…',
    nothing: '공개 차수는 교육기관의 관리자가 엽니다.',
    console: '관리 홈',
    offer: '새 차수 열기',
    course: '과정',
    chooseCourse: '공개된 과정을 고르세요',
    noCourses: '공개된 과정이 없습니다. 과정을 먼저 공개하세요.',
    capacity: '정원',
    capacityHint: '1~10000명. 정원이 차면 대기자로 받습니다.',
    startsOn: '교육 시작일',
    endsOn: '교육 종료일',
    startTime: '시작 시각',
    endTime: '종료 시각',
    timesHint: '집합·실시간 교육이면 둘 다, 아니면 비워 두세요.',
    opensAt: '신청 시작',
    closesAt: '신청 마감',
    cancelDeadline: '취소 마감',
    send: '차수 열기',
    sending: '여는 중…',
    courseInvalid: '목록에서 공개된 과정을 고르세요.',
    capacityInvalid: '1에서 10000 사이의 정수를 입력하세요.',
    dayInvalid: '2000년에서 2999년 사이의 날짜를 고르세요.',
    endsBeforeStart: '종료일은 시작일보다 앞설 수 없습니다.',
    timeInvalid: '시작과 종료 시각을 둘 다 쓰거나 둘 다 비우세요. 종료는 시작보다 뒤여야 합니다.',
    momentInvalid: '날짜와 시각을 고르세요.',
    closesBeforeOpens: '신청 마감은 신청 시작보다 뒤여야 합니다.',
    deadlineBeforeOpens: '취소 마감은 신청 시작보다 앞설 수 없습니다.',
    filters: '차수 찾기',
    filterCourse: '과정별 보기',
    allCourses: '모든 과정',
    from: '시작일 (부터)',
    to: '시작일 (까지)',
    seatsLeftOnly: '남은 자리가 있는 차수만',
    sessions: '기관의 차수',
    caption: '기관의 공개 차수 (신청 시작 순)',
    noSessions: '조건에 맞는 차수가 없습니다.',
    dates: '교육 기간',
    window: '신청 기간',
    seats: '등록 / 정원',
    waiting: '대기',
  },
  en: {
    title: 'Open sessions',
    loading: 'Loading…',
    nothing: 'Open sessions are offered by an institution’s managers.',
    console: 'Console home',
    offer: 'Offer a session',
    course: 'Course',
    chooseCourse: 'Choose a published course',
    noCourses: 'No course is published yet: publish one first.',
    capacity: 'Seats',
    capacityHint: '1 to 10000. Once full, learners may wait in line.',
    startsOn: 'Training starts on',
    endsOn: 'Training ends on',
    startTime: 'Daily start time',
    endTime: 'Daily end time',
    timesHint: 'For classroom or live sessions give both; otherwise leave both empty.',
    opensAt: 'Registration opens',
    closesAt: 'Registration closes',
    cancelDeadline: 'Cancellation deadline',
    send: 'Offer the session',
    sending: 'Offering…',
    courseInvalid: 'Choose a published course from the list.',
    capacityInvalid: 'Enter a whole number from 1 to 10000.',
    dayInvalid: 'Choose a date in the years 2000 to 2999.',
    endsBeforeStart: 'The end cannot come before the start.',
    timeInvalid: 'Give both times or neither; the end comes after the start.',
    momentInvalid: 'Choose a date and a time.',
    closesBeforeOpens: 'Registration must close after it opens.',
    deadlineBeforeOpens: 'The cancellation deadline cannot come before registration opens.',
    filters: 'Find sessions',
    filterCourse: 'Show the course',
    allCourses: 'All courses',
    from: 'Starting from',
    to: 'Starting until',
    seatsLeftOnly: 'Only sessions with a seat left',
    sessions: 'The institution’s sessions',
    caption: 'The institution’s open sessions, by registration opening',
    noSessions: 'No session matches.',
    dates: 'Training dates',
    window: 'Registration',
    seats: 'Taken / seats',
    waiting: 'Waiting',
  },
};

/** The institution's open sessions: offered here, found by course and dates, each opened for its roster. */
export default function Sessions() {
  const t = useT(messages);
  const api = useApi();
  const memberships = useMemberships();
  const courses = useLoad(
    () => api.GET('/courses', { params: { query: { state: 'published', limit: 200 } } }),
    [api],
  );
  if (memberships.status === 'loading') return <p aria-live="polite">{t('loading')}</p>;
  if (memberships.status === 'failed') return <ProblemAlert problem={memberships.problem} />;
  const institution = memberships.data.institution;
  if (!institution)
    return (
      <>
        <h1>{t('title')}</h1>
        <p>{t('nothing')}</p>
      </>
    );
  const published = courses.status === 'ready' ? courses.data : [];
  return (
    <>
      <h1>{t('title')}</h1>
      <nav className="cx-links" aria-label={t('title')}>
        <Link to="/console">{t('console')}</Link>
      </nav>
      {courses.status === 'failed' ? <ProblemAlert problem={courses.problem} /> : null}
      {institution.role === 'institution-manager' ? (
        <OfferForm courses={published} loading={courses.status === 'loading'} />
      ) : (
        <p className="muted">{t('nothing')}</p>
      )}
      <SessionList institutionId={institution.id} courses={published} />
    </>
  );
}

function OfferForm({
  courses,
  loading,
}: {
  courses: readonly { id: string; title: string }[];
  loading: boolean;
}) {
  const t = useT(messages);
  const api = useApi();
  const navigate = useNavigate();
  const [courseId, setCourseId] = useState('');
  const [capacity, setCapacity] = useState('20');
  const [startsOn, setStartsOn] = useState(() => dayFromNow(14));
  const [endsOn, setEndsOn] = useState(() => dayFromNow(44));
  const [startTime, setStartTime] = useState('');
  const [endTime, setEndTime] = useState('');
  const [opensAt, setOpensAt] = useState(() => toLocalInput(new Date()));
  const [closesAt, setClosesAt] = useState(() => toLocalInput(new Date(Date.now() + 10 * 86_400_000)));
  const [cancelDeadline, setCancelDeadline] = useState(() =>
    toLocalInput(new Date(Date.now() + 13 * 86_400_000)),
  );
  const [problem, setProblem] = useState<Problem | undefined>();
  const [sending, setSending] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    setSending(true);
    const { data, error, response } = await api.POST('/sessions', {
      body: {
        courseId,
        capacity: capacity.trim() === '' ? Number.NaN : Number(capacity),
        startsOn,
        endsOn,
        ...(startTime || endTime ? { startTime, endTime } : {}),
        opensAt: fromLocalInput(opensAt),
        closesAt: fromLocalInput(closesAt),
        cancelDeadline: fromLocalInput(cancelDeadline),
      },
    });
    setSending(false);
    if (!data) {
      setProblem(asProblem(error, response));
      return;
    }
    void navigate(`/console/sessions/${data.id}`);
  };

  const courseError = (fieldError(problem, 'body.courseId') || problem?.status === 404) && t('courseInvalid');
  const capacityError = fieldError(problem, 'body.capacity') && t('capacityInvalid');
  const startsError = fieldError(problem, 'body.startsOn') && t('dayInvalid');
  const endsError = fieldError(problem, 'body.endsOn')
    ? endsOn && startsOn && endsOn < startsOn
      ? t('endsBeforeStart')
      : t('dayInvalid')
    : undefined;
  const startTimeError = fieldError(problem, 'body.startTime') && t('timeInvalid');
  const endTimeError = fieldError(problem, 'body.endTime') && t('timeInvalid');
  const opensError = fieldError(problem, 'body.opensAt') && t('momentInvalid');
  const closesError = fieldError(problem, 'body.closesAt')
    ? opensAt && closesAt && !opensError
      ? t('closesBeforeOpens')
      : t('momentInvalid')
    : undefined;
  const deadlineError = fieldError(problem, 'body.cancelDeadline')
    ? opensAt && cancelDeadline && !opensError
      ? t('deadlineBeforeOpens')
      : t('momentInvalid')
    : undefined;
  const shown =
    courseError ||
    capacityError ||
    startsError ||
    endsError ||
    startTimeError ||
    endTimeError ||
    opensError ||
    closesError ||
    deadlineError;
  const input = (
    id: string,
    label: string,
    type: string,
    value: string,
    set: (v: string) => void,
    error: string | false | undefined,
    timesHint?: boolean,
  ) => (
    <div className="cx-field">
      <label htmlFor={id}>{label}</label>
      <input
        {...fieldProps(id, error)}
        {...(timesHint
          ? {
              'aria-describedby': ['session-times-hint', error ? `${id}-error` : '']
                .filter(Boolean)
                .join(' '),
            }
          : {})}
        type={type}
        value={value}
        onChange={(e) => set(e.target.value)}
      />
      <FieldError id={`${id}-error`} message={error || undefined} />
    </div>
  );
  return (
    <section aria-labelledby="sessions-offer">
      <h2 id="sessions-offer">{t('offer')}</h2>
      {!loading && courses.length === 0 ? <p>{t('noCourses')}</p> : null}
      <form className="cx-form" onSubmit={(e) => void submit(e)} noValidate>
        <div className="cx-field">
          <label htmlFor="session-course">{t('course')}</label>
          <select
            {...fieldProps('session-course', courseError)}
            value={courseId}
            onChange={(e) => setCourseId(e.target.value)}
            disabled={loading}
          >
            <option value="">{loading ? t('loading') : t('chooseCourse')}</option>
            {courses.map((c) => (
              <option key={c.id} value={c.id}>
                {c.title}
              </option>
            ))}
          </select>
          <FieldError id="session-course-error" message={courseError || undefined} />
        </div>
        <div className="cx-field">
          <label htmlFor="session-capacity">{t('capacity')}</label>
          <input
            {...fieldProps('session-capacity', capacityError, true)}
            type="number"
            inputMode="numeric"
            min={1}
            max={10000}
            step={1}
            value={capacity}
            onChange={(e) => setCapacity(e.target.value)}
          />
          <span id="session-capacity-hint" className="muted">
            {t('capacityHint')}
          </span>
          <FieldError id="session-capacity-error" message={capacityError || undefined} />
        </div>
        <div className="cx-row">
          {input('session-starts', t('startsOn'), 'date', startsOn, setStartsOn, startsError)}
          {input('session-ends', t('endsOn'), 'date', endsOn, setEndsOn, endsError)}
        </div>
        <div className="cx-row">
          {input('session-start-time', t('startTime'), 'time', startTime, setStartTime, startTimeError, true)}
          {input('session-end-time', t('endTime'), 'time', endTime, setEndTime, endTimeError, true)}
        </div>
        <span id="session-times-hint" className="muted">
          {t('timesHint')}
        </span>
        <div className="cx-row">
          {input('session-opens', t('opensAt'), 'datetime-local', opensAt, setOpensAt, opensError)}
          {input('session-closes', t('closesAt'), 'datetime-local', closesAt, setClosesAt, closesError)}
          {input(
            'session-cancel',
            t('cancelDeadline'),
            'datetime-local',
            cancelDeadline,
            setCancelDeadline,
            deadlineError,
          )}
        </div>
        {problem && !shown ? <ProblemAlert problem={problem} /> : null}
        <div>
          <button type="submit" disabled={sending}>
            {sending ? t('sending') : t('send')}
          </button>
        </div>
      </form>
    </section>
  );
}

function SessionList({
  institutionId,
  courses,
}: {
  institutionId: string;
  courses: readonly { id: string; title: string }[];
}) {
  const t = useT(messages);
  const { locale } = useLocale();
  const api = useApi();
  const [courseId, setCourseId] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [seatsLeft, setSeatsLeft] = useState(false);
  const sessions = useLoad(
    () =>
      api.GET('/sessions', {
        params: {
          query: {
            limit: 200,
            institutionId,
            ...(courseId ? { courseId } : {}),
            ...(from ? { from } : {}),
            ...(to ? { to } : {}),
            ...(seatsLeft ? { seatsLeft: 'true' as const } : {}),
          },
        },
      }),
    [api, institutionId, courseId, from, to, seatsLeft],
  );
  // Learners' listing shows every institution's public sessions; the console asks for its own.
  const rows = sessions.status === 'ready' ? sessions.data : [];
  const columns: Column<Session>[] = [
    {
      key: 'course',
      header: t('course'),
      value: (s) => s.courseTitle,
      render: (s) => <Link to={`/console/sessions/${s.id}`}>{s.courseTitle}</Link>,
    },
    { key: 'dates', header: t('dates'), value: (s) => s.startsOn, render: (s) => sessionDates(s, locale) },
    {
      key: 'window',
      header: t('window'),
      value: (s) => String(s.opensAt),
      render: (s) =>
        `${formatMoment(String(s.opensAt), locale)} ~ ${formatMoment(String(s.closesAt), locale)}`,
    },
    {
      key: 'seats',
      header: t('seats'),
      value: (s) => s.seatsTaken,
      render: (s) => `${s.seatsTaken} / ${s.capacity}`,
      numeric: true,
    },
    { key: 'waiting', header: t('waiting'), value: (s) => s.waiting, numeric: true },
  ];
  const problem = sessions.status === 'failed' ? sessions.problem : undefined;
  return (
    <section aria-labelledby="sessions-list">
      <h2 id="sessions-list">{t('sessions')}</h2>
      <fieldset className="cx-row">
        <legend>{t('filters')}</legend>
        <div className="cx-field">
          <label htmlFor="sessions-filter-course">{t('filterCourse')}</label>
          <select id="sessions-filter-course" value={courseId} onChange={(e) => setCourseId(e.target.value)}>
            <option value="">{t('allCourses')}</option>
            {courses.map((c) => (
              <option key={c.id} value={c.id}>
                {c.title}
              </option>
            ))}
          </select>
        </div>
        <div className="cx-field">
          <label htmlFor="sessions-filter-from">{t('from')}</label>
          <input
            id="sessions-filter-from"
            type="date"
            value={from}
            onChange={(e) => setFrom(e.target.value)}
          />
          <FieldError id="sessions-filter-from-error" message={fieldError(problem, 'query.from')} />
        </div>
        <div className="cx-field">
          <label htmlFor="sessions-filter-to">{t('to')}</label>
          <input id="sessions-filter-to" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
          <FieldError id="sessions-filter-to-error" message={fieldError(problem, 'query.to')} />
        </div>
        <div className="cx-field">
          <span aria-hidden="true">&nbsp;</span>
          <label>
            <input type="checkbox" checked={seatsLeft} onChange={(e) => setSeatsLeft(e.target.checked)} />{' '}
            {t('seatsLeftOnly')}
          </label>
        </div>
      </fieldset>
      {sessions.status === 'loading' ? <p aria-live="polite">{t('loading')}</p> : null}
      {problem && !fieldError(problem, 'query.from') && !fieldError(problem, 'query.to') ? (
        <ProblemAlert problem={problem} />
      ) : null}
      {sessions.status === 'ready' ? (
        <DataTable
          caption={t('caption')}
          columns={columns}
          rows={rows}
          rowKey={(s) => s.id}
          fileName="open-sessions"
          empty={t('noSessions')}
        />
      ) : null}
    </section>
  );
}
