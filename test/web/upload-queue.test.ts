import {
  contentTypeOf,
  UploadProblem,
  UploadQueue,
  type SavedUpload,
  type UploadApi,
  type UploadStore,
  type UploadView,
} from '../../web/src/console/courses/upload-queue';

/*
 * The upload queue against an in-memory stand-in of the upload routes and the bucket: it holds what each
 * session's PUTs delivered, so the tests see which parts the queue sent and what it completed with.
 */

const PART = 4;

class FakeUploads implements UploadApi {
  readonly sessions = new Map<string, { size: number; parts: Map<number, Uint8Array> }>();
  readonly puts: number[] = [];
  readonly completed: { uploadId: string; parts: { partNumber: number; etag: string }[]; bytes: string }[] =
    [];
  /** PUTs beyond this many hang until aborted, as a slow connection does when the page pauses. */
  hangAfter = Infinity;
  private next = 1;

  async start(input: { size: number }) {
    const uploadId = `u${this.next++}`;
    this.sessions.set(uploadId, { size: input.size, parts: new Map() });
    return { uploadId, partSize: PART, partCount: Math.ceil(input.size / PART) };
  }
  async partUrls(uploadId: string, from: number, to: number) {
    return Array.from({ length: to - from + 1 }, (_, i) => ({
      partNumber: from + i,
      url: `${uploadId}/${from + i}`,
    }));
  }
  async parts(uploadId: string) {
    const session = this.session(uploadId);
    return [...session.parts].map(([partNumber, bytes]) => ({
      partNumber,
      etag: `e${partNumber}`,
      size: bytes.length,
    }));
  }
  async complete(uploadId: string, parts: { partNumber: number; etag: string }[]) {
    const session = this.session(uploadId);
    const bytes = [...session.parts]
      .sort(([a], [b]) => a - b)
      .map(([, b]) => Buffer.from(b).toString())
      .join('');
    this.completed.push({ uploadId, parts, bytes });
    this.sessions.delete(uploadId);
    return {};
  }
  async abort(uploadId: string) {
    this.session(uploadId);
    this.sessions.delete(uploadId);
  }
  putPart(url: string, body: Blob, signal: AbortSignal, onProgress: (sent: number) => void) {
    const [uploadId, n] = url.split('/') as [string, string];
    this.puts.push(Number(n));
    if (this.puts.length > this.hangAfter)
      return new Promise<string>((_, reject) =>
        signal.addEventListener('abort', () => reject(new DOMException('cut', 'AbortError'))),
      );
    return body.arrayBuffer().then((buffer) => {
      onProgress(buffer.byteLength);
      this.session(uploadId).parts.set(Number(n), new Uint8Array(buffer));
      return `"e${n}"`;
    });
  }
  private session(uploadId: string) {
    const session = this.sessions.get(uploadId);
    if (!session) throw new UploadProblem({ type: 'about:blank', title: 'Upload not found', status: 404 });
    return session;
  }
}

const memoryStore = (): UploadStore & { saved: SavedUpload[] } => {
  const store = {
    saved: [] as SavedUpload[],
    load: () => store.saved,
    save: (uploads: readonly SavedUpload[]) => void (store.saved = [...uploads]),
  };
  return store;
};

/** 10 parts of 4 bytes and one of 2: "part01..part10" style content, easy to check once assembled. */
const TEXT = 'aaaabbbbccccddddeeeeffffgggghhhhiiiijjjjkk';
const file = (lastModified = 1000, text = TEXT) =>
  new File([text], 'lecture.mp4', { type: 'video/mp4', lastModified });

/** Resolves once the queue shows `phase` for the content. */
const phase = (queue: UploadQueue, contentId: string, wanted: UploadView['phase']) =>
  new Promise<UploadView>((resolve) => {
    const check = () => {
      const view = queue.snapshot().get(contentId);
      if (view?.phase === wanted) {
        unsubscribe();
        resolve(view);
      }
    };
    const unsubscribe = queue.subscribe(check);
    check();
  });

describe('upload queue', () => {
  it('sends every part, completes with them in order, and forgets the saved session once done', async () => {
    const api = new FakeUploads();
    const store = memoryStore();
    const completed: string[] = [];
    const queue = new UploadQueue(api, store, (id) => completed.push(id));
    const savedWhileSending: number[] = [];
    queue.subscribe(() => savedWhileSending.push(store.saved.length));
    await queue.add('c1', file());
    expect(api.completed).toEqual([
      {
        uploadId: 'u1',
        parts: Array.from({ length: 11 }, (_, i) => ({ partNumber: i + 1, etag: `"e${i + 1}"` })),
        bytes: TEXT,
      },
    ]);
    expect([...api.puts].sort((a, b) => a - b)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    expect(queue.snapshot().get('c1')).toMatchObject({ phase: 'done', sentBytes: TEXT.length });
    expect(savedWhileSending).toContain(1);
    expect(store.saved).toEqual([]);
    expect(completed).toEqual(['c1']);
  });

  it('pauses half way and, resumed, sends only the parts the server does not hold', async () => {
    const api = new FakeUploads();
    api.hangAfter = 5;
    const queue = new UploadQueue(api, memoryStore());
    const running = queue.add('c1', file());
    await new Promise<void>((resolve) => {
      const unsubscribe = queue.subscribe(() => {
        if (api.puts.length > api.hangAfter + 1) {
          unsubscribe();
          resolve();
        }
      });
    });
    queue.pause('c1');
    await running;
    const paused = queue.snapshot().get('c1')!;
    expect(paused.phase).toBe('paused');
    const held = (await api.parts('u1')).map((p) => p.partNumber);
    expect(held).toHaveLength(5);
    expect(paused.sentBytes).toBe(5 * PART);

    api.hangAfter = Infinity;
    const before = api.puts.length;
    await queue.resume('c1');
    const resent = api.puts.slice(before);
    expect(resent.filter((n) => held.includes(n))).toEqual([]);
    expect(resent).toHaveLength(11 - 5);
    expect(api.completed[0]!.bytes).toBe(TEXT);
  });

  it('after a reload, waits for the same file, refuses another, and sends only the missing parts', async () => {
    const api = new FakeUploads();
    api.hangAfter = 4;
    const store = memoryStore();
    const first = new UploadQueue(api, store);
    const running = first.add('c1', file());
    await new Promise<void>((resolve) => {
      const unsubscribe = first.subscribe(() => {
        if (api.puts.length > api.hangAfter) {
          unsubscribe();
          resolve();
        }
      });
    });
    // The page goes away mid-upload: only what the store kept survives.
    first.pause('c1');
    await running;
    expect(store.saved).toEqual([
      {
        contentId: 'c1',
        uploadId: 'u1',
        fileName: 'lecture.mp4',
        size: TEXT.length,
        lastModified: 1000,
        contentType: 'video/mp4',
        partSize: PART,
        partCount: 11,
      },
    ]);

    api.hangAfter = Infinity;
    const held = (await api.parts('u1')).map((p) => p.partNumber);
    const reloaded = new UploadQueue(api, store);
    expect(reloaded.snapshot().get('c1')).toMatchObject({
      phase: 'needs-file',
      fileName: 'lecture.mp4',
      size: TEXT.length,
    });
    await reloaded.add('c1', file(2000));
    expect(reloaded.snapshot().get('c1')).toMatchObject({ phase: 'needs-file', wrongFile: true });

    const before = api.puts.length;
    await reloaded.add('c1', file());
    const resent = api.puts.slice(before);
    expect(resent.sort((a, b) => a - b)).toEqual(
      Array.from({ length: 11 }, (_, i) => i + 1).filter((n) => !held.includes(n)),
    );
    expect(api.completed).toMatchObject([{ uploadId: 'u1', bytes: TEXT }]);
    expect(store.saved).toEqual([]);
  });

  it('starts a new session when the saved one is gone from the server', async () => {
    const api = new FakeUploads();
    const store = memoryStore();
    store.saved = [
      {
        contentId: 'c1',
        uploadId: 'expired',
        fileName: 'lecture.mp4',
        size: TEXT.length,
        lastModified: 1000,
        contentType: 'video/mp4',
        partSize: PART,
        partCount: 11,
      },
    ];
    const queue = new UploadQueue(api, store);
    await queue.add('c1', file());
    expect(api.completed).toMatchObject([{ uploadId: 'u1', bytes: TEXT }]);
  });

  it('shows a refusal as the upload’s problem, and gives an upload up on the server when abandoned', async () => {
    const api = new FakeUploads();
    api.start = () =>
      Promise.reject(new UploadProblem({ type: 'about:blank', title: 'Budget used up', status: 409 }));
    const queue = new UploadQueue(api, memoryStore());
    await queue.add('c1', file());
    expect(queue.snapshot().get('c1')).toMatchObject({
      phase: 'failed',
      problem: { title: 'Budget used up' },
    });

    const other = new FakeUploads();
    other.hangAfter = 2;
    const store = memoryStore();
    const second = new UploadQueue(other, store);
    const running = second.add('c2', file());
    await phase(second, 'c2', 'uploading');
    await second.abandon('c2');
    await running;
    expect(other.sessions.size).toBe(0);
    expect(store.saved).toEqual([]);
    expect(second.snapshot().has('c2')).toBe(false);
  });

  it('asks again while the upload routes do not know the content yet', async () => {
    const api = new FakeUploads();
    let refusals = 2;
    const start = api.start.bind(api);
    api.start = (input) =>
      refusals-- > 0
        ? Promise.reject(new UploadProblem({ type: 'about:blank', title: 'Content not found', status: 404 }))
        : start(input);
    const waits: number[] = [];
    const queue = new UploadQueue(api, memoryStore(), undefined, async (ms) => void waits.push(ms));
    await queue.add('c1', file());
    expect(waits).toEqual([500, 1000]);
    expect(api.completed).toHaveLength(1);
  });

  it('names a content type the browser left empty from the file’s extension', () => {
    expect(contentTypeOf(new File(['x'], 'Week 1.MKV'))).toBe('video/x-matroska');
    expect(contentTypeOf(new File(['x'], 'guide.hwp'))).toBe('application/x-hwp');
    expect(contentTypeOf(new File(['x'], 'a.pdf', { type: 'application/pdf' }))).toBe('application/pdf');
  });
});
