import { Link } from 'react-router';
import { useApi } from '../../api/api-context';
import { useLocale, useT, type Messages } from '../../i18n';
import { ProblemAlert } from '../../ui/problem-alert';
import { useLoad } from '../../ui/use-load';
import { formatMoment } from '../../ui/when';
import { liveCall, type Lecture } from './live-api';
import './live.css';

const messages: Messages<
  'title' | 'loading' | 'none' | 'join' | 'live' | 'scheduled' | 'course' | 'when' | 'intro'
> = {
  ko: {
    title: '실시간 강의',
    loading: '불러오는 중…',
    none: '예정되었거나 진행 중인 실시간 강의가 없습니다.',
    join: '입장: {title}',
    live: '방송 중',
    scheduled: '예정',
    course: '과정: {course}',
    when: '{from} ~ {to}',
    intro: '수강 중인 과정의 실시간 강의입니다. 방송 중인 강의에 입장하면 출석이 기록됩니다.',
  },
  en: {
    title: 'Live lectures',
    loading: 'Loading…',
    none: 'There are no live or upcoming lectures.',
    join: 'Join: {title}',
    live: 'Live now',
    scheduled: 'Upcoming',
    course: 'Course: {course}',
    when: '{from} to {to}',
    intro: 'The live lectures of your courses. Joining one while it is live records your attendance.',
  },
};

interface Listed extends Lecture {
  readonly courseTitle: string;
}

/** `/live`: the learner's live and upcoming lectures, across the courses they are enrolled in. */
export default function LiveLectures() {
  const t = useT(messages);
  const { locale } = useLocale();
  const api = useApi();
  const lectures = useLoad(async () => {
    const enrollments = await api.GET('/me/enrollments');
    if (!enrollments.data) return { error: enrollments.error, response: enrollments.response };
    const pages = await Promise.all(
      enrollments.data.map(async (e) => {
        const page = await liveCall(
          (a) => a.GET('/lectures', { params: { query: { provisionId: e.provisionId, upcoming: 'true' } } }),
          api,
        );
        if (page.problem) throw new Error(page.problem.detail ?? page.problem.title);
        return page.data.lectures.map((l): Listed => ({ ...l, courseTitle: e.courseTitle }));
      }),
    );
    const data = pages
      .flat()
      .filter((l) => l.state === 'live' || l.state === 'scheduled')
      .sort((a, b) =>
        a.state === b.state ? a.startsAt.localeCompare(b.startsAt) : a.state === 'live' ? -1 : 1,
      );
    return { data, response: enrollments.response };
  }, [api]);

  return (
    <>
      <h1>{t('title')}</h1>
      <p>{t('intro')}</p>
      {lectures.status === 'loading' ? (
        <p aria-live="polite">{t('loading')}</p>
      ) : lectures.status === 'failed' ? (
        <ProblemAlert problem={lectures.problem} />
      ) : lectures.data.length === 0 ? (
        <p>{t('none')}</p>
      ) : (
        <ul className="live-list">
          {lectures.data.map((l) => (
            <li key={l.lectureId}>
              <span className={`live-badge live-badge-${l.state}`}>
                {t(l.state === 'live' ? 'live' : 'scheduled')}
              </span>{' '}
              <Link to={`/live/${l.lectureId}`}>{t('join', { title: l.title })}</Link>
              <div className="muted">
                {t('course', { course: l.courseTitle })} ·{' '}
                {t('when', { from: formatMoment(l.startsAt, locale), to: formatMoment(l.endsAt, locale) })}
              </div>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
