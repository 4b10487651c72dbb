import { useCallback, useEffect, useRef, useState } from 'react';
import { HEARTBEATS } from '#contracts/heartbeats';
import { Link, useParams } from 'react-router';
import { useApi } from '../api/api-context';
import type { ApiClient } from '../api/client';
import type { Problem } from '../api/problem';
import type { paths } from '../api/schema';
import { useLocale, useT, type Locale, type Messages } from '../i18n';
import { ProblemAlert } from '../ui/problem-alert';
import { asProblem, useLoad } from '../ui/use-load';
import { clock, coursePath, type Content } from './learn-common';
import { playbackRenewal } from './playback-renewal';
import { VideoNotes } from './video-notes';

type Beat =
  paths['/me/enrollments/{enrollmentId}/heartbeats']['post']['responses'][200]['content']['application/json'];

/*
 * The player. The server credits watched time from heartbeats only as fast as real time passes, and ends a
 * run of playback when two beats are more than MAX_BEAT_GAP_SECONDS apart (service/src/learning/progress.ts:
 * 60 s). Beating every 15 s while playing keeps a run alive through a late or lost beat or two; a beat also
 * goes on play, pause, seek, end, and when the tab is hidden or closed, so no watched second waits for the
 * next tick.
 */
const BEAT_EVERY_MS = HEARTBEATS.videoSeconds * 1000;
/** The signed cookies are renewed this long before they expire, so no segment request meets them expired. */
const RENEW_BEFORE_MS = 60_000;

// One id per tab (this module loads once per tab) and one increasing sequence across its beats: the server
// recognises a late beat by its sequence and keeps each tab's run apart by its id.
const tabSessionId = crypto.randomUUID();
let tabSequence = 0;

const messages: Messages<
  | 'loading'
  | 'notFound'
  | 'back'
  | 'progress'
  | 'completed'
  | 'gateOutside'
  | 'gateCap'
  | 'gateCapOf'
  | 'resumed'
  | 'unsupported'
  | 'videoFailed'
> = {
  ko: {
    loading: '불러오는 중…',
    notFound: '이 강의에서 찾을 수 없는 영상입니다.',
    back: '강의로 돌아가기',
    progress: '인정된 학습: {total} 중 {covered}',
    completed: '이 차시를 완료했습니다.',
    gateOutside: '수강 기간이 아니어서 학습 시간이 인정되지 않습니다. 영상은 계속 볼 수 있습니다.',
    gateCap:
      '오늘 학습할 수 있는 차시 수(하루 상한)를 모두 채워 이 차시의 학습 시간은 인정되지 않습니다. 내일 다시 인정됩니다.',
    gateCapOf:
      '하루에 학습할 수 있는 차시는 {n}개({zone} 기준)까지이며 오늘은 모두 채웠습니다. 이 차시의 학습 시간은 내일 0시({zone})부터 다시 인정됩니다.',
    resumed: '{at}부터 이어서 재생합니다.',
    unsupported: '이 브라우저는 HLS 영상을 재생할 수 없습니다.',
    videoFailed: '영상을 불러오지 못했습니다. 페이지를 새로 고쳐 주세요.',
  },
  en: {
    loading: 'Loading…',
    notFound: 'This video is not part of this course.',
    back: 'Back to the course',
    progress: 'Credited: {covered} of {total}',
    completed: 'You have completed this lesson.',
    gateOutside: 'You are outside your period: no study time is credited, though you may keep watching.',
    gateCap:
      'You have reached today’s cap of lessons: this lesson earns no credit today. Credit resumes tomorrow.',
    gateCapOf:
      'You have reached today’s cap on new lessons ({n} a day, by {zone}): this lesson earns no credit today. Credit resumes at midnight, {zone}.',
    resumed: 'Resuming at {at}.',
    unsupported: 'This browser cannot play HLS video.',
    videoFailed: 'The video could not be loaded. Please reload the page.',
  },
};

/** `/learn/:enrollmentId/watch/:contentId`: one video, credited as the server counts it. */
export default function Player() {
  const { enrollmentId = '', contentId = '' } = useParams();
  const api = useApi();
  const t = useT(messages);
  // Shared with the notes panel, which reads the playhead and jumps it.
  const videoRef = useRef<HTMLVideoElement>(null);
  const facts = useLoad(async () => {
    const enrollments = await api.GET('/me/enrollments');
    if (!enrollments.data) return { error: enrollments.error, response: enrollments.response };
    const enrollment = enrollments.data.find((e) => e.id === enrollmentId);
    if (!enrollment) return { data: null, response: enrollments.response };
    const [course, progress] = await Promise.all([
      api.GET('/courses/{courseId}', { params: { path: { courseId: enrollment.courseId } } }),
      api.GET('/me/enrollments/{enrollmentId}/progress', { params: { path: { enrollmentId } } }),
    ]);
    if (!course.data) return { error: course.error, response: course.response };
    if (!progress.data) return { error: progress.error, response: progress.response };
    const content = course.data.chapters.flatMap((c) => c.contents).find((x) => x.id === contentId);
    const mine = progress.data.find((p) => p.contentId === contentId);
    return {
      data: content && content.kind === 'video' ? { course: course.data, content, progress: mine } : null,
      response: course.response,
    };
  }, [api, enrollmentId, contentId]);

  if (facts.status === 'loading') return <p aria-live="polite">{t('loading')}</p>;
  if (facts.status === 'failed') return <ProblemAlert problem={facts.problem} />;
  if (!facts.data)
    return (
      <>
        <h1>{t('notFound')}</h1>
        <Link to={coursePath(enrollmentId)}>{t('back')}</Link>
      </>
    );
  const { course, content, progress } = facts.data;
  return (
    <article className="player">
      <p>
        <Link to={coursePath(enrollmentId)}>
          {t('back')}: {course.title}
        </Link>
      </p>
      <h1>{content.title}</h1>
      <Video
        key={content.id}
        videoRef={videoRef}
        enrollmentId={enrollmentId}
        content={content}
        initial={{
          coveredSeconds: progress?.coveredSeconds ?? 0,
          durationSeconds: progress?.durationSeconds ?? content.durationSeconds ?? 0,
          completed: Boolean(progress?.completedAt),
          resumeSeconds: progress?.resumeSeconds ?? 0,
        }}
      />
      <VideoNotes
        key={`notes-${content.id}`}
        enrollmentId={enrollmentId}
        courseId={course.id}
        contentId={content.id}
        video={videoRef}
      />
    </article>
  );
}

interface Initial {
  readonly coveredSeconds: number;
  readonly durationSeconds: number;
  readonly completed: boolean;
  readonly resumeSeconds: number;
}

/** Asks for the video's signed cookies (set by the answer) and its playlist URL. */
async function startPlayback(api: ApiClient, contentId: string) {
  const { data, error, response } = await api.POST('/contents/{contentId}/playback', {
    params: { path: { contentId } },
  });
  if (!data) throw asProblem(error, response);
  return data;
}

function Video({
  videoRef: video,
  enrollmentId,
  content,
  initial,
}: {
  videoRef: React.RefObject<HTMLVideoElement | null>;
  enrollmentId: string;
  content: Content;
  initial: Initial;
}) {
  const api = useApi();
  const t = useT(messages);
  const { locale } = useLocale();
  const [credit, setCredit] =
    useState<Pick<Beat, 'coveredSeconds' | 'durationSeconds' | 'completed'>>(initial);
  const [gate, setGate] = useState<Pick<Beat, 'gate' | 'dailyLessonCap'>>({ gate: null });
  const [beatProblem, setBeatProblem] = useState<Problem>();
  const [videoProblem, setVideoProblem] = useState<Problem | string>();
  const [resumedAt, setResumedAt] = useState<number>();
  // The answer to the latest beat wins; an earlier beat's answer arriving late changes nothing.
  const latestAnswered = useRef(-1);
  // The playhead before a seek: `seeking` fires with currentTime already at the target.
  const lastPlayhead = useRef(0);

  const beat = useCallback(
    (options: { position?: number; keepalive?: boolean } = {}) => {
      const v = video.current;
      if (!v) return;
      const sequence = tabSequence++;
      const position = Math.max(0, options.position ?? v.currentTime);
      api
        .POST('/me/enrollments/{enrollmentId}/heartbeats', {
          params: { path: { enrollmentId } },
          body: {
            contentId: content.id,
            sessionId: tabSessionId,
            sequence,
            position,
            playbackRate: Math.min(4, Math.max(0.25, v.playbackRate)),
          },
          // A beat sent as the tab closes must outlive it; sendBeacon cannot send the JSON the API requires.
          keepalive: options.keepalive ?? false,
        })
        .then(
          ({ data, error, response }) => {
            if (sequence < latestAnswered.current) return;
            latestAnswered.current = sequence;
            if (data) {
              setCredit(data);
              // The server names a gate only on a beat that had seconds to credit; a beat with nothing to
              // credit (after a seek, at a pause) says nothing of it, so the message stays until credit flows.
              if (data.gate !== null || data.creditedSeconds > 0) setGate(data);
              setBeatProblem(undefined);
            } else setBeatProblem(asProblem(error, response));
          },
          (e: unknown) => setBeatProblem(asProblem(e)),
        );
    },
    [api, enrollmentId, content.id, video],
  );

  // Load the stream: natively where the browser plays HLS (Safari), else with hls.js, loaded only here.
  // The signed cookies are asked for again a minute before they expire; the stream plays on meanwhile.
  useEffect(() => {
    const v = video.current;
    if (!v) return;
    let stopped = false;
    let renewal: ReturnType<typeof setTimeout> | undefined;
    let hls: { destroy(): void } | undefined;
    const scheduleRenewal = (expiresAt: string) => {
      // A minute before expiry; for cookies that live barely longer (a short configured lifetime), halfway.
      const lifetime = new Date(expiresAt).getTime() - Date.now();
      const wait = Math.max(5_000, lifetime - RENEW_BEFORE_MS, lifetime / 2);
      renewal = setTimeout(() => {
        startPlayback(api, content.id).then(
          (p) => !stopped && scheduleRenewal(p.expiresAt),
          (e: unknown) => !stopped && setVideoProblem(asProblem(e)),
        );
      }, wait);
    };
    const resumeAt = initial.resumeSeconds < initial.durationSeconds - 3 ? initial.resumeSeconds : 0;
    const seekToResume = () => {
      if (resumeAt > 0) {
        v.currentTime = resumeAt;
        lastPlayhead.current = resumeAt;
        setResumedAt(resumeAt);
      }
    };
    // A refused stream gets new cookies and one more try (./playback-renewal.ts).
    const renewOnRefusal = (reload: () => void) =>
      playbackRenewal({
        renew: () =>
          startPlayback(api, content.id).then((p) => {
            if (stopped) return;
            clearTimeout(renewal);
            scheduleRenewal(p.expiresAt);
          }),
        reload: () => !stopped && reload(),
        giveUp: (e) => !stopped && setVideoProblem(e === undefined ? t('videoFailed') : asProblem(e)),
      });
    const native = new AbortController();
    (async () => {
      const playback = await startPlayback(api, content.id);
      if (stopped) return;
      scheduleRenewal(playback.expiresAt);
      v.addEventListener('loadedmetadata', seekToResume, { once: true });
      if (v.canPlayType('application/vnd.apple.mpegurl')) {
        // The browser fetches the stream itself and says only that it failed: load it again where it was.
        const renewals = renewOnRefusal(() => {
          const at = v.currentTime;
          const playing = !v.paused;
          v.addEventListener(
            'loadedmetadata',
            () => {
              v.currentTime = at;
              if (playing) void v.play().catch(() => undefined);
            },
            { once: true, signal: native.signal },
          );
          v.src = playback.playlistUrl;
        });
        v.addEventListener('error', () => renewals.refused(), { signal: native.signal });
        v.addEventListener('progress', () => renewals.loaded(), { signal: native.signal });
        v.src = playback.playlistUrl;
        return;
      }
      const Hls = (await import('hls.js')).default;
      if (stopped) return;
      if (!Hls.isSupported()) return setVideoProblem(t('unsupported'));
      const player = new Hls({
        // The signed cookies travel to the video origin only with credentials.
        xhrSetup: (xhr) => {
          xhr.withCredentials = true;
        },
      });
      hls = player;
      // startLoad() loads the playlists again too when it was one of them that was refused.
      const renewals = renewOnRefusal(() => player.startLoad());
      player.on(Hls.Events.FRAG_LOADED, () => renewals.loaded());
      player.on(Hls.Events.ERROR, (_event, data) => {
        if (!data.fatal) return;
        // hls.js does not retry a 403: it tries the other renditions, then stops with a fatal network error.
        if (data.type === Hls.ErrorTypes.NETWORK_ERROR) renewals.refused();
        else if (data.type === Hls.ErrorTypes.MEDIA_ERROR) player.recoverMediaError();
        else setVideoProblem(t('videoFailed'));
      });
      player.loadSource(playback.playlistUrl);
      player.attachMedia(v);
    })().catch((e: unknown) => !stopped && setVideoProblem(asProblem(e)));
    return () => {
      stopped = true;
      clearTimeout(renewal);
      native.abort();
      v.removeEventListener('loadedmetadata', seekToResume);
      hls?.destroy();
    };
    // The stream is loaded once per content; the initial facts are read only then.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, content.id]);

  // Heartbeats: on the media events, every BEAT_EVERY_MS while playing, and when the tab goes away.
  useEffect(() => {
    const v = video.current;
    if (!v) return;
    let ticker: ReturnType<typeof setInterval> | undefined;
    const stopTicker = () => {
      clearInterval(ticker);
      ticker = undefined;
    };
    const onPlaying = () => {
      beat();
      stopTicker();
      ticker = setInterval(() => beat(), BEAT_EVERY_MS);
    };
    const onPause = () => {
      stopTicker();
      beat();
    };
    const onTimeUpdate = () => {
      if (!v.seeking) lastPlayhead.current = v.currentTime;
    };
    // The seconds watched up to the seek are credited at the old playhead; the new one starts a new run.
    const onSeeking = () => beat({ position: lastPlayhead.current });
    const onSeeked = () => {
      lastPlayhead.current = v.currentTime;
      beat();
    };
    const onHidden = () => {
      if (document.visibilityState === 'hidden' && !v.paused) beat({ keepalive: true });
    };
    const onPageHide = () => beat({ keepalive: true });
    // One signal takes every listener off again when the screen goes.
    const listening = new AbortController();
    const on = { signal: listening.signal };
    v.addEventListener('playing', onPlaying, on);
    v.addEventListener('pause', onPause, on);
    v.addEventListener('ended', onPause, on);
    v.addEventListener('timeupdate', onTimeUpdate, on);
    v.addEventListener('seeking', onSeeking, on);
    v.addEventListener('seeked', onSeeked, on);
    document.addEventListener('visibilitychange', onHidden, on);
    window.addEventListener('pagehide', onPageHide, on);
    return () => {
      stopTicker();
      listening.abort();
      // Leaving the screen while playing: the last seconds still count.
      if (!v.paused) beat({ keepalive: true });
    };
  }, [beat, video]);

  return (
    <>
      <video ref={video} className="player-video" controls playsInline aria-label={content.title} />
      {typeof videoProblem === 'string' ? (
        <p role="alert" className="problem">
          {videoProblem}
        </p>
      ) : (
        <ProblemAlert problem={videoProblem} />
      )}
      <div className="player-status" aria-live="polite">
        <p id="player-progress">
          {t('progress', { covered: clock(credit.coveredSeconds), total: clock(credit.durationSeconds) })}
          {credit.completed ? <> · {t('completed')}</> : null}
        </p>
        {credit.durationSeconds > 0 ? (
          <progress
            value={Math.min(credit.coveredSeconds, credit.durationSeconds)}
            max={credit.durationSeconds}
            aria-labelledby="player-progress"
          />
        ) : null}
        {resumedAt !== undefined ? <p className="muted">{t('resumed', { at: clock(resumedAt) })}</p> : null}
        {gate.gate ? (
          <p className="player-gate">
            {gate.gate === 'outside-period'
              ? t('gateOutside')
              : gate.dailyLessonCap
                ? t('gateCapOf', {
                    n: gate.dailyLessonCap.lessons,
                    zone: zoneName(gate.dailyLessonCap.timeZone, locale),
                  })
                : t('gateCap')}
          </p>
        ) : null}
      </div>
      <ProblemAlert problem={beatProblem} />
    </>
  );
}

/** `Asia/Seoul` as the reader says it: 한국 표준시, Korean Standard Time. */
function zoneName(timeZone: string, locale: Locale): string {
  try {
    const parts = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'long' }).formatToParts(
      new Date(),
    );
    return parts.find((p) => p.type === 'timeZoneName')?.value ?? timeZone;
  } catch {
    return timeZone;
  }
}
