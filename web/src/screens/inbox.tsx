import { useCallback, useEffect, useId, useState } from 'react';
import { Link } from 'react-router';
import { WEB_APP } from '#contracts/web-app';
import { useApi } from '../api/api-context';
import type { Problem } from '../api/problem';
import type { paths } from '../api/schema';
import { useLocale, useT, type Messages } from '../i18n';
import { ProblemAlert } from '../ui/problem-alert';
import { useUnread } from '../ui/unread';
import { asProblem } from '../ui/use-load';
import { formatMoment } from '../ui/when';

type Page = paths['/me/notifications']['get']['responses'][200]['content']['application/json'];
type Notification = Page['notifications'][number];

const messages: Messages<
  | 'title'
  | 'loading'
  | 'none'
  | 'noneUnread'
  | 'unreadCount'
  | 'allRead'
  | 'unreadOnly'
  | 'markAllRead'
  | 'markRead'
  | 'unread'
  | 'more'
  | 'loadingMore'
> = {
  ko: {
    title: '알림',
    loading: '불러오는 중…',
    none: '받은 알림이 없습니다.',
    noneUnread: '읽지 않은 알림이 없습니다.',
    unreadCount: '읽지 않은 알림 {n}건',
    allRead: '모든 알림을 읽었습니다.',
    unreadOnly: '읽지 않은 알림만 보기',
    markAllRead: '모두 읽음으로 표시',
    markRead: '읽음으로 표시',
    unread: '읽지 않음',
    more: '더 보기',
    loadingMore: '더 불러오는 중…',
  },
  en: {
    title: 'Notifications',
    loading: 'Loading…',
    none: 'You have no notifications.',
    noneUnread: 'You have no unread notifications.',
    unreadCount: '{n} unread',
    allRead: 'You have read every notification.',
    unreadOnly: 'Unread only',
    markAllRead: 'Mark all as read',
    markRead: 'Mark as read',
    unread: 'Unread',
    more: 'Show more',
    loadingMore: 'Loading more…',
  },
};

const PAGE_SIZE = 20;

/**
 * Only a path of this app becomes a link: notifications written before the notifier linked into the app
 * (`/courses/<id>`) lead nowhere the app can show.
 */
const isAppPath = (link: string) =>
  link === '/' || WEB_APP.screens.some((s) => link === s || link.startsWith(`${s}/`));

type Inbox =
  | { readonly status: 'loading' }
  | { readonly status: 'failed'; readonly problem: Problem }
  | {
      readonly status: 'ready';
      readonly notifications: readonly Notification[];
      readonly unreadCount: number;
      readonly cursor: string | undefined;
    };

/** The person's notifications, newest first: unread ones marked, read one by one or all at once. */
export default function InboxScreen() {
  const api = useApi();
  const t = useT(messages);
  const { setCount } = useUnread();
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [inbox, setInbox] = useState<Inbox>({ status: 'loading' });
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);

  const fetchPage = useCallback(
    async (cursor: string | undefined) => {
      const { data, error, response } = await api.GET('/me/notifications', {
        params: {
          query: { limit: PAGE_SIZE, ...(unreadOnly ? { unread: 'true' as const } : {}), cursor },
        },
      });
      if (!data) throw asProblem(error, response);
      return data;
    },
    [api, unreadOnly],
  );

  useEffect(() => {
    let current = true;
    setInbox({ status: 'loading' });
    fetchPage(undefined).then(
      (data) => {
        if (!current) return;
        setInbox({ status: 'ready', ...data, cursor: data.cursor });
        setCount(data.unreadCount);
      },
      (e: unknown) => {
        if (current) setInbox({ status: 'failed', problem: asProblem(e) });
      },
    );
    return () => {
      current = false;
    };
  }, [fetchPage, setCount]);

  const more = async () => {
    if (inbox.status !== 'ready' || !inbox.cursor) return;
    setBusy(true);
    setProblem(undefined);
    try {
      const data = await fetchPage(inbox.cursor);
      // Ids already shown are skipped: one marked read meanwhile may not shift the next page.
      const seen = new Set(inbox.notifications.map((n) => n.notificationId));
      setInbox({
        status: 'ready',
        notifications: [
          ...inbox.notifications,
          ...data.notifications.filter((n) => !seen.has(n.notificationId)),
        ],
        unreadCount: data.unreadCount,
        cursor: data.cursor,
      });
      setCount(data.unreadCount);
    } catch (e) {
      setProblem(asProblem(e));
    } finally {
      setBusy(false);
    }
  };

  const markRead = async (body: { notificationIds: string[] } | { upTo: string }) => {
    setBusy(true);
    setProblem(undefined);
    try {
      const { data, error, response } = await api.POST('/me/notifications/read', { body });
      if (!data) throw asProblem(error, response);
      const at = new Date().toISOString();
      const marks = (n: Notification) =>
        'upTo' in body ? n.notificationId <= body.upTo : body.notificationIds.includes(n.notificationId);
      setInbox((prev) =>
        prev.status === 'ready'
          ? {
              ...prev,
              unreadCount: data.unreadCount,
              notifications: prev.notifications.map((n) =>
                n.readAt === null && marks(n) ? { ...n, readAt: at } : n,
              ),
            }
          : prev,
      );
      setCount(data.unreadCount);
    } catch (e) {
      setProblem(asProblem(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <h1>{t('title')}</h1>
      <div className="inbox-tools">
        <label className="inbox-filter">
          <input type="checkbox" checked={unreadOnly} onChange={(e) => setUnreadOnly(e.target.checked)} />{' '}
          {t('unreadOnly')}
        </label>
        {inbox.status === 'ready' ? (
          <button
            type="button"
            className="secondary"
            disabled={busy || inbox.unreadCount === 0 || inbox.notifications.length === 0}
            // Ids are UUID v7, ordered by time: the newest shown is the newest the person saw.
            onClick={() => void markRead({ upTo: inbox.notifications[0]!.notificationId })}
          >
            {t('markAllRead')}
          </button>
        ) : null}
      </div>
      <p aria-live="polite" className="inbox-count">
        {inbox.status === 'ready'
          ? inbox.unreadCount > 0
            ? t('unreadCount', { n: inbox.unreadCount >= 1000 ? '999+' : inbox.unreadCount })
            : t('allRead')
          : null}
      </p>
      <ProblemAlert problem={problem} />
      {inbox.status === 'loading' ? <p>{t('loading')}</p> : null}
      {inbox.status === 'failed' ? <ProblemAlert problem={inbox.problem} /> : null}
      {inbox.status === 'ready' ? (
        inbox.notifications.length === 0 ? (
          <p>{t(unreadOnly ? 'noneUnread' : 'none')}</p>
        ) : (
          <ul className="inbox-list">
            {inbox.notifications.map((n) => (
              <InboxItem
                key={n.notificationId}
                notification={n}
                busy={busy}
                onRead={() => void markRead({ notificationIds: [n.notificationId] })}
              />
            ))}
          </ul>
        )
      ) : null}
      {inbox.status === 'ready' && inbox.cursor ? (
        <button type="button" className="secondary" disabled={busy} onClick={() => void more()}>
          {busy ? t('loadingMore') : t('more')}
        </button>
      ) : null}
    </>
  );
}

function InboxItem({
  notification: n,
  busy,
  onRead,
}: {
  notification: Notification;
  busy: boolean;
  onRead: () => void;
}) {
  const t = useT(messages);
  const { locale } = useLocale();
  const titleId = useId();
  const unread = n.readAt === null;
  return (
    <li className={unread ? 'inbox-item inbox-unread' : 'inbox-item'}>
      {unread ? <span className="inbox-flag">{t('unread')}</span> : null}
      <h2 id={titleId} className="inbox-title">
        {isAppPath(n.link) ? (
          // Following it is reading it: marked read on the way, without holding the navigation up.
          <Link to={n.link} onClick={unread ? onRead : undefined}>
            {n.title}
          </Link>
        ) : (
          n.title
        )}
      </h2>
      <p className="inbox-body">{n.body}</p>
      <div className="inbox-meta">
        <time dateTime={n.occurredAt} className="muted">
          {formatMoment(n.occurredAt, locale)}
        </time>
        {unread ? (
          <button
            type="button"
            className="secondary"
            disabled={busy}
            aria-describedby={titleId}
            onClick={onRead}
          >
            {t('markRead')}
          </button>
        ) : null}
      </div>
    </li>
  );
}
