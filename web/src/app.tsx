import { lazy, Suspense, useMemo, useState } from 'react';
import { Route, Routes } from 'react-router';
import type { WebAppConfig } from '#contracts/web-app';
import { browserLocale, LocaleContext, useT, type Locale, type Messages } from './i18n';
import { LiveConfigContext } from './screens/live/live-config';
import { ProfileLocale } from './session/profile-locale';
import { RequireSignIn } from './session/require-sign-in';
import { SessionProvider, useSession } from './session/session';
import { Layout } from './ui/layout';
import { UnreadProvider } from './ui/unread';

// Each screen is its own chunk: the first screen loads only what it shows (the player's hls.js never, until a
// video is opened).
const MyCourses = lazy(() => import('./screens/my-courses'));
const Inbox = lazy(() => import('./screens/inbox'));
const Settings = lazy(() => import('./screens/settings'));
const Catalog = lazy(() => import('./screens/catalog'));
const Cart = lazy(() => import('./screens/cart'));
const Exam = lazy(() => import('./screens/exam'));
const Certificates = lazy(() => import('./screens/certificates'));
const CoursePage = lazy(() => import('./screens/course-page'));
const Player = lazy(() => import('./screens/player'));
const CourseBoard = lazy(() => import('./screens/course-board'));
const BoardPost = lazy(() => import('./screens/board-post'));
const ConsoleFrame = lazy(() => import('./console/console-frame'));
const ConsoleHome = lazy(() => import('./console/console-home'));
const CompanyEmployees = lazy(() => import('./console/companies/employees'));
const CompanyProgress = lazy(() => import('./console/companies/progress'));
const Provisions = lazy(() => import('./console/provisions/provisions'));
const Provision = lazy(() => import('./console/provisions/provision'));
const Analytics = lazy(() => import('./console/analytics/analytics'));
const InstitutionProfile = lazy(() => import('./console/institution/institution'));
const IssuedCertificates = lazy(() => import('./console/institution/certificates'));
const PlatformAdmin = lazy(() => import('./console/admin/admin'));
const CourseList = lazy(() => import('./console/courses/course-list'));
const CourseBuilder = lazy(() => import('./console/courses/course-builder'));
const ConsoleLectures = lazy(() => import('./console/lectures/lectures'));
const LectureRoom = lazy(() => import('./console/lectures/lecture-room'));
const LiveLectures = lazy(() => import('./screens/live/live-lectures'));
const LiveLecture = lazy(() => import('./screens/live/live-lecture'));
const Exams = lazy(() => import('./console/exams/exams'));
const ExamScreen = lazy(() => import('./console/exams/exam'));
const ExamAttempt = lazy(() => import('./console/exams/attempt'));
const Sessions = lazy(() => import('./console/sessions/sessions'));
const SessionScreen = lazy(() => import('./console/sessions/session'));
const Questions = lazy(() => import('./console/questions/questions'));

const messages: Messages<'signedOut' | 'signInAgain' | 'notFound' | 'loading'> = {
  ko: {
    signedOut: '로그아웃되었습니다.',
    signInAgain: '다시 로그인',
    notFound: '없는 페이지입니다.',
    loading: '불러오는 중…',
  },
  en: {
    signedOut: 'You are signed out.',
    signInAgain: 'Sign in again',
    notFound: 'There is no such page.',
    loading: 'Loading…',
  },
};

/** Every screen of the app, by path (WEB_APP.screens in contracts/web-app.ts lists their prefixes). */
function Screens() {
  const t = useT(messages);
  const guarded = (element: React.ReactNode) => <RequireSignIn>{element}</RequireSignIn>;
  return (
    <Suspense fallback={<p aria-live="polite">{t('loading')}</p>}>
      <Routes>
        <Route path="/" element={guarded(<MyCourses />)} />
        <Route path="/inbox" element={guarded(<Inbox />)} />
        <Route path="/settings" element={guarded(<Settings />)} />
        <Route path="/catalog" element={guarded(<Catalog />)} />
        <Route path="/cart" element={guarded(<Cart />)} />
        <Route path="/learn/:enrollmentId/exams/:examId" element={guarded(<Exam />)} />
        <Route path="/learn/certificates" element={guarded(<Certificates />)} />
        <Route path="/learn/:enrollmentId" element={guarded(<CoursePage />)} />
        <Route path="/learn/:enrollmentId/watch/:contentId" element={guarded(<Player />)} />
        <Route path="/learn/:enrollmentId/board" element={guarded(<CourseBoard />)} />
        <Route path="/learn/:enrollmentId/board/:postId" element={guarded(<BoardPost />)} />
        <Route path="/console" element={guarded(<ConsoleFrame />)}>
          <Route index element={<ConsoleHome />} />
          <Route path="companies/:companyId" element={<CompanyEmployees />} />
          <Route path="companies/:companyId/progress" element={<CompanyProgress />} />
          <Route path="provisions" element={<Provisions />} />
          <Route path="provisions/:provisionId" element={<Provision />} />
          <Route path="analytics" element={<Analytics />} />
          <Route path="institution" element={<InstitutionProfile />} />
          <Route path="certificates" element={<IssuedCertificates />} />
          <Route path="admin" element={<PlatformAdmin />} />
          <Route path="courses" element={<CourseList />} />
          <Route path="courses/:courseId" element={<CourseBuilder />} />
          <Route path="lectures" element={<ConsoleLectures />} />
          <Route path="lectures/:lectureId" element={<LectureRoom />} />
          <Route path="exams" element={<Exams />} />
          <Route path="courses/:courseId/exams/new" element={<ExamScreen />} />
          <Route path="courses/:courseId/exams/:examId" element={<ExamScreen />} />
          <Route path="courses/:courseId/exams/:examId/attempts/:attemptId" element={<ExamAttempt />} />
          <Route path="sessions" element={<Sessions />} />
          <Route path="sessions/:sessionId" element={<SessionScreen />} />
          <Route path="questions" element={<Questions />} />
        </Route>
        <Route path="/live" element={guarded(<LiveLectures />)} />
        <Route path="/live/:lectureId" element={guarded(<LiveLecture />)} />
        <Route path="/signed-out" element={<SignedOut />} />
        <Route path="*" element={<h1>{t('notFound')}</h1>} />
      </Routes>
    </Suspense>
  );
}

function SignedOut() {
  const t = useT(messages);
  const { signIn } = useSession();
  return (
    <>
      <h1>{t('signedOut')}</h1>
      <button type="button" onClick={() => signIn(`${window.location.origin}/`)}>
        {t('signInAgain')}
      </button>
    </>
  );
}

export function App({ config }: { config: WebAppConfig }) {
  const [locale, setLocale] = useState<Locale>(() => browserLocale(config.defaultLocale));
  const localeValue = useMemo(() => ({ locale, setLocale }), [locale]);
  return (
    <LocaleContext.Provider value={localeValue}>
      <LiveConfigContext.Provider value={config.live}>
        <SessionProvider apiUrl={config.apiUrl}>
          <ProfileLocale />
          <UnreadProvider>
            <Layout institutionName={config.institutionName}>
              <Screens />
            </Layout>
          </UnreadProvider>
        </SessionProvider>
      </LiveConfigContext.Provider>
    </LocaleContext.Provider>
  );
}
