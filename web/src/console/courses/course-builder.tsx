import {
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
  useSyncExternalStore,
  type FormEvent,
} from 'react';
import { Link, useParams } from 'react-router';
import { useApi } from '../../api/api-context';
import { fieldError, type Problem } from '../../api/problem';
import { useT, type Messages } from '../../i18n';
import { FieldError, ProblemAlert } from '../../ui/problem-alert';
import { asProblem, useLoad } from '../../ui/use-load';
import { useMemberships } from '../memberships';
import { courseStateMessages, type CourseState } from './course-state';
import { Curriculum, type CoursePage } from './curriculum';
import { uploadQueueFor } from './upload-browser';
import './courses.css';

const messages: Messages<
  | 'loading'
  | 'back'
  | 'state'
  | 'details'
  | 'title'
  | 'introduction'
  | 'save'
  | 'saving'
  | 'saved'
  | 'titleInvalid'
  | 'introductionInvalid'
  | 'publishing'
  | 'publish'
  | 'archive'
  | 'published'
  | 'archived'
  | 'archivedNote'
  | 'publishHint'
  | 'archiveConfirm'
  | 'archiveForGood'
  | 'keep'
> = {
  ko: {
    loading: '불러오는 중…',
    back: '강좌 목록',
    state: '상태: {state}',
    details: '강좌 정보',
    title: '제목',
    introduction: '소개',
    save: '강좌 정보 저장',
    saving: '저장하는 중…',
    saved: '저장했습니다.',
    titleInvalid: '제목을 1자 이상 200자 이하로 입력하세요.',
    introductionInvalid: '소개는 20,000자까지 쓸 수 있습니다.',
    publishing: '게시와 보관',
    publish: '강좌 게시',
    archive: '강좌 보관',
    published: '강좌를 게시했습니다.',
    archived: '강좌를 보관했습니다.',
    archivedNote: '보관한 강좌는 바꿀 수 없습니다.',
    publishHint: '게시하면 회사들이 카탈로그에서 이 강좌를 신청할 수 있습니다.',
    archiveConfirm: '보관한 강좌는 다시 바꾸거나 게시할 수 없습니다. 수강생의 기록은 남습니다.',
    archiveForGood: '보관하기',
    keep: '그대로 두기',
  },
  en: {
    loading: 'Loading…',
    back: 'All courses',
    state: 'State: {state}',
    details: 'Course details',
    title: 'Title',
    introduction: 'Introduction',
    save: 'Save course details',
    saving: 'Saving…',
    saved: 'Saved.',
    titleInvalid: 'Enter a title of 1 to 200 characters.',
    introductionInvalid: 'The introduction may be at most 20,000 characters long.',
    publishing: 'Publishing and archiving',
    publish: 'Publish the course',
    archive: 'Archive the course',
    published: 'The course is published.',
    archived: 'The course is archived.',
    archivedNote: 'An archived course cannot change.',
    publishHint: 'Once published, companies can request the course from the catalog.',
    archiveConfirm: 'An archived course can never change or be published again. Learners’ records stay.',
    archiveForGood: 'Archive for good',
    keep: 'Keep it',
  },
};

/** How often a video's transcoding is asked after, and for how long at most. */
const POLL_MS = 2000;
const POLL_FOR_MS = 10 * 60_000;

/** One course's builder: its details, its curriculum with uploads, publishing and archiving. */
export default function CourseBuilder() {
  const api = useApi();
  const t = useT(messages);
  const { courseId = '' } = useParams();
  const course = useLoad(
    () => api.GET('/courses/{courseId}', { params: { path: { courseId } } }),
    [api, courseId],
  );
  return (
    <>
      <p>
        <Link to="/console/courses">{t('back')}</Link>
      </p>
      {course.status === 'loading' ? <p aria-live="polite">{t('loading')}</p> : null}
      {course.status === 'failed' ? <ProblemAlert problem={course.problem} /> : null}
      {course.status === 'ready' ? <Builder course={course.data} reload={course.reload} /> : null}
    </>
  );
}

function Builder({ course, reload }: { course: CoursePage; reload: () => void }) {
  const api = useApi();
  const t = useT(messages);
  const stateText = useT(courseStateMessages);
  const memberships = useMemberships();
  const queue = useMemo(() => uploadQueueFor(api), [api]);
  const uploads = useSyncExternalStore(queue.subscribe, queue.snapshot);
  const editable = course.state !== 'archived';
  const manager =
    memberships.status === 'ready' && memberships.data.institution?.role === 'institution-manager';

  // Once the reloaded course shows a change (a moved item, say), the focus goes back where it was and the
  // change is announced: not before, or a screen reader would hear of an order the page does not show yet.
  const afterReload = useRef<{ focusId?: string | undefined; onShown?: (() => void) | undefined }>(undefined);
  const reloadThen = useCallback(
    (focusId?: string, onShown?: () => void) => {
      afterReload.current = { focusId, onShown };
      reload();
    },
    [reload],
  );
  useEffect(() => {
    const after = afterReload.current;
    if (!after) return;
    afterReload.current = undefined;
    if (after.focusId) document.getElementById(after.focusId)?.focus();
    after.onShown?.();
  }, [course]);

  // A video whose upload finished here is watched until the course shows its transcoding's outcome: a
  // state other than the one it had when the upload finished.
  const [watched, setWatched] = useState<ReadonlyMap<string, { state: string; since: number }>>(new Map());
  const videos = useMemo(
    () =>
      new Map(
        course.chapters.flatMap((ch) => ch.contents.filter((c) => c.kind === 'video').map((c) => [c.id, c])),
      ),
    [course],
  );
  useEffect(() => {
    const finished = [...uploads.values()].filter((u) => u.phase === 'done' && videos.has(u.contentId));
    if (finished.length === 0) return;
    const since = Date.now();
    const started = finished.map((u) => {
      const video = videos.get(u.contentId)!;
      return [u.contentId, { state: `${video.mediaState}:${video.mediaError ?? ''}`, since }] as const;
    });
    setWatched((w) => new Map([...w, ...started]));
    // From here the video's own state tells the story ("Transcoding…", then ready or failed).
    for (const u of finished) queue.dismiss(u.contentId);
  }, [uploads, videos, queue]);
  const transcoding = useMemo(
    () =>
      new Set(
        [...watched]
          .filter(([id, w]) => {
            const video = videos.get(id);
            return (
              video &&
              video.mediaState !== 'ready' &&
              `${video.mediaState}:${video.mediaError ?? ''}` === w.state &&
              Date.now() - w.since < POLL_FOR_MS
            );
          })
          .map(([id]) => id),
      ),
    [watched, videos],
  );
  useEffect(() => {
    if (transcoding.size === 0) return;
    const timer = setTimeout(reload, POLL_MS);
    return () => clearTimeout(timer);
  }, [transcoding, course, reload]);

  return (
    <>
      <h1>{course.title}</h1>
      <p className="builder-state-line">
        {t('state', { state: stateText(course.state as CourseState) })}
        {!editable ? <span className="muted"> — {t('archivedNote')}</span> : null}
      </p>
      {editable ? <CourseDetails course={course} onSaved={reload} /> : null}
      <Curriculum
        course={course}
        reload={reloadThen}
        queue={queue}
        transcoding={transcoding}
        editable={editable}
      />
      {manager && editable ? <StateActions course={course} onChanged={reload} /> : null}
    </>
  );
}

function CourseDetails({ course, onSaved }: { course: CoursePage; onSaved: () => void }) {
  const api = useApi();
  const t = useT(messages);
  const [title, setTitle] = useState(course.title);
  const [introduction, setIntroduction] = useState(course.introduction);
  const [problem, setProblem] = useState<Problem | undefined>();
  const [save, setSave] = useState<'idle' | 'saving' | 'saved'>('idle');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    setSave('saving');
    const { data, error, response } = await api.PATCH('/courses/{courseId}', {
      params: { path: { courseId: course.id } },
      body: { title, introduction },
    });
    if (!data) {
      setProblem(asProblem(error, response));
      setSave('idle');
      return;
    }
    setSave('saved');
    onSaved();
  };
  const titleError = fieldError(problem, 'body.title') && t('titleInvalid');
  const introductionError = fieldError(problem, 'body.introduction') && t('introductionInvalid');
  return (
    <section aria-labelledby="builder-details" className="builder-details">
      <h2 id="builder-details">{t('details')}</h2>
      <form onSubmit={(e) => void submit(e)} noValidate>
        <div className="builder-field">
          <label htmlFor="builder-title">{t('title')}</label>
          <input
            id="builder-title"
            value={title}
            onChange={(e) => {
              setTitle(e.target.value);
              setSave('idle');
            }}
            aria-invalid={titleError ? true : undefined}
            aria-describedby={titleError ? 'builder-title-error' : undefined}
          />
          <FieldError id="builder-title-error" message={titleError} />
        </div>
        <div className="builder-field">
          <label htmlFor="builder-introduction">{t('introduction')}</label>
          <textarea
            id="builder-introduction"
            rows={4}
            value={introduction}
            onChange={(e) => {
              setIntroduction(e.target.value);
              setSave('idle');
            }}
            aria-invalid={introductionError ? true : undefined}
            aria-describedby={introductionError ? 'builder-introduction-error' : undefined}
          />
          <FieldError id="builder-introduction-error" message={introductionError} />
        </div>
        {problem && !titleError && !introductionError ? <ProblemAlert problem={problem} /> : null}
        <button type="submit" disabled={save === 'saving'}>
          {save === 'saving' ? t('saving') : t('save')}
        </button>{' '}
        <span role="status">{save === 'saved' ? t('saved') : ''}</span>
      </form>
    </section>
  );
}

/** Publish and archive, for the institution's managers; a refusal (nothing to learn yet) says why. */
function StateActions({ course, onChanged }: { course: CoursePage; onChanged: () => void }) {
  const api = useApi();
  const t = useT(messages);
  const [problem, setProblem] = useState<Problem | undefined>();
  const [done, setDone] = useState('');
  const [confirming, setConfirming] = useState(false);
  const change = async (verb: 'publish' | 'archive') => {
    setProblem(undefined);
    setDone('');
    const params = { params: { path: { courseId: course.id } } };
    const { data, error, response } =
      verb === 'publish'
        ? await api.POST('/courses/{courseId}/publish', params)
        : await api.POST('/courses/{courseId}/archive', params);
    if (!data) return setProblem(asProblem(error, response));
    setDone(t(verb === 'publish' ? 'published' : 'archived'));
    onChanged();
  };
  return (
    <section aria-labelledby="builder-publishing" className="builder-publishing">
      <h2 id="builder-publishing">{t('publishing')}</h2>
      {course.state === 'draft' ? <p className="muted">{t('publishHint')}</p> : null}
      <ProblemAlert problem={problem} />
      <p role="status">{done}</p>
      <div className="builder-buttons">
        {course.state === 'draft' ? (
          <button type="button" onClick={() => void change('publish')}>
            {t('publish')}
          </button>
        ) : null}
        {!confirming ? (
          <button type="button" className="secondary" onClick={() => setConfirming(true)}>
            {t('archive')}
          </button>
        ) : null}
      </div>
      {/* Archiving cannot be undone: it takes a second, deliberate click. */}
      {confirming ? (
        <div role="group" aria-labelledby="builder-archive-confirm" className="builder-confirm">
          <p id="builder-archive-confirm">{t('archiveConfirm')}</p>
          <div className="builder-buttons">
            <button type="button" onClick={() => void change('archive')}>
              {t('archiveForGood')}
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)}>
              {t('keep')}
            </button>
          </div>
        </div>
      ) : null}
    </section>
  );
}
