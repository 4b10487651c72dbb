import { useEffect } from 'react';
import { useApi } from '../api/api-context';
import { LOCALES, useLocale, type Locale } from '../i18n';
import { useSession } from './session';

/** A profile's locale when it is one the app speaks (another client may have written any string). */
export function appLocale(value: string | null | undefined): Locale | undefined {
  return LOCALES.find((l) => l === value);
}

/**
 * After sign-in, the app speaks the language the person's profile names, wherever they sign in from; a
 * profile without one leaves the browser's. The header's select still switches for the session.
 */
export function ProfileLocale() {
  const api = useApi();
  const { state } = useSession();
  const { setLocale } = useLocale();
  const sub = state.status === 'signed-in' ? state.me.sub : undefined;
  useEffect(() => {
    if (!sub) return;
    let current = true;
    void api
      .GET('/me/profile')
      .then(({ data }) => {
        const locale = appLocale(data?.locale);
        if (current && locale) setLocale(locale);
      })
      // Without the profile the browser's language stays: nothing the person must act on.
      .catch(() => undefined);
    return () => {
      current = false;
    };
  }, [api, sub, setLocale]);
  return null;
}
