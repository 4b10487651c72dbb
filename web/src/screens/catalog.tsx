import { useId, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useApi } from '../api/api-context';
import type { Problem } from '../api/problem';
import type { paths } from '../api/schema';
import { useLocale, useT, type Messages } from '../i18n';
import { ProblemAlert } from '../ui/problem-alert';
import { asProblem, useLoad } from '../ui/use-load';
import { formatMoment, sessionDates } from '../ui/when';

type Session = paths['/sessions']['get']['responses'][200]['content']['application/json'][number];
type Registration =
  paths['/me/registrations']['get']['responses'][200]['content']['application/json'][number];
type Outcome =
  paths['/me/registrations']['post']['responses'][200]['content']['application/json']['items'][number];

/** The most sessions one cart registers at once (the API's limit). */
const MAX_ITEMS = 10;

const messages: Messages<
  | 'title'
  | 'intro'
  | 'loading'
  | 'none'
  | 'search'
  | 'searchButton'
  | 'dates'
  | 'window'
  | 'notOpenYet'
  | 'seatsLeft'
  | 'full'
  | 'held'
  | 'heldWaiting'
  | 'pick'
  | 'pickWaitlist'
  | 'selected'
  | 'tooMany'
  | 'register'
  | 'registering'
  | 'results'
  | 'registered'
  | 'alreadyRegistered'
  | 'waiting'
  | 'refused'
  | 'toCart'
  | 'reason.not-eligible'
  | 'reason.not-open-yet'
  | 'reason.closed'
  | 'reason.full'
  | 'reason.schedule-overlap'
  | 'reason.not-found'
> = {
  ko: {
    title: '수강 신청',
    intro: '신청할 과정을 골라 한 번에 신청하세요. 정원이 찬 과정은 대기자로 신청됩니다.',
    loading: '불러오는 중…',
    none: '지금 신청할 수 있는 과정이 없습니다.',
    search: '과정명 검색',
    searchButton: '검색',
    dates: '교육 기간',
    window: '신청 기간',
    notOpenYet: '신청 시작 전입니다.',
    seatsLeft: '잔여 {n}석 / 정원 {capacity}명',
    full: '정원 마감 · 대기 {n}명',
    held: '신청 완료',
    heldWaiting: '대기 {n}번째',
    pick: '신청할 과정으로 선택',
    pickWaitlist: '대기자로 신청할 과정으로 선택',
    selected: '{n}개 과정 선택됨',
    tooMany: '한 번에 {max}개 과정까지 신청할 수 있습니다.',
    register: '선택한 과정 신청',
    registering: '신청하는 중…',
    results: '신청 결과',
    registered: '신청 완료',
    alreadyRegistered: '이미 신청한 과정입니다',
    waiting: '대기자 등록 · 대기 {n}번째',
    refused: '신청 불가',
    toCart: '신청 내역 보기',
    'reason.not-eligible': '지정된 회사의 임직원만 신청할 수 있는 과정입니다.',
    'reason.not-open-yet': '아직 신청 기간이 아닙니다.',
    'reason.closed': '신청 기간이 끝났습니다.',
    'reason.full': '그사이 정원이 찼습니다. 다시 선택하면 대기자로 신청됩니다.',
    'reason.schedule-overlap': '이미 신청했거나 대기 중인 과정과 일정이 겹칩니다.',
    'reason.not-found': '과정을 찾을 수 없습니다.',
  },
  en: {
    title: 'Catalog',
    intro:
      'Choose the sessions you want and register for them at once. A full session puts you on its waitlist.',
    loading: 'Loading…',
    none: 'No session is open for registration now.',
    search: 'Search course titles',
    searchButton: 'Search',
    dates: 'Dates',
    window: 'Registration',
    notOpenYet: 'Registration has not opened yet.',
    seatsLeft: '{n} of {capacity} seats left',
    full: 'Full · {n} on the waitlist',
    held: 'Registered',
    heldWaiting: 'Waitlist: number {n}',
    pick: 'Select to register',
    pickWaitlist: 'Select to join the waitlist',
    selected: '{n} selected',
    tooMany: 'You can register for at most {max} sessions at once.',
    register: 'Register for selected sessions',
    registering: 'Registering…',
    results: 'Registration results',
    registered: 'Registered',
    alreadyRegistered: 'You were registered already',
    waiting: 'On the waitlist: number {n}',
    refused: 'Not registered',
    toCart: 'See my registrations',
    'reason.not-eligible': 'This session is for employees of the companies it names.',
    'reason.not-open-yet': 'Registration has not opened yet.',
    'reason.closed': 'Registration has closed.',
    'reason.full': 'The session filled up meanwhile. Select it again to join its waitlist.',
    'reason.schedule-overlap': 'It overlaps a session you hold or wait for.',
    'reason.not-found': 'There is no such session.',
  },
};

const REASONS = ['not-eligible', 'not-open-yet', 'closed', 'full', 'schedule-overlap', 'not-found'] as const;
const isReason = (r: string): r is (typeof REASONS)[number] => (REASONS as readonly string[]).includes(r);

/** Open sessions the learner may register for; several chosen are registered at once, each on its own. */
export default function CatalogScreen() {
  const api = useApi();
  const t = useT(messages);
  const { locale } = useLocale();
  const [query, setQuery] = useState('');
  const [q, setQ] = useState('');
  const sessions = useLoad(
    () => api.GET('/sessions', { params: { query: { limit: 200, ...(q ? { q } : {}) } } }),
    [api, q],
  );
  const mine = useLoad(() => api.GET('/me/registrations', { params: { query: { limit: 200 } } }), [api]);
  const [picked, setPicked] = useState<ReadonlySet<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [outcomes, setOutcomes] = useState<readonly Outcome[] | undefined>(undefined);

  const held = new Map<string, Registration>(
    mine.status === 'ready'
      ? mine.data.filter((r) => r.state !== 'cancelled').map((r) => [r.sessionId, r])
      : [],
  );
  // The clock is read at render: a window that closes while the page is open shows so at the next one.
  const now = Date.now();
  const open = sessions.status === 'ready' ? sessions.data.filter((s) => Date.parse(s.closesAt) > now) : [];
  const byId = new Map(open.map((s) => [s.id, s]));

  const toggle = (id: string, on: boolean) => {
    const next = new Set(picked);
    if (on) next.add(id);
    else next.delete(id);
    setPicked(next);
  };

  const register = async () => {
    // A full session is asked for its waitlist: the learner chose it knowing it was full.
    const items = [...picked]
      .filter((id) => byId.has(id))
      .map((id) => ({ sessionId: id, waitlist: byId.get(id)!.seatsLeft === 0 }));
    if (items.length === 0 || items.length > MAX_ITEMS) return;
    setBusy(true);
    setProblem(undefined);
    try {
      const { data, error, response } = await api.POST('/me/registrations', { body: { items } });
      if (!data) throw asProblem(error, response);
      setOutcomes(data.items);
      setPicked(new Set(data.items.filter((o) => !o.ok).map((o) => o.sessionId)));
      sessions.reload();
      mine.reload();
    } catch (e) {
      setProblem(asProblem(e));
    } finally {
      setBusy(false);
    }
  };

  const search = (e: FormEvent) => {
    e.preventDefault();
    setQ(query.trim());
  };

  // Outcomes name sessions by id; their titles come from the list as it was when they were asked.
  const [asked, setAsked] = useState<ReadonlyMap<string, Session>>(new Map());
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setAsked(new Map(byId));
    void register();
  };

  return (
    <>
      <h1>{t('title')}</h1>
      <p className="muted">{t('intro')}</p>
      <form role="search" className="catalog-search" onSubmit={search}>
        <label>
          <span className="visually-hidden">{t('search')}</span>
          <input
            type="search"
            value={query}
            placeholder={t('search')}
            onChange={(e) => setQuery(e.target.value)}
          />
        </label>
        <button type="submit" className="secondary">
          {t('searchButton')}
        </button>
      </form>
      {outcomes ? (
        <section aria-labelledby="catalog-results" className="catalog-results">
          <h2 id="catalog-results">{t('results')}</h2>
          <ul>
            {outcomes.map((o) => {
              const s = asked.get(o.sessionId);
              return (
                <li key={o.sessionId} className={o.ok ? 'catalog-ok' : 'catalog-refused'}>
                  <strong>{s ? s.courseTitle : o.sessionId}</strong>
                  {s ? <span className="muted"> ({sessionDates(s, locale)})</span> : null}:{' '}
                  {o.ok
                    ? o.registration.state === 'waiting'
                      ? t('waiting', { n: o.registration.position ?? '?' })
                      : o.created
                        ? t('registered')
                        : t('alreadyRegistered')
                    : `${t('refused')}: ${isReason(o.reason) ? t(`reason.${o.reason}`) : o.detail}`}
                </li>
              );
            })}
          </ul>
          <p>
            <Link to="/cart">{t('toCart')}</Link>
          </p>
        </section>
      ) : null}
      <ProblemAlert problem={problem} />
      {sessions.status === 'loading' ? <p>{t('loading')}</p> : null}
      {sessions.status === 'failed' ? <ProblemAlert problem={sessions.problem} /> : null}
      {sessions.status === 'ready' ? (
        <form onSubmit={submit}>
          {open.length === 0 ? (
            <p>{t('none')}</p>
          ) : (
            <ul className="catalog-list">
              {open.map((s) => (
                <SessionCard
                  key={s.id}
                  session={s}
                  held={held.get(s.id)}
                  now={now}
                  picked={picked.has(s.id)}
                  onPick={(on) => toggle(s.id, on)}
                />
              ))}
            </ul>
          )}
          <div className="catalog-actions">
            <button type="submit" disabled={busy || picked.size === 0 || picked.size > MAX_ITEMS}>
              {busy ? t('registering') : t('register')}
            </button>
            <span aria-live="polite" className="muted">
              {picked.size > MAX_ITEMS ? t('tooMany', { max: MAX_ITEMS }) : t('selected', { n: picked.size })}
            </span>
          </div>
        </form>
      ) : null}
    </>
  );
}

function SessionCard({
  session: s,
  held,
  now,
  picked,
  onPick,
}: {
  session: Session;
  held: Registration | undefined;
  now: number;
  picked: boolean;
  onPick: (on: boolean) => void;
}) {
  const t = useT(messages);
  const { locale } = useLocale();
  const statusId = useId();
  const notOpenYet = Date.parse(s.opensAt) > now;
  const full = s.seatsLeft <= 0;
  const dates = sessionDates(s, locale);
  return (
    <li className="catalog-item">
      <h2 className="catalog-course">{s.courseTitle}</h2>
      <dl className="catalog-facts">
        <div>
          <dt>{t('dates')}</dt>
          <dd>{dates}</dd>
        </div>
        <div>
          <dt>{t('window')}</dt>
          <dd>
            {formatMoment(s.opensAt, locale)} ~ {formatMoment(s.closesAt, locale)}
          </dd>
        </div>
      </dl>
      <p id={statusId} className={full ? 'catalog-status catalog-full' : 'catalog-status'}>
        {held
          ? held.state === 'waiting'
            ? t('heldWaiting', { n: held.position ?? '?' })
            : t('held')
          : notOpenYet
            ? t('notOpenYet')
            : full
              ? t('full', { n: s.waiting })
              : t('seatsLeft', { n: s.seatsLeft, capacity: s.capacity })}
      </p>
      {held || notOpenYet ? null : (
        <label className="catalog-pick">
          <input
            type="checkbox"
            checked={picked}
            onChange={(e) => onPick(e.target.checked)}
            aria-describedby={statusId}
          />{' '}
          {t(full ? 'pickWaitlist' : 'pick')}
          <span className="visually-hidden">
            ({s.courseTitle}, {dates})
          </span>
        </label>
      )}
    </li>
  );
}
