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
  /** Live lectures' client settings; absent when the platform runs none. */
  readonly live?: LiveClientConfig;
}

/**
 * Where a live lecture's page finds IVS. In AWS a quiz travels inside the stream as IVS timed metadata, which
 * the player hands over as a cue; the local IVS publishes it as server-sent events instead (local/ivs.ts).
 */
export interface LiveClientConfig {
  /** IVS Chat's messaging endpoint for `ChatRoom`'s `regionOrUrl`: the AWS region, or a `ws://` URL. */
  readonly chat: string;
  /**
   * How quizzes reach the page: `timed-metadata` from the player's cues, or `server-sent-events` from `url`
   * with `{channelId}` replaced by the id in the lecture's playback URL, and that URL's token added.
   */
  readonly quizFeed:
    { readonly kind: 'timed-metadata' } | { readonly kind: 'server-sent-events'; readonly url: string };
}

/**
 * What a live page reaches in AWS (Amazon IVS's "Working With Content Security Policy": connect to
 * *.live-video.net; the player's media is MSE `blob:`), and IVS Chat's messaging socket in the region.
 */
export const ivsOrigins = (region: string): string[] => [
  'https://*.live-video.net',
  `wss://edge.ivschat.${region}.amazonaws.com`,
];

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
  /** Live lectures' playback and chat origins (`ivsOrigins`, or the local IVS's). @default none */
  readonly liveOrigins?: readonly string[];
}

/**
 * The app's Content-Security-Policy, the same from CloudFront and from `npm start`: script and style from
 * the app alone, calls to the API, the video, upload and live origins and nowhere else, media from the video
 * and live origins (and the `blob:` URLs Media Source Extensions play from), no framing. `'wasm-unsafe-eval'`
 * lets the IVS player's worker compile its WebAssembly (served by the app itself); it allows no string `eval`.
 */
export function contentSecurityPolicy(p: ContentSecurityPolicyProps): string {
  const live = p.liveOrigins ?? [];
  const connect = ["'self'", ...p.apiOrigins, ...p.videoOrigins, ...(p.uploadOrigins ?? []), ...live];
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src ${connect.join(' ')}`,
    `media-src 'self' blob: ${[...p.videoOrigins, ...live.filter((o) => o.startsWith('http'))].join(' ')}`.trim(),
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    `form-action 'self' ${p.apiOrigins.join(' ')}`.trim(),
    "frame-ancestors 'none'",
  ].join('; ');
}
