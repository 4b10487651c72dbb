import { useCallback, useEffect, useState } from 'react';
import { HEARTBEATS } from '#contracts/heartbeats';
import { Link, useParams } from 'react-router';
import type { QuizMetadata } from '#contracts/live';
import { useApi, useApiUrl } from '../../api/api-context';
import type { Problem } from '../../api/problem';
import { useLocale, useT, type Messages } from '../../i18n';
import { ProblemAlert } from '../../ui/problem-alert';
import { useLoad } from '../../ui/use-load';
import { formatMoment } from '../../ui/when';
import { liveCall, type Joined } from './live-api';
import { LiveChat } from './live-chat';
import { useLiveConfig } from './live-config';
import type { LivePlayer } from './live-player';
import { LiveQuiz } from './live-quiz';
import { LiveVideo } from './live-video';
import { quizFeedFor } from './quiz-feed';
import './live.css';

/*
 * A learner in a live lecture: joining takes their seat and a playback URL with a short-lived token; while
 * the page is open a heartbeat every BEAT_EVERY_MS has the server credit their presence (it credits at most
 * a minute per beat, seats.ts), and leaving the page stops the count. Quizzes arrive on the stream.
 */
const BEAT_EVERY_MS = HEARTBEATS.liveSeconds * 1000;
/** How often a lecture that has not started is looked at again, to start the picture when it goes live. */
const WAIT_POLL_MS = 5_000;

const messages: Messages<
  'loading' | 'back' | 'when' | 'scheduled' | 'live' | 'ended' | 'cancelled' | 'presence'
> = {
  ko: {
    loading: '불러오는 중…',
    back: '실시간 강의 목록',
    when: '{from} ~ {to}',
    scheduled: '아직 시작하지 않았습니다. 방송이 시작되면 영상이 나옵니다.',
    live: '방송 중',
    ended: '강의가 끝났습니다.',
    cancelled: '취소된 강의입니다.',
    presence: '출석 인정: {m}분 {s}초',
  },
  en: {
    loading: 'Loading…',
    back: 'Live lectures',
    when: '{from} to {to}',
    scheduled: 'Not started yet. The picture appears when the broadcast begins.',
    live: 'Live now',
    ended: 'The lecture has ended.',
    cancelled: 'The lecture was cancelled.',
    presence: 'Attendance credited: {m} min {s} s',
  },
};

export default function LiveLecture() {
  const { lectureId = '' } = useParams();
  const t = useT(messages);
  const { locale } = useLocale();
  const api = useApi();
  const apiUrl = useApiUrl();
  const config = useLiveConfig();
  const lecture = useLoad(
    () => api.GET('/lectures/{lectureId}', { params: { path: { lectureId } } }),
    [api, lectureId],
  );
  const [joined, setJoined] = useState<Joined>();
  const [joinProblem, setJoinProblem] = useState<Problem>();
  const [presence, setPresence] = useState<number>();
  const [player, setPlayer] = useState<LivePlayer>();
  const [quiz, setQuiz] = useState<QuizMetadata>();
  const [answers, setAnswers] = useState<ReadonlyMap<string, number>>(new Map());
  const state = lecture.status === 'ready' ? lecture.data.state : undefined;
  const { reload } = lecture;

  // Until it goes live (or ends), look again now and then.
  useEffect(() => {
    if (state !== 'scheduled') return;
    const timer = setInterval(reload, WAIT_POLL_MS);
    return () => clearInterval(timer);
  }, [state, reload]);

  // Join (a seat, and a playback URL); leave when the page goes. The player asks for a fresh URL (joining
  // again keeps the seat) only if its token is refused.
  const open = state === 'scheduled' || state === 'live';
  useEffect(() => {
    if (!open) return;
    let current = true;
    const join = async () => {
      const r = await liveCall(
        (a) => a.POST('/lectures/{lectureId}/join', { params: { path: { lectureId } } }),
        api,
      );
      if (!current) return;
      if (r.problem) return setJoinProblem(r.problem);
      setJoinProblem(undefined);
      setJoined(r.data);
    };
    void join();
    // A closing tab cannot wait for an answer: the request is sent with keepalive and left to finish.
    const leaveUrl = `${apiUrl}/lectures/${encodeURIComponent(lectureId)}/leave`;
    const onPageHide = () =>
      void fetch(leaveUrl, { method: 'POST', credentials: 'include', keepalive: true }).catch(
        () => undefined,
      );
    window.addEventListener('pagehide', onPageHide);
    return () => {
      current = false;
      window.removeEventListener('pagehide', onPageHide);
      void api.POST('/lectures/{lectureId}/leave', { params: { path: { lectureId } } });
    };
  }, [api, apiUrl, lectureId, open]);

  // Presence beats while seated.
  const seated = joined?.as === 'seat';
  useEffect(() => {
    if (!seated) return;
    const beat = async () => {
      const r = await liveCall(
        (a) => a.POST('/lectures/{lectureId}/presence', { params: { path: { lectureId } }, body: {} }),
        api,
      );
      if (r.data) return setPresence(r.data.presenceSeconds);
      // Counted as left while still here: the leave of a page this tab just unloaded (a reload) landed after
      // this page's join. Joining again is idempotent and keeps the seat; the next beat counts.
      if (r.problem.status === 409)
        await api.POST('/lectures/{lectureId}/join', { params: { path: { lectureId } } });
    };
    void beat();
    const timer = setInterval(() => void beat(), BEAT_EVERY_MS);
    return () => clearInterval(timer);
  }, [api, lectureId, seated]);

  // The learner's answers so far (a reload must not offer a second answer), and a quiz still open when they
  // arrive: a player joining late never sees the cue of a quiz sent before, which is behind its live edge.
  useEffect(() => {
    let current = true;
    void liveCall(
      (a) => a.GET('/lectures/{lectureId}/quizzes', { params: { path: { lectureId } } }),
      api,
    ).then((r) => {
      if (!r.data || !current) return;
      const mine = r.data.quizzes.flatMap((q) =>
        q.yourAnswer ? [[q.quizId, q.yourAnswer.option] as const] : [],
      );
      setAnswers((a) => new Map([...mine, ...a]));
      const open = r.data.quizzes.filter((q) => q.state === 'open' && q.deadline).at(-1);
      if (open)
        setQuiz(
          (shown) =>
            shown ?? {
              v: 1,
              t: 'quiz',
              id: open.quizId,
              q: open.question,
              o: open.options,
              d: Math.floor(Date.parse(open.deadline!) / 1000),
            },
        );
    });
    return () => {
      current = false;
    };
  }, [api, lectureId]);

  // Quizzes as they arrive on the stream (or the local IVS's events); one past its deadline is not shown.
  const playbackUrl = joined?.playbackUrl;
  useEffect(() => {
    if (!config || !playbackUrl || state !== 'live') return;
    const feed = quizFeedFor(config.quizFeed, playbackUrl, player);
    return feed?.subscribe((q) => {
      if (q.d * 1000 > Date.now()) setQuiz(q);
    });
  }, [config, playbackUrl, player, state]);

  const freshUrl = useCallback(
    async () =>
      (await liveCall((a) => a.POST('/lectures/{lectureId}/join', { params: { path: { lectureId } } }), api))
        .data?.playbackUrl,
    [api, lectureId],
  );

  const answered = useCallback(
    (quizId: string) => (option: number) => setAnswers((a) => new Map(a).set(quizId, option)),
    [],
  );

  if (lecture.status === 'loading') return <p aria-live="polite">{t('loading')}</p>;
  if (lecture.status === 'failed') return <ProblemAlert problem={lecture.problem} />;
  const l = lecture.data;
  return (
    <div className="live-room">
      <p>
        <Link to="/live">{t('back')}</Link>
      </p>
      <h1>{l.title}</h1>
      <p className="muted">
        {l.state === 'live' ? <span className="live-badge live-badge-live">{t('live')}</span> : null}{' '}
        {t('when', { from: formatMoment(l.startsAt, locale), to: formatMoment(l.endsAt, locale) })}
      </p>
      {l.state === 'scheduled' ? <p aria-live="polite">{t('scheduled')}</p> : null}
      {l.state === 'ended' ? <p>{t('ended')}</p> : null}
      {l.state === 'cancelled' ? <p>{t('cancelled')}</p> : null}
      <ProblemAlert problem={joinProblem} />
      <div className="live-stage">
        <div className="live-main">
          {l.state === 'live' && playbackUrl ? (
            <LiveVideo url={playbackUrl} onPlayer={setPlayer} refresh={freshUrl} />
          ) : null}
          {presence !== undefined ? (
            <p className="muted">{t('presence', { m: Math.floor(presence / 60), s: presence % 60 })}</p>
          ) : null}
          {quiz ? (
            <LiveQuiz
              key={quiz.id}
              lectureId={lectureId}
              quiz={quiz}
              answered={answers.get(quiz.id)}
              onAnswered={answered(quiz.id)}
            />
          ) : null}
        </div>
        {open ? <LiveChat lectureId={lectureId} /> : null}
      </div>
    </div>
  );
}
