import { useEffect, type ReactNode } from 'react';
import { useT, type Messages } from '../i18n';
import { useSession } from './session';

const messages: Messages<'loading' | 'signingIn'> = {
  ko: { loading: '불러오는 중…', signingIn: '로그인 페이지로 이동합니다…' },
  en: { loading: 'Loading…', signingIn: 'Taking you to sign in…' },
};

/** A screen for signed-in people: anyone else goes to the sign-in page and comes back here. */
export function RequireSignIn({ children }: { children: ReactNode }) {
  const { state, signIn } = useSession();
  const t = useT(messages);
  useEffect(() => {
    if (state.status === 'signed-out') signIn();
  }, [state.status, signIn]);
  if (state.status === 'signed-in') return <>{children}</>;
  return <p aria-live="polite">{t(state.status === 'loading' ? 'loading' : 'signingIn')}</p>;
}
