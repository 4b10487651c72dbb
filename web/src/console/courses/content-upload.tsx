import { useId, useSyncExternalStore } from 'react';
import { problemText } from '../../api/problem';
import { useT, type Messages } from '../../i18n';
import type { UploadQueue } from './upload-queue';

const messages: Messages<
  | 'pickVideo'
  | 'pickMaterial'
  | 'replaceVideo'
  | 'replaceMaterial'
  | 'progress'
  | 'starting'
  | 'paused'
  | 'completing'
  | 'done'
  | 'failed'
  | 'pause'
  | 'resume'
  | 'retry'
  | 'cancel'
  | 'needsFile'
  | 'wrongFile'
> = {
  ko: {
    pickVideo: '“{title}” 동영상 파일',
    pickMaterial: '“{title}” 자료 파일',
    replaceVideo: '“{title}” 동영상 파일 바꾸기',
    replaceMaterial: '“{title}” 자료 파일 바꾸기',
    progress: '{name} 올리는 중: {percent}%',
    starting: '{name} 올리기 시작하는 중…',
    paused: '{name}: {percent}%에서 멈춤',
    completing: '{name}: 파일을 합치는 중…',
    done: '{name}을(를) 올렸습니다.',
    failed: '{name}을(를) 올리지 못했습니다: {reason}',
    pause: '일시 정지',
    resume: '이어 올리기',
    retry: '다시 시도',
    cancel: '올리기 취소',
    needsFile: '끝나지 않은 올리기가 있습니다: {name} ({size}). 이어 올리려면 같은 파일을 다시 고르세요.',
    wrongFile: '같은 파일이 아닙니다. {name} ({size})을(를) 고르세요.',
  },
  en: {
    pickVideo: 'Video file for “{title}”',
    pickMaterial: 'File for “{title}”',
    replaceVideo: 'Replace the video of “{title}”',
    replaceMaterial: 'Replace the file of “{title}”',
    progress: 'Uploading {name}: {percent}%',
    starting: 'Starting to upload {name}…',
    paused: '{name}: paused at {percent}%',
    completing: '{name}: putting the file together…',
    done: '{name} is uploaded.',
    failed: '{name} was not uploaded: {reason}',
    pause: 'Pause',
    resume: 'Resume',
    retry: 'Try again',
    cancel: 'Cancel upload',
    needsFile: 'An upload of {name} ({size}) is unfinished. Pick the same file again to resume it.',
    wrongFile: 'That is not the same file. Pick {name} ({size}).',
  },
};

/** Bytes as people read them: 12.3 MB. */
export function bytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = n / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

const ACCEPT = {
  video: 'video/*,.mkv',
  material: '.pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.hwp,.hwpx',
} as const;

/**
 * A content's file: a picker, and while an upload runs its progress bar with pause, resume and cancel.
 * After a reload an unfinished upload asks for its file again.
 */
export function ContentUpload({
  queue,
  content,
  hasFile,
}: {
  queue: UploadQueue;
  content: { id: string; kind: 'video' | 'material'; title: string };
  /** The content has a file already (a video ready or failed): picking one replaces it. */
  hasFile: boolean;
}) {
  const t = useT(messages);
  const id = useId();
  const uploads = useSyncExternalStore(queue.subscribe, queue.snapshot);
  const view = uploads.get(content.id);
  const busy = view && ['starting', 'uploading', 'completing'].includes(view.phase);
  const percent = view && view.size > 0 ? Math.floor((view.sentBytes / view.size) * 100) : 0;
  const name = view?.fileName ?? '';
  const status = !view
    ? undefined
    : view.phase === 'starting'
      ? t('starting', { name })
      : view.phase === 'uploading'
        ? t('progress', { name, percent })
        : view.phase === 'paused'
          ? t('paused', { name, percent })
          : view.phase === 'completing'
            ? t('completing', { name })
            : view.phase === 'done'
              ? t('done', { name })
              : view.phase === 'failed'
                ? t('failed', { name, reason: view.problem ? problemText(view.problem) : '' })
                : undefined;
  const pickLabel =
    content.kind === 'video'
      ? t(hasFile ? 'replaceVideo' : 'pickVideo', { title: content.title })
      : t(hasFile ? 'replaceMaterial' : 'pickMaterial', { title: content.title });
  return (
    <div className="upload">
      {view?.phase === 'needs-file' ? (
        <p className="upload-waiting" role="status">
          {t(view.wrongFile ? 'wrongFile' : 'needsFile', { name, size: bytes(view.size) })}
        </p>
      ) : null}
      {!busy ? (
        <div className="upload-pick">
          <label htmlFor={`${id}-file`}>{pickLabel}</label>
          <input
            id={`${id}-file`}
            type="file"
            accept={ACCEPT[content.kind]}
            onChange={(e) => {
              const file = e.target.files?.[0];
              // The same file may be picked again later (to resume): the input must forget this pick.
              e.target.value = '';
              if (file) void queue.add(content.id, file);
            }}
          />
        </div>
      ) : null}
      {view && view.phase !== 'needs-file' ? (
        <div className="upload-progress">
          <label htmlFor={`${id}-progress`} className={view.phase === 'failed' ? 'problem' : undefined}>
            {status}
          </label>
          <progress id={`${id}-progress`} max={100} value={percent}>
            {percent}%
          </progress>
          <span className="upload-buttons">
            {view.phase === 'uploading' || view.phase === 'starting' ? (
              <button type="button" className="secondary" onClick={() => queue.pause(content.id)}>
                {t('pause')}
              </button>
            ) : null}
            {view.phase === 'paused' || view.phase === 'failed' ? (
              <button type="button" className="secondary" onClick={() => void queue.resume(content.id)}>
                {t(view.phase === 'paused' ? 'resume' : 'retry')}
              </button>
            ) : null}
            {view.phase !== 'done' && view.phase !== 'completing' ? (
              <button type="button" className="secondary" onClick={() => void queue.abandon(content.id)}>
                {t('cancel')}
              </button>
            ) : null}
          </span>
        </div>
      ) : null}
      {/* The bar's label moves with every part; what changes state is said once, to screen readers too. */}
      <span role="status" className="visually-hidden">
        {view && view.phase !== 'uploading' && view.phase !== 'needs-file' ? status : ''}
      </span>
      {view?.phase === 'needs-file' ? (
        <button type="button" className="secondary" onClick={() => void queue.abandon(content.id)}>
          {t('cancel')}
        </button>
      ) : null}
    </div>
  );
}
