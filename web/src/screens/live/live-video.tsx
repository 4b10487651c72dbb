import { useEffect, useRef, useState } from 'react';
import { useT, type Messages } from '../../i18n';
import { createLivePlayer, type LivePlayer } from './live-player';

const RENEW_AT_MOST_EVERY_MS = 30_000;

const messages: Messages<'video' | 'unsupported' | 'failed' | 'waiting'> = {
  ko: {
    video: '실시간 영상',
    unsupported: '이 브라우저는 실시간 영상을 재생할 수 없습니다.',
    failed: '영상을 재생하지 못했습니다: {message}',
    waiting: '방송을 기다리는 중…',
  },
  en: {
    video: 'Live video',
    unsupported: 'This browser cannot play live video.',
    failed: 'The video could not be played: {message}',
    waiting: 'Waiting for the broadcast…',
  },
};

/** The live picture of `url` (a tokenised playback URL); hands the player up for its cues. */
export function LiveVideo({
  url,
  onPlayer,
  refresh,
}: {
  url: string;
  onPlayer?: (player: LivePlayer | undefined) => void;
  /**
   * A new playback URL (a fresh token) when the player fails: the local IVS checks the token's expiry on
   * every request, so a picture outlives its ten-minute token only by loading a fresh one.
   */
  refresh?: () => Promise<string | undefined>;
}) {
  const t = useT(messages);
  const video = useRef<HTMLVideoElement>(null);
  const [state, setState] = useState<'waiting' | 'playing' | 'unsupported' | { failed: string }>('waiting');
  // The parent's callback may change every render; the player is made once per URL.
  const handOver = useRef(onPlayer);
  handOver.current = onPlayer;
  const renew = useRef(refresh);
  renew.current = refresh;
  useEffect(() => {
    let live: LivePlayer | undefined;
    let current = true;
    // One fresh URL per failure, and not more often than this: a stream that is gone stays failed.
    let renewedAt = 0;
    setState('waiting');
    const onError = async (message: string) => {
      if (!current) return;
      if (live && renew.current && Date.now() - renewedAt > RENEW_AT_MOST_EVERY_MS) {
        renewedAt = Date.now();
        const next = await renew.current().catch(() => undefined);
        if (next && current && live) return live.load(next);
      }
      if (current) setState({ failed: message });
    };
    void createLivePlayer(video.current!, url, {
      onPlaying: () => current && setState('playing'),
      onError: (message) => void onError(message),
    }).then(
      (player) => {
        if (!current) return player.destroy();
        live = player;
        if (!player.supported) setState('unsupported');
        handOver.current?.(player);
      },
      (e: unknown) => current && setState({ failed: e instanceof Error ? e.message : String(e) }),
    );
    return () => {
      current = false;
      handOver.current?.(undefined);
      live?.destroy();
    };
  }, [url]);
  return (
    <div className="live-video">
      <video
        ref={video}
        controls
        playsInline
        muted
        aria-label={t('video')}
        data-state={typeof state === 'string' ? state : 'failed'}
      />
      {state === 'waiting' ? (
        <p className="muted" aria-live="polite">
          {t('waiting')}
        </p>
      ) : state === 'unsupported' ? (
        <p role="alert">{t('unsupported')}</p>
      ) : typeof state === 'object' ? (
        <p role="alert">{t('failed', { message: state.failed })}</p>
      ) : null}
    </div>
  );
}
