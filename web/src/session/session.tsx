import {
  createContext,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
  type ReactNode,
} from 'react';
import { SESSION } from '#contracts/resources';
import { ApiContext, sessionClient } from '../api/api-context';
import type { paths } from '../api/schema';

type Me = paths['/me']['get']['responses'][200]['content']['application/json'];
export type { Me };

type SessionState = { status: 'loading' } | { status: 'signed-out' } | { status: 'signed-in'; me: Me };

interface SessionValue {
  readonly state: SessionState;
  /** To the sign-in page, and back to where the person was. */
  readonly signIn: (returnTo?: string) => void;
  readonly signOut: () => Promise<void>;
}

const SessionContext = createContext<SessionValue | null>(null);

// The access cookie lives SESSION.accessTokenMinutes; renewing five minutes early keeps an open tab signed
// in (a call that still meets a 401 renews once and retries, in sessionClient).
const RENEW_EVERY_MS = (SESSION.accessTokenMinutes - 5) * 60_000;

export function SessionProvider({ apiUrl, children }: { apiUrl: string; children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });
  const renewing = useRef<Promise<boolean> | null>(null);
  const refresh = useCallback(() => {
    // One renewal at a time: a page's parallel calls that all met a 401 share it.
    renewing.current ??= fetch(`${apiUrl}/auth/refresh`, { method: 'POST', credentials: 'include' })
      .then((r) => r.ok)
      .catch(() => false)
      .finally(() => {
        renewing.current = null;
      });
    return renewing.current;
  }, [apiUrl]);
  const api = useMemo(() => sessionClient(apiUrl, refresh), [apiUrl, refresh]);

  useEffect(() => {
    let stop = false;
    api.GET('/me').then(({ data }) => {
      if (!stop) setState(data ? { status: 'signed-in', me: data } : { status: 'signed-out' });
    });
    return () => {
      stop = true;
    };
  }, [api]);

  useEffect(() => {
    if (state.status !== 'signed-in') return;
    const timer = setInterval(() => void refresh(), RENEW_EVERY_MS);
    return () => clearInterval(timer);
  }, [state.status, refresh]);

  const value = useMemo<SessionValue>(
    () => ({
      state,
      signIn: (returnTo = window.location.href) => {
        window.location.assign(`${apiUrl}/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
      },
      signOut: async () => {
        await fetch(`${apiUrl}/auth/logout`, { method: 'POST', credentials: 'include' }).catch(
          () => undefined,
        );
        // A fresh page: nothing of the person's stays in memory, and no guarded screen sends them to sign in.
        window.location.assign('/signed-out');
      },
    }),
    [state, apiUrl],
  );
  const apiValue = useMemo(() => ({ api, apiUrl }), [api, apiUrl]);
  return (
    <ApiContext.Provider value={apiValue}>
      <SessionContext.Provider value={value}>{children}</SessionContext.Provider>
    </ApiContext.Provider>
  );
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside SessionProvider');
  return value;
}

/** The signed-in person; only under a screen that RequireSignIn guards. */
export function useMe(): Me {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('useMe before sign-in');
  return state.me;
}
