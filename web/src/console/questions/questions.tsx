import { useState, type FormEvent } from 'react';
import { useApi } from '../../api/api-context';
import { fieldError, type Problem } from '../../api/problem';
import type { paths } from '../../api/schema';
import { useLocale, useT, type Messages } from '../../i18n';
import type { Post } from '../../screens/board-common';
import { PostThread } from '../../screens/board-thread';
import { clock, moment, type Content } from '../../screens/learn-common';
import { FieldError, ProblemAlert } from '../../ui/problem-alert';
import { asProblem, useLoad } from '../../ui/use-load';
import { QuestionMinutes } from './question-minutes';
import '../../screens/boards.css';
import './questions.css';

/*
 * `/console/questions`: the Q&A of every accepted provision of the instructor's institution, unanswered first,
 * answered in place; a notice posted to a provision's board; and each video's questions counted by minute.
 */

type Provision = paths['/provisions']['get']['responses'][200]['content']['application/json'][number];

type Key =
  | 'title'
  | 'loading'
  | 'noProvisions'
  | 'questions'
  | 'noQuestions'
  | 'answered'
  | 'waiting'
  | 'answer'
  | 'hide'
  | 'where'
  | 'atVideo'
  | 'notice'
  | 'noticeProvision'
  | 'noticeTitle'
  | 'noticeBody'
  | 'post'
  | 'posting'
  | 'posted'
  | 'minutes';

const messages: Messages<Key> = {
  ko: {
    title: '질문과 답변, 공지',
    loading: '불러오는 중…',
    noProvisions: '진행 중인 과정이 없습니다.',
    questions: '수강생 질문 (답변 대기 먼저)',
    noQuestions: '아직 질문이 없습니다.',
    answered: '답변 완료',
    waiting: '답변 대기',
    answer: '답변하기: {title}',
    hide: '닫기: {title}',
    where: '{course} · {company} · {when}',
    atVideo: '{video} {at} 지점',
    notice: '공지 올리기',
    noticeProvision: '과정',
    noticeTitle: '공지 제목',
    noticeBody: '공지 내용',
    post: '공지 등록',
    posting: '보내는 중…',
    posted: '공지를 올렸습니다: {title}',
    minutes: '영상의 분별 질문 수',
  },
  en: {
    title: 'Q&A and notices',
    loading: 'Loading…',
    noProvisions: 'No course is running.',
    questions: 'Learners’ questions (unanswered first)',
    noQuestions: 'No questions yet.',
    answered: 'Answered',
    waiting: 'Awaiting an answer',
    answer: 'Answer: {title}',
    hide: 'Close: {title}',
    where: '{course} · {company} · {when}',
    atVideo: '{video} at {at}',
    notice: 'Post a notice',
    noticeProvision: 'Course run',
    noticeTitle: 'Notice title',
    noticeBody: 'Notice text',
    post: 'Post notice',
    posting: 'Sending…',
    posted: 'Notice posted: {title}',
    minutes: 'Questions by minute of each video',
  },
};

export default function Questions() {
  const api = useApi();
  const t = useT(messages);
  const provisions = useLoad(
    () => api.GET('/provisions', { params: { query: { state: 'accepted', limit: 200 } } }),
    [api],
  );
  return (
    <>
      <h1>{t('title')}</h1>
      {provisions.status === 'loading' ? <p aria-live="polite">{t('loading')}</p> : null}
      {provisions.status === 'failed' ? <ProblemAlert problem={provisions.problem} /> : null}
      {provisions.status === 'ready' ? (
        provisions.data.length === 0 ? (
          <p>{t('noProvisions')}</p>
        ) : (
          <Running provisions={provisions.data} />
        )
      ) : null}
    </>
  );
}

function Running({ provisions }: { provisions: readonly Provision[] }) {
  const api = useApi();
  const t = useT(messages);
  const ids = provisions.map((p) => p.id).join();
  const courseIds = [...new Set(provisions.map((p) => p.courseId))];
  // Every provision's Q&A board (its first 100 questions), in one list.
  const questions = useLoad(async () => {
    const pages = await Promise.all(
      provisions.map((p) =>
        api.GET('/board-posts', { params: { query: { provisionId: p.id, board: 'qna', limit: 100 } } }),
      ),
    );
    const failed = pages.find((p) => !p.data);
    if (failed) return { error: failed.error, response: failed.response };
    const posts = pages.flatMap((p) => p.data!.posts);
    // Unanswered first, then newest first.
    posts.sort((a, b) => Number(a.answered) - Number(b.answered) || b.createdAt.localeCompare(a.createdAt));
    return { data: posts, response: pages[0]!.response };
  }, [api, ids]);
  const videos = useLoad(async () => {
    const courses = await Promise.all(
      courseIds.map((courseId) => api.GET('/courses/{courseId}', { params: { path: { courseId } } })),
    );
    const failed = courses.find((c) => !c.data);
    if (failed) return { error: failed.error, response: failed.response };
    return {
      data: courses.flatMap((c) =>
        c
          .data!.chapters.flatMap((ch) => ch.contents)
          .filter((x) => x.kind === 'video')
          .map((x) => ({ ...x, courseTitle: c.data!.title })),
      ),
      response: courses[0]!.response,
    };
  }, [api, courseIds.join()]);
  const videoList = videos.status === 'ready' ? videos.data : [];
  return (
    <div className="questions">
      <section aria-labelledby="questions-list">
        <h2 id="questions-list">{t('questions')}</h2>
        {questions.status === 'loading' ? <p aria-live="polite">{t('loading')}</p> : null}
        {questions.status === 'failed' ? <ProblemAlert problem={questions.problem} /> : null}
        {questions.status === 'ready' ? (
          questions.data.length === 0 ? (
            <p className="muted">{t('noQuestions')}</p>
          ) : (
            <ul className="board-posts">
              {questions.data.map((q) => (
                <Question
                  key={q.postId}
                  post={q}
                  provision={provisions.find((p) => p.id === q.provisionId)}
                  videos={videoList}
                  onChanged={questions.reload}
                />
              ))}
            </ul>
          )
        ) : null}
      </section>
      <NoticeForm provisions={provisions} />
      <section aria-labelledby="questions-minutes">
        <h2 id="questions-minutes">{t('minutes')}</h2>
        {videos.status === 'loading' ? <p aria-live="polite">{t('loading')}</p> : null}
        {videos.status === 'failed' ? <ProblemAlert problem={videos.problem} /> : null}
        {videoList.map((v) => (
          <QuestionMinutes key={v.id} contentId={v.id} title={`${v.courseTitle}: ${v.title}`} />
        ))}
      </section>
    </div>
  );
}

function Question({
  post,
  provision,
  videos,
  onChanged,
}: {
  post: Post;
  provision: Provision | undefined;
  videos: readonly Content[];
  onChanged: () => void;
}) {
  const t = useT(messages);
  const { locale } = useLocale();
  const [open, setOpen] = useState(!post.answered);
  return (
    <li className="board-post">
      <h3 className="questions-title">
        {post.title}
        <span className={post.answered ? 'board-badge board-badge-answered' : 'board-badge'}>
          {post.answered ? t('answered') : t('waiting')}
        </span>
      </h3>
      <p className="board-meta">
        {t('where', {
          course: provision?.courseTitle ?? '',
          company: provision?.companyName ?? '',
          when: moment(post.createdAt, locale),
        })}
        {post.videoAt ? (
          <>
            {' · '}
            {t('atVideo', {
              video: videos.find((v) => v.id === post.videoAt!.contentId)?.title ?? '',
              at: clock(post.videoAt.second),
            })}
          </>
        ) : null}
      </p>
      <p className="board-text">{post.body}</p>
      <button type="button" className="secondary" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? t('hide', { title: post.title }) : t('answer', { title: post.title })}
      </button>
      {open ? <PostThread post={post} staff onChanged={onChanged} level={4} /> : null}
    </li>
  );
}

function NoticeForm({ provisions }: { provisions: readonly Provision[] }) {
  const api = useApi();
  const t = useT(messages);
  const [provisionId, setProvisionId] = useState(provisions[0]?.id ?? '');
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const [posted, setPosted] = useState<string>();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(undefined);
    setPosted(undefined);
    try {
      const { data, error, response } = await api.POST('/board-posts', {
        body: { provisionId, board: 'notice', title, body },
      });
      if (!data) return setProblem(asProblem(error, response));
      setPosted(data.title);
      setTitle('');
      setBody('');
    } catch (e) {
      setProblem(asProblem(e));
    } finally {
      setBusy(false);
    }
  };
  const errors = {
    provision: fieldError(problem, 'body.provisionId'),
    title: fieldError(problem, 'body.title'),
    body: fieldError(problem, 'body.body'),
  };
  const invalid = (message: string | undefined, id: string) =>
    message ? { 'aria-invalid': true as const, 'aria-describedby': id } : {};
  return (
    <section aria-labelledby="questions-notice">
      <h2 id="questions-notice">{t('notice')}</h2>
      <form className="board-form" onSubmit={(e) => void submit(e)}>
        <label htmlFor="notice-provision">{t('noticeProvision')}</label>
        <select
          id="notice-provision"
          value={provisionId}
          onChange={(e) => setProvisionId(e.target.value)}
          {...invalid(errors.provision, 'notice-provision-error')}
        >
          {provisions.map((p) => (
            <option key={p.id} value={p.id}>
              {p.courseTitle} · {p.companyName} ({p.startsOn} – {p.endsOn})
            </option>
          ))}
        </select>
        <FieldError id="notice-provision-error" message={errors.provision} />
        <label htmlFor="notice-title">{t('noticeTitle')}</label>
        <input
          id="notice-title"
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          required
          maxLength={200}
          {...invalid(errors.title, 'notice-title-error')}
        />
        <FieldError id="notice-title-error" message={errors.title} />
        <label htmlFor="notice-body">{t('noticeBody')}</label>
        <textarea
          id="notice-body"
          value={body}
          onChange={(e) => setBody(e.target.value)}
          rows={4}
          required
          {...invalid(errors.body, 'notice-body-error')}
        />
        <FieldError id="notice-body-error" message={errors.body} />
        <div>
          <button type="submit" disabled={busy}>
            {t('post')}
          </button>
          <span aria-live="polite">
            {busy ? ` ${t('posting')}` : posted ? ` ${t('posted', { title: posted })}` : ''}
          </span>
        </div>
        {Object.values(errors).some(Boolean) ? null : <ProblemAlert problem={problem} />}
      </form>
    </section>
  );
}
