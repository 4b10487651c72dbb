import { createContext, useContext } from 'react';
import { apiClient, type ApiClient } from './client';

export const ApiContext = createContext<{ api: ApiClient; apiUrl: string } | null>(null);

/** The typed client of the API this app was configured with. */
export function useApi(): ApiClient {
  const value = useContext(ApiContext);
  if (!value) throw new Error('useApi outside ApiContext');
  return value.api;
}

/** The API's origin ('' when it shares the app's), for links the browser follows itself (downloads, sign-in). */
export function useApiUrl(): string {
  const value = useContext(ApiContext);
  if (!value) throw new Error('useApiUrl outside ApiContext');
  return value.apiUrl;
}

/**
 * A client whose calls renew the session once when the API answers 401 (the access cookie expired) and try
 * again; the refresh itself travels in the HttpOnly refresh cookie, so the app never holds a token.
 */
export function sessionClient(apiUrl: string, refresh: () => Promise<boolean>): ApiClient {
  return apiClient(apiUrl, async (request) => {
    const retry = request.clone();
    const res = await fetch(request);
    if (res.status !== 401 || new URL(request.url).pathname.startsWith('/auth/')) return res;
    return (await refresh()) ? fetch(retry) : res;
  });
}
