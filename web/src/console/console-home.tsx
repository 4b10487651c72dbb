import { Link } from 'react-router';
import { useT, type Messages } from '../i18n';
import { useSession } from '../session/session';
import { ProblemAlert } from '../ui/problem-alert';
import { managedCompanies, useMemberships } from './memberships';
import './console.css';

const messages: Messages<
  | 'title'
  | 'loading'
  | 'nothing'
  | 'platform'
  | 'admin'
  | 'institution'
  | 'profileMembers'
  | 'courses'
  | 'provisions'
  | 'exams'
  | 'sessions'
  | 'analytics'
  | 'certificates'
  | 'lectures'
  | 'questions'
  | 'company'
  | 'employees'
  | 'requests'
  | 'progress'
> = {
  ko: {
    title: '관리',
    loading: '불러오는 중…',
    nothing: '관리할 기관이나 회사가 없습니다.',
    platform: '플랫폼',
    admin: '기관과 회사',
    institution: '교육기관: {name}',
    profileMembers: '기관 정보와 구성원',
    courses: '강좌',
    provisions: '과정 신청',
    exams: '시험과 채점',
    sessions: '공개 수강 신청 차수',
    analytics: '통계',
    certificates: '발급한 수료증',
    lectures: '실시간 강의',
    questions: '질문과 답변, 공지',
    company: '회사: {name}',
    employees: '직원',
    requests: '과정 신청과 수강자',
    progress: '학습 현황',
  },
  en: {
    title: 'Console',
    loading: 'Loading…',
    nothing: 'You manage no institution or company.',
    platform: 'Platform',
    admin: 'Institutions and companies',
    institution: 'Institution: {name}',
    profileMembers: 'Profile and members',
    courses: 'Courses',
    provisions: 'Course requests',
    exams: 'Exams and grading',
    sessions: 'Open sessions',
    analytics: 'Analytics',
    certificates: 'Certificates issued',
    lectures: 'Live lectures',
    questions: 'Q&A and notices',
    company: 'Company: {name}',
    employees: 'Employees',
    requests: 'Course requests and attendees',
    progress: 'Progress',
  },
};

/**
 * Where the console starts: one section per thing the person runs (the platform, their institution, each
 * company they manage), each listing the screens their role there allows.
 */
export default function ConsoleHome() {
  const t = useT(messages);
  const { state } = useSession();
  const memberships = useMemberships();
  const roles = state.status === 'signed-in' ? state.me.roles : [];
  if (memberships.status === 'loading') return <p aria-live="polite">{t('loading')}</p>;
  if (memberships.status === 'failed') return <ProblemAlert problem={memberships.problem} />;
  const { institution } = memberships.data;
  const companies = managedCompanies(memberships.data);
  const isAdmin = roles.includes('platform-admin');
  return (
    <>
      <h1>{t('title')}</h1>
      {!isAdmin && !institution && companies.length === 0 ? <p>{t('nothing')}</p> : null}
      <div className="console-areas">
        {isAdmin ? (
          <section aria-labelledby="console-platform">
            <h2 id="console-platform">{t('platform')}</h2>
            <ul>
              <li>
                <Link to="/console/admin">{t('admin')}</Link>
              </li>
            </ul>
          </section>
        ) : null}
        {institution ? (
          <section aria-labelledby="console-institution">
            <h2 id="console-institution">{t('institution', { name: institution.name })}</h2>
            <ul>
              {institution.role === 'institution-manager' ? (
                <>
                  <li>
                    <Link to="/console/institution">{t('profileMembers')}</Link>
                  </li>
                  <li>
                    <Link to="/console/courses">{t('courses')}</Link>
                  </li>
                  <li>
                    <Link to="/console/provisions">{t('provisions')}</Link>
                  </li>
                  <li>
                    <Link to="/console/sessions">{t('sessions')}</Link>
                  </li>
                  <li>
                    <Link to="/console/certificates">{t('certificates')}</Link>
                  </li>
                  <li>
                    <Link to="/console/analytics">{t('analytics')}</Link>
                  </li>
                </>
              ) : null}
              <li>
                <Link to="/console/exams">{t('exams')}</Link>
              </li>
              <li>
                <Link to="/console/lectures">{t('lectures')}</Link>
              </li>
              <li>
                <Link to="/console/questions">{t('questions')}</Link>
              </li>
            </ul>
          </section>
        ) : null}
        {companies.map((c) => (
          <section key={c.id} aria-labelledby={`console-company-${c.id}`}>
            <h2 id={`console-company-${c.id}`}>{t('company', { name: c.name })}</h2>
            <ul>
              <li>
                <Link to={`/console/companies/${c.id}`}>{t('employees')}</Link>
              </li>
              <li>
                <Link to={`/console/provisions?companyId=${c.id}`}>{t('requests')}</Link>
              </li>
              <li>
                <Link to={`/console/companies/${c.id}/progress`}>{t('progress')}</Link>
              </li>
            </ul>
          </section>
        ))}
      </div>
    </>
  );
}
