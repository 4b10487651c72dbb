import { useState, type FormEvent } from 'react';
import { fieldError, type Problem } from '../../api/problem';
import type { paths } from '../../api/schema';
import { useT, type Messages } from '../../i18n';
import { FieldError, fieldProps, ProblemAlert } from '../../ui/problem-alert';
import './exams.css';

export type Exam =
  paths['/courses/{courseId}/exams/{examId}']['get']['responses'][200]['content']['application/json'];
export type ExamBody =
  paths['/courses/{courseId}/exams/{examId}']['put']['requestBody']['content']['application/json'];

/** Who a sitting's learner is, as the institution knows them. */
export const learnerOf = (a: { email: string | null; userSub: string }) => a.email ?? a.userSub;

export const stageMessages: Messages<'mid' | 'final'> = {
  ko: { mid: '중간', final: '기말' },
  en: { mid: 'Midterm', final: 'Final' },
};

const messages: Messages<
  | 'title'
  | 'chapter'
  | 'chooseChapter'
  | 'stage'
  | 'stageHint'
  | 'weight'
  | 'weightHint'
  | 'questions'
  | 'question'
  | 'kind'
  | 'choice'
  | 'short'
  | 'prompt'
  | 'choiceN'
  | 'rightN'
  | 'addChoice'
  | 'removeChoice'
  | 'points'
  | 'addQuestion'
  | 'removeQuestion'
  | 'moveUp'
  | 'save'
  | 'saving'
  | 'titleInvalid'
  | 'chapterInvalid'
  | 'weightInvalid'
  | 'questionsInvalid'
  | 'promptInvalid'
  | 'choicesInvalid'
  | 'choiceInvalid'
  | 'answerInvalid'
  | 'pointsInvalid'
  | 'total'
  | 'choicesHint'
> = {
  ko: {
    title: '시험 제목',
    chapter: '차시',
    chooseChapter: '시험을 넣을 차시를 고르세요',
    stage: '단계',
    stageHint: '중간·기말에 따라 시험이 열리는 진도율이 정해집니다.',
    weight: '비중',
    weightHint: '과정 점수에서 이 시험이 차지하는 비중 (1~100, 다른 시험과의 상대값)',
    questions: '문항',
    question: '문항 {n}',
    kind: '유형',
    choice: '객관식',
    short: '단답형',
    prompt: '질문',
    choiceN: '보기 {n}',
    rightN: '보기 {n}이 정답',
    addChoice: '보기 추가',
    removeChoice: '보기 {n} 삭제',
    points: '배점',
    addQuestion: '문항 추가',
    removeQuestion: '문항 {n} 삭제',
    moveUp: '문항 {n}을 위로',
    save: '시험 저장',
    saving: '저장하는 중…',
    titleInvalid: '200자 이내로 제목을 쓰세요.',
    chapterInvalid: '목록에서 차시를 고르세요.',
    weightInvalid: '1에서 100 사이의 정수를 입력하세요.',
    questionsInvalid: '문항은 1개에서 100개까지입니다.',
    promptInvalid: '2000자 이내로 질문을 쓰세요.',
    choicesInvalid: '보기는 2개에서 10개까지입니다.',
    choiceInvalid: '500자 이내로 보기를 쓰세요. 빈 보기는 안 됩니다.',
    answerInvalid: '보기 중 하나를 정답으로 고르세요.',
    pointsInvalid: '1에서 100 사이의 정수를 입력하세요.',
    total: '총 배점: {n}점',
    choicesHint: '정답인 보기의 단추를 누르세요.',
  },
  en: {
    title: 'Exam title',
    chapter: 'Chapter',
    chooseChapter: 'Choose the chapter the exam goes in',
    stage: 'Stage',
    stageHint: 'Midterm or final decides the progress at which the exam opens.',
    weight: 'Weight',
    weightHint: 'The exam’s share of the course score (1 to 100, relative to its other exams)',
    questions: 'Questions',
    question: 'Question {n}',
    kind: 'Kind',
    choice: 'Multiple choice',
    short: 'Short answer',
    prompt: 'Question text',
    choiceN: 'Choice {n}',
    rightN: 'Choice {n} is right',
    addChoice: 'Add a choice',
    removeChoice: 'Remove choice {n}',
    points: 'Points',
    addQuestion: 'Add a question',
    removeQuestion: 'Remove question {n}',
    moveUp: 'Move question {n} up',
    save: 'Save the exam',
    saving: 'Saving…',
    titleInvalid: 'Write a title of up to 200 characters.',
    chapterInvalid: 'Choose a chapter from the list.',
    weightInvalid: 'Enter a whole number from 1 to 100.',
    questionsInvalid: 'Give from 1 to 100 questions.',
    promptInvalid: 'Write the question, up to 2000 characters.',
    choicesInvalid: 'Give from 2 to 10 choices.',
    choiceInvalid: 'Write the choice, up to 500 characters; a blank choice is not allowed.',
    answerInvalid: 'Mark one of the choices as the right one.',
    pointsInvalid: 'Enter a whole number from 1 to 100.',
    total: 'Total: {n} points',
    choicesHint: 'Mark the right choice with the button before it.',
  },
};

interface DraftQuestion {
  readonly key: number;
  readonly kind: 'choice' | 'short';
  readonly prompt: string;
  readonly choices: readonly string[];
  readonly answer: number;
  readonly points: string;
}

let nextKey = 0;
const blankQuestion = (kind: DraftQuestion['kind'] = 'choice'): DraftQuestion => ({
  key: nextKey++,
  kind,
  prompt: '',
  choices: ['', ''],
  answer: 0,
  points: '10',
});

const asNumber = (s: string) => (s.trim() === '' ? Number.NaN : Number(s));

/** The questions as the API takes them: typed numbers sent as typed, so the API names what is wrong. */
function toBody(questions: readonly DraftQuestion[]): ExamBody['questions'] {
  return questions.map((q) =>
    q.kind === 'choice'
      ? {
          kind: 'choice',
          prompt: q.prompt,
          choices: [...q.choices],
          answer: q.answer,
          points: asNumber(q.points),
        }
      : { kind: 'short', prompt: q.prompt, points: asNumber(q.points) },
  );
}

export interface ExamFormProps {
  /** The exam to change; none for a new one. */
  readonly exam?: Exam | undefined;
  /** A new exam's chapters to choose from. */
  readonly chapters?: readonly { id: string; title: string }[] | undefined;
  /** Sends the body (with `chapterId` for a new exam); resolves to a problem when refused. */
  readonly onSave: (body: ExamBody & { chapterId?: string }) => Promise<Problem | undefined>;
}

/**
 * An exam's title, stage, weight and questions, written as a whole: the API replaces all of them at once.
 * A refusal shows beside the field the problem names, questions' fields included (`body.questions.2.choices`).
 */
export function ExamForm({ exam, chapters, onSave }: ExamFormProps) {
  const t = useT(messages);
  const stages = useT(stageMessages);
  const [title, setTitle] = useState(exam?.title ?? '');
  const [chapterId, setChapterId] = useState(chapters?.length === 1 ? chapters[0]!.id : '');
  const [stage, setStage] = useState<'mid' | 'final'>(exam?.stage ?? 'final');
  const [weight, setWeight] = useState(String(exam?.weight ?? 100));
  const [questions, setQuestions] = useState<readonly DraftQuestion[]>(() =>
    exam
      ? exam.questions.map((q) => ({
          key: nextKey++,
          kind: q.kind,
          prompt: q.prompt,
          choices: q.choices ?? ['', ''],
          answer: q.answer ?? 0,
          points: String(q.points),
        }))
      : [blankQuestion('choice')],
  );
  const [problem, setProblem] = useState<Problem | undefined>();
  const [saving, setSaving] = useState(false);

  const change = (i: number, patch: Partial<DraftQuestion>) =>
    setQuestions((qs) => qs.map((q, j) => (j === i ? { ...q, ...patch } : q)));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    setSaving(true);
    const body = { title, stage, weight: asNumber(weight), questions: toBody(questions) };
    const refused = await onSave(exam ? body : { ...body, chapterId });
    setSaving(false);
    setProblem(refused);
  };

  // Said in the app's language beside its field; the API words its messages for developers.
  const shown = new Set<string>();
  const err = (field: string, text: string) => {
    if (!fieldError(problem, field)) return undefined;
    shown.add(field);
    return text;
  };
  const titleError = err('body.title', t('titleInvalid'));
  const chapterError = err('body.chapterId', t('chapterInvalid'));
  const weightError = err('body.weight', t('weightInvalid'));
  const questionsError = err('body.questions', t('questionsInvalid'));
  const questionErrors = questions.map((q, i) => {
    const at = `body.questions.${i}`;
    return {
      prompt: err(`${at}.prompt`, t('promptInvalid')),
      choices: err(`${at}.choices`, t('choicesInvalid')),
      choice: q.choices.map((_, j) => err(`${at}.choices.${j}`, t('choiceInvalid'))),
      answer: err(`${at}.answer`, t('answerInvalid')),
      points: err(`${at}.points`, t('pointsInvalid')),
      // Anything else the API says of this question, in its own words.
      other: problem?.errors
        ?.filter((e) => e.field === at || e.field === `${at}.kind`)
        .map((e) => {
          shown.add(e.field);
          return e.message;
        })
        .join(' '),
    };
  });
  const unplaced = problem && !(problem.errors ?? []).some((e) => shown.has(e.field));
  const total = questions.reduce(
    (sum, q) => sum + (Number.isFinite(asNumber(q.points)) ? Number(q.points) : 0),
    0,
  );

  return (
    <form className="cx-form" onSubmit={(e) => void submit(e)} noValidate>
      <div className="cx-field">
        <label htmlFor="exam-title">{t('title')}</label>
        <input
          {...fieldProps('exam-title', titleError)}
          value={title}
          onChange={(e) => setTitle(e.target.value)}
        />
        <FieldError id="exam-title-error" message={titleError} />
      </div>
      {exam ? null : (
        <div className="cx-field">
          <label htmlFor="exam-chapter">{t('chapter')}</label>
          <select
            {...fieldProps('exam-chapter', chapterError)}
            value={chapterId}
            onChange={(e) => setChapterId(e.target.value)}
          >
            <option value="">{t('chooseChapter')}</option>
            {(chapters ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.title}
              </option>
            ))}
          </select>
          <FieldError id="exam-chapter-error" message={chapterError} />
        </div>
      )}
      <div className="cx-row">
        <div className="cx-field">
          <label htmlFor="exam-stage">{t('stage')}</label>
          <select
            {...fieldProps('exam-stage', undefined, true)}
            value={stage}
            onChange={(e) => setStage(e.target.value === 'mid' ? 'mid' : 'final')}
          >
            <option value="mid">{stages('mid')}</option>
            <option value="final">{stages('final')}</option>
          </select>
          <span id="exam-stage-hint" className="muted">
            {t('stageHint')}
          </span>
        </div>
        <div className="cx-field">
          <label htmlFor="exam-weight">{t('weight')}</label>
          <input
            {...fieldProps('exam-weight', weightError, true)}
            type="number"
            inputMode="numeric"
            min={1}
            max={100}
            step={1}
            value={weight}
            onChange={(e) => setWeight(e.target.value)}
          />
          <span id="exam-weight-hint" className="muted">
            {t('weightHint')}
          </span>
          <FieldError id="exam-weight-error" message={weightError} />
        </div>
      </div>
      <h3>{t('questions')}</h3>
      <FieldError id="exam-questions-error" message={questionsError} />
      {questions.map((q, i) => {
        const n = i + 1;
        const id = `q${q.key}`;
        const e = questionErrors[i]!;
        return (
          <fieldset key={q.key} className="cx-question">
            <legend>{t('question', { n })}</legend>
            <div className="cx-row">
              <div className="cx-field">
                <label htmlFor={`${id}-kind`}>{t('kind')}</label>
                <select
                  id={`${id}-kind`}
                  value={q.kind}
                  onChange={(ev) => change(i, { kind: ev.target.value === 'short' ? 'short' : 'choice' })}
                >
                  <option value="choice">{t('choice')}</option>
                  <option value="short">{t('short')}</option>
                </select>
              </div>
              <div className="cx-field">
                <label htmlFor={`${id}-points`}>{t('points')}</label>
                <input
                  {...fieldProps(`${id}-points`, e.points)}
                  type="number"
                  inputMode="numeric"
                  min={1}
                  max={100}
                  step={1}
                  value={q.points}
                  onChange={(ev) => change(i, { points: ev.target.value })}
                />
                <FieldError id={`${id}-points-error`} message={e.points} />
              </div>
            </div>
            <div className="cx-field">
              <label htmlFor={`${id}-prompt`}>{t('prompt')}</label>
              <textarea
                {...fieldProps(`${id}-prompt`, e.prompt)}
                rows={2}
                value={q.prompt}
                onChange={(ev) => change(i, { prompt: ev.target.value })}
              />
              <FieldError id={`${id}-prompt-error`} message={e.prompt} />
            </div>
            {q.kind === 'choice' ? (
              <div className="cx-field">
                <span id={`${id}-choices-hint`} className="muted">
                  {t('choicesHint')}
                </span>
                <ul className="cx-choices" aria-describedby={e.choices ? `${id}-choices-error` : undefined}>
                  {q.choices.map((c, j) => {
                    const cid = `${id}-c${j}`;
                    return (
                      <li key={j} className="cx-choice">
                        <input
                          type="radio"
                          id={`${cid}-right`}
                          name={`${id}-answer`}
                          checked={q.answer === j}
                          onChange={() => change(i, { answer: j })}
                          aria-label={t('rightN', { n: j + 1 })}
                          aria-describedby={[`${id}-choices-hint`, e.answer ? `${id}-answer-error` : '']
                            .filter(Boolean)
                            .join(' ')}
                        />
                        <label htmlFor={cid}>{t('choiceN', { n: j + 1 })}</label>
                        <input
                          {...fieldProps(cid, e.choice[j])}
                          type="text"
                          value={c}
                          onChange={(ev) =>
                            change(i, { choices: q.choices.map((x, k) => (k === j ? ev.target.value : x)) })
                          }
                        />
                        <button
                          type="button"
                          onClick={() =>
                            change(i, {
                              choices: q.choices.filter((_, k) => k !== j),
                              answer: q.answer > j ? q.answer - 1 : q.answer === j ? 0 : q.answer,
                            })
                          }
                        >
                          {t('removeChoice', { n: j + 1 })}
                        </button>
                        <FieldError id={`${cid}-error`} message={e.choice[j]} />
                      </li>
                    );
                  })}
                </ul>
                <FieldError id={`${id}-choices-error`} message={e.choices} />
                <FieldError id={`${id}-answer-error`} message={e.answer} />
                <div className="cx-actions">
                  <button type="button" onClick={() => change(i, { choices: [...q.choices, ''] })}>
                    {t('addChoice')}
                  </button>
                </div>
              </div>
            ) : null}
            {e.other ? <span className="field-error">{e.other}</span> : null}
            <div className="cx-actions">
              {i > 0 ? (
                <button
                  type="button"
                  onClick={() =>
                    setQuestions((qs) => [...qs.slice(0, i - 1), qs[i]!, qs[i - 1]!, ...qs.slice(i + 1)])
                  }
                >
                  {t('moveUp', { n })}
                </button>
              ) : null}
              <button type="button" onClick={() => setQuestions((qs) => qs.filter((_, j) => j !== i))}>
                {t('removeQuestion', { n })}
              </button>
            </div>
          </fieldset>
        );
      })}
      <div className="cx-actions">
        <button type="button" onClick={() => setQuestions((qs) => [...qs, blankQuestion('choice')])}>
          {t('addQuestion')}
        </button>
      </div>
      <p className="muted">{t('total', { n: total })}</p>
      {unplaced ? <ProblemAlert problem={problem} /> : null}
      <button type="submit" disabled={saving}>
        {saving ? t('saving') : t('save')}
      </button>
    </form>
  );
}
