import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ffmpeg from '@ffmpeg-installer/ffmpeg';
import { startLocalPlatform, type LocalPlatform } from '../../local/platform';
import { businessNumberFrom } from '../service/service-fixture';
import { testDatabase, type TestDatabase } from '../service/test-database';

let platform: LocalPlatform;
let database: TestDatabase;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'uploads-test-'));
  database = await testDatabase('local_uploads');
  platform = await startLocalPlatform({
    database: database.db,
    dynamoEndpoint: process.env.DYNAMODB_ENDPOINT!,
    port: 0,
    host: '127.0.0.1',
    tablePrefix: `uploads-${process.pid}-`,
    log: () => undefined,
    vod: { dir: join(work, 'objects') },
  });
});
afterAll(async () => {
  await platform.close();
  await database.close();
  await rm(work, { recursive: true, force: true });
});

async function tokenFor(role: string) {
  const res = await fetch(`${platform.url}/local/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ role }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** One request as `role`; returns the status and the parsed body (or null for an empty one). */
async function call(role: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${platform.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${await tokenFor(role)}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** The status first, so a failure shows what the server said. */
async function expectCall<T = { id: string }>(
  role: string,
  method: string,
  path: string,
  body: unknown,
  status: number,
): Promise<T> {
  const res = await call(role, method, path, body);
  expect([method, path, res.status, res.body]).toEqual([method, path, status, expect.anything()]);
  return res.body as T;
}

interface Started {
  readonly uploadId: string;
  readonly key: string;
  readonly partSize: number;
  readonly partCount: number;
}

const MANAGER = 'institution-manager';
let courseId: string;
let videoId: string;

/** A browser's side of an upload: PUTs to the presigned URLs, the ETags from the response headers. */
async function putParts(uploadId: string, file: Buffer, partSize: number, partCount: number) {
  const urls = await expectCall<{ partNumber: number; url: string }[]>(
    MANAGER,
    'GET',
    `/uploads/${encodeURIComponent(uploadId)}/part-urls?from=1&to=${partCount}`,
    undefined,
    200,
  );
  expect(urls.map((u) => u.partNumber)).toEqual(Array.from({ length: partCount }, (_, i) => i + 1));
  const parts = [];
  for (const { partNumber, url } of urls) {
    const res = await fetch(url, {
      method: 'PUT',
      body: file.subarray((partNumber - 1) * partSize, partNumber * partSize),
    });
    expect(res.status).toBe(200);
    parts.push({ partNumber, etag: res.headers.get('etag')! });
  }
  return parts;
}

describe('upload routes over HTTP', () => {
  beforeAll(async () => {
    await expectCall(
      MANAGER,
      'POST',
      '/institutions',
      {
        name: 'Upload Academy',
        ownerName: 'Kim',
        businessNumber: businessNumberFrom('401810003'),
        certificationNumber: 'C-10',
        contactEmail: 'office@upload.local',
        contactPhone: '02-000-0001',
      },
      201,
    );
    courseId = (await expectCall(MANAGER, 'POST', '/courses', { title: 'Uploads' }, 201)).id;
    const chapter = await expectCall(
      MANAGER,
      'POST',
      `/courses/${courseId}/chapters`,
      { title: 'Week 1' },
      201,
    );
    videoId = (
      await expectCall(
        MANAGER,
        'POST',
        `/courses/${courseId}/chapters/${chapter.id}/contents`,
        { kind: 'video', title: 'Lecture' },
        201,
      )
    ).id;
    // The institution's member and content facts reach the access projection the upload routes decide by.
    await platform.flushEvents();
  });

  it('uploads a video in presigned parts, completes it, and the course page shows it transcoded', async () => {
    const source = join(work, 'lecture.mp4');
    await promisify(execFile)(ffmpeg.path, [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '4'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', source],
    ]);
    const file = await readFile(source);

    const started = await expectCall<Started>(
      MANAGER,
      'POST',
      '/uploads',
      { contentId: videoId, fileName: 'Lecture 1.mp4', size: file.length, contentType: 'video/mp4' },
      201,
    );
    expect(started).toEqual({
      uploadId: expect.any(String),
      key: expect.stringMatching(new RegExp(`^videos/[^/]+/${videoId}/Lecture-1\\.mp4$`)),
      partSize: 8 * 1024 * 1024,
      partCount: 1,
    });
    const id = encodeURIComponent(started.uploadId);
    const parts = await putParts(started.uploadId, file, started.partSize, started.partCount);

    const held = await expectCall(MANAGER, 'GET', `/uploads/${id}/parts`, undefined, 200);
    expect(held).toEqual([{ partNumber: 1, etag: parts[0]!.etag.replace(/"/g, ''), size: file.length }]);

    expect(await expectCall(MANAGER, 'POST', `/uploads/${id}/complete`, { parts }, 200)).toEqual({
      key: started.key,
      size: file.length,
    });
    // The session is gone once the file is whole.
    expect((await call(MANAGER, 'GET', `/uploads/${id}/parts`)).status).toBe(404);

    await platform.vod.idle();
    await platform.flushEvents();
    const page = await expectCall<{ chapters: { contents: { durationSeconds: number }[] }[] }>(
      MANAGER,
      'GET',
      `/courses/${courseId}`,
      undefined,
      200,
    );
    expect(page.chapters[0]!.contents[0]).toMatchObject({
      id: videoId,
      mediaState: 'ready',
      durationSeconds: expect.any(Number),
    });
    expect(page.chapters[0]!.contents[0]!.durationSeconds).toBeGreaterThan(0);
  });

  it('refuses a learner by the route’s roles', async () => {
    const res = await call('learner', 'POST', '/uploads', {
      contentId: videoId,
      fileName: 'x.mp4',
      size: 10,
      contentType: 'video/mp4',
    });
    expect(res.status).toBe(403);
  });

  it('refuses a type the content does not take, naming body.contentType', async () => {
    const res = await call(MANAGER, 'POST', '/uploads', {
      contentId: videoId,
      fileName: 'notes.txt',
      size: 10,
      contentType: 'text/plain',
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'body.contentType' })]);
  });

  it('refuses a query that is no part range', async () => {
    const res = await call(MANAGER, 'GET', '/uploads/whatever/part-urls?from=one&to=2');
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'query.from' })]);
  });

  it('aborts the upload when completion names a wrong ETag', async () => {
    const file = Buffer.from('not really a video, but the type is what the route checks');
    const started = await expectCall<Started>(
      MANAGER,
      'POST',
      '/uploads',
      { contentId: videoId, fileName: 'short.mp4', size: file.length, contentType: 'video/mp4' },
      201,
    );
    const id = encodeURIComponent(started.uploadId);
    const [part] = await putParts(started.uploadId, file, started.partSize, 1);
    const res = await call(MANAGER, 'POST', `/uploads/${id}/complete`, {
      parts: [{ partNumber: 1, etag: `"${'0'.repeat(32)}"` }],
    });
    expect([res.status, part!.etag]).toEqual([400, expect.any(String)]);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'body.parts' })]);
    expect((await call(MANAGER, 'GET', `/uploads/${id}/parts`)).status).toBe(404);
  });

  it('abandons an upload with DELETE', async () => {
    const started = await expectCall<Started>(
      MANAGER,
      'POST',
      '/uploads',
      { contentId: videoId, fileName: 'later.mp4', size: 100, contentType: 'video/mp4' },
      201,
    );
    const id = encodeURIComponent(started.uploadId);
    expect(await call(MANAGER, 'DELETE', `/uploads/${id}`)).toEqual({ status: 204, body: null });
    expect((await call(MANAGER, 'GET', `/uploads/${id}/parts`)).status).toBe(404);
  });
});
