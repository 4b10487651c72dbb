import { useMemo, useState } from 'react';
import { Route, Routes } from 'react-router';
import type { WebAppConfig } from '#contracts/web-app';
import { browserLocale, LocaleContext, type Locale } from './i18n';

export function App({ config }: { config: WebAppConfig }) {
  const [locale, setLocale] = useState<Locale>(() => browserLocale(config.defaultLocale));
  const localeValue = useMemo(() => ({ locale, setLocale }), [locale]);
  return (
    <LocaleContext.Provider value={localeValue}>
      <main>
        <Routes>
          <Route path="/" element={<h1>{config.institutionName}</h1>} />
        </Routes>
      </main>
    </LocaleContext.Provider>
  );
}
