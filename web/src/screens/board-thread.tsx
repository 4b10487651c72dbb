import { useState, type FormEvent } from 'react';
import { useApi } from '../api/api-context';
import { fieldError, type Problem } from '../api/problem';
import { useLocale, useT, type Messages } from '../i18n';
import { FieldError, fieldProps, ProblemAlert } from '../ui/problem-alert';
import { asProblem, useLoad } from '../ui/use-load';
import { useSubmit } from '../ui/use-submit';
import type { Comment, Post } from './board-common';
import { moment } from './learn-common';
import './boards.css';

/*
 * A question's conversation: its answers and comments, oldest first, a form to add one, and the author's own
 * edit and delete. Staff also mark the accepted answer (the API lets only them). Used by the learner's post
 * page and in place in the console's Q&A.
 */

type Key =
  | 'loading'
  | 'answers'
  | 'none'
  | 'you'
  | 'staff'
  | 'learner'
  | 'manager'
  | 'accepted'
  | 'accept'
  | 'edit'
  | 'save'
  | 'cancel'
  | 'delete'
  | 'edited'
  | 'yourAnswer'
  | 'yourComment'
  | 'send'
  | 'sending'
  | 'editLabel';

const messages: Messages<Key> = {
  ko: {
    loading: '불러오는 중…',
    answers: '답변과 댓글 {n}개',
    none: '아직 답변이 없습니다.',
    you: '나',
    staff: '강사',
    learner: '수강생',
    manager: '회사 담당자',
    accepted: '채택된 답변',
    accept: '답변으로 채택',
    edit: '수정',
    save: '저장',
    cancel: '취소',
    delete: '삭제',
    edited: '(수정됨)',
    yourAnswer: '답변',
    yourComment: '댓글',
    send: '등록',
    sending: '보내는 중…',
    editLabel: '댓글 수정',
  },
  en: {
    loading: 'Loading…',
    answers: 'Answers and comments ({n})',
    none: 'No answers yet.',
    you: 'You',
    staff: 'Instructor',
    learner: 'Learner',
    manager: 'Company manager',
    accepted: 'Accepted answer',
    accept: 'Accept this answer',
    edit: 'Edit',
    save: 'Save',
    cancel: 'Cancel',
    delete: 'Delete',
    edited: '(edited)',
    yourAnswer: 'Your answer',
    yourComment: 'Your comment',
    send: 'Post',
    sending: 'Sending…',
    editLabel: 'Edit comment',
  },
};

/** Who wrote a post or comment, in the reader's words (the boards keep roles, not names). */
export function useAuthor() {
  const t = useT(messages);
  return (who: { mine: boolean; authorRole: 'staff' | 'learner' | 'company-manager' }) =>
    who.mine
      ? t('you')
      : who.authorRole === 'staff'
        ? t('staff')
        : who.authorRole === 'learner'
          ? t('learner')
          : t('manager');
}

export function PostThread({
  post,
  staff,
  onChanged,
  level = 2,
}: {
  /** The thread heading's level under the page's headings. */
  level?: 2 | 3 | 4;
  post: Post;
  /** The reader is the institution's staff: they answer, and accept answers. */
  staff: boolean;
  /** The post's counts or accepted answer changed. */
  onChanged?: () => void;
}) {
  const api = useApi();
  const t = useT(messages);
  const comments = useLoad(
    () =>
      api.GET('/board-posts/{postId}/comments', {
        params: { path: { postId: post.postId }, query: { limit: 100 } },
      }),
    [api, post.postId],
  );
  const [problem, setProblem] = useState<Problem>();
  const changed = () => {
    comments.reload();
    onChanged?.();
  };
  const act = async (call: () => Promise<{ error?: unknown; response: Response }>) => {
    setProblem(undefined);
    try {
      const { error, response } = await call();
      if (!response.ok) return setProblem(asProblem(error, response));
      changed();
    } catch (e) {
      setProblem(asProblem(e));
    }
  };
  const accept = (commentId: string) =>
    act(() =>
      api.PUT('/board-posts/{postId}/accepted-answer', {
        params: { path: { postId: post.postId } },
        body: { commentId },
      }),
    );
  const remove = (commentId: string) =>
    act(() =>
      api.DELETE('/board-posts/{postId}/comments/{commentId}', {
        params: { path: { postId: post.postId, commentId } },
      }),
    );
  const headingId = `thread-${post.postId}`;
  const Heading = `h${level}` as const;
  return (
    <section className="board-thread" aria-labelledby={headingId}>
      <Heading id={headingId}>{t('answers', { n: post.commentCount })}</Heading>
      {comments.status === 'loading' ? <p aria-live="polite">{t('loading')}</p> : null}
      {comments.status === 'failed' ? <ProblemAlert problem={comments.problem} /> : null}
      {comments.status === 'ready' ? (
        comments.data.comments.length === 0 ? (
          <p className="muted">{t('none')}</p>
        ) : (
          <ol className="board-comments">
            {comments.data.comments.map((c) => (
              <CommentItem
                key={c.commentId}
                comment={c}
                staff={staff}
                onAccept={() => void accept(c.commentId)}
                onDelete={() => void remove(c.commentId)}
                onSaved={changed}
              />
            ))}
          </ol>
        )
      ) : null}
      <ProblemAlert problem={problem} />
      <CommentForm postId={post.postId} label={staff ? t('yourAnswer') : t('yourComment')} onSent={changed} />
    </section>
  );
}

function CommentItem({
  comment,
  staff,
  onAccept,
  onDelete,
  onSaved,
}: {
  comment: Comment;
  staff: boolean;
  onAccept: () => void;
  onDelete: () => void;
  onSaved: () => void;
}) {
  const api = useApi();
  const t = useT(messages);
  const author = useAuthor();
  const { locale } = useLocale();
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(comment.body);
  const [problem, setProblem] = useState<Problem>();
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(undefined);
    try {
      const { data, error, response } = await api.PATCH('/board-posts/{postId}/comments/{commentId}', {
        params: { path: { postId: comment.postId, commentId: comment.commentId } },
        body: { body: text },
      });
      if (!data) return setProblem(asProblem(error, response));
      setEditing(false);
      onSaved();
    } catch (e) {
      setProblem(asProblem(e));
    }
  };
  const errorId = `comment-error-${comment.commentId}`;
  const bodyError = fieldError(problem, 'body.body');
  return (
    <li className={comment.accepted ? 'board-comment board-comment-accepted' : 'board-comment'}>
      <p className="board-meta">
        <strong>{author(comment)}</strong> · {moment(comment.createdAt, locale)}
        {comment.updatedAt !== comment.createdAt ? ` ${t('edited')}` : ''}
        {comment.accepted ? (
          <span className="board-badge board-badge-accepted">✓ {t('accepted')}</span>
        ) : null}
      </p>
      {editing ? (
        <form onSubmit={(e) => void save(e)}>
          <label>
            {t('editLabel')}
            <textarea
              value={text}
              onChange={(e) => setText(e.target.value)}
              rows={3}
              aria-invalid={bodyError ? true : undefined}
              aria-describedby={bodyError ? errorId : undefined}
            />
          </label>
          <FieldError id={errorId} message={bodyError} />
          <button type="submit">{t('save')}</button>{' '}
          <button type="button" className="secondary" onClick={() => setEditing(false)}>
            {t('cancel')}
          </button>
          {bodyError ? null : <ProblemAlert problem={problem} />}
        </form>
      ) : (
        <p className="board-text">{comment.body}</p>
      )}
      {!editing ? (
        <div className="board-actions">
          {staff && !comment.accepted ? (
            <button type="button" className="secondary" onClick={onAccept}>
              {t('accept')}
            </button>
          ) : null}
          {comment.mine ? (
            <>
              <button type="button" className="secondary" onClick={() => setEditing(true)}>
                {t('edit')}
              </button>
              <button type="button" className="secondary" onClick={onDelete}>
                {t('delete')}
              </button>
            </>
          ) : null}
        </div>
      ) : null}
    </li>
  );
}

function CommentForm({ postId, label, onSent }: { postId: string; label: string; onSent: () => void }) {
  const api = useApi();
  const t = useT(messages);
  const [text, setText] = useState('');
  const { busy, problem, run } = useSubmit();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    return run(
      () =>
        api.POST('/board-posts/{postId}/comments', { params: { path: { postId } }, body: { body: text } }),
      () => {
        setText('');
        onSent();
      },
    );
  };
  const id = `comment-new-${postId}`;
  const bodyError = fieldError(problem, 'body.body');
  return (
    <form className="board-form" onSubmit={(e) => void submit(e)}>
      <label htmlFor={id}>{label}</label>
      <textarea
        {...fieldProps(id, bodyError)}
        value={text}
        onChange={(e) => setText(e.target.value)}
        rows={3}
        required
      />
      <FieldError id={`${id}-error`} message={bodyError} />
      <div>
        <button type="submit" disabled={busy}>
          {t('send')}
        </button>
        <span aria-live="polite">{busy ? ` ${t('sending')}` : ''}</span>
      </div>
      {bodyError ? null : <ProblemAlert problem={problem} />}
    </form>
  );
}
