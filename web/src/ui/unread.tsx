import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useApi } from '../api/api-context';
import { useSession } from '../session/session';

/** How often the header's badge asks again while the app stays open. */
const REFRESH_EVERY_MS = 3 * 60_000;

interface UnreadValue {
  /** Unread notifications (the API counts up to 1000); undefined until first known. */
  readonly count: number | undefined;
  /** What the inbox learned from its own calls, so the badge agrees with it at once. */
  readonly setCount: (count: number) => void;
  readonly refresh: () => void;
}

const UnreadContext = createContext<UnreadValue>({
  count: undefined,
  setCount: () => undefined,
  refresh: () => undefined,
});

/** The signed-in person's unread count, for the header's badge and the inbox. */
export function UnreadProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const { state } = useSession();
  const signedIn = state.status === 'signed-in';
  const [count, setCount] = useState<number | undefined>(undefined);
  const refresh = useCallback(() => {
    void api
      .GET('/me/notifications', { params: { query: { limit: 1 } } })
      .then(({ data }) => {
        if (data) setCount(data.unreadCount);
      })
      // The badge is a hint: a failed refresh keeps the last count until the next one.
      .catch(() => undefined);
  }, [api]);
  useEffect(() => {
    if (!signedIn) return;
    refresh();
    const timer = setInterval(refresh, REFRESH_EVERY_MS);
    // A tab coming back to the front may have missed several refreshes' worth of news.
    const onVisible = () => {
      if (document.visibilityState === 'visible') refresh();
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [signedIn, refresh]);
  const value = useMemo(() => ({ count, setCount, refresh }), [count, refresh]);
  return <UnreadContext.Provider value={value}>{children}</UnreadContext.Provider>;
}

export function useUnread(): UnreadValue {
  return useContext(UnreadContext);
}
