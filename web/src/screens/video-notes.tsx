import { useEffect, useState, type FormEvent, type RefObject } from 'react';
import { Link, useSearchParams } from 'react-router';
import { useApi } from '../api/api-context';
import { fieldError, type Problem } from '../api/problem';
import type { paths } from '../api/schema';
import { useLocale, useT, type Messages } from '../i18n';
import { downloadText } from '../ui/download';
import { FieldError, fieldProps, ProblemAlert } from '../ui/problem-alert';
import { asProblem, useLoad } from '../ui/use-load';
import { useSubmit } from '../ui/use-submit';
import { boardPath } from './board-common';
import { clock, moment } from './learn-common';
import './boards.css';

/*
 * The player's notes panel: the learner's private notes on this video, each at a second of it. A note is
 * written at the playhead, a note's time jumps the video there, an edit keeps the version it replaces (shown
 * on request), and the course's notes export as Markdown. `?t=<second>` on the player's address starts the
 * video there (a board question's moment).
 */

type Note = Extract<
  paths['/notes']['get']['responses'][200]['content']['application/json']['notes'][number],
  { deleted: false }
>;
type Version =
  paths['/notes/{noteId}/versions']['get']['responses'][200]['content']['application/json']['versions'][number];

type Key =
  | 'title'
  | 'loading'
  | 'none'
  | 'newNote'
  | 'keep'
  | 'saving'
  | 'jump'
  | 'edit'
  | 'save'
  | 'cancel'
  | 'delete'
  | 'editLabel'
  | 'history'
  | 'hideHistory'
  | 'noHistory'
  | 'version'
  | 'export'
  | 'exporting'
  | 'ask';

const messages: Messages<Key> = {
  ko: {
    title: '내 노트',
    loading: '불러오는 중…',
    none: '이 영상에 남긴 노트가 없습니다.',
    newNote: '{at} 지점에 노트 쓰기',
    keep: '노트 저장',
    saving: '저장하는 중…',
    jump: '{at}(으)로 이동',
    edit: '수정',
    save: '저장',
    cancel: '취소',
    delete: '삭제',
    editLabel: '{at} 노트 수정',
    history: '이전 버전',
    hideHistory: '이전 버전 닫기',
    noHistory: '이전 버전이 없습니다.',
    version: '{n}번째 버전 ({at}, {when})',
    export: '이 강의의 노트 내려받기 (Markdown)',
    exporting: '내려받는 중…',
    ask: '이 지점({at})에 대해 질문하기',
  },
  en: {
    title: 'My notes',
    loading: 'Loading…',
    none: 'You have no notes on this video.',
    newNote: 'Note at {at}',
    keep: 'Keep note',
    saving: 'Saving…',
    jump: 'Jump to {at}',
    edit: 'Edit',
    save: 'Save',
    cancel: 'Cancel',
    delete: 'Delete',
    editLabel: 'Edit the note at {at}',
    history: 'Earlier versions',
    hideHistory: 'Hide earlier versions',
    noHistory: 'No earlier versions.',
    version: 'Version {n} ({at}, {when})',
    export: 'Export this course’s notes (Markdown)',
    exporting: 'Exporting…',
    ask: 'Ask a question about this moment ({at})',
  },
};

export function VideoNotes({
  enrollmentId,
  courseId,
  contentId,
  video,
}: {
  enrollmentId: string;
  courseId: string;
  contentId: string;
  video: RefObject<HTMLVideoElement | null>;
}) {
  const api = useApi();
  const t = useT(messages);
  const [search] = useSearchParams();
  const [playhead, setPlayhead] = useState(0);
  const notes = useLoad(
    () => api.GET('/notes', { params: { query: { contentId, limit: 50 } } }),
    [api, contentId],
  );

  // The playhead, for the form's label and the question link; and `?t=` once the video knows its length (after
  // the player's own resume, which listens first).
  const start = search.get('t');
  useEffect(() => {
    const v = video.current;
    if (!v) return;
    const listening = new AbortController();
    const on = { signal: listening.signal };
    v.addEventListener('timeupdate', () => setPlayhead(Math.floor(v.currentTime)), on);
    v.addEventListener('seeked', () => setPlayhead(Math.floor(v.currentTime)), on);
    const second = Number(start);
    if (start !== null && Number.isInteger(second) && second >= 0) {
      const seek = () => {
        v.currentTime = second;
      };
      if (v.readyState >= 1) seek();
      else v.addEventListener('loadedmetadata', seek, { ...on, once: true });
    }
    return () => listening.abort();
  }, [video, start]);

  const jump = (second: number) => {
    const v = video.current;
    if (!v) return;
    v.currentTime = second;
    v.focus();
  };

  return (
    <section className="notes" aria-labelledby="notes-title">
      <div className="notes-head">
        <h2 id="notes-title">{t('title')}</h2>
        <Link to={`${boardPath(enrollmentId)}?contentId=${contentId}&second=${playhead}`}>
          {t('ask', { at: clock(playhead) })}
        </Link>
      </div>
      <NewNote
        contentId={contentId}
        playhead={playhead}
        second={() => Math.floor(video.current?.currentTime ?? playhead)}
        onKept={notes.reload}
      />
      {notes.status === 'loading' ? <p aria-live="polite">{t('loading')}</p> : null}
      {notes.status === 'failed' ? <ProblemAlert problem={notes.problem} /> : null}
      {notes.status === 'ready' ? (
        notes.data.notes.length === 0 ? (
          <p className="muted">{t('none')}</p>
        ) : (
          <ol className="notes-list" aria-labelledby="notes-title">
            {notes.data.notes
              .filter((n): n is Note => !n.deleted)
              .map((n) => (
                <NoteItem key={n.noteId} note={n} onJump={jump} onChanged={notes.reload} />
              ))}
          </ol>
        )
      ) : null}
      <Export courseId={courseId} />
    </section>
  );
}

function NewNote({
  contentId,
  playhead,
  second,
  onKept,
}: {
  contentId: string;
  playhead: number;
  second: () => number;
  onKept: () => void;
}) {
  const api = useApi();
  const t = useT(messages);
  const [text, setText] = useState('');
  const { busy, problem, run } = useSubmit();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    return run(
      () => api.POST('/notes', { body: { contentId, second: second(), text } }),
      () => {
        setText('');
        onKept();
      },
    );
  };
  const textError = fieldError(problem, 'body.text');
  return (
    <form className="board-form" onSubmit={(e) => void submit(e)}>
      <label htmlFor="note-new">{t('newNote', { at: clock(playhead) })}</label>
      <textarea
        {...fieldProps('note-new', textError)}
        value={text}
        onChange={(e) => setText(e.target.value)}
        rows={3}
        required
      />
      <FieldError id="note-new-error" message={textError} />
      <div>
        <button type="submit" disabled={busy}>
          {t('keep')}
        </button>
        <span aria-live="polite">{busy ? ` ${t('saving')}` : ''}</span>
      </div>
      {textError ? null : <ProblemAlert problem={problem} />}
    </form>
  );
}

function NoteItem({
  note,
  onJump,
  onChanged,
}: {
  note: Note;
  onJump: (second: number) => void;
  onChanged: () => void;
}) {
  const api = useApi();
  const t = useT(messages);
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(note.text);
  const [showHistory, setShowHistory] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const at = clock(note.second);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(undefined);
    try {
      // On the version shown: an edit made meanwhile elsewhere is refused (409), not overwritten.
      const { data, error, response } = await api.PATCH('/notes/{noteId}', {
        params: { path: { noteId: note.noteId } },
        body: { text, version: note.version },
      });
      if (!data) return setProblem(asProblem(error, response));
      setEditing(false);
      onChanged();
    } catch (e) {
      setProblem(asProblem(e));
    }
  };
  const remove = async () => {
    setProblem(undefined);
    try {
      const { error, response } = await api.DELETE('/notes/{noteId}', {
        params: { path: { noteId: note.noteId } },
      });
      if (!response.ok) return setProblem(asProblem(error, response));
      onChanged();
    } catch (e) {
      setProblem(asProblem(e));
    }
  };
  const id = `note-${note.noteId}`;
  const textError = fieldError(problem, 'body.text');
  return (
    <li className="notes-item">
      <button type="button" className="secondary notes-time" onClick={() => onJump(note.second)}>
        {t('jump', { at })}
      </button>
      {editing ? (
        <form onSubmit={(e) => void save(e)} className="board-form">
          <label htmlFor={`${id}-text`}>{t('editLabel', { at })}</label>
          <textarea
            id={`${id}-text`}
            value={text}
            onChange={(e) => setText(e.target.value)}
            rows={3}
            aria-invalid={textError ? true : undefined}
            aria-describedby={textError ? `${id}-error` : undefined}
          />
          <FieldError id={`${id}-error`} message={textError} />
          <div className="board-actions">
            <button type="submit">{t('save')}</button>
            <button type="button" className="secondary" onClick={() => setEditing(false)}>
              {t('cancel')}
            </button>
          </div>
        </form>
      ) : (
        <p className="board-text">{note.text}</p>
      )}
      {!editing ? (
        <div className="board-actions">
          <button type="button" className="secondary" onClick={() => setEditing(true)}>
            {t('edit')}
          </button>
          <button type="button" className="secondary" onClick={() => void remove()}>
            {t('delete')}
          </button>
          {note.version > 1 ? (
            <button
              type="button"
              className="secondary"
              aria-expanded={showHistory}
              onClick={() => setShowHistory(!showHistory)}
            >
              {showHistory ? t('hideHistory') : t('history')}
            </button>
          ) : null}
        </div>
      ) : null}
      {textError ? null : <ProblemAlert problem={problem} />}
      {showHistory ? <Versions noteId={note.noteId} /> : null}
    </li>
  );
}

function Versions({ noteId }: { noteId: string }) {
  const api = useApi();
  const t = useT(messages);
  const { locale } = useLocale();
  const versions = useLoad(
    () => api.GET('/notes/{noteId}/versions', { params: { path: { noteId }, query: { limit: 50 } } }),
    [api, noteId],
  );
  if (versions.status === 'loading') return <p aria-live="polite">{t('loading')}</p>;
  if (versions.status === 'failed') return <ProblemAlert problem={versions.problem} />;
  if (versions.data.versions.length === 0) return <p className="muted">{t('noHistory')}</p>;
  return (
    <ol className="notes-versions">
      {versions.data.versions.map((v: Version) => (
        <li key={v.version}>
          {t('version', { n: v.version, at: clock(v.second), when: moment(v.savedAt, locale) })}:{' '}
          <span className="board-text">{v.text}</span>
        </li>
      ))}
    </ol>
  );
}

/** The course's notes as the API writes them (Markdown), saved as a file. */
function Export({ courseId }: { courseId: string }) {
  const api = useApi();
  const t = useT(messages);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const run = async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      const { data, error, response } = await api.GET('/notes/export', {
        params: { query: { courseId } },
        parseAs: 'text',
      });
      if (data === undefined) return setProblem(asProblem(error, response));
      downloadText(`notes-${courseId}.md`, data, 'text/markdown');
    } catch (e) {
      setProblem(asProblem(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div>
      <button type="button" className="secondary" onClick={() => void run()} disabled={busy}>
        {t('export')}
      </button>
      <span aria-live="polite">{busy ? ` ${t('exporting')}` : ''}</span>
      <ProblemAlert problem={problem} />
    </div>
  );
}
