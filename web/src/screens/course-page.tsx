import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { useApi } from '../api/api-context';
import type { Problem } from '../api/problem';
import { useLocale, useT, type Messages } from '../i18n';
import { ProblemAlert } from '../ui/problem-alert';
import { asProblem, useLoad } from '../ui/use-load';
import { boardPath } from './board-common';
import {
  clock,
  day,
  examPath,
  outsidePeriod,
  watchPath,
  type Content,
  type ContentProgress,
  type Course,
  type Enrollment,
  type ExamStanding,
} from './learn-common';

type Key =
  | 'loading'
  | 'notEnrolled'
  | 'period'
  | 'before'
  | 'after'
  | 'progress'
  | 'curriculum'
  | 'video'
  | 'material'
  | 'exam'
  | 'duration'
  | 'watched'
  | 'done'
  | 'play'
  | 'notReady'
  | 'download'
  | 'downloading'
  | 'openExam'
  | 'examOpen'
  | 'gateOutside'
  | 'gateProgress'
  | 'gateAttempts'
  | 'attempts'
  | 'latest'
  | 'latestScore'
  | 'stageMid'
  | 'stageFinal'
  | 'ratingTitle'
  | 'ratingLegend'
  | 'star'
  | 'rate'
  | 'rated'
  | 'saving'
  | 'emptyChapter'
  | 'board';

const messages: Messages<Key> = {
  ko: {
    loading: '불러오는 중…',
    notEnrolled: '이 수강 내역을 찾을 수 없습니다.',
    period: '수강 기간: {from} ~ {to}',
    before: '수강 기간이 아직 시작되지 않았습니다. {from}부터 학습 시간이 인정됩니다.',
    after: '수강 기간이 끝났습니다({to}까지). 영상은 볼 수 있지만 학습 시간은 더 인정되지 않습니다.',
    progress: '{total}개 차시 중 {done}개 완료',
    curriculum: '차시 목록',
    video: '영상',
    material: '자료',
    exam: '시험',
    duration: '길이 {time}',
    watched: '{total} 중 {covered} 학습',
    done: '완료',
    play: '재생: {title}',
    notReady: '영상을 준비하는 중입니다.',
    download: '내려받기: {title}',
    downloading: '내려받기를 준비하는 중…',
    openExam: '시험 보기: {title}',
    examOpen: '지금 응시할 수 있습니다.',
    gateOutside: '수강 기간이 아니어서 응시할 수 없습니다.',
    gateProgress: '진도율 {required}% 이상부터 응시할 수 있습니다. 현재 진도율은 {progress}%입니다.',
    gateAttempts: '응시 기회 {allowed}번을 모두 사용했습니다.',
    attempts: '응시 횟수: {used}{limit}',
    latest: '최근 응시: {state}',
    latestScore: '최근 점수: {score}점',
    stageMid: '중간고사',
    stageFinal: '기말고사',
    ratingTitle: '강의 평가',
    ratingLegend: '이 강의는 어땠나요? (별 1~5개)',
    star: '별 {n}개',
    rate: '평가 보내기',
    rated: '이 강의에 별 {n}개(5개 만점)를 주셨습니다.',
    saving: '보내는 중…',
    emptyChapter: '이 장에는 아직 내용이 없습니다.',
    board: '공지사항과 질문 게시판',
  },
  en: {
    loading: 'Loading…',
    notEnrolled: 'This enrollment was not found.',
    period: 'Period: {from} – {to}',
    before: 'Your period has not started yet: study time counts from {from}.',
    after: 'Your period ended on {to}: you may still watch, but no more study time is credited.',
    progress: '{done} of {total} lessons completed',
    curriculum: 'Curriculum',
    video: 'Video',
    material: 'Material',
    exam: 'Exam',
    duration: '{time} long',
    watched: '{covered} of {total} watched',
    done: 'Completed',
    play: 'Play {title}',
    notReady: 'The video is being prepared.',
    download: 'Download {title}',
    downloading: 'Preparing the download…',
    openExam: 'Take exam: {title}',
    examOpen: 'Open now.',
    gateOutside: 'Locked: exams open only within your period.',
    gateProgress: 'Locked until you have watched {required}% of the course; you are at {progress}%.',
    gateAttempts: 'Locked: you have used all {allowed} attempts.',
    attempts: 'Attempts used: {used}{limit}',
    latest: 'Latest attempt: {state}',
    latestScore: 'Latest score: {score}',
    stageMid: 'Midterm',
    stageFinal: 'Final',
    ratingTitle: 'Rate this course',
    ratingLegend: 'How was this course? (1 to 5 stars)',
    star: '{n} of 5',
    rate: 'Send rating',
    rated: 'You rated this course {n} of 5 stars.',
    saving: 'Sending…',
    emptyChapter: 'This chapter has no content yet.',
    board: 'Notices and Q&A board',
  },
};

const attemptStates: Messages<'open' | 'due' | 'submitted' | 'graded'> = {
  ko: { open: '응시 중', due: '마감됨', submitted: '제출함(채점 대기)', graded: '채점 완료' },
  en: {
    open: 'in progress',
    due: 'past its deadline',
    submitted: 'submitted, awaiting grading',
    graded: 'graded',
  },
};

/** The course page: the course, its curriculum with the learner's progress, gates, and the rating. */
export default function CoursePage() {
  const { enrollmentId = '' } = useParams();
  const api = useApi();
  const t = useT(messages);
  const enrollments = useLoad(() => api.GET('/me/enrollments'), [api]);
  if (enrollments.status === 'loading') return <p aria-live="polite">{t('loading')}</p>;
  if (enrollments.status === 'failed') return <ProblemAlert problem={enrollments.problem} />;
  const enrollment = enrollments.data.find((e) => e.id === enrollmentId);
  if (!enrollment) return <h1>{t('notEnrolled')}</h1>;
  return <EnrolledCourse enrollment={enrollment} reloadEnrollment={enrollments.reload} />;
}

function EnrolledCourse({
  enrollment,
  reloadEnrollment,
}: {
  enrollment: Enrollment;
  reloadEnrollment: () => void;
}) {
  const api = useApi();
  const t = useT(messages);
  const { locale } = useLocale();
  const enrollmentId = enrollment.id;
  const params = { params: { path: { enrollmentId } } };
  const course = useLoad(
    () => api.GET('/courses/{courseId}', { params: { path: { courseId: enrollment.courseId } } }),
    [api, enrollment.courseId],
  );
  const progress = useLoad(
    () => api.GET('/me/enrollments/{enrollmentId}/progress', params),
    [api, enrollmentId],
  );
  const exams = useLoad(() => api.GET('/me/enrollments/{enrollmentId}/exams', params), [api, enrollmentId]);
  const outside = outsidePeriod(enrollment);
  const from = day(enrollment.startsOn, locale);
  const to = day(enrollment.endsOn, locale);

  if (course.status === 'loading') return <p aria-live="polite">{t('loading')}</p>;
  if (course.status === 'failed') return <ProblemAlert problem={course.problem} />;
  const c = course.data;
  return (
    <article className="course-page">
      <h1>{c.title}</h1>
      <p className="muted">{t('period', { from, to })}</p>
      {outside ? (
        <p className="course-page-notice" role="note">
          {outside === 'before' ? t('before', { from }) : t('after', { to })}
        </p>
      ) : null}
      <p>{t('progress', { done: enrollment.lessonsCompleted, total: enrollment.lessonsTotal })}</p>
      {c.introduction ? <p className="course-page-intro">{c.introduction}</p> : null}
      <p>
        <Link to={boardPath(enrollmentId)}>{t('board')}</Link>
      </p>

      {enrollment.completedAt ? <Rating enrollment={enrollment} onRated={reloadEnrollment} /> : null}

      {progress.status === 'failed' ? <ProblemAlert problem={progress.problem} /> : null}
      {exams.status === 'failed' ? <ProblemAlert problem={exams.problem} /> : null}
      <Curriculum
        course={c}
        enrollmentId={enrollmentId}
        progress={progress.status === 'ready' ? progress.data : []}
        exams={exams.status === 'ready' ? exams.data : []}
      />
    </article>
  );
}

function Curriculum({
  course,
  enrollmentId,
  progress,
  exams,
}: {
  course: Course;
  enrollmentId: string;
  progress: readonly ContentProgress[];
  exams: readonly ExamStanding[];
}) {
  const t = useT(messages);
  return (
    <section aria-labelledby="course-page-curriculum">
      <h2 id="course-page-curriculum">{t('curriculum')}</h2>
      {course.chapters.map((chapter) => (
        <section key={chapter.id} className="course-page-chapter" aria-labelledby={`chapter-${chapter.id}`}>
          <h3 id={`chapter-${chapter.id}`}>{chapter.title}</h3>
          {chapter.contents.length === 0 ? <p className="muted">{t('emptyChapter')}</p> : null}
          <ul className="course-page-contents">
            {chapter.contents.map((content) => (
              <ContentItem
                key={content.id}
                enrollmentId={enrollmentId}
                content={content}
                progress={progress.find((p) => p.contentId === content.id)}
                exam={exams.find((e) => e.examId === content.id)}
              />
            ))}
          </ul>
        </section>
      ))}
    </section>
  );
}

function ContentItem({
  enrollmentId,
  content,
  progress,
  exam,
}: {
  enrollmentId: string;
  content: Content;
  progress: ContentProgress | undefined;
  exam: ExamStanding | undefined;
}) {
  const t = useT(messages);
  const duration = content.durationSeconds ?? progress?.durationSeconds ?? null;
  return (
    <li className="course-page-content">
      <div className="course-page-content-head">
        <span className={`course-page-kind course-page-kind-${content.kind}`}>{t(content.kind)}</span>{' '}
        <span className="course-page-content-title">{content.title}</span>
        {progress?.completedAt ? <span className="course-page-done"> ✓ {t('done')}</span> : null}
      </div>
      {content.kind === 'video' ? (
        <>
          <p className="muted">
            {duration ? t('duration', { time: clock(duration) }) : null}
            {duration && progress ? (
              <>
                {' · '}
                {t('watched', { covered: clock(progress.coveredSeconds), total: clock(duration) })}
              </>
            ) : null}
          </p>
          {duration && progress ? (
            <progress
              value={Math.min(progress.coveredSeconds, duration)}
              max={duration}
              aria-label={t('watched', { covered: clock(progress.coveredSeconds), total: clock(duration) })}
            />
          ) : null}
          {content.mediaState === 'ready' ? (
            <Link className="button-link" to={watchPath(enrollmentId, content.id)}>
              {t('play', { title: content.title })}
            </Link>
          ) : (
            <p className="muted">{t('notReady')}</p>
          )}
        </>
      ) : null}
      {content.kind === 'material' ? <Download content={content} /> : null}
      {content.kind === 'exam' ? (
        <ExamGate enrollmentId={enrollmentId} content={content} exam={exam} />
      ) : null}
    </li>
  );
}

/** The material's file through a presigned URL asked for on the click: it is valid for a few minutes only. */
function Download({ content }: { content: Content }) {
  const api = useApi();
  const t = useT(messages);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const download = async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      const { data, error, response } = await api.GET('/contents/{contentId}/download', {
        params: { path: { contentId: content.id } },
      });
      if (!data) return setProblem(asProblem(error, response));
      // The URL answers with `Content-Disposition: attachment`: the browser saves it and stays on this page.
      window.location.assign(data.url);
    } catch (e) {
      setProblem(asProblem(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" className="secondary" onClick={() => void download()} disabled={busy}>
        {t('download', { title: content.title })}
      </button>
      <span aria-live="polite">{busy ? ` ${t('downloading')}` : ''}</span>
      <ProblemAlert problem={problem} />
    </>
  );
}

/** An exam's link, or why it is locked now, in words. */
function ExamGate({
  enrollmentId,
  content,
  exam,
}: {
  enrollmentId: string;
  content: Content;
  exam: ExamStanding | undefined;
}) {
  const t = useT(messages);
  const states = useT(attemptStates);
  if (!exam) return null;
  const percent = (share: number) => Math.floor(share * 100);
  const reason =
    exam.gate === 'outside-period'
      ? t('gateOutside')
      : exam.gate === 'progress'
        ? t('gateProgress', {
            required: Math.round(exam.requiredShare * 100),
            progress: percent(exam.progressShare),
          })
        : exam.gate === 'no-attempts-left'
          ? t('gateAttempts', { allowed: exam.attemptsAllowed ?? 0 })
          : null;
  return (
    <div className="course-page-exam">
      <p className="muted">
        {exam.stage === 'mid' ? t('stageMid') : t('stageFinal')}
        {' · '}
        {t('attempts', {
          used: exam.attemptsUsed,
          limit: exam.attemptsAllowed === null ? '' : ` / ${exam.attemptsAllowed}`,
        })}
        {exam.latest ? (
          <>
            {' · '}
            {t('latest', { state: states(exam.latest.state) })}
            {exam.latest.score !== null ? <> · {t('latestScore', { score: exam.latest.score })}</> : null}
          </>
        ) : null}
      </p>
      {exam.open ? (
        <>
          <Link className="button-link" to={examPath(enrollmentId, exam.examId)}>
            {t('openExam', { title: content.title })}
          </Link>{' '}
          <span className="muted">{t('examOpen')}</span>
        </>
      ) : (
        <p className="course-page-locked">🔒 {reason}</p>
      )}
    </div>
  );
}

/** The course's rating, once, after completion: the form until it is given, then the given stars. */
function Rating({ enrollment, onRated }: { enrollment: Enrollment; onRated: () => void }) {
  const api = useApi();
  const t = useT(messages);
  const [stars, setStars] = useState<number>();
  const [given, setGiven] = useState<number | null>(enrollment.ratingStars);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!stars) return;
    setBusy(true);
    setProblem(undefined);
    try {
      const { data, error, response } = await api.POST('/me/enrollments/{enrollmentId}/rating', {
        params: { path: { enrollmentId: enrollment.id } },
        body: { stars },
      });
      if (data) {
        setGiven(data.stars);
        onRated();
      } else setProblem(asProblem(error, response));
    } catch (e) {
      setProblem(asProblem(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="course-page-rating" aria-labelledby="course-page-rating">
      <h2 id="course-page-rating">{t('ratingTitle')}</h2>
      {given !== null ? (
        <p aria-live="polite">{t('rated', { n: given })}</p>
      ) : (
        <form onSubmit={(e) => void submit(e)}>
          <fieldset>
            <legend>{t('ratingLegend')}</legend>
            <div className="course-page-stars">
              {[1, 2, 3, 4, 5].map((n) => (
                <label key={n}>
                  <input
                    type="radio"
                    name="stars"
                    value={n}
                    checked={stars === n}
                    onChange={() => setStars(n)}
                    aria-invalid={problem ? true : undefined}
                  />{' '}
                  {t('star', { n })}
                </label>
              ))}
            </div>
          </fieldset>
          <button type="submit" disabled={busy || !stars}>
            {t('rate')}
          </button>
          <span aria-live="polite">{busy ? ` ${t('saving')}` : ''}</span>
          <ProblemAlert problem={problem} />
        </form>
      )}
    </section>
  );
}
