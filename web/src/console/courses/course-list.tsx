import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { useApi } from '../../api/api-context';
import { fieldError, type Problem } from '../../api/problem';
import type { paths } from '../../api/schema';
import { useLocale, useT, type Messages } from '../../i18n';
import { DataTable } from '../../ui/data-table';
import { FieldError, ProblemAlert } from '../../ui/problem-alert';
import { asProblem, useLoad } from '../../ui/use-load';
import { formatMoment } from '../../ui/when';
import { useMemberships } from '../memberships';
import { courseStateMessages, type CourseState } from './course-state';
import './courses.css';

type Course = paths['/courses']['get']['responses'][200]['content']['application/json'][number];

const STATES = ['draft', 'published', 'archived'] as const;

const messages: Messages<
  | 'title'
  | 'loading'
  | 'noInstitution'
  | 'console'
  | 'filterState'
  | 'allStates'
  | 'caption'
  | 'colTitle'
  | 'colState'
  | 'colUpdated'
  | 'empty'
  | 'create'
  | 'newTitle'
  | 'newIntroduction'
  | 'createButton'
  | 'creating'
  | 'titleInvalid'
  | 'list'
> = {
  ko: {
    title: '강좌',
    loading: '불러오는 중…',
    noInstitution: '강좌를 만들 교육기관이 없습니다.',
    console: '관리 홈',
    filterState: '상태',
    allStates: '모든 상태',
    caption: '{name}의 강좌',
    colTitle: '제목',
    colState: '상태',
    colUpdated: '마지막 수정',
    empty: '아직 강좌가 없습니다.',
    create: '새 강좌',
    newTitle: '제목',
    newIntroduction: '소개 (선택)',
    createButton: '강좌 만들기',
    creating: '만드는 중…',
    titleInvalid: '제목을 1자 이상 200자 이하로 입력하세요.',
    list: '강좌 목록',
  },
  en: {
    title: 'Courses',
    loading: 'Loading…',
    noInstitution: 'You have no institution to build courses for.',
    console: 'Console home',
    filterState: 'State',
    allStates: 'All states',
    caption: 'Courses of {name}',
    colTitle: 'Title',
    colState: 'State',
    colUpdated: 'Last changed',
    empty: 'No courses yet.',
    create: 'New course',
    newTitle: 'Title',
    newIntroduction: 'Introduction (optional)',
    createButton: 'Create the course',
    creating: 'Creating…',
    titleInvalid: 'Enter a title of 1 to 200 characters.',
    list: 'Course list',
  },
};

/** The institution's courses, by state, and a form for a new draft. */
export default function CourseList() {
  const t = useT(messages);
  const memberships = useMemberships();
  if (memberships.status === 'loading') return <p aria-live="polite">{t('loading')}</p>;
  if (memberships.status === 'failed') return <ProblemAlert problem={memberships.problem} />;
  const institution = memberships.data.institution;
  return (
    <>
      <p>
        <Link to="/console">{t('console')}</Link>
      </p>
      <h1>{t('title')}</h1>
      {institution ? <Courses institutionName={institution.name} /> : <p>{t('noInstitution')}</p>}
    </>
  );
}

function Courses({ institutionName }: { institutionName: string }) {
  const api = useApi();
  const t = useT(messages);
  const stateText = useT(courseStateMessages);
  const { locale } = useLocale();
  const [search, setSearch] = useSearchParams();
  const stateParam = search.get('state');
  const state = STATES.find((s) => s === stateParam);
  // The API lists the caller's institution's courses, optionally of one state, newest first.
  const courses = useLoad(
    () => api.GET('/courses', { params: { query: { limit: 200, ...(state ? { state } : {}) } } }),
    [api, state],
  );
  return (
    <>
      <NewCourse />
      <h2 id="courses-list">{t('list')}</h2>
      <div className="courses-filter">
        <label htmlFor="courses-state">{t('filterState')}</label>
        <select
          id="courses-state"
          value={state ?? ''}
          onChange={(e) => setSearch(e.target.value ? { state: e.target.value } : {})}
        >
          <option value="">{t('allStates')}</option>
          {STATES.map((s) => (
            <option key={s} value={s}>
              {stateText(s)}
            </option>
          ))}
        </select>
      </div>
      {courses.status === 'loading' ? <p aria-live="polite">{t('loading')}</p> : null}
      {courses.status === 'failed' ? <ProblemAlert problem={courses.problem} /> : null}
      {courses.status === 'ready' ? (
        <DataTable<Course>
          caption={t('caption', { name: institutionName })}
          fileName="courses"
          rows={courses.data}
          rowKey={(c) => c.id}
          empty={t('empty')}
          columns={[
            {
              key: 'title',
              header: t('colTitle'),
              value: (c) => c.title,
              render: (c) => <Link to={`/console/courses/${c.id}`}>{c.title}</Link>,
            },
            { key: 'state', header: t('colState'), value: (c) => stateText(c.state as CourseState) },
            {
              key: 'updated',
              header: t('colUpdated'),
              value: (c) => c.updatedAt,
              render: (c) => formatMoment(c.updatedAt, locale),
            },
          ]}
        />
      ) : null}
    </>
  );
}

function NewCourse() {
  const api = useApi();
  const t = useT(messages);
  const navigate = useNavigate();
  const [title, setTitle] = useState('');
  const [introduction, setIntroduction] = useState('');
  const [problem, setProblem] = useState<Problem | undefined>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    setBusy(true);
    try {
      const { data, error, response } = await api.POST('/courses', {
        body: { title, ...(introduction.trim() ? { introduction } : {}) },
      });
      if (!data) throw asProblem(error, response);
      navigate(`/console/courses/${data.id}`);
    } catch (err) {
      setProblem(asProblem(err));
      setBusy(false);
    }
  };
  // The API words its refusals for developers; the title's is said in the app's language.
  const titleError = fieldError(problem, 'body.title') && t('titleInvalid');
  const introductionError = fieldError(problem, 'body.introduction');
  return (
    <section aria-labelledby="courses-new" className="courses-new">
      <h2 id="courses-new">{t('create')}</h2>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <div className="courses-field">
          <label htmlFor="courses-new-title">{t('newTitle')}</label>
          <input
            id="courses-new-title"
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            aria-invalid={titleError ? true : undefined}
            aria-describedby={titleError ? 'courses-new-title-error' : undefined}
          />
          <FieldError id="courses-new-title-error" message={titleError} />
        </div>
        <div className="courses-field">
          <label htmlFor="courses-new-introduction">{t('newIntroduction')}</label>
          <textarea
            id="courses-new-introduction"
            rows={3}
            value={introduction}
            onChange={(e) => setIntroduction(e.target.value)}
            aria-invalid={introductionError ? true : undefined}
            aria-describedby={introductionError ? 'courses-new-introduction-error' : undefined}
          />
          <FieldError id="courses-new-introduction-error" message={introductionError} />
        </div>
        {problem && !titleError && !introductionError ? <ProblemAlert problem={problem} /> : null}
        <button type="submit" disabled={busy}>
          {busy ? t('creating') : t('createButton')}
        </button>
      </form>
    </section>
  );
}
