import { createContext, useContext } from 'react';

export type Locale = 'ko' | 'en';
export const LOCALES: readonly Locale[] = ['ko', 'en'];

/** Each screen keeps its texts beside it, in both languages: a missing key is a type error. */
export type Messages<K extends string> = Record<Locale, Record<K, string>>;

export const LocaleContext = createContext<{ locale: Locale; setLocale: (l: Locale) => void }>({
  locale: 'ko',
  setLocale: () => undefined,
});

/** The browser's first language the app speaks, else the institution's default. */
export function browserLocale(fallback: Locale): Locale {
  for (const tag of navigator.languages ?? [navigator.language]) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'ko' || base === 'en') return base;
  }
  return fallback;
}

/** `t('key', { n: 3 })` fills `{n}` in the current language's text. */
export function useT<K extends string>(messages: Messages<K>) {
  const { locale } = useContext(LocaleContext);
  return (key: K, params?: Record<string, string | number>) =>
    messages[locale][key].replace(/\{(\w+)\}/g, (m, name: string) =>
      params && name in params ? String(params[name]) : m,
    );
}

export function useLocale() {
  return useContext(LocaleContext);
}
