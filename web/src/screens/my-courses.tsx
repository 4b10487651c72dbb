import { useApi } from '../api/api-context';
import { useT, type Messages } from '../i18n';
import { ProblemAlert } from '../ui/problem-alert';
import { useLoad } from '../ui/use-load';

const messages: Messages<'title' | 'loading' | 'none'> = {
  ko: { title: '내 강의', loading: '불러오는 중…', none: '수강 중인 강의가 없습니다.' },
  en: { title: 'My courses', loading: 'Loading…', none: 'You are not enrolled in any course.' },
};

/** The learner's courses (a first cut: the learner-screens work replaces it). */
export default function MyCourses() {
  const api = useApi();
  const t = useT(messages);
  const enrollments = useLoad(() => api.GET('/me/enrollments'), [api]);
  return (
    <>
      <h1>{t('title')}</h1>
      {enrollments.status === 'loading' ? <p>{t('loading')}</p> : null}
      {enrollments.status === 'failed' ? <ProblemAlert problem={enrollments.problem} /> : null}
      {enrollments.status === 'ready' ? (
        enrollments.data.length === 0 ? (
          <p>{t('none')}</p>
        ) : (
          <ul>
            {enrollments.data.map((e) => (
              <li key={e.id}>{e.courseTitle}</li>
            ))}
          </ul>
        )
      ) : null}
    </>
  );
}
