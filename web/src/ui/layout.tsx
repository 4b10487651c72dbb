import type { ReactNode } from 'react';
import { NavLink } from 'react-router';
import { LOCALES, useLocale, useT, type Messages } from '../i18n';
import { useSession } from '../session/session';
import { useUnread } from './unread';

const messages: Messages<
  | 'skip'
  | 'myCourses'
  | 'certificates'
  | 'catalog'
  | 'live'
  | 'cart'
  | 'inbox'
  | 'inboxUnread'
  | 'settings'
  | 'console'
  | 'signOut'
  | 'signIn'
  | 'language'
  | 'nav'
> = {
  ko: {
    skip: '본문으로 건너뛰기',
    myCourses: '내 강의',
    certificates: '수료증',
    catalog: '수강 신청',
    live: '실시간 강의',
    cart: '신청 내역',
    inbox: '알림',
    inboxUnread: '{n}건 읽지 않음',
    settings: '설정',
    console: '관리',
    signOut: '로그아웃',
    signIn: '로그인',
    language: '언어',
    nav: '주 메뉴',
  },
  en: {
    skip: 'Skip to content',
    myCourses: 'My courses',
    certificates: 'Certificates',
    catalog: 'Catalog',
    live: 'Live lectures',
    cart: 'My registrations',
    inbox: 'Notifications',
    inboxUnread: '{n} unread',
    settings: 'Settings',
    console: 'Console',
    signOut: 'Sign out',
    signIn: 'Sign in',
    language: 'Language',
    nav: 'Main',
  },
};

/** Roles that run something: they see the console in the menu. */
const STAFF_ROLES = new Set(['platform-admin', 'institution-manager', 'instructor', 'company-manager']);

/** The frame of every screen: a skip link, the institution's name, the menu, the language and the session. */
export function Layout({ institutionName, children }: { institutionName: string; children: ReactNode }) {
  const t = useT(messages);
  const { locale, setLocale } = useLocale();
  const { state, signIn, signOut } = useSession();
  const { count: unread } = useUnread();
  return (
    <>
      <a className="skip" href="#main">
        {t('skip')}
      </a>
      <header className="top">
        <NavLink to="/" className="brand">
          {institutionName}
        </NavLink>
        {state.status === 'signed-in' ? (
          <nav aria-label={t('nav')}>
            <NavLink to="/" end>
              {t('myCourses')}
            </NavLink>
            <NavLink to="/learn/certificates">{t('certificates')}</NavLink>
            <NavLink to="/catalog">{t('catalog')}</NavLink>
            {state.me.roles.includes('learner') ? <NavLink to="/live">{t('live')}</NavLink> : null}
            <NavLink to="/cart">{t('cart')}</NavLink>
            <NavLink to="/inbox">
              {t('inbox')}
              {unread ? (
                // The link's name is its own text, "알림 3건 읽지 않음": the badge is for the eye, the hidden words
                // for screen readers (an aria-label would not match the text seen, which axe flags).
                <>
                  {' '}
                  <span className="unread-badge" aria-hidden="true">
                    {unread > 99 ? '99+' : unread}
                  </span>
                  <span className="visually-hidden">{t('inboxUnread', { n: unread })}</span>
                </>
              ) : null}
            </NavLink>
            <NavLink to="/settings">{t('settings')}</NavLink>
            {state.me.roles.some((r) => STAFF_ROLES.has(r)) ? (
              <NavLink to="/console">{t('console')}</NavLink>
            ) : null}
          </nav>
        ) : null}
        <div className="session">
          <label>
            <span className="visually-hidden">{t('language')}</span>
            <select value={locale} onChange={(e) => setLocale(e.target.value as (typeof LOCALES)[number])}>
              {LOCALES.map((l) => (
                <option key={l} value={l}>
                  {l === 'ko' ? '한국어' : 'English'}
                </option>
              ))}
            </select>
          </label>
          {state.status === 'signed-in' ? (
            <button type="button" onClick={() => void signOut()}>
              {t('signOut')}
            </button>
          ) : state.status === 'signed-out' ? (
            <button type="button" onClick={() => signIn()}>
              {t('signIn')}
            </button>
          ) : null}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
