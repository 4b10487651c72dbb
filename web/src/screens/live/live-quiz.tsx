import { useEffect, useId, useState, type FormEvent } from 'react';
import type { QuizMetadata } from '#contracts/live';
import { useApi } from '../../api/api-context';
import { fieldError, type Problem } from '../../api/problem';
import { useT, type Messages } from '../../i18n';
import { FieldError, ProblemAlert } from '../../ui/problem-alert';
import { liveCall } from './live-api';

const messages: Messages<'quiz' | 'left' | 'closed' | 'send' | 'sending' | 'sent' | 'choose'> = {
  ko: {
    quiz: '퀴즈',
    left: '남은 시간: {s}초',
    closed: '시간이 끝났습니다.',
    send: '답 보내기',
    sending: '보내는 중…',
    sent: '답을 보냈습니다. 정답은 퀴즈가 끝난 뒤 공개됩니다.',
    choose: '답을 하나 고르세요.',
  },
  en: {
    quiz: 'Quiz',
    left: 'Time left: {s} s',
    closed: 'Time is up.',
    send: 'Send answer',
    sending: 'Sending…',
    sent: 'Your answer was sent. The right answer is shown when the quiz closes.',
    choose: 'Choose one answer.',
  },
};

/** Seconds until the quiz's deadline (`d`, epoch seconds by the server's clock), counted down on screen. */
function useSecondsLeft(deadline: number): number {
  const left = () => Math.max(0, Math.ceil(deadline - Date.now() / 1000));
  const [seconds, setSeconds] = useState(left);
  useEffect(() => {
    setSeconds(left());
    const timer = setInterval(() => setSeconds(left()), 500);
    return () => clearInterval(timer);
    // `left` reads only `deadline`.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [deadline]);
  return seconds;
}

/**
 * A sent quiz as it arrives on the stream: its question, options and countdown; one answer, sent once. After
 * a send (or the server's refusal of a second) the form stays shut, and the server refuses a second anyway.
 */
export function LiveQuiz({
  lectureId,
  quiz,
  answered,
  onAnswered,
}: {
  lectureId: string;
  quiz: QuizMetadata;
  /** The option already sent (this page, or the server's record), if any. */
  answered: number | undefined;
  onAnswered: (option: number) => void;
}) {
  const t = useT(messages);
  const api = useApi();
  const id = useId();
  const left = useSecondsLeft(quiz.d);
  const [choice, setChoice] = useState<number | undefined>(answered);
  const [sending, setSending] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const [missing, setMissing] = useState(false);
  const closed = left === 0;
  const done = answered !== undefined;

  const send = async (e: FormEvent) => {
    e.preventDefault();
    if (done || sending || closed) return;
    if (choice === undefined) return setMissing(true);
    setSending(true);
    setProblem(undefined);
    const r = await liveCall(
      (a) =>
        a.POST('/lectures/{lectureId}/quizzes/{quizId}/answers', {
          params: { path: { lectureId, quizId: quiz.id } },
          body: { option: choice },
        }),
      api,
    );
    setSending(false);
    if (!r.problem) return onAnswered(choice);
    setProblem(r.problem);
    // Answered already (another tab): the first answer counts, so this form is done too.
    if (r.problem.status === 409 && fieldError(r.problem, 'path.quizId')?.includes('one answer'))
      onAnswered(choice);
  };

  const optionError = missing && choice === undefined ? t('choose') : fieldError(problem, 'body.option');
  return (
    <section className="live-quiz" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{t('quiz')}</h2>
      <p className="live-quiz-clock" aria-live="polite" aria-atomic="true">
        {closed ? t('closed') : t('left', { s: left })}
      </p>
      <form onSubmit={(e) => void send(e)}>
        <fieldset
          disabled={done || closed || sending}
          aria-describedby={optionError ? `${id}-error` : undefined}
          aria-invalid={optionError ? true : undefined}
        >
          <legend>{quiz.q}</legend>
          {quiz.o.map((option, i) => (
            <label key={i} className="live-quiz-option">
              <input
                type="radio"
                name={`${id}-option`}
                value={i}
                // The server's record may arrive after the form mounted (a reload): what was sent shows.
                checked={(done ? answered : choice) === i}
                onChange={() => {
                  setChoice(i);
                  setMissing(false);
                }}
              />{' '}
              {option}
            </label>
          ))}
          <FieldError id={`${id}-error`} message={optionError} />
        </fieldset>
        {done ? (
          <p role="status">{t('sent')}</p>
        ) : (
          <button type="submit" disabled={closed || sending}>
            {sending ? t('sending') : t('send')}
          </button>
        )}
      </form>
      {problem && !fieldError(problem, 'body.option') ? <ProblemAlert problem={problem} /> : null}
    </section>
  );
}
