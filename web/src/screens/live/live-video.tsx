import { useEffect, useRef, useState } from 'react';
import { useT, type Messages } from '../../i18n';
import { createLivePlayer, type LivePlayer } from './live-player';

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
}: {
  url: string;
  onPlayer?: (player: LivePlayer | undefined) => void;
}) {
  const t = useT(messages);
  const video = useRef<HTMLVideoElement>(null);
  const [state, setState] = useState<'waiting' | 'playing' | 'unsupported' | { failed: string }>('waiting');
  // The parent's callback may change every render; the player is made once per URL.
  const handOver = useRef(onPlayer);
  handOver.current = onPlayer;
  useEffect(() => {
    let live: LivePlayer | undefined;
    let current = true;
    setState('waiting');
    void createLivePlayer(video.current!, url, {
      onPlaying: () => current && setState('playing'),
      onError: (message) => current && setState({ failed: message }),
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
