import { Link, useSearchParams } from 'react-router';
import { useApi } from '../../api/api-context';
import type { paths } from '../../api/schema';
import { useT, type Messages } from '../../i18n';
import { DataTable, type Column } from '../../ui/data-table';
import { ProblemAlert } from '../../ui/problem-alert';
import { useLoad } from '../../ui/use-load';
import { useMemberships } from '../memberships';
import { stageMessages } from './exam-common';
import './exams.css';

type ExamRow =
  paths['/courses/{courseId}/exams']['get']['responses'][200]['content']['application/json'][number];

const messages: Messages<
  | 'title'
  | 'loading'
  | 'nothing'
  | 'course'
  | 'chooseCourse'
  | 'noCourses'
  | 'exams'
  | 'caption'
  | 'noExams'
  | 'write'
  | 'exam'
  | 'stage'
  | 'weight'
  | 'questions'
  | 'maxPoints'
  | 'attempts'
  | 'state'
  | 'active'
  | 'archived'
  | 'console'
> = {
  ko: {
    title: '시험',
    loading: '불러오는 중…',
    nothing: '시험을 관리할 기관이 없습니다.',
    course: '과정',
    chooseCourse: '과정을 고르세요',
    noCourses: '기관에 과정이 아직 없습니다.',
    exams: '과정의 시험',
    caption: '과정의 시험과 응시 수',
    noExams: '이 과정에는 시험이 아직 없습니다.',
    write: '새 시험 작성',
    exam: '시험',
    stage: '단계',
    weight: '비중',
    questions: '문항',
    maxPoints: '배점',
    attempts: '응시',
    state: '상태',
    active: '사용 중',
    archived: '보관됨',
    console: '관리 홈',
  },
  en: {
    title: 'Exams',
    loading: 'Loading…',
    nothing: 'You belong to no institution whose exams you could manage.',
    course: 'Course',
    chooseCourse: 'Choose a course',
    noCourses: 'The institution has no course yet.',
    exams: 'The course’s exams',
    caption: 'The course’s exams and their sittings',
    noExams: 'This course has no exam yet.',
    write: 'Write a new exam',
    exam: 'Exam',
    stage: 'Stage',
    weight: 'Weight',
    questions: 'Questions',
    maxPoints: 'Points',
    attempts: 'Sittings',
    state: 'State',
    active: 'Active',
    archived: 'Archived',
    console: 'Console home',
  },
};

/**
 * The institution's exams, a course at a time (`?courseId=`): which exams each course has, how many sat
 * them, and the way to write one.
 */
export default function Exams() {
  const t = useT(messages);
  const api = useApi();
  const memberships = useMemberships();
  const [search, setSearch] = useSearchParams();
  const courseId = search.get('courseId') ?? '';
  const courses = useLoad(() => api.GET('/courses', { params: { query: { limit: 200 } } }), [api]);
  if (memberships.status === 'loading') return <p aria-live="polite">{t('loading')}</p>;
  if (memberships.status === 'failed') return <ProblemAlert problem={memberships.problem} />;
  if (!memberships.data.institution)
    return (
      <>
        <h1>{t('title')}</h1>
        <p>{t('nothing')}</p>
      </>
    );
  const list = courses.status === 'ready' ? courses.data : [];
  return (
    <>
      <h1>{t('title')}</h1>
      <nav className="cx-links" aria-label={t('title')}>
        <Link to="/console">{t('console')}</Link>
      </nav>
      {courses.status === 'failed' ? <ProblemAlert problem={courses.problem} /> : null}
      {courses.status === 'ready' && list.length === 0 ? <p>{t('noCourses')}</p> : null}
      <div className="cx-form">
        <div className="cx-field">
          <label htmlFor="exams-course">{t('course')}</label>
          <select
            id="exams-course"
            value={courseId}
            disabled={courses.status !== 'ready'}
            onChange={(e) => setSearch(e.target.value ? { courseId: e.target.value } : {})}
          >
            <option value="">{courses.status === 'loading' ? t('loading') : t('chooseCourse')}</option>
            {list.map((c) => (
              <option key={c.id} value={c.id}>
                {c.title}
              </option>
            ))}
          </select>
        </div>
      </div>
      {courseId ? <CourseExams key={courseId} courseId={courseId} /> : null}
    </>
  );
}

function CourseExams({ courseId }: { courseId: string }) {
  const t = useT(messages);
  const stages = useT(stageMessages);
  const api = useApi();
  const exams = useLoad(
    () => api.GET('/courses/{courseId}/exams', { params: { path: { courseId } } }),
    [api, courseId],
  );
  const columns: Column<ExamRow>[] = [
    {
      key: 'title',
      header: t('exam'),
      value: (e) => e.title,
      render: (e) => <Link to={`/console/courses/${courseId}/exams/${e.id}`}>{e.title}</Link>,
    },
    { key: 'stage', header: t('stage'), value: (e) => stages(e.stage) },
    { key: 'weight', header: t('weight'), value: (e) => e.weight, numeric: true },
    { key: 'questions', header: t('questions'), value: (e) => e.questions, numeric: true },
    { key: 'maxPoints', header: t('maxPoints'), value: (e) => e.maxPoints, numeric: true },
    { key: 'attempts', header: t('attempts'), value: (e) => e.attempts, numeric: true },
    { key: 'state', header: t('state'), value: (e) => t(e.state) },
  ];
  return (
    <section aria-labelledby="exams-list">
      <h2 id="exams-list">{t('exams')}</h2>
      <p>
        <Link to={`/console/courses/${courseId}/exams/new`}>{t('write')}</Link>
      </p>
      {exams.status === 'loading' ? <p aria-live="polite">{t('loading')}</p> : null}
      {exams.status === 'failed' ? <ProblemAlert problem={exams.problem} /> : null}
      {exams.status === 'ready' ? (
        <DataTable
          caption={t('caption')}
          columns={columns}
          rows={exams.data}
          rowKey={(e) => e.id}
          fileName="exams"
          empty={t('noExams')}
        />
      ) : null}
    </section>
  );
}
