import { useEffect, useId, useState, type FormEvent } from 'react';
import { useApi } from '../../api/api-context';
import { fieldError, type Problem } from '../../api/problem';
import { useT, type Messages } from '../../i18n';
import { FieldError, ProblemAlert } from '../../ui/problem-alert';
import { useLoad } from '../../ui/use-load';
import { liveCall, type Quiz, type QuizResults } from '../../screens/live/live-api';

/** How often an open quiz's answers are counted again while the room watches them come in. */
const RESULTS_EVERY_MS = 2_000;

const messages: Messages<
  | 'quizzes'
  | 'write'
  | 'question'
  | 'option'
  | 'addOption'
  | 'removeOption'
  | 'correct'
  | 'timeLimit'
  | 'create'
  | 'none'
  | 'send'
  | 'sending'
  | 'prepared'
  | 'open'
  | 'closed'
  | 'answers'
  | 'correctRate'
  | 'results'
  | 'optionN'
  | 'right'
  | 'loading'
> = {
  ko: {
    quizzes: '퀴즈',
    write: '퀴즈 만들기',
    question: '질문',
    option: '보기 {n}',
    addOption: '보기 추가',
    removeOption: '보기 {n} 삭제',
    correct: '정답',
    timeLimit: '제한 시간(초)',
    create: '퀴즈 저장',
    none: '만든 퀴즈가 없습니다.',
    send: '보내기',
    sending: '보내는 중…',
    prepared: '준비됨',
    open: '답을 받는 중',
    closed: '마감',
    answers: '응답 {n}건',
    correctRate: '정답률 {rate}%',
    results: '보기별 응답',
    optionN: '보기 {n}',
    right: '(정답)',
    loading: '불러오는 중…',
  },
  en: {
    quizzes: 'Quizzes',
    write: 'Write a quiz',
    question: 'Question',
    option: 'Option {n}',
    addOption: 'Add an option',
    removeOption: 'Remove option {n}',
    correct: 'Right answer',
    timeLimit: 'Time limit (seconds)',
    create: 'Save the quiz',
    none: 'No quizzes yet.',
    send: 'Send',
    sending: 'Sending…',
    prepared: 'Prepared',
    open: 'Taking answers',
    closed: 'Closed',
    answers: 'Answers: {n}',
    correctRate: 'Right: {rate}%',
    results: 'Answers by option',
    optionN: 'Option {n}',
    right: '(right)',
    loading: 'Loading…',
  },
};

/**
 * Write a quiz, send it on the stream, and watch its answers come in. Quizzes are prepared while the lecture
 * is scheduled or live (`open`) and sent while it is live.
 */
export function QuizPanel({ lectureId, live, open }: { lectureId: string; live: boolean; open: boolean }) {
  const t = useT(messages);
  const api = useApi();
  const quizzes = useLoad(
    () => api.GET('/lectures/{lectureId}/quizzes', { params: { path: { lectureId } } }),
    [api, lectureId],
  );
  const id = useId();
  return (
    <section aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>{t('quizzes')}</h2>
      {quizzes.status === 'loading' ? (
        <p aria-live="polite">{t('loading')}</p>
      ) : quizzes.status === 'failed' ? (
        <ProblemAlert problem={quizzes.problem} />
      ) : quizzes.data.quizzes.length === 0 ? (
        <p className="muted">{t('none')}</p>
      ) : (
        quizzes.data.quizzes.map((q) => (
          <QuizCard key={q.quizId} lectureId={lectureId} quiz={q} live={live} onSent={quizzes.reload} />
        ))
      )}
      {open ? <QuizWriter lectureId={lectureId} onCreated={quizzes.reload} /> : null}
    </section>
  );
}

function QuizCard({
  lectureId,
  quiz,
  live,
  onSent,
}: {
  lectureId: string;
  quiz: Quiz;
  live: boolean;
  onSent: () => void;
}) {
  const t = useT(messages);
  const api = useApi();
  const id = useId();
  const [problem, setProblem] = useState<Problem>();
  const [sending, setSending] = useState(false);
  const [results, setResults] = useState<QuizResults>();
  const sent = quiz.state !== 'prepared';
  const state = results?.state ?? quiz.state;

  // Counted again every few seconds while it takes answers, once more when it closes.
  useEffect(() => {
    if (!sent) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let current = true;
    const count = async () => {
      const r = await liveCall(
        (a) =>
          a.GET('/lectures/{lectureId}/quizzes/{quizId}/results', {
            params: { path: { lectureId, quizId: quiz.quizId } },
          }),
        api,
      );
      if (!current) return;
      if (r.data) setResults(r.data);
      if (!r.data || r.data.state === 'open') timer = setTimeout(() => void count(), RESULTS_EVERY_MS);
    };
    void count();
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [api, lectureId, quiz.quizId, sent]);

  const send = async () => {
    setSending(true);
    setProblem(undefined);
    const r = await liveCall(
      (a) =>
        a.POST('/lectures/{lectureId}/quizzes/{quizId}/send', {
          params: { path: { lectureId, quizId: quiz.quizId } },
        }),
      api,
    );
    setSending(false);
    if (r.problem) return setProblem(r.problem);
    onSent();
  };

  return (
    <article className="quiz-card" aria-labelledby={`${id}-q`}>
      <h3 id={`${id}-q`}>{quiz.question}</h3>
      <p className="muted">{t(state)}</p>
      {results ? (
        <>
          <p aria-live="polite">
            <strong>{t('answers', { n: results.total })}</strong>
            {results.correctRate !== null
              ? ` · ${t('correctRate', { rate: Math.round(results.correctRate * 100) })}`
              : null}
          </p>
          <ul className="quiz-results" aria-label={t('results')}>
            {quiz.options.map((o, i) => (
              <li key={i}>
                <span>
                  {o} {i === results.answer ? t('right') : null}
                </span>
                <span>{results.counts[i] ?? 0}</span>
              </li>
            ))}
          </ul>
        </>
      ) : (
        <ol>
          {quiz.options.map((o, i) => (
            <li key={i}>
              {o} {i === quiz.answer ? t('right') : null}
            </li>
          ))}
        </ol>
      )}
      {!sent ? (
        <button type="button" onClick={() => void send()} disabled={sending || !live}>
          {sending ? t('sending') : t('send')}
        </button>
      ) : null}
      <ProblemAlert problem={problem} />
    </article>
  );
}

function QuizWriter({ lectureId, onCreated }: { lectureId: string; onCreated: () => void }) {
  const t = useT(messages);
  const api = useApi();
  const id = useId();
  const [question, setQuestion] = useState('');
  const [options, setOptions] = useState<string[]>(['', '']);
  const [answer, setAnswer] = useState(0);
  const [timeLimit, setTimeLimit] = useState('30');
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    const r = await liveCall(
      (a) =>
        a.POST('/lectures/{lectureId}/quizzes', {
          params: { path: { lectureId } },
          body: { question, options, answer, timeLimitSeconds: Number(timeLimit) },
        }),
      api,
    );
    setBusy(false);
    if (r.problem) return setProblem(r.problem);
    setQuestion('');
    setOptions(['', '']);
    setAnswer(0);
    onCreated();
  };

  const err = (field: string) => fieldError(problem, field);
  const described = (field: string) =>
    err(field)
      ? { 'aria-invalid': true as const, 'aria-describedby': `${id}-${field.replace(/\W/g, '-')}-e` }
      : {};
  const errorOf = (field: string) => (
    <FieldError id={`${id}-${field.replace(/\W/g, '-')}-e`} message={err(field)} />
  );
  const shown = [
    'body.question',
    'body.options',
    'body.answer',
    'body.timeLimitSeconds',
    ...options.map((_, i) => `body.options.${i}`),
  ];
  return (
    <form className="lecture-form" onSubmit={(e) => void create(e)} noValidate aria-labelledby={`${id}-h`}>
      <h3 id={`${id}-h`}>{t('write')}</h3>
      <label htmlFor={`${id}-question`}>{t('question')}</label>
      <input
        id={`${id}-question`}
        value={question}
        maxLength={500}
        onChange={(e) => setQuestion(e.target.value)}
        {...described('body.question')}
      />
      {errorOf('body.question')}
      {options.map((o, i) => (
        <div key={i} className="quiz-options" style={{ display: 'contents' }}>
          <label htmlFor={`${id}-o${i}`}>{t('option', { n: i + 1 })}</label>
          <span>
            <input
              id={`${id}-o${i}`}
              value={o}
              maxLength={200}
              onChange={(e) => setOptions((all) => all.map((x, j) => (j === i ? e.target.value : x)))}
              {...described(`body.options.${i}`)}
            />{' '}
            {options.length > 2 ? (
              <button
                type="button"
                aria-label={t('removeOption', { n: i + 1 })}
                onClick={() => {
                  setOptions((all) => all.filter((_, j) => j !== i));
                  setAnswer((a) => (a === i ? 0 : a > i ? a - 1 : a));
                }}
              >
                ×
              </button>
            ) : null}
          </span>
          {errorOf(`body.options.${i}`)}
        </div>
      ))}
      {errorOf('body.options')}
      {options.length < 6 ? (
        <div>
          <button type="button" onClick={() => setOptions((all) => [...all, ''])}>
            {t('addOption')}
          </button>
        </div>
      ) : null}
      <label htmlFor={`${id}-answer`}>{t('correct')}</label>
      <select
        id={`${id}-answer`}
        value={answer}
        onChange={(e) => setAnswer(Number(e.target.value))}
        {...described('body.answer')}
      >
        {options.map((o, i) => (
          <option key={i} value={i}>
            {o ? `${i + 1}. ${o}` : t('option', { n: i + 1 })}
          </option>
        ))}
      </select>
      {errorOf('body.answer')}
      <label htmlFor={`${id}-limit`}>{t('timeLimit')}</label>
      <input
        id={`${id}-limit`}
        type="number"
        min={5}
        max={600}
        inputMode="numeric"
        value={timeLimit}
        onChange={(e) => setTimeLimit(e.target.value)}
        {...described('body.timeLimitSeconds')}
      />
      {errorOf('body.timeLimitSeconds')}
      <div>
        <button type="submit" disabled={busy}>
          {t('create')}
        </button>
      </div>
      {problem && !shown.some((f) => err(f)) ? <ProblemAlert problem={problem} /> : null}
    </form>
  );
}
