import { Link } from 'react-router';
import { useApi } from '../api/api-context';
import { useLocale, useT, type Messages } from '../i18n';
import { ProblemAlert } from '../ui/problem-alert';
import { useLoad } from '../ui/use-load';
import {
  coursePath,
  day,
  moment,
  nextLesson,
  watchPath,
  type Content,
  type Enrollment,
} from './learn-common';

const messages: Messages<
  | 'title'
  | 'loading'
  | 'none'
  | 'progress'
  | 'progressLabel'
  | 'period'
  | 'completed'
  | 'certificate'
  | 'score'
  | 'next'
  | 'nextLoading'
  | 'allDone'
  | 'continue'
> = {
  ko: {
    title: '내 강의',
    loading: '불러오는 중…',
    none: '수강 중인 강의가 없습니다.',
    progress: '{total}개 차시 중 {done}개 완료',
    progressLabel: '{title} 진도',
    period: '수강 기간: {from} ~ {to}',
    completed: '수료일: {at}',
    certificate: '수료증 발급일: {on}',
    score: '평가 점수: {score}점 / 100점',
    next: '다음 차시: {title}',
    nextLoading: '다음 차시를 찾는 중…',
    allDone: '모든 차시를 마쳤습니다.',
    continue: '이어서 학습: {title}',
  },
  en: {
    title: 'My courses',
    loading: 'Loading…',
    none: 'You are not enrolled in any course.',
    progress: '{done} of {total} lessons completed',
    progressLabel: 'Progress in {title}',
    period: 'Period: {from} – {to}',
    completed: 'Completed on {at}',
    certificate: 'Certificate dated {on}',
    score: 'Score: {score} of 100',
    next: 'Next lesson: {title}',
    nextLoading: 'Finding the next lesson…',
    allDone: 'You have finished every lesson.',
    continue: 'Continue: {title}',
  },
};

/** The learner's courses: progress, period, completion and the next lesson of each. */
export default function MyCourses() {
  const api = useApi();
  const t = useT(messages);
  const enrollments = useLoad(() => api.GET('/me/enrollments'), [api]);
  return (
    <>
      <h1>{t('title')}</h1>
      {enrollments.status === 'loading' ? <p aria-live="polite">{t('loading')}</p> : null}
      {enrollments.status === 'failed' ? <ProblemAlert problem={enrollments.problem} /> : null}
      {enrollments.status === 'ready' ? (
        enrollments.data.length === 0 ? (
          <p>{t('none')}</p>
        ) : (
          <ul className="my-courses">
            {enrollments.data.map((e) => (
              <EnrollmentCard key={e.id} enrollment={e} />
            ))}
          </ul>
        )
      ) : null}
    </>
  );
}

function EnrollmentCard({ enrollment: e }: { enrollment: Enrollment }) {
  const t = useT(messages);
  const { locale } = useLocale();
  const progressId = `my-courses-progress-${e.id}`;
  return (
    <li className="my-courses-card">
      <h2>
        <Link to={coursePath(e.id)}>{e.courseTitle}</Link>
      </h2>
      <p id={progressId}>{t('progress', { done: e.lessonsCompleted, total: e.lessonsTotal })}</p>
      <progress
        value={e.lessonsCompleted}
        max={Math.max(e.lessonsTotal, 1)}
        aria-label={t('progressLabel', { title: e.courseTitle })}
        aria-describedby={progressId}
      />
      <p className="muted">{t('period', { from: day(e.startsOn, locale), to: day(e.endsOn, locale) })}</p>
      {e.completedAt ? (
        <ul className="my-courses-completion">
          <li>{t('completed', { at: moment(e.completedAt, locale) })}</li>
          {e.certificateOn ? <li>{t('certificate', { on: day(e.certificateOn, locale) })}</li> : null}
          {e.score !== null ? <li>{t('score', { score: e.score })}</li> : null}
        </ul>
      ) : null}
      {e.lessonsCompleted < e.lessonsTotal ? <NextLesson enrollmentId={e.id} courseId={e.courseId} /> : null}
    </li>
  );
}

/** The first lesson not yet completed, from the curriculum and the learner's progress in it. */
function NextLesson({ enrollmentId, courseId }: { enrollmentId: string; courseId: string }) {
  const api = useApi();
  const t = useT(messages);
  const both = useLoad<Content | null>(async () => {
    const [course, progress] = await Promise.all([
      api.GET('/courses/{courseId}', { params: { path: { courseId } } }),
      api.GET('/me/enrollments/{enrollmentId}/progress', { params: { path: { enrollmentId } } }),
    ]);
    if (!course.data) return { error: course.error, response: course.response };
    if (!progress.data) return { error: progress.error, response: progress.response };
    return { data: nextLesson(course.data, progress.data) ?? null, response: progress.response };
  }, [api, courseId, enrollmentId]);
  if (both.status === 'loading') return <p className="muted">{t('nextLoading')}</p>;
  if (both.status === 'failed') return <ProblemAlert problem={both.problem} />;
  const next = both.data;
  if (!next) return <p>{t('allDone')}</p>;
  return (
    <p className="my-courses-next">
      <span>{t('next', { title: next.title })}</span>{' '}
      <Link className="button-link" to={watchPath(enrollmentId, next.id)}>
        {t('continue', { title: next.title })}
      </Link>
    </p>
  );
}
