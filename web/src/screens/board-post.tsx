import { Link, useParams } from 'react-router';
import { useApi } from '../api/api-context';
import { useLocale, useT, type Messages } from '../i18n';
import { ProblemAlert } from '../ui/problem-alert';
import { useLoad } from '../ui/use-load';
import { boardPath } from './board-common';
import { PostThread, useAuthor } from './board-thread';
import { clock, moment, watchPath } from './learn-common';
import './boards.css';

const messages: Messages<
  'loading' | 'back' | 'notice' | 'question' | 'answered' | 'waiting' | 'views' | 'atVideo'
> = {
  ko: {
    loading: '불러오는 중…',
    back: '게시판으로 돌아가기',
    notice: '공지사항',
    question: '질문',
    answered: '답변 완료',
    waiting: '답변 대기',
    views: '조회 {n}',
    atVideo: '영상 {at} 지점 보기',
  },
  en: {
    loading: 'Loading…',
    back: 'Back to the board',
    notice: 'Notice',
    question: 'Question',
    answered: 'Answered',
    waiting: 'Awaiting an answer',
    views: 'Views: {n}',
    atVideo: 'Watch the video at {at}',
  },
};

/** `/learn/:enrollmentId/board/:postId`: a notice, or a question with its answers and comments. */
export default function BoardPost() {
  const { enrollmentId = '', postId = '' } = useParams();
  const api = useApi();
  const t = useT(messages);
  const author = useAuthor();
  const { locale } = useLocale();
  const post = useLoad(
    () => api.GET('/board-posts/{postId}', { params: { path: { postId } } }),
    [api, postId],
  );
  const back = (
    <p>
      <Link to={boardPath(enrollmentId)}>{t('back')}</Link>
    </p>
  );
  if (post.status === 'loading') return <p aria-live="polite">{t('loading')}</p>;
  if (post.status === 'failed')
    return (
      <>
        {back}
        <ProblemAlert problem={post.problem} />
      </>
    );
  const p = post.data;
  return (
    <article className="board">
      {back}
      <p className="board-kind">{p.board === 'notice' ? t('notice') : t('question')}</p>
      <h1>{p.title}</h1>
      <p className="board-meta">
        {author(p)} · {moment(p.createdAt, locale)} · {t('views', { n: p.viewCount })}
        {p.board === 'qna' ? (
          <span className={p.answered ? 'board-badge board-badge-answered' : 'board-badge'}>
            {p.answered ? t('answered') : t('waiting')}
          </span>
        ) : null}
      </p>
      {p.videoAt ? (
        <p>
          <Link to={`${watchPath(enrollmentId, p.videoAt.contentId)}?t=${p.videoAt.second}`}>
            {t('atVideo', { at: clock(p.videoAt.second) })}
          </Link>
        </p>
      ) : null}
      <p className="board-text">{p.body}</p>
      {p.board === 'qna' ? <PostThread post={p} staff={false} onChanged={post.reload} /> : null}
    </article>
  );
}
