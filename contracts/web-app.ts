/**
 * What the web app, the web stack and the local runner agree on. Locally the app shares its origin with the
 * API, so its screens live under prefixes no API route uses (a test holds the two lists apart).
 */
export const WEB_APP = {
  /** The app's own top-level paths; a navigation to any of them (or below) is answered with index.html. */
  screens: ['/learn', '/catalog', '/cart', '/inbox', '/settings', '/signed-out'],
  /**
   * The runtime settings the app reads at start (`GET /config.json`): the web stack writes them next to the
   * app at deploy, the local runner answers them.
   */
  configPath: '/config.json',
} as const;

/** The app's runtime settings: where the API is, and the institution it serves. */
export interface WebAppConfig {
  /** The API's origin, `https://api.<domain>`; empty when the API shares the app's origin (`npm start`). */
  readonly apiUrl: string;
  readonly institutionName: string;
  /** The language when neither the profile nor the browser names one the app speaks. */
  readonly defaultLocale: 'ko' | 'en';
}
