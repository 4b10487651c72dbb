/**
 * What the web app, the web stack and the local runner agree on. Locally the app shares its origin with the
 * API, so its screens live under prefixes no API route uses (a test holds the two lists apart).
 */
export const WEB_APP = {
  /** The app's own top-level paths; a navigation to any of them (or below) is answered with index.html. */
  screens: ['/learn', '/live', '/console', '/catalog', '/cart', '/inbox', '/settings', '/signed-out'],
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

export interface ContentSecurityPolicyProps {
  /** Origins the app's script may call besides its own: the API's, when it has one of its own. */
  readonly apiOrigins: readonly string[];
  /** The video distribution's origin (playlists and segments, fetched by hls.js with the signed cookies). */
  readonly videoOrigins: readonly string[];
  /**
   * The upload bucket's origin: the console PUTs a content's file parts straight to presigned URLs there.
   * @default none
   */
  readonly uploadOrigins?: readonly string[];
}

/**
 * The app's Content-Security-Policy, the same from CloudFront and from `npm start`: script and style from
 * the app alone, calls to the API, the video origin and the upload bucket and nowhere else, media from the video origin (and
 * the `blob:` URLs Media Source Extensions play from), no framing.
 */
export function contentSecurityPolicy(p: ContentSecurityPolicyProps): string {
  const connect = ["'self'", ...p.apiOrigins, ...p.videoOrigins, ...(p.uploadOrigins ?? [])];
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src ${connect.join(' ')}`,
    `media-src 'self' blob: ${p.videoOrigins.join(' ')}`.trim(),
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    `form-action 'self' ${p.apiOrigins.join(' ')}`.trim(),
    "frame-ancestors 'none'",
  ].join('; ');
}
