import { useCallback, useEffect, useEffectEvent, useRef, useState, type RefObject } from 'react';
import { useApi } from '../api/api-context';
import { fieldError, problemText, type Problem } from '../api/problem';
import type { paths } from '../api/schema';
import { useT, type Messages } from '../i18n';
import { ProblemAlert } from '../ui/problem-alert';
import { asProblem } from '../ui/use-load';
import { msLeft, observe, timed, type ClockOffset } from './exam-clock';

export type Sitting =
  paths['/me/enrollments/{enrollmentId}/exams/{examId}/sitting']['get']['responses'][200]['content']['application/json'];
type Question = Sitting['questions'][number];
type AnswerBody = NonNullable<
  paths['/me/enrollments/{enrollmentId}/exams/{examId}/sitting/answers/{questionId}']['put']['requestBody']
>['content']['application/json'];

type SaveState =
  | { readonly status: 'unanswered' }
  | { readonly status: 'pending' }
  | { readonly status: 'saving' }
  | { readonly status: 'saved'; readonly at: string }
  | { readonly status: 'failed'; readonly problem: Problem };

/** A short answer is saved once the learner pauses typing (and at once when they leave the field). */
const TEXT_SAVE_DELAY_MS = 800;
/** Answers still waiting to be sent go this long before the deadline, so they arrive in time. */
const FLUSH_BEFORE_MS = 3000;
/** Spoken time marks (seconds left): the clock is announced at these, not every second. */
const MARKS = [600, 300, 60] as const;

const messages: Messages<
  | 'points'
  | 'timeLeft'
  | 'minutesLeft'
  | 'oneMinuteLeft'
  | 'timeUp'
  | 'untimed'
  | 'answered'
  | 'unanswered'
  | 'pending'
  | 'saving'
  | 'saved'
  | 'retry'
  | 'answerLabel'
  | 'submit'
  | 'submitting'
  | 'confirmTitle'
  | 'confirmBody'
  | 'confirmMissing'
  | 'confirm'
  | 'cancel'
  | 'unsavedLeave'
> = {
  ko: {
    points: '{n}점',
    timeLeft: '남은 시간',
    minutesLeft: '남은 시간 {n}분',
    oneMinuteLeft: '남은 시간 1분. 곧 자동으로 제출됩니다.',
    timeUp: '시간이 끝났습니다. 저장된 답안을 제출합니다.',
    untimed: '시간 제한이 없는 시험입니다.',
    answered: '{total}문항 중 {n}문항 답함',
    unanswered: '아직 답하지 않음',
    pending: '입력 중… (잠시 후 저장)',
    saving: '저장 중…',
    saved: '저장됨 {time}',
    retry: '다시 저장',
    answerLabel: '답안',
    submit: '답안 제출',
    submitting: '제출하는 중…',
    confirmTitle: '답안을 제출할까요?',
    confirmBody: '제출한 뒤에는 답안을 바꿀 수 없습니다.',
    confirmMissing: '답하지 않은 문항이 {n}개 있습니다.',
    confirm: '제출하기',
    cancel: '계속 풀기',
    unsavedLeave: '아직 저장되지 않은 답안이 있습니다.',
  },
  en: {
    points: '{n} points',
    timeLeft: 'Time left',
    minutesLeft: '{n} minutes left',
    oneMinuteLeft: 'One minute left. Your answers will be submitted automatically.',
    timeUp: 'Time is up. Your saved answers are being submitted.',
    untimed: 'This exam has no time limit.',
    answered: '{n} of {total} questions answered',
    unanswered: 'Not answered yet',
    pending: 'Typing… (saved when you pause)',
    saving: 'Saving…',
    saved: 'Saved {time}',
    retry: 'Save again',
    answerLabel: 'Answer',
    submit: 'Submit answers',
    submitting: 'Submitting…',
    confirmTitle: 'Submit your answers?',
    confirmBody: 'Once submitted, your answers cannot be changed.',
    confirmMissing: '{n} questions are not answered.',
    confirm: 'Submit now',
    cancel: 'Keep answering',
    unsavedLeave: 'Some answers are not saved yet.',
  },
};

const isAnswered = (a: AnswerBody | undefined) =>
  a !== undefined && (a.choice !== undefined || (a.text ?? '').trim() !== '');

const clockText = (seconds: number) => {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const mmss = `${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
};

export interface ExamSittingProps {
  readonly enrollmentId: string;
  readonly examId: string;
  readonly sitting: Sitting;
  /** Server time minus client time, narrowed by every answer of the API. */
  readonly clock: RefObject<ClockOffset>;
  /** The learner (or, at the deadline, the clock) handed the sitting in: its submitted view. */
  readonly onSubmitted: (sitting: Sitting, byClock: boolean) => void;
  /** The server says the sitting is no longer open (its time ran out, or another tab submitted it). */
  readonly onClosed: () => void;
}

/**
 * A running sitting: the server's clock counting down, the questions, each answer saved as it is given
 * (with its own saved/saving/refused state), and the submission by the learner or at the deadline.
 */
export function ExamSitting({
  enrollmentId,
  examId,
  sitting,
  clock,
  onSubmitted,
  onClosed,
}: ExamSittingProps) {
  const api = useApi();
  const t = useT(messages);
  const [answers, setAnswers] = useState<Record<string, AnswerBody>>(() =>
    Object.fromEntries(
      sitting.questions
        .filter((q) => q.response)
        .map((q) => [
          q.id,
          q.response!.choice !== null ? { choice: q.response!.choice } : { text: q.response!.text ?? '' },
        ]),
    ),
  );
  const [saves, setSaves] = useState<Record<string, SaveState>>(() =>
    Object.fromEntries(
      sitting.questions.map((q) => [
        q.id,
        q.response ? { status: 'saved', at: q.response.savedAt } : { status: 'unanswered' },
      ]),
    ),
  );
  const [submitting, setSubmitting] = useState(false);
  const [submitProblem, setSubmitProblem] = useState<Problem>();
  const dialog = useRef<HTMLDialogElement>(null);

  // What is waiting to be sent, per question: the newest value, its debounce timer, the request in flight.
  const unsent = useRef(new Map<string, AnswerBody>());
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>());
  const inflight = useRef(new Map<string, Promise<void>>());
  // Once submitted or closed, nothing more is sent and the parent is told once.
  const over = useRef(false);
  const handingIn = useRef(false);

  // These close over nothing that changes during a sitting (the client, the ids, the deadline, setters),
  // so a request started by an older render finishes just as a newer one would.
  const params = { path: { enrollmentId, examId } };
  const close = () => {
    if (over.current) return;
    over.current = true;
    onClosed();
  };

  const put = async (questionId: string, body: AnswerBody) => {
    setSaves((s) => ({ ...s, [questionId]: { status: 'saving' } }));
    try {
      const r = await timed(() =>
        api.PUT('/me/enrollments/{enrollmentId}/exams/{examId}/sitting/answers/{questionId}', {
          params: { path: { enrollmentId, examId, questionId } },
          body,
        }),
      );
      if (r.data) {
        const saved = r.data;
        clock.current = observe(clock.current, r.timing, {
          exact: saved.savedAt,
          deadlineAt: sitting.deadlineAt,
          secondsLeft: saved.secondsLeft,
        });
        // A newer value waiting to go keeps the question unsaved.
        if (!unsent.current.has(questionId) && !timers.current.has(questionId))
          setSaves((s) => ({ ...s, [questionId]: { status: 'saved', at: saved.savedAt } }));
      } else if (r.response.status === 409) close();
      else
        setSaves((s) => ({
          ...s,
          [questionId]: { status: 'failed', problem: asProblem(r.error, r.response) },
        }));
    } catch (e) {
      setSaves((s) => ({ ...s, [questionId]: { status: 'failed', problem: asProblem(e) } }));
    }
  };

  /** Sends a question's newest unsent value, one request at a time per question. */
  const pump = (questionId: string): Promise<void> => {
    const running = inflight.current.get(questionId);
    if (running) return running;
    const body = unsent.current.get(questionId);
    if (!body || over.current) return Promise.resolve();
    unsent.current.delete(questionId);
    const request = put(questionId, body)
      .finally(() => inflight.current.delete(questionId))
      .then(() => (unsent.current.has(questionId) ? pump(questionId) : undefined));
    inflight.current.set(questionId, request);
    return request;
  };

  /** Sends everything waiting now, and waits for it. */
  const flush = async () => {
    for (const [questionId, timer] of timers.current) {
      clearTimeout(timer);
      timers.current.delete(questionId);
    }
    await Promise.all(
      [...new Set([...unsent.current.keys(), ...inflight.current.keys()])].map((id) => pump(id)),
    );
  };

  const answer = (questionId: string, body: AnswerBody, delayMs: number) => {
    setAnswers((a) => ({ ...a, [questionId]: body }));
    setSaves((s) => ({ ...s, [questionId]: { status: 'pending' } }));
    unsent.current.set(questionId, body);
    clearTimeout(timers.current.get(questionId));
    timers.current.delete(questionId);
    if (delayMs === 0) void pump(questionId);
    else
      timers.current.set(
        questionId,
        setTimeout(() => {
          timers.current.delete(questionId);
          void pump(questionId);
        }, delayMs),
      );
  };

  const handIn = async (byClock: boolean) => {
    if (over.current || handingIn.current) return;
    handingIn.current = true;
    setSubmitting(true);
    setSubmitProblem(undefined);
    await flush();
    if (over.current) return;
    try {
      const r = await api.POST('/me/enrollments/{enrollmentId}/exams/{examId}/sitting/submit', { params });
      if (r.data) {
        over.current = true;
        onSubmitted(r.data, byClock);
        return;
      }
      // Closed already: the server submitted it at the deadline (or another tab did).
      if (r.response.status === 409) return close();
      setSubmitProblem(asProblem(r.error, r.response));
    } catch (e) {
      setSubmitProblem(asProblem(e));
    }
    handingIn.current = false;
    setSubmitting(false);
  };

  // Leaving the tab sends what was typed; leaving the page with answers unsent asks first.
  const flushNow = useEffectEvent(() => void flush());
  useEffect(() => {
    const onHide = () => {
      if (document.visibilityState === 'hidden') flushNow();
    };
    const onLeave = (e: BeforeUnloadEvent) => {
      if (unsent.current.size > 0 || inflight.current.size > 0 || timers.current.size > 0) {
        flushNow();
        e.preventDefault();
      }
    };
    document.addEventListener('visibilitychange', onHide);
    window.addEventListener('beforeunload', onLeave);
    return () => {
      document.removeEventListener('visibilitychange', onHide);
      window.removeEventListener('beforeunload', onLeave);
      // Leaving the screen inside the app: what was typed is still sent.
      flushNow();
    };
  }, []);

  const answeredCount = sitting.questions.filter((q) => isAnswered(answers[q.id])).length;
  const total = sitting.questions.length;
  return (
    <div className="exam-sitting">
      <div className="exam-bar">
        {sitting.deadlineAt ? (
          <Countdown
            deadlineAt={sitting.deadlineAt}
            clock={clock}
            onFlush={() => void flush()}
            onExpire={() => void handIn(true)}
          />
        ) : (
          <p>{t('untimed')}</p>
        )}
        <p>{t('answered', { n: answeredCount, total })}</p>
      </div>
      <form
        className="exam-questions"
        onSubmit={(e) => {
          e.preventDefault();
          dialog.current?.showModal();
        }}
      >
        <ol>
          {sitting.questions.map((q, i) => (
            <li key={q.id} className="exam-question">
              <QuestionInput
                question={q}
                n={i + 1}
                value={answers[q.id]}
                save={saves[q.id] ?? { status: 'unanswered' }}
                disabled={submitting}
                onChoice={(choice) => answer(q.id, { choice }, 0)}
                onText={(text) => answer(q.id, { text }, TEXT_SAVE_DELAY_MS)}
                onLeave={() => {
                  if (timers.current.has(q.id)) void flush();
                }}
                onRetry={() => {
                  const value = answers[q.id];
                  if (value) answer(q.id, value, 0);
                }}
              />
            </li>
          ))}
        </ol>
        <ProblemAlert problem={submitProblem} />
        <button type="submit" disabled={submitting}>
          {submitting ? t('submitting') : t('submit')}
        </button>
      </form>
      <dialog ref={dialog} className="exam-confirm" aria-labelledby="exam-confirm-title">
        <h2 id="exam-confirm-title">{t('confirmTitle')}</h2>
        <p>{t('confirmBody')}</p>
        {answeredCount < total ? <p>{t('confirmMissing', { n: total - answeredCount })}</p> : null}
        <div className="exam-actions">
          <button
            type="button"
            onClick={() => {
              dialog.current?.close();
              void handIn(false);
            }}
          >
            {t('confirm')}
          </button>
          <button type="button" className="secondary" onClick={() => dialog.current?.close()}>
            {t('cancel')}
          </button>
        </div>
      </dialog>
    </div>
  );
}

/** One question: radios in a fieldset for multiple choice, a labelled textarea for a short answer. */
function QuestionInput(props: {
  readonly question: Question;
  readonly n: number;
  readonly value: AnswerBody | undefined;
  readonly save: SaveState;
  readonly disabled: boolean;
  readonly onChoice: (choice: number) => void;
  readonly onText: (text: string) => void;
  readonly onLeave: () => void;
  readonly onRetry: () => void;
}) {
  const t = useT(messages);
  const { question: q, n, save } = props;
  const statusId = `exam-q-${q.id}-status`;
  const failed = save.status === 'failed' ? save.problem : undefined;
  const refusal = failed && (fieldError(failed, 'body.choice') ?? fieldError(failed, 'body.text'));
  const prompt = (
    <>
      <span className="exam-n">{n}.</span> {q.prompt}{' '}
      <span className="muted">({t('points', { n: q.points })})</span>
    </>
  );
  return (
    <>
      {q.kind === 'choice' ? (
        <fieldset disabled={props.disabled} aria-describedby={statusId}>
          <legend>{prompt}</legend>
          {(q.choices ?? []).map((choice, i) => (
            <label key={i} className="exam-choice">
              <input
                type="radio"
                name={`exam-q-${q.id}`}
                value={i}
                checked={props.value?.choice === i}
                onChange={() => props.onChoice(i)}
              />{' '}
              {choice}
            </label>
          ))}
        </fieldset>
      ) : (
        <div className="exam-short">
          <label htmlFor={`exam-q-${q.id}`}>{prompt}</label>
          <textarea
            id={`exam-q-${q.id}`}
            rows={4}
            maxLength={5000}
            disabled={props.disabled}
            value={props.value?.text ?? ''}
            onChange={(e) => props.onText(e.target.value)}
            onBlur={props.onLeave}
            aria-describedby={statusId}
            aria-invalid={failed ? true : undefined}
          />
        </div>
      )}
      <div id={statusId} className={`exam-save exam-save-${save.status}`}>
        {failed ? (
          <p role="alert" className="field-error">
            {refusal ?? problemText(failed)}{' '}
            <button type="button" className="secondary" onClick={props.onRetry}>
              {t('retry')}
            </button>
          </p>
        ) : (
          <p aria-live="polite">
            {save.status === 'saved'
              ? t('saved', { time: new Date(save.at).toLocaleTimeString() })
              : save.status === 'saving'
                ? t('saving')
                : save.status === 'pending'
                  ? t('pending')
                  : t('unanswered')}
          </p>
        )}
      </div>
    </>
  );
}

/**
 * The server's deadline counting down by the server's clock (the offset the answers measured). The
 * display changes every second; the live region speaks only at the marks, and once time is up.
 */
function Countdown(props: {
  readonly deadlineAt: string;
  readonly clock: RefObject<ClockOffset>;
  readonly onFlush: () => void;
  readonly onExpire: () => void;
}) {
  const t = useT(messages);
  const { deadlineAt, clock } = props;
  const secondsNow = useCallback(
    () => Math.max(0, Math.ceil(msLeft(deadlineAt, clock.current) / 1000)),
    [deadlineAt, clock],
  );
  const [seconds, setSeconds] = useState(secondsNow);
  const [startSeconds] = useState(seconds);
  const flush = useEffectEvent(() => props.onFlush());
  const expire = useEffectEvent(() => props.onExpire());
  useEffect(() => {
    let flushed = false;
    let expired = false;
    const tick = () => {
      const ms = msLeft(deadlineAt, clock.current);
      setSeconds(secondsNow());
      if (ms <= FLUSH_BEFORE_MS && !flushed) {
        flushed = true;
        flush();
      }
      if (ms <= 0 && !expired) {
        expired = true;
        expire();
      }
    };
    tick();
    // A background tab's timers are slowed: coming back counts at once.
    const id = setInterval(tick, 250);
    document.addEventListener('visibilitychange', tick);
    return () => {
      clearInterval(id);
      document.removeEventListener('visibilitychange', tick);
    };
  }, [deadlineAt, clock, secondsNow]);

  const mark = [...MARKS].reverse().find((m) => m < startSeconds && seconds <= m);
  const spoken =
    seconds === 0
      ? t('timeUp')
      : mark === 60
        ? t('oneMinuteLeft')
        : mark !== undefined
          ? t('minutesLeft', { n: mark / 60 })
          : Math.ceil(startSeconds / 60) === 1
            ? t('oneMinuteLeft')
            : t('minutesLeft', { n: Math.ceil(startSeconds / 60) });
  return (
    <>
      <p role="timer" className={seconds <= 60 ? 'exam-clock exam-clock-low' : 'exam-clock'}>
        {t('timeLeft')} <strong>{clockText(seconds)}</strong>
      </p>
      <p className="visually-hidden" aria-live="polite">
        {spoken}
      </p>
    </>
  );
}
