import { useState } from 'react';
import { Link, useLocation, useNavigate, useParams } from 'react-router';
import { useApi } from '../../api/api-context';
import type { Problem } from '../../api/problem';
import type { paths } from '../../api/schema';
import { useLocale, useT, type Messages } from '../../i18n';
import { DataTable, type Column } from '../../ui/data-table';
import { ProblemAlert } from '../../ui/problem-alert';
import { asProblem, useLoad } from '../../ui/use-load';
import { formatMoment } from '../../ui/when';
import { ExamForm, learnerOf, stageMessages, type Exam as ExamView } from './exam-common';

export type Attempt =
  paths['/courses/{courseId}/exams/{examId}/attempts']['get']['responses'][200]['content']['application/json'][number];

const messages: Messages<
  | 'newTitle'
  | 'loading'
  | 'back'
  | 'write'
  | 'edit'
  | 'details'
  | 'fixed'
  | 'saved'
  | 'questions'
  | 'points'
  | 'right'
  | 'shortAnswer'
  | 'stage'
  | 'weight'
  | 'maxPoints'
  | 'attempts'
  | 'attemptsCaption'
  | 'noAttempts'
  | 'learner'
  | 'attemptNo'
  | 'startedAt'
  | 'submittedAt'
  | 'notSubmitted'
  | 'score'
  | 'pending'
  | 'open'
  | 'openAttempt'
  | 'remove'
  | 'removeConfirm'
  | 'removeCancel'
  | 'removing'
  | 'removeHint'
  | 'noChapter'
  | 'opensAt'
  | 'opensAtValue'
  | 'timeLimit'
  | 'untimed'
  | 'minutes'
  | 'attemptsAllowed'
  | 'unlimited'
  | 'attemptsValue'
  | 'passMark'
  | 'noPassMark'
  | 'passMarkValue'
  | 'rulesNote'
> = {
  ko: {
    newTitle: '새 시험',
    loading: '불러오는 중…',
    back: '과정의 시험 목록',
    write: '시험 문항',
    edit: '시험 고치기',
    details: '시험 작성',
    fixed: '학습자가 이미 응시해서 문항을 바꿀 수 없습니다.',
    saved: '시험을 저장했습니다.',
    questions: '문항',
    points: '{n}점',
    right: '정답',
    shortAnswer: '단답형 (채점자가 채점)',
    stage: '단계',
    weight: '비중',
    maxPoints: '총 배점',
    attempts: '응시 기록',
    attemptsCaption: '이 시험의 응시 (최근 것부터)',
    noAttempts: '아직 응시한 학습자가 없습니다.',
    learner: '학습자',
    attemptNo: '회차',
    startedAt: '시작',
    submittedAt: '제출',
    notSubmitted: '응시 중',
    score: '점수',
    pending: '채점 대기',
    open: '열기',
    openAttempt: '{learner}의 {n}회차 응시 열기',
    remove: '시험 삭제',
    removeConfirm: '정말 삭제',
    removeCancel: '취소',
    removing: '삭제하는 중…',
    removeHint: '응시 기록이 없는 시험만 삭제할 수 있습니다.',
    noChapter: '과정에 차시가 없습니다. 과정 편집에서 차시를 먼저 만드세요.',
    opensAt: '열리는 시점',
    opensAtValue: '진도율 {n}%부터',
    timeLimit: '제한 시간',
    untimed: '없음',
    minutes: '{n}분 (지나면 자동 제출)',
    attemptsAllowed: '응시 횟수',
    unlimited: '제한 없음',
    attemptsValue: '학습자당 {n}회 (재응시 허용으로 추가)',
    passMark: '수료 기준 점수',
    noPassMark: '없음',
    passMarkValue: '과정 점수 {n}점 / 100점',
    rulesNote:
      '열리는 시점, 제한 시간, 응시 횟수, 기준 점수는 기관의 훈련 규정(컴플라이언스 프로필)을 따르며 모든 시험에 같습니다.',
  },
  en: {
    newTitle: 'New exam',
    loading: 'Loading…',
    back: 'The course’s exams',
    write: 'Questions',
    edit: 'Edit the exam',
    details: 'Write the exam',
    fixed: 'Learners have sat this exam: its questions can no longer change.',
    saved: 'The exam is saved.',
    questions: 'Questions',
    points: '{n} points',
    right: 'right answer',
    shortAnswer: 'Short answer (graded by a person)',
    stage: 'Stage',
    weight: 'Weight',
    maxPoints: 'Total points',
    attempts: 'Sittings',
    attemptsCaption: 'Sittings of this exam, latest first',
    noAttempts: 'Nobody has sat this exam yet.',
    learner: 'Learner',
    attemptNo: 'Attempt',
    startedAt: 'Started',
    submittedAt: 'Submitted',
    notSubmitted: 'In progress',
    score: 'Score',
    pending: 'To grade',
    open: 'Open',
    openAttempt: 'Open attempt {n} of {learner}',
    remove: 'Delete the exam',
    removeConfirm: 'Delete it for good',
    removeCancel: 'Cancel',
    removing: 'Deleting…',
    removeHint: 'Only an exam nobody has sat can be deleted.',
    noChapter: 'The course has no chapter yet: add one in the course builder first.',
    opensAt: 'Opens',
    opensAtValue: 'at {n}% course progress',
    timeLimit: 'Time limit',
    untimed: 'none',
    minutes: '{n} minutes, then submitted automatically',
    attemptsAllowed: 'Attempts',
    unlimited: 'unlimited',
    attemptsValue: '{n} per learner (more by granting a retake)',
    passMark: 'Pass mark',
    noPassMark: 'none',
    passMarkValue: 'a course score of {n} of 100',
    rulesNote:
      'When it opens, the time limit, the attempts and the pass mark are the institution’s compliance profile’s, the same for every exam.',
  },
};

/**
 * One exam of a course (`exams/new` writes one): its questions, written as long as nobody has sat it, and
 * its sittings, each opened to grade.
 */
export default function Exam() {
  const { courseId = '', examId } = useParams();
  const t = useT(messages);
  const api = useApi();
  const navigate = useNavigate();
  const course = useLoad(
    () => api.GET('/courses/{courseId}', { params: { path: { courseId } } }),
    [api, courseId],
  );
  const back = (
    <nav className="cx-links" aria-label={t('back')}>
      <Link to={`/console/exams?courseId=${courseId}`}>{t('back')}</Link>
    </nav>
  );
  if (!examId)
    return (
      <>
        <h1>{t('newTitle')}</h1>
        {back}
        {course.status === 'loading' ? <p aria-live="polite">{t('loading')}</p> : null}
        {course.status === 'failed' ? <ProblemAlert problem={course.problem} /> : null}
        {course.status === 'ready' ? (
          <>
            <p className="muted">{course.data.title}</p>
            <h2>{t('details')}</h2>
            {course.data.chapters.length === 0 ? <p>{t('noChapter')}</p> : null}
            <ExamForm
              chapters={course.data.chapters.filter((c) => c.purpose === null)}
              onSave={async (body) => {
                const { data, error, response } = await api.POST('/courses/{courseId}/exams', {
                  params: { path: { courseId } },
                  body: { ...body, chapterId: body.chapterId ?? '' },
                });
                if (!data) return asProblem(error, response);
                void navigate(`/console/courses/${courseId}/exams/${data.id}`, { state: { saved: true } });
                return undefined;
              }}
            />
          </>
        ) : null}
      </>
    );
  return (
    <ExistingExam
      key={examId}
      courseId={courseId}
      examId={examId}
      courseTitle={course.status === 'ready' ? course.data.title : undefined}
      back={back}
    />
  );
}

function ExistingExam({
  courseId,
  examId,
  courseTitle,
  back,
}: {
  courseId: string;
  examId: string;
  courseTitle: string | undefined;
  back: React.ReactNode;
}) {
  const t = useT(messages);
  const stages = useT(stageMessages);
  const { locale } = useLocale();
  const api = useApi();
  const navigate = useNavigate();
  const location = useLocation();
  const [saved, setSaved] = useState(Boolean((location.state as { saved?: boolean } | null)?.saved));
  const path = { courseId, examId };
  const exam = useLoad(
    () => api.GET('/courses/{courseId}/exams/{examId}', { params: { path } }),
    [api, examId],
  );
  const attempts = useLoad(
    () => api.GET('/courses/{courseId}/exams/{examId}/attempts', { params: { path } }),
    [api, examId],
  );
  if (exam.status === 'loading') return <p aria-live="polite">{t('loading')}</p>;
  if (exam.status === 'failed')
    return (
      <>
        {back}
        <ProblemAlert problem={exam.problem} />
      </>
    );
  const e = exam.data;
  const sat = attempts.status === 'ready' && attempts.data.length > 0;
  const columns: Column<Attempt>[] = [
    {
      key: 'learner',
      header: t('learner'),
      value: learnerOf,
      render: (a) => (
        <Link
          to={`/console/courses/${courseId}/exams/${examId}/attempts/${a.attemptId}`}
          aria-label={t('openAttempt', { n: a.attemptNo, learner: learnerOf(a) })}
        >
          {learnerOf(a)}
        </Link>
      ),
    },
    { key: 'attemptNo', header: t('attemptNo'), value: (a) => a.attemptNo, numeric: true },
    {
      key: 'startedAt',
      header: t('startedAt'),
      value: (a) => String(a.startedAt),
      render: (a) => formatMoment(String(a.startedAt), locale),
    },
    {
      key: 'submittedAt',
      header: t('submittedAt'),
      value: (a) => (a.submittedAt ? String(a.submittedAt) : ''),
      render: (a) => (a.submittedAt ? formatMoment(String(a.submittedAt), locale) : t('notSubmitted')),
    },
    { key: 'score', header: t('score'), value: (a) => a.score, numeric: true },
    { key: 'pending', header: t('pending'), value: (a) => a.pendingAnswers, numeric: true },
  ];
  return (
    <>
      <h1>{e.title}</h1>
      {back}
      {courseTitle ? <p className="muted">{courseTitle}</p> : null}
      <dl className="cx-facts">
        <dt>{t('stage')}</dt>
        <dd>{stages(e.stage)}</dd>
        <dt>{t('weight')}</dt>
        <dd>{e.weight}</dd>
        <dt>{t('maxPoints')}</dt>
        <dd>{e.maxPoints}</dd>
        <dt>{t('opensAt')}</dt>
        <dd>{t('opensAtValue', { n: Math.round(e.rules.opensAtProgress * 100) })}</dd>
        <dt>{t('timeLimit')}</dt>
        <dd>{e.rules.minutes === null ? t('untimed') : t('minutes', { n: e.rules.minutes })}</dd>
        <dt>{t('attemptsAllowed')}</dt>
        <dd>{e.rules.attempts === null ? t('unlimited') : t('attemptsValue', { n: e.rules.attempts })}</dd>
        <dt>{t('passMark')}</dt>
        <dd>{e.rules.passMark === null ? t('noPassMark') : t('passMarkValue', { n: e.rules.passMark })}</dd>
      </dl>
      <p className="muted">{t('rulesNote')}</p>
      {saved ? (
        <p role="status" className="cx-notice">
          {t('saved')}
        </p>
      ) : null}
      <section aria-labelledby="exam-questions">
        <h2 id="exam-questions">{sat || attempts.status !== 'ready' ? t('write') : t('edit')}</h2>
        {attempts.status === 'loading' ? <p aria-live="polite">{t('loading')}</p> : null}
        {sat ? (
          <>
            <p>{t('fixed')}</p>
            <ReadOnlyQuestions exam={e} />
          </>
        ) : null}
        {attempts.status === 'ready' && !sat ? (
          <>
            <ExamForm
              key={e.questions.map((q) => q.id).join()}
              exam={e}
              onSave={async (body) => {
                setSaved(false);
                const { data, error, response } = await api.PUT('/courses/{courseId}/exams/{examId}', {
                  params: { path },
                  body,
                });
                if (!data) return asProblem(error, response);
                setSaved(true);
                exam.reload();
                return undefined;
              }}
            />
            <DeleteExam
              onDelete={async () => {
                const { error, response } = await api.DELETE('/courses/{courseId}/exams/{examId}', {
                  params: { path },
                });
                if (!response.ok) return asProblem(error, response);
                void navigate(`/console/exams?courseId=${courseId}`);
                return undefined;
              }}
            />
          </>
        ) : null}
      </section>
      <section aria-labelledby="exam-attempts">
        <h2 id="exam-attempts">{t('attempts')}</h2>
        {attempts.status === 'failed' ? <ProblemAlert problem={attempts.problem} /> : null}
        {attempts.status === 'ready' ? (
          <DataTable
            caption={t('attemptsCaption')}
            columns={columns}
            rows={attempts.data}
            rowKey={(a) => a.attemptId}
            fileName="exam-sittings"
            empty={t('noAttempts')}
          />
        ) : null}
      </section>
    </>
  );
}

function ReadOnlyQuestions({ exam }: { exam: ExamView }) {
  const t = useT(messages);
  return (
    <ol>
      {exam.questions.map((q) => (
        <li key={q.id}>
          <p>
            {q.prompt} <span className="muted">({t('points', { n: q.points })})</span>
          </p>
          {q.choices ? (
            <ul>
              {q.choices.map((c, j) => (
                <li key={j}>
                  {c} {q.answer === j ? <span className="cx-right">({t('right')})</span> : null}
                </li>
              ))}
            </ul>
          ) : (
            <p className="muted">{t('shortAnswer')}</p>
          )}
        </li>
      ))}
    </ol>
  );
}

function DeleteExam({ onDelete }: { onDelete: () => Promise<Problem | undefined> }) {
  const t = useT(messages);
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | undefined>();
  return (
    <div className="cx-actions">
      {asking ? (
        <>
          <button
            type="button"
            disabled={busy}
            onClick={() => {
              setBusy(true);
              void onDelete().then((p) => {
                setBusy(false);
                setProblem(p);
              });
            }}
          >
            {busy ? t('removing') : t('removeConfirm')}
          </button>
          <button type="button" onClick={() => setAsking(false)}>
            {t('removeCancel')}
          </button>
        </>
      ) : (
        <button type="button" onClick={() => setAsking(true)} aria-describedby="exam-remove-hint">
          {t('remove')}
        </button>
      )}
      <span id="exam-remove-hint" className="muted">
        {t('removeHint')}
      </span>
      <ProblemAlert problem={problem} />
    </div>
  );
}
