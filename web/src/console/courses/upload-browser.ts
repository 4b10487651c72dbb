import type { ApiClient } from '../../api/client';
import { isProblem } from '../../api/problem';
import { isSavedUpload, UploadProblem, UploadQueue, type UploadApi, type UploadStore } from './upload-queue';

/* The upload queue's browser side: localStorage, XMLHttpRequest and the typed API client. */

const STORE_KEY = 'lms.console.uploads';

/** The browser's localStorage, read defensively: a hand-edited or old entry is dropped, not trusted. */
export const localUploadStore = (storage: Storage = window.localStorage): UploadStore => ({
  load() {
    try {
      const raw: unknown = JSON.parse(storage.getItem(STORE_KEY) ?? '[]');
      return Array.isArray(raw) ? raw.filter(isSavedUpload) : [];
    } catch {
      return [];
    }
  },
  save(uploads) {
    if (uploads.length === 0) storage.removeItem(STORE_KEY);
    else storage.setItem(STORE_KEY, JSON.stringify(uploads));
  },
});

/**
 * A part's PUT by XMLHttpRequest, the one browser API that reports upload progress. The bucket's CORS
 * rule exposes the ETag header, which completion needs.
 */
export function xhrPutPart(
  url: string,
  body: Blob,
  signal: AbortSignal,
  onProgress: (sent: number) => void,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    xhr.onload = () => {
      const etag = xhr.getResponseHeader('ETag');
      if (xhr.status >= 200 && xhr.status < 300 && etag) resolve(etag);
      else
        reject(
          new UploadProblem({
            type: 'about:blank',
            title: `The storage refused the part (${xhr.status})`,
            status: xhr.status,
          }),
        );
    };
    xhr.onerror = () => reject(new Error('The connection to the storage failed'));
    xhr.onabort = () => reject(new DOMException('The part was not sent', 'AbortError'));
    signal.addEventListener('abort', () => xhr.abort(), { once: true });
    xhr.send(body);
  });
}

/** The flow's calls through the app's typed client; a refusal becomes an UploadProblem. */
export function uploadApi(client: ApiClient): UploadApi {
  const ok = <T>(r: { data?: T; error?: unknown; response: Response }): T => {
    if (r.response.ok) return r.data as T;
    throw new UploadProblem(
      isProblem(r.error)
        ? r.error
        : { type: 'about:blank', title: r.response.statusText, status: r.response.status },
    );
  };
  const path = (uploadId: string) => ({ path: { uploadId } });
  return {
    start: async (body) => ok(await client.POST('/uploads', { body })),
    partUrls: async (uploadId, from, to) =>
      ok(
        await client.GET('/uploads/{uploadId}/part-urls', {
          params: { ...path(uploadId), query: { from, to } },
        }),
      ),
    parts: async (uploadId) => ok(await client.GET('/uploads/{uploadId}/parts', { params: path(uploadId) })),
    complete: async (uploadId, parts) =>
      ok(await client.POST('/uploads/{uploadId}/complete', { params: path(uploadId), body: { parts } })),
    abort: async (uploadId) => {
      ok(await client.DELETE('/uploads/{uploadId}', { params: path(uploadId) }));
    },
    putPart: xhrPutPart,
  };
}

const queues = new WeakMap<ApiClient, UploadQueue>();

/**
 * The page's one upload queue: uploads go on while the manager moves between screens, and a screen that
 * comes back shows them where they are.
 */
export function uploadQueueFor(client: ApiClient): UploadQueue {
  let queue = queues.get(client);
  if (!queue) {
    queue = new UploadQueue(uploadApi(client), localUploadStore());
    queues.set(client, queue);
  }
  return queue;
}
