import { useEffect, useId, useState } from 'react';
import { Link } from 'react-router';
import { useApi } from '../api/api-context';
import type { Problem } from '../api/problem';
import type { paths } from '../api/schema';
import { useLocale, useT, type Messages } from '../i18n';
import { ProblemAlert } from '../ui/problem-alert';
import { asProblem, useLoad } from '../ui/use-load';
import { formatMoment, sessionDates } from '../ui/when';

type Registration =
  paths['/me/registrations']['get']['responses'][200]['content']['application/json'][number];
type Session = paths['/sessions/{sessionId}']['get']['responses'][200]['content']['application/json'];

const messages: Messages<
  | 'title'
  | 'loading'
  | 'none'
  | 'toCatalog'
  | 'active'
  | 'cancelledOnes'
  | 'registered'
  | 'waiting'
  | 'cancelled'
  | 'dates'
  | 'deadline'
  | 'deadlinePassed'
  | 'cancel'
  | 'cancelling'
  | 'didCancel'
  | 'toCourse'
> = {
  ko: {
    title: '신청 내역',
    loading: '불러오는 중…',
    none: '신청한 과정이 없습니다.',
    toCatalog: '수강 신청하러 가기',
    active: '신청한 과정',
    cancelledOnes: '취소한 신청',
    registered: '신청 완료',
    waiting: '대기 {n}번째',
    cancelled: '취소됨',
    dates: '교육 기간',
    deadline: '취소 마감',
    deadlinePassed: '취소 기한이 지났습니다.',
    cancel: '신청 취소',
    cancelling: '취소하는 중…',
    didCancel: '{course} 신청을 취소했습니다.',
    toCourse: '강의실로 가기',
  },
  en: {
    title: 'My registrations',
    loading: 'Loading…',
    none: 'You have not registered for any session.',
    toCatalog: 'Browse the catalog',
    active: 'Current registrations',
    cancelledOnes: 'Cancelled',
    registered: 'Registered',
    waiting: 'Waitlist: number {n}',
    cancelled: 'Cancelled',
    dates: 'Dates',
    deadline: 'Cancel by',
    deadlinePassed: 'The cancellation deadline has passed.',
    cancel: 'Cancel registration',
    cancelling: 'Cancelling…',
    didCancel: 'Your registration for {course} is cancelled.',
    toCourse: 'Go to the course',
  },
};

/** The learner's registrations: seats held, places in line, and cancelling them before the deadline. */
export default function CartScreen() {
  const api = useApi();
  const t = useT(messages);
  const registrations = useLoad(
    () => api.GET('/me/registrations', { params: { query: { limit: 200 } } }),
    [api],
  );
  const [sessions, setSessions] = useState<ReadonlyMap<string, Session>>(new Map());
  const [status, setStatus] = useState('');

  // Dates and the cancellation deadline are the session's: asked for the registrations still held.
  const activeIds =
    registrations.status === 'ready'
      ? registrations.data.filter((r) => r.state !== 'cancelled').map((r) => r.sessionId)
      : [];
  const activeKey = activeIds.join(',');
  useEffect(() => {
    if (!activeKey) return;
    let current = true;
    void Promise.all(
      activeKey.split(',').map((sessionId) =>
        api
          .GET('/sessions/{sessionId}', { params: { path: { sessionId } } })
          .then(({ data }) => data)
          // A session the learner may no longer see keeps its registration listed, without its dates.
          .catch(() => undefined),
      ),
    ).then((found) => {
      if (current) setSessions(new Map(found.filter((s) => s !== undefined).map((s) => [s.id, s])));
    });
    return () => {
      current = false;
    };
  }, [api, activeKey]);

  const active =
    registrations.status === 'ready' ? registrations.data.filter((r) => r.state !== 'cancelled') : [];
  const cancelled =
    registrations.status === 'ready' ? registrations.data.filter((r) => r.state === 'cancelled') : [];
  return (
    <>
      <h1>{t('title')}</h1>
      <p aria-live="polite" className="cart-status">
        {status}
      </p>
      {registrations.status === 'loading' ? <p>{t('loading')}</p> : null}
      {registrations.status === 'failed' ? <ProblemAlert problem={registrations.problem} /> : null}
      {registrations.status === 'ready' && registrations.data.length === 0 ? (
        <p>
          {t('none')} <Link to="/catalog">{t('toCatalog')}</Link>
        </p>
      ) : null}
      {active.length > 0 ? (
        <section aria-labelledby="cart-active">
          <h2 id="cart-active">{t('active')}</h2>
          <ul className="cart-list">
            {active.map((r) => (
              <CartItem
                key={r.id}
                registration={r}
                session={sessions.get(r.sessionId)}
                onCancelled={() => {
                  setStatus(t('didCancel', { course: r.courseTitle }));
                  registrations.reload();
                }}
              />
            ))}
          </ul>
        </section>
      ) : null}
      {cancelled.length > 0 ? (
        <section aria-labelledby="cart-cancelled">
          <h2 id="cart-cancelled">{t('cancelledOnes')}</h2>
          <ul className="cart-list">
            {cancelled.map((r) => (
              <CartItem key={r.id} registration={r} session={undefined} onCancelled={() => undefined} />
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}

function CartItem({
  registration: r,
  session,
  onCancelled,
}: {
  registration: Registration;
  session: Session | undefined;
  onCancelled: () => void;
}) {
  const api = useApi();
  const t = useT(messages);
  const { locale } = useLocale();
  const titleId = useId();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const deadlinePassed = session ? Date.parse(session.cancelDeadline) <= Date.now() : false;

  const cancel = async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      const { data, error, response } = await api.DELETE('/me/registrations/{sessionId}', {
        params: { path: { sessionId: r.sessionId } },
      });
      if (!data) throw asProblem(error, response);
      onCancelled();
    } catch (e) {
      // The API says why (the deadline passed, learning has begun in the seat): shown as it says it.
      setProblem(asProblem(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <li className={`cart-item cart-${r.state}`}>
      <h3 id={titleId} className="cart-course">
        {r.courseTitle}
      </h3>
      <p className="cart-state">
        {r.state === 'waiting'
          ? t('waiting', { n: r.position ?? '?' })
          : r.state === 'registered'
            ? t('registered')
            : t('cancelled')}
      </p>
      {session ? (
        <dl className="cart-facts">
          <div>
            <dt>{t('dates')}</dt>
            <dd>{sessionDates(session, locale)}</dd>
          </div>
          <div>
            <dt>{t('deadline')}</dt>
            <dd>{formatMoment(session.cancelDeadline, locale)}</dd>
          </div>
        </dl>
      ) : null}
      {r.state === 'registered' && r.enrollmentId ? (
        <p>
          <Link to={`/learn/${r.enrollmentId}`} aria-describedby={titleId}>
            {t('toCourse')}
          </Link>
        </p>
      ) : null}
      {r.state === 'cancelled' ? null : deadlinePassed ? (
        <p className="muted">{t('deadlinePassed')}</p>
      ) : (
        <button
          type="button"
          className="secondary"
          disabled={busy}
          aria-describedby={titleId}
          onClick={() => void cancel()}
        >
          {busy ? t('cancelling') : t('cancel')}
        </button>
      )}
      <ProblemAlert problem={problem} />
    </li>
  );
}
