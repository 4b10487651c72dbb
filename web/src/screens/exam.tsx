import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { useApi } from '../api/api-context';
import type { Problem } from '../api/problem';
import type { paths } from '../api/schema';
import { useT, type Messages } from '../i18n';
import { ProblemAlert } from '../ui/problem-alert';
import { asProblem, useLoad } from '../ui/use-load';
import { observe, timed, UNKNOWN_OFFSET, type ClockOffset } from './exam-clock';
import { ExamSitting, type Sitting } from './exam-sitting';

type ExamInfo =
  paths['/me/enrollments/{enrollmentId}/exams']['get']['responses'][200]['content']['application/json'][number];
type Enrollment = paths['/me/enrollments']['get']['responses'][200]['content']['application/json'][number];

const sittingPath = '/me/enrollments/{enrollmentId}/exams/{examId}/sitting' as const;

type Phase =
  | { readonly kind: 'before' }
  | { readonly kind: 'sitting'; readonly sitting: Sitting }
  | { readonly kind: 'result'; readonly sitting: Sitting; readonly byClock?: boolean }
  | { readonly kind: 'failed'; readonly problem: Problem };

const messages: Messages<
  | 'loading'
  | 'noExam'
  | 'back'
  | 'mid'
  | 'final'
  | 'stage'
  | 'questions'
  | 'questionCount'
  | 'timeLimit'
  | 'minutes'
  | 'oneMinute'
  | 'untimed'
  | 'attemptsLeft'
  | 'unlimited'
  | 'attemptsOf'
  | 'passMark'
  | 'passMarkOf'
  | 'noPassMark'
  | 'open'
  | 'gateProgress'
  | 'gatePeriod'
  | 'gatePeriodUnknown'
  | 'gateAttempts'
  | 'timedNote'
  | 'start'
  | 'startAgain'
  | 'starting'
  | 'result'
  | 'attempt'
  | 'byTimer'
  | 'score'
  | 'passed'
  | 'failed'
  | 'pendingScore'
  | 'yourAnswer'
  | 'noAnswer'
  | 'awarded'
  | 'awaitingGrade'
> = {
  ko: {
    loading: '불러오는 중…',
    noExam: '이 강의에 그런 시험이 없습니다.',
    back: '강의로 돌아가기',
    mid: '중간고사',
    final: '기말고사',
    stage: '구분',
    questions: '문항',
    questionCount: '{n}문항 ({points}점 만점)',
    timeLimit: '제한 시간',
    minutes: '{n}분',
    oneMinute: '1분',
    untimed: '없음',
    attemptsLeft: '남은 응시 기회',
    unlimited: '제한 없음',
    attemptsOf: '{total}회 중 {left}회',
    passMark: '합격 기준',
    passMarkOf: '100점 중 {n}점 이상',
    noPassMark: '없음',
    open: '지금 응시할 수 있습니다.',
    gateProgress:
      '{stage}는 진도율 {required}% 이상부터 응시할 수 있습니다. 현재 진도율은 {progress}%입니다.',
    gatePeriod: '시험은 훈련 기간({start} ~ {end}) 중에만 응시할 수 있습니다.',
    gatePeriodUnknown: '시험은 훈련 기간 중에만 응시할 수 있습니다.',
    gateAttempts: '응시 기회를 모두 사용했습니다. 재응시는 담당 기관이 허용할 수 있습니다.',
    timedNote:
      '시작하면 시간이 흐르기 시작하며, 페이지를 떠나도 멈추지 않습니다. 답안은 고를 때마다 저장되고, 시간이 끝나면 저장된 답안이 자동으로 제출됩니다.',
    start: '시험 시작',
    startAgain: '다시 응시',
    starting: '시작하는 중…',
    result: '결과',
    attempt: '{n}회차 응시',
    byTimer: '시간이 끝나 자동으로 제출되었습니다.',
    score: '점수: {score}점 (100점 만점)',
    passed: '합격 (기준 {min}점)',
    failed: '불합격 (기준 {min}점)',
    pendingScore: '점수는 강사가 서술형 답안 {n}개를 채점한 뒤에 나옵니다.',
    yourAnswer: '내 답안',
    noAnswer: '답하지 않음',
    awarded: '{awarded} / {points}점',
    awaitingGrade: '강사 채점 대기 중',
  },
  en: {
    loading: 'Loading…',
    noExam: 'This course has no such exam.',
    back: 'Back to the course',
    mid: 'Mid exam',
    final: 'Final exam',
    stage: 'Stage',
    questions: 'Questions',
    questionCount: '{n} ({points} points)',
    timeLimit: 'Time limit',
    minutes: '{n} minutes',
    oneMinute: '1 minute',
    untimed: 'None',
    attemptsLeft: 'Attempts left',
    unlimited: 'Unlimited',
    attemptsOf: '{left} of {total}',
    passMark: 'Pass mark',
    passMarkOf: '{n} out of 100',
    noPassMark: 'None',
    open: 'You can take this exam now.',
    gateProgress: 'The {stage} opens at {required}% course progress; you are at {progress}%.',
    gatePeriod: 'Exams can be taken during your training period, {start} to {end}.',
    gatePeriodUnknown: 'Exams can be taken during your training period only.',
    gateAttempts: 'You have used all your attempts. Your training provider can grant a retake.',
    timedNote:
      'The clock starts when you start and keeps running if you leave the page. Each answer is saved as you give it; when time is up, your saved answers are submitted automatically.',
    start: 'Start the exam',
    startAgain: 'Start another attempt',
    starting: 'Starting…',
    result: 'Result',
    attempt: 'Attempt {n}',
    byTimer: 'Submitted automatically when the time ran out.',
    score: 'Score: {score} out of 100',
    passed: 'Passed (pass mark {min})',
    failed: 'Not passed (pass mark {min})',
    pendingScore: 'Your score will be known once the instructor grades {n} short answer(s).',
    yourAnswer: 'Your answer',
    noAnswer: 'No answer',
    awarded: '{awarded} / {points} points',
    awaitingGrade: 'Awaiting the instructor’s grade',
  },
};

/**
 * A learner's exam: what they agree to before starting and whether it is open to them, the running sitting
 * (resumed as it stands after a reload), and the latest sitting's result.
 */
export default function Exam() {
  const { enrollmentId = '', examId = '' } = useParams();
  const api = useApi();
  const t = useT(messages);
  const exams = useLoad(
    () => api.GET('/me/enrollments/{enrollmentId}/exams', { params: { path: { enrollmentId } } }),
    [api, enrollmentId],
  );
  const enrollments = useLoad(() => api.GET('/me/enrollments'), [api]);
  const [phase, setPhase] = useState<Phase>();
  const [starting, setStarting] = useState(false);
  const [startProblem, setStartProblem] = useState<Problem>();
  const clock = useRef<ClockOffset>(UNKNOWN_OFFSET);
  const info = exams.status === 'ready' ? exams.data.find((e) => e.examId === examId) : undefined;
  const enrollment =
    enrollments.status === 'ready' ? enrollments.data.find((e) => e.id === enrollmentId) : undefined;
  const { reload } = exams;

  /** Shows the latest sitting as the server has it now: still running, or its result. */
  const settle = useCallback(async () => {
    const params = { path: { enrollmentId, examId } };
    try {
      let latest = await timed(() => api.GET(sittingPath, { params }));
      // Past its deadline but not yet submitted by the timer worker: a submission request makes the
      // server submit it as of the deadline (answering 409), after which it has its result.
      if (latest.data?.state === 'due') {
        await api.POST(`${sittingPath}/submit`, { params });
        latest = await timed(() => api.GET(sittingPath, { params }));
      }
      const s = latest.data;
      if (!s) return setPhase({ kind: 'failed', problem: asProblem(latest.error, latest.response) });
      clock.current = observe(clock.current, latest.timing, {
        deadlineAt: s.deadlineAt,
        secondsLeft: s.secondsLeft,
      });
      setPhase(s.state === 'open' ? { kind: 'sitting', sitting: s } : { kind: 'result', sitting: s });
    } catch (e) {
      setPhase({ kind: 'failed', problem: asProblem(e) });
    }
    reload();
  }, [api, enrollmentId, examId, reload]);

  // Opening the page: a sitting already started is resumed (or shown with its result).
  const hasLatest = info?.latest !== undefined && info.latest !== null;
  useEffect(() => {
    if (phase === undefined && hasLatest) void settle();
  }, [phase, hasLatest, settle]);

  const start = async () => {
    setStarting(true);
    setStartProblem(undefined);
    try {
      const r = await timed(() => api.POST(sittingPath, { params: { path: { enrollmentId, examId } } }));
      if (r.data) {
        clock.current = observe(clock.current, r.timing, {
          // A new sitting's start is the server's now, to the millisecond.
          exact: r.response.status === 201 ? r.data.startedAt : undefined,
          deadlineAt: r.data.deadlineAt,
          secondsLeft: r.data.secondsLeft,
        });
        setPhase({ kind: 'sitting', sitting: r.data });
      } else setStartProblem(asProblem(r.error, r.response));
    } catch (e) {
      setStartProblem(asProblem(e));
    }
    setStarting(false);
  };

  const back = (
    <p>
      <Link to={`/learn/${enrollmentId}`}>
        {enrollment ? `${t('back')}: ${enrollment.courseTitle}` : t('back')}
      </Link>
    </p>
  );
  if (exams.status === 'loading') return <p aria-live="polite">{t('loading')}</p>;
  if (exams.status === 'failed')
    return (
      <>
        <h1>{t('noExam')}</h1>
        <ProblemAlert problem={exams.problem} />
        {back}
      </>
    );
  if (!info)
    return (
      <>
        <h1>{t('noExam')}</h1>
        {back}
      </>
    );
  const current: Phase | undefined = phase ?? (hasLatest ? undefined : { kind: 'before' });
  const canStart = info.open && info.latest?.state !== 'open' && info.latest?.state !== 'due';
  const startButton = (again: boolean) => (
    <>
      <ProblemAlert problem={startProblem} />
      <button type="button" onClick={() => void start()} disabled={starting}>
        {starting ? t('starting') : t(again ? 'startAgain' : 'start')}
      </button>
    </>
  );
  return (
    <div className="exam">
      {back}
      <h1>{info.title}</h1>
      {current === undefined ? <p aria-live="polite">{t('loading')}</p> : null}
      {current?.kind === 'failed' ? <ProblemAlert problem={current.problem} /> : null}
      {current?.kind === 'before' ? (
        <>
          <ExamFacts info={info} />
          <GateText info={info} enrollment={enrollment} />
          {info.minutes !== null ? <p>{t('timedNote')}</p> : null}
          {canStart ? startButton(false) : null}
        </>
      ) : null}
      {current?.kind === 'sitting' ? (
        <ExamSitting
          key={current.sitting.id}
          enrollmentId={enrollmentId}
          examId={examId}
          sitting={current.sitting}
          clock={clock}
          onSubmitted={(s, byClock) => {
            setPhase({ kind: 'result', sitting: s, byClock });
            reload();
          }}
          onClosed={() => void settle()}
        />
      ) : null}
      {current?.kind === 'result' ? (
        <>
          <ExamResult sitting={current.sitting} byClock={current.byClock} minScore={info.minScore} />
          {/* What comes next is decided on the list as it stands after this sitting, not before it. */}
          {info.latest?.attemptNo !== current.sitting.attemptNo ||
          info.latest.state === 'open' ||
          info.latest.state === 'due' ? null : canStart ? (
            <section className="exam-again">
              <ExamFacts info={info} />
              {startButton(true)}
            </section>
          ) : (
            <GateText info={info} enrollment={enrollment} />
          )}
        </>
      ) : null}
    </div>
  );
}

function ExamFacts({ info }: { info: ExamInfo }) {
  const t = useT(messages);
  const left = info.attemptsAllowed === null ? null : Math.max(0, info.attemptsAllowed - info.attemptsUsed);
  return (
    <dl className="exam-facts">
      <dt>{t('stage')}</dt>
      <dd>{t(info.stage)}</dd>
      <dt>{t('questions')}</dt>
      <dd>{t('questionCount', { n: info.questions, points: info.maxPoints })}</dd>
      <dt>{t('timeLimit')}</dt>
      <dd>
        {info.minutes === null
          ? t('untimed')
          : info.minutes === 1
            ? t('oneMinute')
            : t('minutes', { n: info.minutes })}
      </dd>
      <dt>{t('attemptsLeft')}</dt>
      <dd>{left === null ? t('unlimited') : t('attemptsOf', { left, total: info.attemptsAllowed! })}</dd>
      <dt>{t('passMark')}</dt>
      <dd>{info.minScore === null ? t('noPassMark') : t('passMarkOf', { n: info.minScore })}</dd>
    </dl>
  );
}

/** Whether the exam is open now, and if not, why, in the learner's words. */
function GateText({ info, enrollment }: { info: ExamInfo; enrollment: Enrollment | undefined }) {
  const t = useT(messages);
  if (info.open) return <p className="exam-gate exam-gate-open">{t('open')}</p>;
  const text =
    info.gate === 'progress'
      ? t('gateProgress', {
          // Mid-sentence in English; Korean has no case.
          stage: t(info.stage).toLowerCase(),
          required: Math.round(info.requiredShare * 100),
          progress: Math.floor(info.progressShare * 100),
        })
      : info.gate === 'outside-period'
        ? enrollment
          ? t('gatePeriod', { start: enrollment.startsOn, end: enrollment.endsOn })
          : t('gatePeriodUnknown')
        : t('gateAttempts');
  return <p className="exam-gate">{text}</p>;
}

/** A submitted sitting: the score against the pass mark, and each answer with its points or its wait. */
function ExamResult(props: { sitting: Sitting; byClock?: boolean | undefined; minScore: number | null }) {
  const { sitting, minScore } = props;
  const t = useT(messages);
  const pending = sitting.questions.filter((q) => q.awardedPoints === null).length;
  return (
    <section className="exam-result" aria-labelledby="exam-result-title">
      <h2 id="exam-result-title">
        {t('result')} <span className="muted">({t('attempt', { n: sitting.attemptNo })})</span>
      </h2>
      {/* The page's clock may hand it in a moment before the server's would: automatic all the same. */}
      {sitting.submittedBy === 'timer' || props.byClock ? <p>{t('byTimer')}</p> : null}
      {sitting.score !== null ? (
        <p className="exam-score">
          <strong>{t('score', { score: sitting.score })}</strong>
          {minScore !== null ? (
            <span className={sitting.score >= minScore ? 'exam-pass' : 'exam-fail'}>
              {' '}
              {t(sitting.score >= minScore ? 'passed' : 'failed', { min: minScore })}
            </span>
          ) : null}
        </p>
      ) : (
        <p className="exam-score">{t('pendingScore', { n: pending })}</p>
      )}
      <ol className="exam-answers">
        {sitting.questions.map((q) => {
          const r = q.response;
          const given =
            r === null
              ? t('noAnswer')
              : r.choice !== null
                ? (q.choices?.[r.choice] ?? String(r.choice))
                : (r.text ?? '').trim() || t('noAnswer');
          return (
            <li key={q.id}>
              <p>{q.prompt}</p>
              <p>
                {t('yourAnswer')}: {given}
              </p>
              <p className={q.awardedPoints === null ? 'exam-waiting' : undefined}>
                {q.awardedPoints === null
                  ? t('awaitingGrade')
                  : t('awarded', { awarded: q.awardedPoints, points: q.points })}
              </p>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
