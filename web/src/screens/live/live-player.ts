import type { CueSource } from './quiz-feed';

/*
 * The live picture: Amazon IVS's web player (amazon-ivs-player) on the page's <video>. Its WebAssembly
 * worker and binary are served by the app itself (Vite `?url`), as IVS recommends under a strict CSP; the
 * policy allows `'wasm-unsafe-eval'` for them (contracts/web-app.ts).
 */

export interface LivePlayer extends CueSource {
  /** Whether the browser can run the player at all (WebAssembly, MSE). */
  readonly supported: boolean;
  play(): void;
  /** Plays another URL of the same stream (a fresh playback token). */
  load(url: string): void;
  destroy(): void;
}

export interface LivePlayerEvents {
  /** The picture is playing. */
  readonly onPlaying?: () => void;
  /** The player gave up: the stream is gone, or the token was refused. */
  readonly onError?: (message: string) => void;
}

/** Loads the player (its own chunk, only on live pages) and starts `url` on `video`, muted until asked. */
export async function createLivePlayer(
  video: HTMLVideoElement,
  url: string,
  events: LivePlayerEvents = {},
): Promise<LivePlayer> {
  const [ivs, { default: wasmWorker }, { default: wasmBinary }] = await Promise.all([
    import('amazon-ivs-player'),
    import('amazon-ivs-player/dist/assets/amazon-ivs-wasmworker.min.js?url'),
    import('amazon-ivs-player/dist/assets/amazon-ivs-wasmworker.min.wasm?url'),
  ]);
  if (!ivs.isPlayerSupported) {
    return {
      supported: false,
      play: () => undefined,
      load: () => undefined,
      destroy: () => undefined,
      addEventListener: () => undefined,
      removeEventListener: () => undefined,
    };
  }
  const player = ivs.create({ wasmWorker, wasmBinary });
  player.attachHTMLVideoElement(video);
  // Autoplay with sound is refused without a gesture; the viewer unmutes with the video's own control.
  player.setMuted(true);
  player.setAutoplay(true);
  player.addEventListener(ivs.PlayerState.PLAYING, () => events.onPlaying?.());
  player.addEventListener(ivs.PlayerEventType.ERROR, (e: { message?: string; type?: string }) =>
    events.onError?.(e.message ?? e.type ?? 'error'),
  );
  player.load(url);
  return {
    supported: true,
    play: () => player.play(),
    load: (next) => player.load(next),
    destroy: () => player.delete(),
    addEventListener: (type, listener) =>
      player.addEventListener(type as typeof ivs.PlayerEventType.TEXT_METADATA_CUE, listener),
    removeEventListener: (type, listener) =>
      player.removeEventListener(type as typeof ivs.PlayerEventType.TEXT_METADATA_CUE, listener),
  };
}
