import {
  useEffect,
  useId,
  useRef,
  useState,
  type DragEvent,
  type FormEvent,
  type KeyboardEvent,
} from 'react';
import { useApi } from '../../api/api-context';
import { fieldError, type Problem } from '../../api/problem';
import type { paths } from '../../api/schema';
import { useT, type Messages } from '../../i18n';
import { FieldError, ProblemAlert } from '../../ui/problem-alert';
import { asProblem } from '../../ui/use-load';
import { ContentUpload } from './content-upload';
import { moveKey, stepTo, type Direction } from './reorder';
import type { UploadQueue } from './upload-queue';

export type CoursePage = paths['/courses/{courseId}']['get']['responses'][200]['content']['application/json'];
type Chapter = CoursePage['chapters'][number];
type Content = Chapter['contents'][number];

const messages: Messages<
  | 'heading'
  | 'empty'
  | 'chapterTitle'
  | 'addChapter'
  | 'contentTitle'
  | 'contentKind'
  | 'video'
  | 'material'
  | 'exam'
  | 'addContent'
  | 'noContents'
  | 'rename'
  | 'renameLabel'
  | 'save'
  | 'cancel'
  | 'moveUp'
  | 'moveDown'
  | 'deleteChapter'
  | 'deleteContent'
  | 'archiveContent'
  | 'moved'
  | 'movedTo'
  | 'dragHint'
  | 'titleInvalid'
  | 'noVideo'
  | 'transcoding'
  | 'ready'
  | 'failed'
  | 'recordings'
> = {
  ko: {
    heading: '차시 구성',
    empty: '아직 장이 없습니다. 첫 장을 추가하세요.',
    chapterTitle: '새 장 제목',
    addChapter: '장 추가',
    contentTitle: '새 콘텐츠 제목',
    contentKind: '종류',
    video: '동영상',
    material: '자료',
    exam: '시험',
    addContent: '콘텐츠 추가',
    noContents: '이 장에는 콘텐츠가 없습니다.',
    rename: '이름 바꾸기',
    renameLabel: '“{title}”의 새 이름',
    save: '저장',
    cancel: '취소',
    moveUp: '위로',
    moveDown: '아래로',
    deleteChapter: '장 삭제',
    deleteContent: '삭제',
    archiveContent: '보관',
    moved: '“{title}”을(를) {total}개 중 {position}번째로 옮겼습니다.',
    movedTo: '“{title}”을(를) “{chapter}” 장의 {position}번째로 옮겼습니다.',
    dragHint: '끌어서 놓거나, 항목에서 Alt+위/아래 화살표로 순서를 바꿀 수 있습니다.',
    titleInvalid: '제목을 1자 이상 200자 이하로 입력하세요.',
    noVideo: '동영상 없음',
    transcoding: '변환 중…',
    ready: '재생 가능 ({duration})',
    failed: '변환 실패: {reason}',
    recordings: '실시간 강의 녹화',
  },
  en: {
    heading: 'Curriculum',
    empty: 'No chapters yet. Add the first one.',
    chapterTitle: 'New chapter title',
    addChapter: 'Add chapter',
    contentTitle: 'New content title',
    contentKind: 'Kind',
    video: 'Video',
    material: 'Material',
    exam: 'Exam',
    addContent: 'Add content',
    noContents: 'This chapter has no contents.',
    rename: 'Rename',
    renameLabel: 'New name for “{title}”',
    save: 'Save',
    cancel: 'Cancel',
    moveUp: 'Move up',
    moveDown: 'Move down',
    deleteChapter: 'Delete chapter',
    deleteContent: 'Delete',
    archiveContent: 'Archive',
    moved: 'Moved “{title}” to position {position} of {total}.',
    movedTo: 'Moved “{title}” to position {position} in “{chapter}”.',
    dragHint: 'Drag and drop, or press Alt+Arrow Up or Down on an item, to change the order.',
    titleInvalid: 'Enter a title of 1 to 200 characters.',
    noVideo: 'No video yet',
    transcoding: 'Transcoding…',
    ready: 'Ready ({duration})',
    failed: 'Transcoding failed: {reason}',
    recordings: 'Live lecture recordings',
  },
};

const duration = (seconds: number) =>
  `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;

/** What is being dragged: a chapter, or a content of a chapter. */
type Dragged =
  { readonly type: 'chapter'; readonly id: string } | { readonly type: 'content'; readonly id: string };

export interface CurriculumProps {
  readonly course: CoursePage;
  /**
   * Loads the course again; once it shows the change, the element with `focusId` gets the focus and
   * `onShown` runs.
   */
  readonly reload: (focusId?: string, onShown?: () => void) => void;
  readonly queue: UploadQueue;
  /** Videos whose upload finished on this page and whose transcoding is awaited. */
  readonly transcoding: ReadonlySet<string>;
  readonly editable: boolean;
}

/**
 * The course's chapters and their contents: add, rename, remove, and reorder both by drag and drop and by
 * keyboard (buttons, or Alt+Arrow keys on a focused item), every move said in a live region.
 */
export function Curriculum({ course, reload, queue, transcoding, editable }: CurriculumProps) {
  const api = useApi();
  const t = useT(messages);
  const [problem, setProblem] = useState<Problem | undefined>();
  const [announcement, setAnnouncement] = useState('');
  const [dragged, setDragged] = useState<Dragged | undefined>();
  const [dropTarget, setDropTarget] = useState<string | undefined>();
  const courseId = course.id;

  /** Runs one change; a refusal shows above the curriculum, success reloads with the focus where it was. */
  const act = async (
    call: () => Promise<{ error?: unknown; response: Response }>,
    after?: { focusId?: string; say?: string },
  ) => {
    setProblem(undefined);
    try {
      const { error, response } = await call();
      if (!response.ok) throw asProblem(error, response);
      const say = after?.say;
      reload(after?.focusId, say ? () => setAnnouncement(say) : undefined);
      return true;
    } catch (e) {
      setProblem(asProblem(e));
      return false;
    }
  };

  const moveChapter = (chapter: Chapter, to: number, focusId?: string) =>
    act(
      () =>
        api.PATCH('/courses/{courseId}/chapters/{chapterId}', {
          params: { path: { courseId, chapterId: chapter.id } },
          body: { position: to },
        }),
      {
        ...(focusId ? { focusId } : {}),
        say: t('moved', { title: chapter.title, position: to + 1, total: course.chapters.length }),
      },
    );

  const moveContent = (content: Content, chapter: Chapter, to: number, focusId?: string) => {
    const across = chapter.id !== content.chapterId;
    const total = chapter.contents.length + (across ? 1 : 0);
    return act(
      () =>
        api.PATCH('/courses/{courseId}/contents/{contentId}', {
          params: { path: { courseId, contentId: content.id } },
          body: { position: to, ...(across ? { chapterId: chapter.id } : {}) },
        }),
      {
        ...(focusId ? { focusId } : {}),
        say: across
          ? t('movedTo', { title: content.title, position: to + 1, chapter: chapter.title })
          : t('moved', { title: content.title, position: to + 1, total }),
      },
    );
  };

  /**
   * Where the focus goes after a step: back to a move button (the same one while it can step again, else
   * its opposite), or to whatever had it (an item's other control, or the item itself).
   */
  const focusAfter = (itemId: string, focused: string, direction: Direction, to: number, length: number) => {
    if (focused !== `${itemId}-up` && focused !== `${itemId}-down`) return focused || itemId;
    const again = stepTo(to, direction, length) !== undefined;
    return `${itemId}-${again === (direction === -1) ? 'up' : 'down'}`;
  };

  const stepChapter = (chapter: Chapter, direction: Direction, focused: string) => {
    const to = stepTo(chapter.position, direction, course.chapters.length);
    if (to === undefined) return;
    const id = `chapter-${chapter.id}`;
    void moveChapter(chapter, to, focusAfter(id, focused, direction, to, course.chapters.length));
  };

  const stepContent = (content: Content, chapter: Chapter, direction: Direction, focused: string) => {
    const index = chapter.contents.findIndex((c) => c.id === content.id);
    const to = stepTo(index, direction, chapter.contents.length);
    if (to === undefined) return;
    const id = `content-${content.id}`;
    void moveContent(content, chapter, to, focusAfter(id, focused, direction, to, chapter.contents.length));
  };

  /** Alt+Arrow keys on an item or any of its controls move the item; the innermost item takes the keys. */
  const onItemKey = (e: KeyboardEvent, step: (d: Direction, focused: string) => void) => {
    const direction = moveKey(e);
    if (!direction) return;
    e.preventDefault();
    e.stopPropagation();
    step(direction, (e.target as HTMLElement).id);
  };

  /** Drag and drop: a chapter onto a chapter, a content onto a content or onto a chapter's end. */
  const dragProps = (item: Dragged) =>
    editable
      ? {
          draggable: true,
          onDragStart: (e: DragEvent) => {
            e.stopPropagation();
            e.dataTransfer.effectAllowed = 'move';
            // Firefox starts no drag without data.
            e.dataTransfer.setData('text/plain', item.id);
            setDragged(item);
          },
          onDragEnd: () => {
            setDragged(undefined);
            setDropTarget(undefined);
          },
        }
      : {};
  /**
   * A drop target: it takes what it has a handler for. Nothing appears or moves while dragging (a drop
   * zone that showed up would shift the very items being aimed at).
   */
  const dropProps = (targetKey: string, on: { [T in Dragged['type']]?: (d: Dragged) => void }) => ({
    onDragOver: (e: DragEvent) => {
      if (!dragged || !on[dragged.type] || dragged.id === targetKey) return;
      e.preventDefault();
      e.stopPropagation();
      e.dataTransfer.dropEffect = 'move';
      setDropTarget(targetKey);
    },
    onDragLeave: () => setDropTarget((t) => (t === targetKey ? undefined : t)),
    onDrop: (e: DragEvent) => {
      const drop = dragged && on[dragged.type];
      if (!dragged || !drop || dragged.id === targetKey) return;
      e.preventDefault();
      e.stopPropagation();
      setDropTarget(undefined);
      setDragged(undefined);
      drop(dragged);
    },
  });

  const contentById = (id: string) => {
    for (const ch of course.chapters) {
      const found = ch.contents.find((c) => c.id === id);
      if (found) return found;
    }
    return undefined;
  };

  return (
    <section aria-labelledby="builder-curriculum" className="builder-curriculum">
      <h2 id="builder-curriculum">{t('heading')}</h2>
      {editable ? (
        <p className="muted" id="builder-drag-hint">
          {t('dragHint')}
        </p>
      ) : null}
      <p role="status" aria-live="polite" className="visually-hidden" data-testid="builder-announcement">
        {announcement}
      </p>
      <ProblemAlert problem={problem} />
      {course.chapters.length === 0 ? <p>{t('empty')}</p> : null}
      <ol className="builder-chapters">
        {course.chapters.map((chapter, ci) => {
          const chapterItem = `chapter-${chapter.id}`;
          return (
            <li
              key={chapter.id}
              id={chapterItem}
              tabIndex={-1}
              className={`builder-chapter${dropTarget === chapter.id ? ' drop-target' : ''}`}
              aria-labelledby={`${chapterItem}-title`}
              onKeyDown={(e) => onItemKey(e, (d, focused) => stepChapter(chapter, d, focused))}
              {...dropProps(chapter.id, {
                chapter: (d) => {
                  const from = course.chapters.find((c) => c.id === d.id);
                  if (from) void moveChapter(from, chapter.position, `chapter-${from.id}`);
                },
                // A content dropped on a chapter but not on one of its contents goes to its end.
                content: (d) => {
                  const from = contentById(d.id);
                  if (!from) return;
                  const to =
                    from.chapterId === chapter.id ? chapter.contents.length - 1 : chapter.contents.length;
                  void moveContent(from, chapter, to, `content-${from.id}`);
                },
              })}
            >
              <div
                className="builder-row builder-chapter-head"
                {...dragProps({ type: 'chapter', id: chapter.id })}
              >
                <h3 id={`${chapterItem}-title`} className="builder-title">
                  {chapter.title}
                  {chapter.purpose === 'live-recordings' ? (
                    <span className="muted"> ({t('recordings')})</span>
                  ) : null}
                </h3>
                {editable ? (
                  <span className="builder-actions">
                    <MoveButtons
                      id={chapterItem}
                      title={chapter.title}
                      first={ci === 0}
                      last={ci === course.chapters.length - 1}
                      onMove={(d) => stepChapter(chapter, d, `${chapterItem}-${d === -1 ? 'up' : 'down'}`)}
                    />
                    <Rename
                      title={chapter.title}
                      save={(title) =>
                        act(
                          () =>
                            api.PATCH('/courses/{courseId}/chapters/{chapterId}', {
                              params: { path: { courseId, chapterId: chapter.id } },
                              body: { title },
                            }),
                          { focusId: `${chapterItem}-rename` },
                        )
                      }
                      id={`${chapterItem}-rename`}
                    />
                    <button
                      type="button"
                      className="secondary"
                      onClick={() =>
                        void act(() =>
                          api.DELETE('/courses/{courseId}/chapters/{chapterId}', {
                            params: { path: { courseId, chapterId: chapter.id } },
                          }),
                        )
                      }
                    >
                      {t('deleteChapter')}
                      <span className="visually-hidden"> “{chapter.title}”</span>
                    </button>
                  </span>
                ) : null}
              </div>
              {chapter.contents.length === 0 ? <p className="muted">{t('noContents')}</p> : null}
              <ol className="builder-contents">
                {chapter.contents.map((content, xi) => {
                  const contentItem = `content-${content.id}`;
                  const uploadable =
                    (content.kind === 'video' || content.kind === 'material') && !content.provisionId;
                  return (
                    <li
                      key={content.id}
                      id={contentItem}
                      tabIndex={-1}
                      className={`builder-content${dropTarget === content.id ? ' drop-target' : ''}`}
                      aria-labelledby={`${contentItem}-title`}
                      onKeyDown={(e) =>
                        onItemKey(e, (d, focused) => stepContent(content, chapter, d, focused))
                      }
                      {...dropProps(content.id, {
                        content: (d) => {
                          const from = contentById(d.id);
                          if (from) void moveContent(from, chapter, xi, `content-${from.id}`);
                        },
                      })}
                    >
                      <div className="builder-row" {...dragProps({ type: 'content', id: content.id })}>
                        <span className="builder-kind">{t(content.kind)}</span>
                        <span id={`${contentItem}-title`} className="builder-title">
                          {content.title}
                        </span>
                        {content.kind === 'video' ? (
                          <VideoState content={content} transcoding={transcoding.has(content.id)} />
                        ) : null}
                        {editable ? (
                          <span className="builder-actions">
                            <MoveButtons
                              id={contentItem}
                              title={content.title}
                              first={xi === 0}
                              last={xi === chapter.contents.length - 1}
                              onMove={(d) =>
                                stepContent(content, chapter, d, `${contentItem}-${d === -1 ? 'up' : 'down'}`)
                              }
                            />
                            <Rename
                              title={content.title}
                              id={`${contentItem}-rename`}
                              save={(title) =>
                                act(
                                  () =>
                                    api.PATCH('/courses/{courseId}/contents/{contentId}', {
                                      params: { path: { courseId, contentId: content.id } },
                                      body: { title },
                                    }),
                                  { focusId: `${contentItem}-rename` },
                                )
                              }
                            />
                            <button
                              type="button"
                              className="secondary"
                              onClick={() =>
                                void act(() =>
                                  api.POST('/courses/{courseId}/contents/{contentId}/archive', {
                                    params: { path: { courseId, contentId: content.id } },
                                  }),
                                )
                              }
                            >
                              {t('archiveContent')}
                              <span className="visually-hidden"> “{content.title}”</span>
                            </button>
                            <button
                              type="button"
                              className="secondary"
                              onClick={() =>
                                void act(() =>
                                  api.DELETE('/courses/{courseId}/contents/{contentId}', {
                                    params: { path: { courseId, contentId: content.id } },
                                  }),
                                )
                              }
                            >
                              {t('deleteContent')}
                              <span className="visually-hidden"> “{content.title}”</span>
                            </button>
                          </span>
                        ) : null}
                      </div>
                      {editable && uploadable ? (
                        <ContentUpload
                          queue={queue}
                          content={{
                            id: content.id,
                            kind: content.kind as 'video' | 'material',
                            title: content.title,
                          }}
                          hasFile={content.kind === 'video' && content.mediaState !== 'pending'}
                        />
                      ) : null}
                    </li>
                  );
                })}
              </ol>
              {editable ? <AddContent courseId={courseId} chapter={chapter} onAdded={reload} /> : null}
            </li>
          );
        })}
      </ol>
      {editable ? <AddChapter courseId={courseId} onAdded={reload} /> : null}
    </section>
  );
}

function MoveButtons({
  id,
  title,
  first,
  last,
  onMove,
}: {
  id: string;
  title: string;
  first: boolean;
  last: boolean;
  onMove: (d: Direction) => void;
}) {
  const t = useT(messages);
  return (
    <>
      <button type="button" className="secondary" id={`${id}-up`} disabled={first} onClick={() => onMove(-1)}>
        {t('moveUp')}
        <span className="visually-hidden"> “{title}”</span>
      </button>
      <button type="button" className="secondary" id={`${id}-down`} disabled={last} onClick={() => onMove(1)}>
        {t('moveDown')}
        <span className="visually-hidden"> “{title}”</span>
      </button>
    </>
  );
}

function VideoState({ content, transcoding }: { content: Content; transcoding: boolean }) {
  const t = useT(messages);
  if (transcoding) return <span className="builder-state">{t('transcoding')}</span>;
  if (content.mediaState === 'ready')
    return (
      <span className="builder-state ready">
        {t('ready', { duration: duration(content.durationSeconds ?? 0) })}
      </span>
    );
  if (content.mediaState === 'failed')
    return <span className="builder-state problem">{t('failed', { reason: content.mediaError ?? '' })}</span>;
  return <span className="builder-state muted">{t('noVideo')}</span>;
}

/** A name changed in place: a button opens a small form, which saves or cancels and gives the focus back. */
function Rename({
  title,
  id,
  save,
}: {
  title: string;
  id: string;
  save: (title: string) => Promise<boolean>;
}) {
  const t = useT(messages);
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState(title);
  const input = useRef<HTMLInputElement>(null);
  const inputId = useId();
  useEffect(() => {
    if (editing) input.current?.focus();
  }, [editing]);
  if (!editing)
    return (
      <button
        type="button"
        className="secondary"
        id={id}
        onClick={() => {
          setValue(title);
          setEditing(true);
        }}
      >
        {t('rename')}
        <span className="visually-hidden"> “{title}”</span>
      </button>
    );
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (await save(value)) setEditing(false);
  };
  return (
    <form className="builder-rename" onSubmit={(e) => void submit(e)} noValidate>
      <label htmlFor={inputId} className="visually-hidden">
        {t('renameLabel', { title })}
      </label>
      <input
        id={inputId}
        ref={input}
        value={value}
        onChange={(e) => setValue(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') setEditing(false);
        }}
      />
      <button type="submit">{t('save')}</button>
      <button type="button" className="secondary" onClick={() => setEditing(false)}>
        {t('cancel')}
      </button>
    </form>
  );
}

function AddChapter({ courseId, onAdded }: { courseId: string; onAdded: (focusId?: string) => void }) {
  const api = useApi();
  const t = useT(messages);
  const [title, setTitle] = useState('');
  const [problem, setProblem] = useState<Problem | undefined>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    const { data, error, response } = await api.POST('/courses/{courseId}/chapters', {
      params: { path: { courseId } },
      body: { title },
    });
    if (!data) return setProblem(asProblem(error, response));
    setTitle('');
    onAdded();
  };
  const titleError = fieldError(problem, 'body.title') && t('titleInvalid');
  return (
    <form className="builder-add" onSubmit={(e) => void submit(e)} noValidate>
      <div className="builder-field">
        <label htmlFor="builder-new-chapter">{t('chapterTitle')}</label>
        <input
          id="builder-new-chapter"
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          aria-invalid={titleError ? true : undefined}
          aria-describedby={titleError ? 'builder-new-chapter-error' : undefined}
        />
        <FieldError id="builder-new-chapter-error" message={titleError} />
      </div>
      {problem && !titleError ? <ProblemAlert problem={problem} /> : null}
      <button type="submit">{t('addChapter')}</button>
    </form>
  );
}

function AddContent({
  courseId,
  chapter,
  onAdded,
}: {
  courseId: string;
  chapter: Chapter;
  onAdded: (focusId?: string) => void;
}) {
  const api = useApi();
  const t = useT(messages);
  const id = useId();
  const [title, setTitle] = useState('');
  const [kind, setKind] = useState<'video' | 'material'>('video');
  const [problem, setProblem] = useState<Problem | undefined>();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    const { data, error, response } = await api.POST('/courses/{courseId}/chapters/{chapterId}/contents', {
      params: { path: { courseId, chapterId: chapter.id } },
      body: { kind, title },
    });
    if (!data) return setProblem(asProblem(error, response));
    setTitle('');
    onAdded();
  };
  const titleError = fieldError(problem, 'body.title') && t('titleInvalid');
  return (
    <form
      className="builder-add builder-add-content"
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-label={`${t('addContent')}: ${chapter.title}`}
    >
      <div className="builder-field">
        <label htmlFor={`${id}-kind`}>{t('contentKind')}</label>
        <select
          id={`${id}-kind`}
          value={kind}
          onChange={(e) => setKind(e.target.value as 'video' | 'material')}
        >
          <option value="video">{t('video')}</option>
          <option value="material">{t('material')}</option>
        </select>
      </div>
      <div className="builder-field">
        <label htmlFor={`${id}-title`}>{t('contentTitle')}</label>
        <input
          id={`${id}-title`}
          value={title}
          onChange={(e) => setTitle(e.target.value)}
          aria-invalid={titleError ? true : undefined}
          aria-describedby={titleError ? `${id}-title-error` : undefined}
        />
        <FieldError id={`${id}-title-error`} message={titleError} />
      </div>
      {problem && !titleError ? <ProblemAlert problem={problem} /> : null}
      <button type="submit">
        {t('addContent')}
        <span className="visually-hidden"> “{chapter.title}”</span>
      </button>
    </form>
  );
}
