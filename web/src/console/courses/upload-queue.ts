import type { Problem } from '../../api/problem';

/*
 * A content's file upload, in the API's multipart flow: POST /uploads fixes the part size, the browser PUTs
 * each part straight to a presigned URL, GET /uploads/{id}/parts says which parts the bucket holds, and POST
 * /uploads/{id}/complete assembles them. Nothing here knows React: the builder subscribes to the queue.
 *
 * An upload outlives the page: its id is kept in localStorage with the file's identity (name, size, last
 * change) and the content's id. After a reload the file itself is gone (no browser lets a page reopen a
 * file unasked), so the queue shows the upload as waiting for its file; given the same file again, it asks
 * the server which parts are there and sends only the others.
 */

export interface StartedUpload {
  readonly uploadId: string;
  readonly partSize: number;
  readonly partCount: number;
}

export interface UploadedPart {
  readonly partNumber: number;
  readonly etag: string;
  readonly size: number;
}

/** A refusal from the API, carrying its problem; `status` 404 on an upload means its session is gone. */
export class UploadProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
}

/** The API calls the flow makes, and the PUT of a part's bytes (reporting bytes sent) that returns its ETag. */
export interface UploadApi {
  start(input: {
    contentId: string;
    fileName: string;
    size: number;
    contentType: string;
  }): Promise<StartedUpload>;
  partUrls(uploadId: string, from: number, to: number): Promise<{ partNumber: number; url: string }[]>;
  parts(uploadId: string): Promise<UploadedPart[]>;
  complete(uploadId: string, parts: { partNumber: number; etag: string }[]): Promise<unknown>;
  abort(uploadId: string): Promise<void>;
  putPart(url: string, body: Blob, signal: AbortSignal, onProgress: (sent: number) => void): Promise<string>;
}

/** What survives a reload: enough to find the session again and to know the same file when it is given. */
export interface SavedUpload {
  readonly contentId: string;
  readonly uploadId: string;
  readonly fileName: string;
  readonly size: number;
  readonly lastModified: number;
  readonly contentType: string;
  readonly partSize: number;
  readonly partCount: number;
}

/** Where saved uploads live: localStorage in the app, a map in tests. */
export interface UploadStore {
  load(): SavedUpload[];
  save(uploads: readonly SavedUpload[]): void;
}

/** A saved upload as read back from storage: a hand-edited or old entry is dropped, not trusted. */
export function isSavedUpload(v: unknown): v is SavedUpload {
  const u = v as Record<string, unknown>;
  return (
    typeof v === 'object' &&
    v !== null &&
    ['contentId', 'uploadId', 'fileName', 'contentType'].every((k) => typeof u[k] === 'string') &&
    ['size', 'lastModified', 'partSize', 'partCount'].every((k) => typeof u[k] === 'number')
  );
}

export type UploadPhase =
  /** Restored after a reload: the same file must be picked again. */
  'needs-file' | 'starting' | 'uploading' | 'paused' | 'completing' | 'done' | 'failed';

/** What the page shows of one upload. */
export interface UploadView {
  readonly contentId: string;
  readonly fileName: string;
  readonly size: number;
  readonly sentBytes: number;
  readonly phase: UploadPhase;
  readonly problem?: Problem | undefined;
  /** Why the picked file was not taken for a restored upload. */
  readonly wrongFile?: boolean;
}

/** A file's identity as far as a page can tell without reading it: the same name, size and last change. */
export const sameFile = (saved: Pick<SavedUpload, 'fileName' | 'size' | 'lastModified'>, file: File) =>
  saved.fileName === file.name && saved.size === file.size && saved.lastModified === file.lastModified;

/** Content types browsers leave empty for some files (`.mkv`, `.hwp`), from the name's extension. */
const BY_EXTENSION: Record<string, string> = {
  mp4: 'video/mp4',
  m4v: 'video/x-m4v',
  mov: 'video/quicktime',
  webm: 'video/webm',
  mkv: 'video/x-matroska',
  mpg: 'video/mpeg',
  mpeg: 'video/mpeg',
  avi: 'video/x-msvideo',
  pdf: 'application/pdf',
  hwp: 'application/x-hwp',
  hwpx: 'application/vnd.hancom.hwpx',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
};

export function contentTypeOf(file: File): string {
  if (file.type) return file.type;
  const extension = file.name.split('.').pop()?.toLowerCase() ?? '';
  return BY_EXTENSION[extension] ?? 'application/octet-stream';
}

/** Parts in flight at once: enough to fill a typical uplink, few enough that a pause loses little. */
const CONCURRENCY = 3;
/** URLs asked for at once (the API gives at most 100); they expire in 15 minutes, so not far ahead. */
const URL_BATCH = 20;
/** A content the upload routes do not know yet is asked for again this many times, half a second more each. */
const START_ATTEMPTS = 6;
/** A failed PUT is tried again this many times (a dropped connection) before the upload stops as failed. */
const PUT_ATTEMPTS = 3;

const aborted = (e: unknown) => e instanceof DOMException && e.name === 'AbortError';
const problemOf = (e: unknown): Problem =>
  e instanceof UploadProblem
    ? e.problem
    : { type: 'about:blank', title: e instanceof Error ? e.message : String(e), status: 0 };

/** One content's upload: its session, the parts sent so far, and the bytes of the part in flight. */
class Upload {
  file: File | undefined;
  session: SavedUpload | undefined;
  phase: UploadPhase;
  problem: Problem | undefined;
  wrongFile = false;
  readonly done = new Map<number, string>();
  readonly inFlight = new Map<number, number>();
  controller: AbortController | undefined;

  constructor(
    readonly contentId: string,
    file: File | undefined,
    session: SavedUpload | undefined,
  ) {
    this.file = file;
    this.session = session;
    this.phase = file ? 'starting' : 'needs-file';
  }

  get size() {
    return this.file?.size ?? this.session?.size ?? 0;
  }

  partBytes(n: number) {
    const s = this.session!;
    return n < s.partCount ? s.partSize : s.size - s.partSize * (s.partCount - 1);
  }

  view(): UploadView {
    let sent = 0;
    if (this.session) for (const n of this.done.keys()) sent += this.partBytes(n);
    for (const bytes of this.inFlight.values()) sent += bytes;
    return {
      contentId: this.contentId,
      fileName: this.file?.name ?? this.session?.fileName ?? '',
      size: this.size,
      sentBytes: this.phase === 'done' ? this.size : sent,
      phase: this.phase,
      problem: this.problem,
      wrongFile: this.wrongFile,
    };
  }
}

/**
 * Every upload of the page, one per content. `subscribe` and `snapshot` fit React's useSyncExternalStore:
 * the snapshot is a new object after each change and the same object otherwise.
 */
export class UploadQueue {
  private readonly uploads = new Map<string, Upload>();
  private readonly listeners = new Set<() => void>();
  private current: ReadonlyMap<string, UploadView> = new Map();

  constructor(
    private readonly api: UploadApi,
    private readonly store: UploadStore,
    /** Called once an upload's file is whole on the server (a video's transcoding starts then). */
    private readonly onComplete: (contentId: string) => void = () => undefined,
    private readonly wait: (ms: number) => Promise<void> = (ms) =>
      new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    for (const saved of store.load())
      this.uploads.set(saved.contentId, new Upload(saved.contentId, undefined, saved));
    this.publish();
  }

  subscribe = (listener: () => void) => {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  };

  snapshot = (): ReadonlyMap<string, UploadView> => this.current;

  private publish() {
    this.current = new Map([...this.uploads].map(([id, u]) => [id, u.view()]));
    for (const listener of this.listeners) listener();
  }

  private persist() {
    this.store.save(
      [...this.uploads.values()].flatMap((u) => (u.session && u.phase !== 'done' ? [u.session] : [])),
    );
  }

  /**
   * Uploads `file` to a content. For an upload waiting for its file after a reload, the same file resumes
   * it (another is refused, so a wrong pick cannot mix two files' parts); otherwise any unfinished upload of
   * the content is given up and a new one starts.
   */
  async add(contentId: string, file: File): Promise<void> {
    const existing = this.uploads.get(contentId);
    if (existing?.phase === 'needs-file') {
      if (!sameFile(existing.session!, file)) {
        existing.wrongFile = true;
        this.publish();
        return;
      }
      existing.file = file;
      existing.wrongFile = false;
      return this.resume(contentId);
    }
    if (existing && !['done', 'failed', 'paused'].includes(existing.phase)) return;
    if (existing) await this.abandon(contentId);
    const upload = new Upload(contentId, file, undefined);
    this.uploads.set(contentId, upload);
    this.publish();
    await this.run(upload);
  }

  /** Stops sending; the parts sent stay on the server, and the upload stays saved for later. */
  pause(contentId: string): void {
    const upload = this.uploads.get(contentId);
    if (!upload || (upload.phase !== 'uploading' && upload.phase !== 'starting')) return;
    upload.phase = 'paused';
    upload.controller?.abort();
    this.publish();
  }

  /** Sends the parts the server does not hold yet, then completes. */
  async resume(contentId: string): Promise<void> {
    const upload = this.uploads.get(contentId);
    if (!upload?.file || !['paused', 'failed', 'needs-file'].includes(upload.phase)) return;
    await this.run(upload);
  }

  /** Gives the upload up: the server deletes its parts, and the page forgets it. */
  async abandon(contentId: string): Promise<void> {
    const upload = this.uploads.get(contentId);
    if (!upload) return;
    upload.phase = 'paused';
    upload.controller?.abort();
    this.uploads.delete(contentId);
    this.persist();
    this.publish();
    if (upload.session) {
      try {
        await this.api.abort(upload.session.uploadId);
      } catch (e) {
        // Already gone (completed, expired): there is nothing left to delete.
        if (!(e instanceof UploadProblem && e.problem.status === 404)) throw e;
      }
    }
  }

  /** Forgets a finished upload's line on the page. */
  dismiss(contentId: string): void {
    if (this.uploads.get(contentId)?.phase !== 'done') return;
    this.uploads.delete(contentId);
    this.publish();
  }

  private async run(upload: Upload): Promise<void> {
    const file = upload.file!;
    const controller = new AbortController();
    upload.controller = controller;
    upload.problem = undefined;
    upload.phase = upload.session ? 'uploading' : 'starting';
    this.publish();
    try {
      if (upload.session) {
        // The server is the record of what arrived: after a reload the page knows nothing, and even within
        // a page a PUT cut off by a pause may or may not have landed.
        let held: UploadedPart[] | undefined;
        try {
          held = await this.api.parts(upload.session.uploadId);
        } catch (e) {
          // The session expired or was given up elsewhere: the file starts over in a new one.
          if (!(e instanceof UploadProblem && e.problem.status === 404)) throw e;
          upload.session = undefined;
          upload.done.clear();
          this.persist();
        }
        if (held) {
          upload.done.clear();
          for (const p of held)
            if (p.partNumber <= upload.session!.partCount && p.size === upload.partBytes(p.partNumber))
              upload.done.set(p.partNumber, p.etag);
        }
      }
      if (!upload.session) {
        const contentType = contentTypeOf(file);
        const started = await this.startSession(upload.contentId, file, contentType);
        upload.session = {
          contentId: upload.contentId,
          uploadId: started.uploadId,
          fileName: file.name,
          size: file.size,
          lastModified: file.lastModified,
          contentType,
          partSize: started.partSize,
          partCount: started.partCount,
        };
        this.persist();
      }
      if (controller.signal.aborted) return;
      upload.phase = 'uploading';
      this.publish();
      await this.sendMissing(upload, file, controller.signal);
      if (controller.signal.aborted) return;
      upload.phase = 'completing';
      this.publish();
      const parts = [...upload.done]
        .sort(([a], [b]) => a - b)
        .map(([partNumber, etag]) => ({ partNumber, etag }));
      try {
        await this.api.complete(upload.session.uploadId, parts);
      } catch (e) {
        // A refused completion aborted the session on the server: the next try starts a new one.
        if (e instanceof UploadProblem && e.problem.status === 400) {
          upload.session = undefined;
          upload.done.clear();
          this.persist();
        }
        throw e;
      }
      upload.phase = 'done';
      this.persist();
      this.publish();
      this.onComplete(upload.contentId);
    } catch (e) {
      // A pause or an abandon cut the upload short on purpose.
      if (controller.signal.aborted || aborted(e)) return;
      upload.phase = 'failed';
      upload.problem = problemOf(e);
      this.publish();
    } finally {
      upload.inFlight.clear();
      if (upload.controller === controller) upload.controller = undefined;
    }
  }

  /**
   * Starts the session. The upload routes learn of a content from the core's events a moment after it is
   * added, so a file picked right away may find the content unknown (404) for a beat: asked again then.
   */
  private async startSession(contentId: string, file: File, contentType: string) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.api.start({ contentId, fileName: file.name, size: file.size, contentType });
      } catch (e) {
        if (!(e instanceof UploadProblem && e.problem.status === 404) || attempt >= START_ATTEMPTS) throw e;
        await this.wait(attempt * 500);
      }
    }
  }

  /** PUTs every part not yet held, a few at a time, asking for URLs in small batches as they are needed. */
  private async sendMissing(upload: Upload, file: File, signal: AbortSignal): Promise<void> {
    const session = upload.session!;
    const missing = Array.from({ length: session.partCount }, (_, i) => i + 1).filter(
      (n) => !upload.done.has(n),
    );
    for (let i = 0; i < missing.length; i += URL_BATCH) {
      const batch = missing.slice(i, i + URL_BATCH);
      const urls = new Map(
        (await this.api.partUrls(session.uploadId, batch[0]!, batch[batch.length - 1]!)).map((u) => [
          u.partNumber,
          u.url,
        ]),
      );
      if (signal.aborted) return;
      const waiting = [...batch];
      const worker = async () => {
        for (let n = waiting.shift(); n !== undefined && !signal.aborted; n = waiting.shift()) {
          const body = file.slice((n - 1) * session.partSize, Math.min(n * session.partSize, file.size));
          const etag = await this.putWithRetry(upload, n, urls.get(n)!, body, signal);
          upload.inFlight.delete(n);
          upload.done.set(n, etag);
          this.publish();
        }
      };
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, batch.length) }, worker));
    }
  }

  private async putWithRetry(upload: Upload, n: number, url: string, body: Blob, signal: AbortSignal) {
    for (let attempt = 1; ; attempt++) {
      try {
        upload.inFlight.set(n, 0);
        return await this.api.putPart(url, body, signal, (sent) => {
          upload.inFlight.set(n, sent);
          this.publish();
        });
      } catch (e) {
        upload.inFlight.delete(n);
        if (signal.aborted || attempt >= PUT_ATTEMPTS || e instanceof UploadProblem) throw e;
      }
    }
  }
}
