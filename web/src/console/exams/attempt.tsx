import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { useApi } from '../../api/api-context';
import { fieldError, type Problem } from '../../api/problem';
import type { paths } from '../../api/schema';
import { useLocale, useT, type Messages } from '../../i18n';
import { FieldError, ProblemAlert } from '../../ui/problem-alert';
import { asProblem, useLoad } from '../../ui/use-load';
import { useSession } from '../../session/session';
import { formatMoment } from '../../ui/when';
import { useMemberships } from '../memberships';
import { learnerOf } from './exam-common';
import './exams.css';

type Submission =
  paths['/courses/{courseId}/exams/{examId}/attempts/{attemptId}']['get']['responses'][200]['content']['application/json'];
type Question = Submission['questions'][number];

const messages: Messages<
  | 'title'
  | 'loading'
  | 'back'
  | 'learner'
  | 'attemptNo'
  | 'startedAt'
  | 'submittedAt'
  | 'submittedBy'
  | 'byLearner'
  | 'byTimer'
  | 'notSubmitted'
  | 'score'
  | 'scoreValue'
  | 'scorePending'
  | 'answers'
  | 'questionN'
  | 'choice'
  | 'short'
  | 'chosen'
  | 'right'
  | 'noResponse'
  | 'awarded'
  | 'ungraded'
  | 'gradedBy'
  | 'automatic'
  | 'you'
  | 'pointsOf'
  | 'saveGrade'
  | 'saving'
  | 'pointsInvalid'
  | 'gradeSaved'
  | 'retake'
  | 'retakeHint'
  | 'reason'
  | 'reasonInvalid'
  | 'grant'
  | 'granting'
  | 'granted'
> = {
  ko: {
    title: '응시 기록: {learner}',
    loading: '불러오는 중…',
    back: '시험으로 돌아가기',
    learner: '학습자',
    attemptNo: '회차',
    startedAt: '시작',
    submittedAt: '제출',
    submittedBy: '제출한 사람',
    byLearner: '학습자',
    byTimer: '시간 종료로 자동 제출',
    notSubmitted: '아직 제출하지 않았습니다',
    score: '점수',
    scoreValue: '{score}점 / 100점',
    scorePending: '채점 대기 중',
    answers: '답안',
    questionN: '문항 {n} ({kind}, {points}점)',
    choice: '객관식',
    short: '단답형',
    chosen: '고른 보기',
    right: '정답',
    noResponse: '답하지 않았습니다.',
    awarded: '받은 점수: {points} / {max}',
    ungraded: '아직 채점하지 않았습니다.',
    gradedBy: '채점: {who}, {at}',
    automatic: '자동',
    you: '나',
    pointsOf: '문항 {n} 점수 (0~{max})',
    saveGrade: '점수 저장',
    saving: '저장하는 중…',
    pointsInvalid: '0에서 {max} 사이의 정수를 입력하세요.',
    gradeSaved: '문항 {n}의 점수를 저장했습니다.',
    retake: '재응시 허용',
    retakeHint: '응시 기회를 다 쓴 학습자에게 한 번 더 응시할 기회를 줍니다. 사유는 학습 기록에 남습니다.',
    reason: '사유',
    reasonInvalid: '1000자 이내로 사유를 쓰세요.',
    grant: '재응시 허용',
    granting: '허용하는 중…',
    granted: '재응시를 허용했습니다. 이제 응시할 수 있는 횟수: {n}회',
  },
  en: {
    title: 'Sitting of {learner}',
    loading: 'Loading…',
    back: 'Back to the exam',
    learner: 'Learner',
    attemptNo: 'Attempt',
    startedAt: 'Started',
    submittedAt: 'Submitted',
    submittedBy: 'Submitted by',
    byLearner: 'the learner',
    byTimer: 'the timer, when the time was up',
    notSubmitted: 'Not submitted yet',
    score: 'Score',
    scoreValue: '{score} of 100',
    scorePending: 'Waiting for grades',
    answers: 'Answers',
    questionN: 'Question {n} ({kind}, {points} points)',
    choice: 'multiple choice',
    short: 'short answer',
    chosen: 'Chosen',
    right: 'Right answer',
    noResponse: 'No answer given.',
    awarded: 'Awarded: {points} of {max}',
    ungraded: 'Not graded yet.',
    gradedBy: 'Graded by {who}, {at}',
    automatic: 'automatic grading',
    you: 'you',
    pointsOf: 'Points for question {n} (0 to {max})',
    saveGrade: 'Save the grade',
    saving: 'Saving…',
    pointsInvalid: 'Enter a whole number from 0 to {max}.',
    gradeSaved: 'The grade of question {n} is saved.',
    retake: 'Grant a retake',
    retakeHint:
      'Gives a learner who has used their attempts one more sitting. The reason goes into their training record.',
    reason: 'Reason',
    reasonInvalid: 'Write the reason, up to 1000 characters.',
    grant: 'Grant the retake',
    granting: 'Granting…',
    granted: 'Retake granted: the learner may now sit the exam {n} times in all.',
  },
};

/** One sitting as the institution sees it: every answer beside the right one, short answers graded here. */
export default function AttemptScreen() {
  const { courseId = '', examId = '', attemptId = '' } = useParams();
  const t = useT(messages);
  const { locale } = useLocale();
  const api = useApi();
  const memberships = useMemberships();
  const path = { courseId, examId, attemptId };
  const submission = useLoad(
    () => api.GET('/courses/{courseId}/exams/{examId}/attempts/{attemptId}', { params: { path } }),
    [api, attemptId],
  );
  // The list says whose provision the sitting belongs to: a retake is granted through it.
  const attempts = useLoad(
    () => api.GET('/courses/{courseId}/exams/{examId}/attempts', { params: { path: { courseId, examId } } }),
    [api, examId],
  );
  const [current, setCurrent] = useState<Submission | undefined>();
  const back = (
    <nav className="cx-links" aria-label={t('back')}>
      <Link to={`/console/courses/${courseId}/exams/${examId}`}>{t('back')}</Link>
    </nav>
  );
  if (submission.status === 'loading') return <p aria-live="polite">{t('loading')}</p>;
  if (submission.status === 'failed')
    return (
      <>
        {back}
        <ProblemAlert problem={submission.problem} />
      </>
    );
  const s = current ?? submission.data;
  const row = attempts.status === 'ready' ? attempts.data.find((a) => a.attemptId === attemptId) : undefined;
  const learner = row ? learnerOf(row) : s.userSub;
  const manages =
    memberships.status === 'ready' && memberships.data.institution?.role === 'institution-manager';
  return (
    <>
      <h1>{t('title', { learner })}</h1>
      {back}
      <dl className="cx-facts">
        <dt>{t('attemptNo')}</dt>
        <dd>{s.attemptNo}</dd>
        <dt>{t('startedAt')}</dt>
        <dd>{formatMoment(String(s.startedAt), locale)}</dd>
        <dt>{t('submittedAt')}</dt>
        <dd>{s.submittedAt ? formatMoment(String(s.submittedAt), locale) : t('notSubmitted')}</dd>
        {s.submittedBy ? (
          <>
            <dt>{t('submittedBy')}</dt>
            <dd>{s.submittedBy === 'timer' ? t('byTimer') : t('byLearner')}</dd>
          </>
        ) : null}
        <dt>{t('score')}</dt>
        <dd aria-live="polite">
          {s.score === null ? t('scorePending') : t('scoreValue', { score: s.score })}
        </dd>
      </dl>
      <section aria-labelledby="attempt-answers">
        <h2 id="attempt-answers">{t('answers')}</h2>
        {s.questions.map((q, i) => (
          <Answer
            key={q.id}
            n={i + 1}
            question={q}
            gradable={s.submittedAt !== null}
            onGrade={async (points) => {
              const { data, error, response } = await api.PUT(
                '/courses/{courseId}/exams/{examId}/attempts/{attemptId}/grades/{questionId}',
                { params: { path: { ...path, questionId: q.id } }, body: { points } },
              );
              if (!data) return asProblem(error, response);
              setCurrent(data);
              attempts.reload();
              return undefined;
            }}
          />
        ))}
      </section>
      {manages && row ? (
        <RetakeForm provisionId={row.provisionId} enrollmentId={row.enrollmentId} examId={examId} />
      ) : null}
    </>
  );
}

function Answer({
  n,
  question: q,
  gradable,
  onGrade,
}: {
  n: number;
  question: Question;
  gradable: boolean;
  onGrade: (points: number) => Promise<Problem | undefined>;
}) {
  const t = useT(messages);
  const { locale } = useLocale();
  const { state } = useSession();
  const mySub = state.status === 'signed-in' ? state.me.sub : undefined;
  const [points, setPoints] = useState(q.awardedPoints === null ? '' : String(q.awardedPoints));
  const [problem, setProblem] = useState<Problem | undefined>();
  const [saving, setSaving] = useState(false);
  const [saved, setSaved] = useState(false);
  const id = `grade-${q.id}`;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    setSaved(false);
    setSaving(true);
    const refused = await onGrade(points.trim() === '' ? Number.NaN : Number(points));
    setSaving(false);
    setProblem(refused);
    setSaved(!refused);
  };
  const pointsError = fieldError(problem, 'body.points') && t('pointsInvalid', { max: q.points });
  const chosen =
    q.kind === 'choice' && q.response?.choice != null ? q.choices?.[q.response.choice] : undefined;
  return (
    <article className="cx-answer" aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`}>{t('questionN', { n, kind: t(q.kind), points: q.points })}</h3>
      <p>{q.prompt}</p>
      {q.kind === 'choice' ? (
        <dl className="cx-facts">
          <dt>{t('chosen')}</dt>
          <dd>{chosen ?? t('noResponse')}</dd>
          <dt>{t('right')}</dt>
          <dd>{q.answer !== null ? q.choices?.[q.answer] : ''}</dd>
        </dl>
      ) : q.response?.text ? (
        <blockquote>{q.response.text}</blockquote>
      ) : (
        <p className="muted">{t('noResponse')}</p>
      )}
      <p>
        {q.awardedPoints === null ? t('ungraded') : t('awarded', { points: q.awardedPoints, max: q.points })}
        {q.gradedBy && q.gradedAt ? (
          <span className="muted">
            {' '}
            (
            {t('gradedBy', {
              who: q.gradedBy === 'automatic' ? t('automatic') : q.gradedBy === mySub ? t('you') : q.gradedBy,
              at: formatMoment(String(q.gradedAt), locale),
            })}
            )
          </span>
        ) : null}
      </p>
      {q.kind === 'short' && gradable ? (
        <form className="cx-row" onSubmit={(e) => void submit(e)} noValidate>
          <div className="cx-field">
            <label htmlFor={id}>{t('pointsOf', { n, max: q.points })}</label>
            <input
              id={id}
              type="number"
              inputMode="numeric"
              min={0}
              max={q.points}
              step={1}
              value={points}
              onChange={(e) => setPoints(e.target.value)}
              aria-invalid={pointsError ? true : undefined}
              aria-describedby={pointsError ? `${id}-error` : undefined}
            />
            <FieldError id={`${id}-error`} message={pointsError} />
          </div>
          <div className="cx-field">
            <span aria-hidden="true">&nbsp;</span>
            <button type="submit" disabled={saving}>
              {saving ? t('saving') : t('saveGrade')}
            </button>
          </div>
          {problem && !pointsError ? <ProblemAlert problem={problem} /> : null}
          {saved ? (
            <p role="status" className="cx-notice">
              {t('gradeSaved', { n })}
            </p>
          ) : null}
        </form>
      ) : null}
    </article>
  );
}

function RetakeForm({
  provisionId,
  enrollmentId,
  examId,
}: {
  provisionId: string;
  enrollmentId: string;
  examId: string;
}) {
  const t = useT(messages);
  const api = useApi();
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<Problem | undefined>();
  const [busy, setBusy] = useState(false);
  const [granted, setGranted] = useState<number | undefined>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    setGranted(undefined);
    setBusy(true);
    const { data, error, response } = await api.POST(
      '/provisions/{provisionId}/enrollments/{enrollmentId}/exams/{examId}/retakes',
      { params: { path: { provisionId, enrollmentId, examId } }, body: { reason } },
    );
    setBusy(false);
    if (!data) {
      setProblem(asProblem(error, response));
      return;
    }
    setGranted(data.attemptsAllowed);
    setReason('');
  };
  const reasonError = fieldError(problem, 'body.reason') && t('reasonInvalid');
  return (
    <section aria-labelledby="attempt-retake">
      <h2 id="attempt-retake">{t('retake')}</h2>
      <form className="cx-form" onSubmit={(e) => void submit(e)} noValidate>
        <div className="cx-field">
          <label htmlFor="retake-reason">{t('reason')}</label>
          <textarea
            id="retake-reason"
            rows={3}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            aria-invalid={reasonError ? true : undefined}
            aria-describedby={['retake-hint', reasonError ? 'retake-reason-error' : '']
              .filter(Boolean)
              .join(' ')}
          />
          <span id="retake-hint" className="muted">
            {t('retakeHint')}
          </span>
          <FieldError id="retake-reason-error" message={reasonError} />
        </div>
        {problem && !reasonError ? <ProblemAlert problem={problem} /> : null}
        {granted !== undefined ? (
          <p role="status" className="cx-notice">
            {t('granted', { n: granted })}
          </p>
        ) : null}
        <div>
          <button type="submit" disabled={busy}>
            {busy ? t('granting') : t('grant')}
          </button>
        </div>
      </form>
    </section>
  );
}
