import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { useApi } from '../api/api-context';
import { fieldError, type Problem } from '../api/problem';
import { useLocale, useT, type Messages } from '../i18n';
import { FieldError, ProblemAlert } from '../ui/problem-alert';
import { asProblem, useLoad } from '../ui/use-load';
import { parseClock, postPath, type Post } from './board-common';
import { useAuthor } from './board-thread';
import { clock, coursePath, moment, type Content, type Enrollment } from './learn-common';
import './boards.css';

type Key =
  | 'loading'
  | 'notEnrolled'
  | 'title'
  | 'back'
  | 'notices'
  | 'qna'
  | 'noNotices'
  | 'noQuestions'
  | 'ask'
  | 'questionTitle'
  | 'questionBody'
  | 'video'
  | 'noVideo'
  | 'at'
  | 'atHint'
  | 'atInvalid'
  | 'send'
  | 'sending'
  | 'answered'
  | 'waiting'
  | 'comments'
  | 'views'
  | 'atVideo'
  | 'more';

const messages: Messages<Key> = {
  ko: {
    loading: '불러오는 중…',
    notEnrolled: '이 수강 내역을 찾을 수 없습니다.',
    title: '게시판: {course}',
    back: '강의로 돌아가기',
    notices: '공지사항',
    qna: '질문과 답변',
    noNotices: '공지사항이 없습니다.',
    noQuestions: '아직 질문이 없습니다.',
    ask: '질문하기',
    questionTitle: '제목',
    questionBody: '질문 내용',
    video: '관련 영상 (선택)',
    noVideo: '영상 없음',
    at: '영상 시점 (분:초)',
    atHint: '예: 1:30',
    atInvalid: '분:초 형식으로 적어 주세요 (예: 1:30).',
    send: '질문 등록',
    sending: '보내는 중…',
    answered: '답변 완료',
    waiting: '답변 대기',
    comments: '댓글 {n}',
    views: '조회 {n}',
    atVideo: '{video} {at}',
    more: '더 보기',
  },
  en: {
    loading: 'Loading…',
    notEnrolled: 'This enrollment was not found.',
    title: 'Board: {course}',
    back: 'Back to the course',
    notices: 'Notices',
    qna: 'Questions and answers',
    noNotices: 'No notices.',
    noQuestions: 'No questions yet.',
    ask: 'Ask a question',
    questionTitle: 'Title',
    questionBody: 'Your question',
    video: 'About a video (optional)',
    noVideo: 'No video',
    at: 'Moment in the video (m:ss)',
    atHint: 'For example 1:30',
    atInvalid: 'Write the moment as minutes:seconds (for example 1:30).',
    send: 'Ask',
    sending: 'Sending…',
    answered: 'Answered',
    waiting: 'Awaiting an answer',
    comments: 'Comments: {n}',
    views: 'Views: {n}',
    atVideo: '{video} at {at}',
    more: 'Show older posts',
  },
};

/** `/learn/:enrollmentId/board`: the course's notices and Q&A, and the form to ask. */
export default function CourseBoard() {
  const { enrollmentId = '' } = useParams();
  const api = useApi();
  const t = useT(messages);
  const enrollments = useLoad(() => api.GET('/me/enrollments'), [api]);
  if (enrollments.status === 'loading') return <p aria-live="polite">{t('loading')}</p>;
  if (enrollments.status === 'failed') return <ProblemAlert problem={enrollments.problem} />;
  const enrollment = enrollments.data.find((e) => e.id === enrollmentId);
  if (!enrollment) return <h1>{t('notEnrolled')}</h1>;
  return <Board enrollment={enrollment} />;
}

function Board({ enrollment }: { enrollment: Enrollment }) {
  const api = useApi();
  const t = useT(messages);
  const course = useLoad(
    () => api.GET('/courses/{courseId}', { params: { path: { courseId: enrollment.courseId } } }),
    [api, enrollment.courseId],
  );
  const videos =
    course.status === 'ready'
      ? course.data.chapters.flatMap((c) => c.contents).filter((c) => c.kind === 'video')
      : [];
  return (
    <article className="board">
      <p>
        <Link to={coursePath(enrollment.id)}>{t('back')}</Link>
      </p>
      <h1>{t('title', { course: enrollment.courseTitle })}</h1>
      <section aria-labelledby="board-notices">
        <h2 id="board-notices">{t('notices')}</h2>
        <BoardPosts enrollment={enrollment} board="notice" empty={t('noNotices')} videos={videos} />
      </section>
      <section aria-labelledby="board-qna">
        <h2 id="board-qna">{t('qna')}</h2>
        <BoardPosts enrollment={enrollment} board="qna" empty={t('noQuestions')} videos={videos} />
        {/* Once the videos are known: a select keeps the value it first had options for (the player's link). */}
        {course.status === 'loading' ? null : <AskForm enrollment={enrollment} videos={videos} />}
        {course.status === 'failed' ? <ProblemAlert problem={course.problem} /> : null}
      </section>
    </article>
  );
}

const PAGE = 20;

/** One board's posts, newest first, a page at a time: the first page on load, the next ones on request. */
function BoardPosts({
  enrollment,
  board,
  empty,
  videos,
}: {
  enrollment: Enrollment;
  board: 'notice' | 'qna';
  empty: string;
  videos: readonly Content[];
}) {
  const api = useApi();
  const t = useT(messages);
  const page = (cursor?: string) =>
    api.GET('/board-posts', {
      params: {
        query: { provisionId: enrollment.provisionId, board, limit: PAGE, ...(cursor ? { cursor } : {}) },
      },
    });
  const first = useLoad(() => page(), [api, enrollment.provisionId, board]);
  const [later, setLater] = useState<{ posts: Post[]; cursor?: string | undefined }>();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  if (first.status === 'loading') return <p aria-live="polite">{t('loading')}</p>;
  if (first.status === 'failed') return <ProblemAlert problem={first.problem} />;
  const posts = [...first.data.posts, ...(later?.posts ?? [])];
  const cursor = later ? later.cursor : first.data.cursor;
  const more = async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      const { data, error, response } = await page(cursor);
      if (!data) return setProblem(asProblem(error, response));
      setLater({ posts: [...(later?.posts ?? []), ...data.posts], cursor: data.cursor });
    } catch (e) {
      setProblem(asProblem(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <PostList enrollmentId={enrollment.id} posts={posts} empty={empty} videos={videos} />
      {cursor ? (
        <button type="button" className="secondary" onClick={() => void more()} disabled={busy}>
          {t('more')}
        </button>
      ) : null}
      <ProblemAlert problem={problem} />
    </>
  );
}

function PostList({
  enrollmentId,
  posts,
  empty,
  videos,
}: {
  enrollmentId: string;
  posts: readonly Post[];
  empty: string;
  videos: readonly Content[];
}) {
  const t = useT(messages);
  const author = useAuthor();
  const { locale } = useLocale();
  if (posts.length === 0) return <p className="muted">{empty}</p>;
  return (
    <ul className="board-posts">
      {posts.map((p) => (
        <li key={p.postId} className="board-post">
          <Link to={postPath(enrollmentId, p.postId)} className="board-post-title">
            {p.title}
          </Link>
          {p.board === 'qna' ? (
            <span className={p.answered ? 'board-badge board-badge-answered' : 'board-badge'}>
              {p.answered ? t('answered') : t('waiting')}
            </span>
          ) : null}
          <p className="board-meta">
            {author(p)} · {moment(p.createdAt, locale)}
            {p.board === 'qna' ? ` · ${t('comments', { n: p.commentCount })}` : ''} ·{' '}
            {t('views', { n: p.viewCount })}
            {p.videoAt ? (
              <>
                {' · '}
                {t('atVideo', {
                  video: videos.find((v) => v.id === p.videoAt!.contentId)?.title ?? '',
                  at: clock(p.videoAt.second),
                })}
              </>
            ) : null}
          </p>
        </li>
      ))}
    </ul>
  );
}

function AskForm({ enrollment, videos }: { enrollment: Enrollment; videos: readonly Content[] }) {
  const api = useApi();
  const t = useT(messages);
  const navigate = useNavigate();
  const [search] = useSearchParams();
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  // The player's "ask about this moment" link fills in the video and the moment.
  const [contentId, setContentId] = useState(search.get('contentId') ?? '');
  const [at, setAt] = useState(() => {
    const second = Number(search.get('second'));
    return search.has('second') && Number.isInteger(second) && second >= 0 ? clock(second) : '';
  });
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const [atInvalid, setAtInvalid] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const second = contentId ? (at.trim() === '' ? 0 : parseClock(at)) : undefined;
    setAtInvalid(contentId !== '' && second === undefined);
    if (contentId !== '' && second === undefined) return;
    setBusy(true);
    setProblem(undefined);
    try {
      const { data, error, response } = await api.POST('/board-posts', {
        body: {
          provisionId: enrollment.provisionId,
          board: 'qna',
          title,
          body,
          ...(contentId && second !== undefined ? { videoAt: { contentId, second } } : {}),
        },
      });
      if (!data) return setProblem(asProblem(error, response));
      void navigate(postPath(enrollment.id, data.postId));
    } catch (e) {
      setProblem(asProblem(e));
    } finally {
      setBusy(false);
    }
  };
  const errors = {
    title: fieldError(problem, 'body.title'),
    body: fieldError(problem, 'body.body'),
    video: fieldError(problem, 'body.videoAt.contentId') ?? fieldError(problem, 'body.videoAt'),
    at: atInvalid ? t('atInvalid') : fieldError(problem, 'body.videoAt.second'),
  };
  const named = Object.values(errors).some(Boolean);
  const invalid = (message: string | undefined, id: string) =>
    message ? { 'aria-invalid': true as const, 'aria-describedby': id } : {};
  return (
    <form className="board-form" onSubmit={(e) => void submit(e)} aria-labelledby="board-ask">
      <h3 id="board-ask">{t('ask')}</h3>
      <label htmlFor="ask-title">{t('questionTitle')}</label>
      <input
        id="ask-title"
        value={title}
        onChange={(e) => setTitle(e.target.value)}
        required
        maxLength={200}
        {...invalid(errors.title, 'ask-title-error')}
      />
      <FieldError id="ask-title-error" message={errors.title} />
      <label htmlFor="ask-body">{t('questionBody')}</label>
      <textarea
        id="ask-body"
        value={body}
        onChange={(e) => setBody(e.target.value)}
        rows={5}
        required
        {...invalid(errors.body, 'ask-body-error')}
      />
      <FieldError id="ask-body-error" message={errors.body} />
      <div className="board-form-row">
        <div>
          <label htmlFor="ask-video">{t('video')}</label>
          <select
            id="ask-video"
            value={contentId}
            onChange={(e) => setContentId(e.target.value)}
            {...invalid(errors.video, 'ask-video-error')}
          >
            <option value="">{t('noVideo')}</option>
            {videos.map((v) => (
              <option key={v.id} value={v.id}>
                {v.title}
              </option>
            ))}
          </select>
          <FieldError id="ask-video-error" message={errors.video} />
        </div>
        <div>
          <label htmlFor="ask-at">{t('at')}</label>
          <input
            id="ask-at"
            value={at}
            onChange={(e) => setAt(e.target.value)}
            disabled={!contentId}
            inputMode="numeric"
            placeholder={t('atHint')}
            size={8}
            {...invalid(errors.at, 'ask-at-error')}
          />
          <FieldError id="ask-at-error" message={errors.at} />
        </div>
      </div>
      <div>
        <button type="submit" disabled={busy}>
          {t('send')}
        </button>
        <span aria-live="polite">{busy ? ` ${t('sending')}` : ''}</span>
      </div>
      {named ? null : <ProblemAlert problem={problem} />}
    </form>
  );
}
