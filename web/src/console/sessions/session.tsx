import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { useApi } from '../../api/api-context';
import { fieldError, type Problem } from '../../api/problem';
import type { paths } from '../../api/schema';
import { useLocale, useT, type Messages } from '../../i18n';
import { DataTable, type Column } from '../../ui/data-table';
import { FieldError, ProblemAlert } from '../../ui/problem-alert';
import { asProblem, useLoad } from '../../ui/use-load';
import { formatMoment, sessionDates } from '../../ui/when';
import { useMemberships } from '../memberships';
import { fromLocalInput, toLocalInput, type Session } from './session-common';
import '../exams/exams.css';

type Roster =
  paths['/sessions/{sessionId}/registrations']['get']['responses'][200]['content']['application/json'];
type Registration = Roster['registrations'][number];

const messages: Messages<
  | 'loading'
  | 'back'
  | 'dates'
  | 'window'
  | 'cancelDeadline'
  | 'seats'
  | 'seatsValue'
  | 'waiting'
  | 'eligible'
  | 'anyone'
  | 'companies'
  | 'change'
  | 'capacity'
  | 'opensAt'
  | 'closesAt'
  | 'save'
  | 'saving'
  | 'saved'
  | 'nothingChanged'
  | 'capacityInvalid'
  | 'momentInvalid'
  | 'roster'
  | 'rosterCaption'
  | 'noRegistrations'
  | 'learner'
  | 'state'
  | 'registered'
  | 'waitingState'
  | 'position'
  | 'requestedAt'
  | 'registeredAt'
> = {
  ko: {
    loading: '불러오는 중…',
    back: '공개 차수 목록',
    dates: '교육 기간',
    window: '신청 기간',
    cancelDeadline: '취소 마감',
    seats: '자리',
    seatsValue: '{taken}석 등록 / 정원 {capacity}석 (남은 자리 {left}석)',
    waiting: '대기',
    eligible: '신청 대상',
    anyone: '로그인한 누구나',
    companies: '지정한 회사의 직원 ({n}개 회사)',
    change: '차수 변경',
    capacity: '정원',
    opensAt: '신청 시작',
    closesAt: '신청 마감',
    save: '변경 저장',
    saving: '저장하는 중…',
    saved: '변경을 저장했습니다.',
    nothingChanged: '바꾼 것이 없습니다.',
    capacityInvalid: '1에서 10000 사이의 정수로, 이미 등록된 자리보다 적지 않게 입력하세요.',
    momentInvalid: '신청 시작 < 신청 마감, 신청 시작 ≤ 취소 마감이 되도록 날짜와 시각을 고르세요.',
    roster: '등록자와 대기자',
    rosterCaption: '이 차수의 등록자와 대기자 (도착 순)',
    noRegistrations: '아직 신청한 학습자가 없습니다.',
    learner: '학습자',
    state: '상태',
    registered: '등록',
    waitingState: '대기',
    position: '대기 순번',
    requestedAt: '신청 일시',
    registeredAt: '등록 일시',
  },
  en: {
    loading: 'Loading…',
    back: 'Open sessions',
    dates: 'Training dates',
    window: 'Registration',
    cancelDeadline: 'Cancellation deadline',
    seats: 'Seats',
    seatsValue: '{taken} taken of {capacity} ({left} left)',
    waiting: 'Waiting',
    eligible: 'Open to',
    anyone: 'anyone signed in',
    companies: 'employees of {n} chosen companies',
    change: 'Change the session',
    capacity: 'Seats',
    opensAt: 'Registration opens',
    closesAt: 'Registration closes',
    save: 'Save the changes',
    saving: 'Saving…',
    saved: 'The changes are saved.',
    nothingChanged: 'Nothing was changed.',
    capacityInvalid: 'Enter a whole number from 1 to 10000, not below the seats taken.',
    momentInvalid:
      'Choose moments where registration opens before it closes, and not after the cancellation deadline.',
    roster: 'Registrations and waitlist',
    rosterCaption: 'Who holds a seat and who waits, in arrival order',
    noRegistrations: 'Nobody has registered yet.',
    learner: 'Learner',
    state: 'State',
    registered: 'Registered',
    waitingState: 'Waiting',
    position: 'Place in line',
    requestedAt: 'Requested',
    registeredAt: 'Registered',
  },
};

/** Every page of a session's roster: a session holds at most 10000 seats, 200 a page. */
async function wholeRoster(
  get: (cursor: string | undefined) => Promise<{ data?: Roster; error?: unknown; response: Response }>,
) {
  const all: Registration[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await get(cursor);
    if (!page.data) return { error: page.error, response: page.response };
    all.push(...page.data.registrations);
    cursor = page.data.cursor;
    if (!cursor) return { data: all, response: page.response };
  }
}

/** One open session: its facts, its capacity and window changed, and who registered or waits. */
export default function SessionScreen() {
  const { sessionId = '' } = useParams();
  const t = useT(messages);
  const { locale } = useLocale();
  const api = useApi();
  const memberships = useMemberships();
  const session = useLoad(
    () => api.GET('/sessions/{sessionId}', { params: { path: { sessionId } } }),
    [api, sessionId],
  );
  const roster = useLoad(
    () =>
      wholeRoster((cursor) =>
        api.GET('/sessions/{sessionId}/registrations', {
          params: { path: { sessionId }, query: { limit: 200, ...(cursor ? { cursor } : {}) } },
        }),
      ),
    [api, sessionId],
  );
  const back = (
    <nav className="cx-links" aria-label={t('back')}>
      <Link to="/console/sessions">{t('back')}</Link>
    </nav>
  );
  if (session.status === 'loading') return <p aria-live="polite">{t('loading')}</p>;
  if (session.status === 'failed')
    return (
      <>
        {back}
        <ProblemAlert problem={session.problem} />
      </>
    );
  const s = session.data;
  const manages =
    memberships.status === 'ready' &&
    memberships.data.institution?.id === s.institutionId &&
    memberships.data.institution.role === 'institution-manager';
  const columns: Column<Registration>[] = [
    { key: 'learner', header: t('learner'), value: (r) => r.email ?? r.userSub },
    {
      key: 'state',
      header: t('state'),
      value: (r) => (r.state === 'registered' ? t('registered') : t('waitingState')),
    },
    { key: 'position', header: t('position'), value: (r) => r.position, numeric: true },
    {
      key: 'createdAt',
      header: t('requestedAt'),
      value: (r) => String(r.createdAt),
      render: (r) => formatMoment(String(r.createdAt), locale),
    },
    {
      key: 'registeredAt',
      header: t('registeredAt'),
      value: (r) => (r.registeredAt ? String(r.registeredAt) : ''),
      render: (r) => (r.registeredAt ? formatMoment(String(r.registeredAt), locale) : ''),
    },
  ];
  return (
    <>
      <h1>{s.courseTitle}</h1>
      {back}
      <dl className="cx-facts">
        <dt>{t('dates')}</dt>
        <dd>{sessionDates(s, locale)}</dd>
        <dt>{t('window')}</dt>
        <dd>
          {formatMoment(String(s.opensAt), locale)} ~ {formatMoment(String(s.closesAt), locale)}
        </dd>
        <dt>{t('cancelDeadline')}</dt>
        <dd>{formatMoment(String(s.cancelDeadline), locale)}</dd>
        <dt>{t('seats')}</dt>
        <dd>{t('seatsValue', { taken: s.seatsTaken, capacity: s.capacity, left: s.seatsLeft })}</dd>
        <dt>{t('waiting')}</dt>
        <dd>{s.waiting}</dd>
        <dt>{t('eligible')}</dt>
        <dd>{s.eligibleCompanyIds ? t('companies', { n: s.eligibleCompanyIds.length }) : t('anyone')}</dd>
      </dl>
      {manages ? (
        // Not remounted by the reload after a save: what was typed is what is stored, and the note stays.
        <ChangeForm
          session={s}
          onSave={async (body) => {
            const { data, error, response } = await api.PATCH('/sessions/{sessionId}', {
              params: { path: { sessionId } },
              body,
            });
            if (!data) return asProblem(error, response);
            session.reload();
            roster.reload();
            return undefined;
          }}
        />
      ) : null}
      <section aria-labelledby="session-roster">
        <h2 id="session-roster">{t('roster')}</h2>
        {roster.status === 'loading' ? <p aria-live="polite">{t('loading')}</p> : null}
        {roster.status === 'failed' ? <ProblemAlert problem={roster.problem} /> : null}
        {roster.status === 'ready' ? (
          <DataTable
            caption={t('rosterCaption')}
            columns={columns}
            rows={roster.data}
            rowKey={(r) => r.id}
            fileName="session-registrations"
            empty={t('noRegistrations')}
          />
        ) : null}
      </section>
    </>
  );
}

type Change = NonNullable<
  paths['/sessions/{sessionId}']['patch']['requestBody']
>['content']['application/json'];

function ChangeForm({
  session: s,
  onSave,
}: {
  session: Session;
  onSave: (body: Change) => Promise<Problem | undefined>;
}) {
  const t = useT(messages);
  const [capacity, setCapacity] = useState(String(s.capacity));
  const [opensAt, setOpensAt] = useState(toLocalInput(String(s.opensAt)));
  const [closesAt, setClosesAt] = useState(toLocalInput(String(s.closesAt)));
  const [cancelDeadline, setCancelDeadline] = useState(toLocalInput(String(s.cancelDeadline)));
  const [problem, setProblem] = useState<Problem | undefined>();
  const [note, setNote] = useState<'saved' | 'nothingChanged' | undefined>();
  const [saving, setSaving] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    setNote(undefined);
    // Only what changed: the stored window stays as it is, to the second.
    const body: Change = {
      ...(capacity !== String(s.capacity)
        ? { capacity: capacity.trim() === '' ? Number.NaN : Number(capacity) }
        : {}),
      ...(opensAt !== toLocalInput(String(s.opensAt)) ? { opensAt: fromLocalInput(opensAt) } : {}),
      ...(closesAt !== toLocalInput(String(s.closesAt)) ? { closesAt: fromLocalInput(closesAt) } : {}),
      ...(cancelDeadline !== toLocalInput(String(s.cancelDeadline))
        ? { cancelDeadline: fromLocalInput(cancelDeadline) }
        : {}),
    };
    if (Object.keys(body).length === 0) {
      setNote('nothingChanged');
      return;
    }
    setSaving(true);
    const refused = await onSave(body);
    setSaving(false);
    setProblem(refused);
    if (!refused) setNote('saved');
  };
  const errors = {
    capacity: fieldError(problem, 'body.capacity') && t('capacityInvalid'),
    opens: fieldError(problem, 'body.opensAt') && t('momentInvalid'),
    closes: fieldError(problem, 'body.closesAt') && t('momentInvalid'),
    cancel: fieldError(problem, 'body.cancelDeadline') && t('momentInvalid'),
  };
  const shown = Object.values(errors).some(Boolean);
  const input = (
    id: string,
    label: string,
    type: string,
    value: string,
    set: (v: string) => void,
    error: string | undefined,
  ) => (
    <div className="cx-field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        type={type}
        value={value}
        onChange={(e) => set(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        {...(type === 'number' ? { min: 1, max: 10000, step: 1, inputMode: 'numeric' as const } : {})}
      />
      <FieldError id={`${id}-error`} message={error} />
    </div>
  );
  return (
    <section aria-labelledby="session-change">
      <h2 id="session-change">{t('change')}</h2>
      <form className="cx-form" onSubmit={(e) => void submit(e)} noValidate>
        <div className="cx-row">
          {input('change-capacity', t('capacity'), 'number', capacity, setCapacity, errors.capacity)}
          {input('change-opens', t('opensAt'), 'datetime-local', opensAt, setOpensAt, errors.opens)}
          {input('change-closes', t('closesAt'), 'datetime-local', closesAt, setClosesAt, errors.closes)}
          {input(
            'change-cancel',
            t('cancelDeadline'),
            'datetime-local',
            cancelDeadline,
            setCancelDeadline,
            errors.cancel,
          )}
        </div>
        {problem && !shown ? <ProblemAlert problem={problem} /> : null}
        {note ? (
          <p role="status" className="cx-notice">
            {t(note)}
          </p>
        ) : null}
        <div>
          <button type="submit" disabled={saving}>
            {saving ? t('saving') : t('save')}
          </button>
        </div>
      </form>
    </section>
  );
}
