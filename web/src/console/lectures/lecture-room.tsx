import { useCallback, useEffect, useId, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useApi } from '../../api/api-context';
import type { Problem } from '../../api/problem';
import { useLocale, useT, type Messages } from '../../i18n';
import { DataTable, type Column } from '../../ui/data-table';
import { ProblemAlert } from '../../ui/problem-alert';
import { useLoad } from '../../ui/use-load';
import { formatMoment } from '../../ui/when';
import { liveCall, type AttendanceRow, type Joined } from '../../screens/live/live-api';
import { LiveChat } from '../../screens/live/live-chat';
import { LiveVideo } from '../../screens/live/live-video';
import { QuizPanel } from './quiz-panel';
import '../../screens/live/live.css';
import './lectures.css';

/** How often the room looks at the lecture's state and attendance while it may change. */
const POLL_MS = 5_000;

const messages: Messages<
  | 'loading'
  | 'back'
  | 'when'
  | 'state'
  | 'scheduled'
  | 'live'
  | 'ended'
  | 'cancelled'
  | 'broadcast'
  | 'ingest'
  | 'server'
  | 'copyKey'
  | 'copied'
  | 'copyFailed'
  | 'keyHint'
  | 'preview'
  | 'notLive'
  | 'attendance'
  | 'noAttendees'
  | 'colLearner'
  | 'colJoined'
  | 'colPresence'
  | 'colRate'
  | 'colAnswered'
  | 'colCorrect'
  | 'colStatus'
  | 'present'
  | 'left'
  | 'seats'
> = {
  ko: {
    loading: '불러오는 중…',
    back: '실시간 강의 목록',
    when: '{from} ~ {to}',
    state: '상태: {state}',
    scheduled: '예정',
    live: '방송 중',
    ended: '종료',
    cancelled: '취소',
    broadcast: '방송 설정',
    ingest: '수신 엔드포인트',
    server: '서버 주소',
    copyKey: '스트림 키 복사',
    copied: '스트림 키를 클립보드에 복사했습니다. 방송 프로그램(OBS 등)에 붙여 넣으세요.',
    copyFailed: '클립보드에 복사하지 못했습니다: {message}',
    keyHint: '스트림 키는 화면에 보이지 않으며, 가진 사람은 누구나 이 채널로 방송할 수 있습니다.',
    preview: '미리보기',
    notLive: '방송이 시작되면 미리보기가 나옵니다.',
    attendance: '출석',
    noAttendees: '아직 입장한 수강생이 없습니다.',
    colLearner: '수강생',
    colJoined: '입장 시각',
    colPresence: '출석 시간',
    colRate: '출석률',
    colAnswered: '퀴즈 응답',
    colCorrect: '퀴즈 정답',
    colStatus: '현재',
    present: '시청 중',
    left: '나감',
    seats: '입장 {joined} / 정원 {capacity}',
  },
  en: {
    loading: 'Loading…',
    back: 'Live lectures',
    when: '{from} to {to}',
    state: 'State: {state}',
    scheduled: 'Scheduled',
    live: 'Live',
    ended: 'Ended',
    cancelled: 'Cancelled',
    broadcast: 'Broadcast',
    ingest: 'Ingest endpoint',
    server: 'Server',
    copyKey: 'Copy stream key',
    copied: 'The stream key is on the clipboard: paste it into your encoder (OBS or similar).',
    copyFailed: 'Could not copy to the clipboard: {message}',
    keyHint: 'The key is never shown: whoever has it can broadcast on this channel.',
    preview: 'Preview',
    notLive: 'The preview appears when the broadcast starts.',
    attendance: 'Attendance',
    noAttendees: 'No learner has joined yet.',
    colLearner: 'Learner',
    colJoined: 'Joined',
    colPresence: 'Present for',
    colRate: 'Attendance rate',
    colAnswered: 'Quizzes answered',
    colCorrect: 'Quizzes right',
    colStatus: 'Now',
    present: 'Watching',
    left: 'Left',
    seats: '{joined} joined of {capacity} seats',
  },
};

const duration = (s: number) => `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;

/**
 * `/console/lectures/:lectureId`: the instructor's room. The broadcast settings (the key copied, never shown),
 * the live preview, the chat with moderation, quizzes, and attendance as it accrues and after.
 */
export default function LectureRoom() {
  const { lectureId = '' } = useParams();
  const t = useT(messages);
  const { locale } = useLocale();
  const api = useApi();
  const id = useId();
  const lecture = useLoad(
    () => api.GET('/lectures/{lectureId}', { params: { path: { lectureId } } }),
    [api, lectureId],
  );
  const attendance = useLoad(
    () => api.GET('/lectures/{lectureId}/attendance', { params: { path: { lectureId } } }),
    [api, lectureId],
  );
  const [copy, setCopy] = useState<{ ok: true; server: string } | { ok: false; message: string } | Problem>();
  const [preview, setPreview] = useState<Joined>();
  const [names, setNames] = useState<ReadonlyMap<string, string>>(new Map());
  const state = lecture.status === 'ready' ? lecture.data.state : undefined;
  const { reload: reloadLecture } = lecture;
  const { reload: reloadAttendance } = attendance;

  // State and attendance move while the lecture is scheduled or live.
  useEffect(() => {
    if (state !== 'scheduled' && state !== 'live') return;
    const timer = setInterval(() => {
      reloadLecture();
      reloadAttendance();
    }, POLL_MS);
    return () => clearInterval(timer);
  }, [state, reloadLecture, reloadAttendance]);

  // Staff watch without taking a seat (the join answers `as: 'watch'`).
  useEffect(() => {
    if (state !== 'live') return setPreview(undefined);
    let current = true;
    void liveCall((a) => a.POST('/lectures/{lectureId}/join', { params: { path: { lectureId } } }), api).then(
      (r) => current && r.data && setPreview(r.data),
    );
    return () => {
      current = false;
    };
  }, [api, lectureId, state]);

  const copyKey = async () => {
    setCopy(undefined);
    const r = await liveCall(
      (a) => a.POST('/lectures/{lectureId}/stream-key', { params: { path: { lectureId } } }),
      api,
    );
    if (r.problem) return setCopy(r.problem);
    try {
      await navigator.clipboard.writeText(r.data.streamKey);
      setCopy({ ok: true, server: r.data.ingestUrl });
    } catch (e) {
      setCopy({ ok: false, message: e instanceof Error ? e.message : String(e) });
    }
  };

  const freshUrl = useCallback(
    async () =>
      (await liveCall((a) => a.POST('/lectures/{lectureId}/join', { params: { path: { lectureId } } }), api))
        .data?.playbackUrl,
    [api, lectureId],
  );

  const onSender = useCallback(
    (userId: string, name: string) =>
      setNames((n) => (n.get(userId) === name ? n : new Map(n).set(userId, name))),
    [],
  );

  if (lecture.status === 'loading') return <p aria-live="polite">{t('loading')}</p>;
  if (lecture.status === 'failed') return <ProblemAlert problem={lecture.problem} />;
  const l = lecture.data;
  const open = l.state === 'scheduled' || l.state === 'live';
  const columns: Column<AttendanceRow>[] = [
    { key: 'learner', header: t('colLearner'), value: (r) => names.get(r.userSub) ?? r.userSub },
    {
      key: 'joined',
      header: t('colJoined'),
      value: (r) => r.joinedAt,
      render: (r) => formatMoment(r.joinedAt, locale),
    },
    {
      key: 'presence',
      header: t('colPresence'),
      value: (r) => r.presenceSeconds,
      render: (r) => duration(r.presenceSeconds),
      numeric: true,
    },
    {
      key: 'rate',
      header: t('colRate'),
      value: (r) => Math.round(r.attendanceRate * 100),
      render: (r) => `${Math.round(r.attendanceRate * 100)}%`,
      numeric: true,
    },
    { key: 'answered', header: t('colAnswered'), value: (r) => r.quizzesAnswered, numeric: true },
    { key: 'correct', header: t('colCorrect'), value: (r) => r.quizzesCorrect, numeric: true },
    { key: 'status', header: t('colStatus'), value: (r) => t(r.left ? 'left' : 'present') },
  ];
  return (
    <div className="lecture-room">
      <p>
        <Link to="/console/lectures">{t('back')}</Link>
      </p>
      <h1>{l.title}</h1>
      <p className="muted">
        {l.state === 'live' ? (
          <span className="live-badge live-badge-live">{t('live')}</span>
        ) : (
          t('state', { state: t(l.state) })
        )}{' '}
        · {t('when', { from: formatMoment(l.startsAt, locale), to: formatMoment(l.endsAt, locale) })} ·{' '}
        {t('seats', { joined: l.joinedCount, capacity: l.capacity })}
      </p>
      <div className="lecture-room-panels">
        <div>
          {open ? (
            <section aria-labelledby={`${id}-broadcast`}>
              <h2 id={`${id}-broadcast`}>{t('broadcast')}</h2>
              <dl className="lecture-ingest">
                <dt>{t('ingest')}</dt>
                <dd>{l.ingestEndpoint}</dd>
                {copy && 'ok' in copy && copy.ok ? (
                  <>
                    <dt>{t('server')}</dt>
                    <dd>{copy.server}</dd>
                  </>
                ) : null}
              </dl>
              <button type="button" onClick={() => void copyKey()}>
                {t('copyKey')}
              </button>{' '}
              <span className="muted">{t('keyHint')}</span>
              <p role="status">{copy && 'ok' in copy && copy.ok ? t('copied') : ''}</p>
              {copy && 'ok' in copy && !copy.ok ? (
                <p role="alert">{t('copyFailed', { message: copy.message })}</p>
              ) : null}
              {copy && !('ok' in copy) ? <ProblemAlert problem={copy} /> : null}
            </section>
          ) : null}
          <section aria-labelledby={`${id}-preview`}>
            <h2 id={`${id}-preview`}>{t('preview')}</h2>
            {preview ? (
              <LiveVideo url={preview.playbackUrl} refresh={freshUrl} />
            ) : (
              <p className="muted">{t('notLive')}</p>
            )}
          </section>
          <QuizPanel lectureId={lectureId} live={l.state === 'live'} open={open} />
        </div>
        {open ? <LiveChat lectureId={lectureId} moderate onSender={onSender} /> : null}
      </div>
      <section aria-labelledby={`${id}-attendance`}>
        <h2 id={`${id}-attendance`}>{t('attendance')}</h2>
        {attendance.status === 'failed' ? (
          <ProblemAlert problem={attendance.problem} />
        ) : attendance.status === 'ready' ? (
          <DataTable
            caption={t('attendance')}
            columns={columns}
            rows={attendance.data.attendees}
            rowKey={(r) => r.userSub}
            fileName={`attendance-${lectureId}`}
            empty={t('noAttendees')}
          />
        ) : (
          <p aria-live="polite">{t('loading')}</p>
        )}
      </section>
    </div>
  );
}
