import createClient from 'openapi-fetch';
import type { paths } from './schema';

export type { paths } from './schema';

/**
 * The API's typed client: every path, parameter and body is checked against the document generated from the
 * API's zod schemas (`npm run openapi`), so a route change that breaks a screen breaks the type check. The
 * session travels in HttpOnly cookies, so the app sends credentials and never sees a token.
 */
export function apiClient(apiUrl: string, fetchImpl: (request: Request) => Promise<Response> = fetch) {
  return createClient<paths>({ baseUrl: apiUrl, credentials: 'include', fetch: fetchImpl });
}

export type ApiClient = ReturnType<typeof apiClient>;
