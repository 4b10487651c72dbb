import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ffmpeg from '@ffmpeg-installer/ffmpeg';
import { startLocalPlatform, type LocalPlatform } from '#local/platform';
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
    headers: { cookie: `lms_access=${await tokenFor(role)}`, 'content-type': 'application/json' },
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

/** The `name=value` part of each Set-Cookie, joined as a browser sends them back. */
const cookieHeader = (setCookies: readonly string[]) => setCookies.map((c) => c.split(';')[0]).join('; ');

describe('playback over HTTP', () => {
  const otherLearner = { sub: randomUUID(), email: 'other@elsewhere.local', roles: ['learner'] as const };
  let materialId: string;

  /** A request as someone outside the demo identities: a learner of a company with no seat in this course. */
  async function callAs(identity: typeof otherLearner, method: string, path: string) {
    const { access_token } = await platform.issuer.mintAccessToken({
      ...identity,
      roles: [...identity.roles],
    });
    const res = await fetch(`${platform.url}${path}`, {
      method,
      headers: { cookie: `lms_access=${access_token}` },
    });
    return { status: res.status, body: (await res.json()) as { detail?: string } };
  }

  async function playback(role: string, contentId: string) {
    const res = await fetch(`${platform.url}/contents/${contentId}/playback`, {
      method: 'POST',
      headers: { cookie: `lms_access=${await tokenFor(role)}` },
    });
    return { res, body: (await res.json()) as { playlistUrl: string; expiresAt: string } };
  }

  beforeAll(async () => {
    const chapter = await expectCall(
      MANAGER,
      'POST',
      `/courses/${courseId}/chapters`,
      { title: 'Reading' },
      201,
    );
    materialId = (
      await expectCall(
        MANAGER,
        'POST',
        `/courses/${courseId}/chapters/${chapter.id}/contents`,
        { kind: 'material', title: 'Handout' },
        201,
      )
    ).id;
    await expectCall(MANAGER, 'POST', `/courses/${courseId}/publish`, undefined, 200);
    const company = await expectCall(
      'company-manager',
      'POST',
      '/companies',
      {
        name: 'Viewer Co',
        ownerName: 'Park',
        businessNumber: businessNumberFrom('401810004'),
        email: 'hr@viewer.local',
        phone: '031-000-0001',
      },
      201,
    );
    const { userSub } = await expectCall<{ userSub: string }>(
      'learner',
      'POST',
      `/companies/${company.id}/join-requests`,
      undefined,
      200,
    );
    await expectCall(
      'company-manager',
      'PUT',
      `/companies/${company.id}/employees/${userSub}/approval`,
      undefined,
      200,
    );
    const provision = await expectCall(
      'company-manager',
      'POST',
      '/provisions',
      {
        companyId: company.id,
        courseId,
        startsOn: '2026-12-01',
        endsOn: '2026-12-31',
        attendeeCount: 5,
        depositAmount: 100000,
      },
      201,
    );
    await expectCall(MANAGER, 'POST', `/provisions/${provision.id}/decision`, { decision: 'accepted' }, 200);
    await expectCall(
      'company-manager',
      'POST',
      `/provisions/${provision.id}/attendees`,
      { userSubs: [userSub] },
      200,
    );
    // The enrolment reaches the access projection that the playback route decides by.
    await platform.flushEvents();
  });

  it('gives an enrolled learner cookies that open the master playlist, its renditions and segments', async () => {
    const { res, body } = await playback('learner', videoId);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const origin = platform.vod.playbackOrigin;
    expect(body).toEqual({
      playlistUrl: `${origin}/hls/${videoId}/index.m3u8`,
      expiresAt: expect.any(String),
    });
    // Ten minutes (the config's default), in whole seconds.
    const ttl = Date.parse(body.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(590_000);
    expect(ttl).toBeLessThanOrEqual(600_000);
    const setCookies = res.headers.getSetCookie();
    expect(setCookies.map((c) => c.split('=')[0]).sort()).toEqual([
      'CloudFront-Hash-Algorithm',
      'CloudFront-Key-Pair-Id',
      'CloudFront-Policy',
      'CloudFront-Signature',
    ]);
    for (const cookie of setCookies) {
      expect(cookie).toContain(`Path=/hls/${videoId}/`);
      expect(cookie).toMatch(/; Max-Age=600; .*HttpOnly; Secure; SameSite=Lax/);
    }
    const cookie = cookieHeader(setCookies);

    const master = await fetch(body.playlistUrl, { headers: { cookie } });
    const masterText = await master.text();
    expect([master.status, masterText.split('\n')[0]]).toEqual([200, '#EXTM3U']);
    const variant = masterText.split('\n').find((line) => line.endsWith('.m3u8'))!;
    const variantRes = await fetch(new URL(variant, body.playlistUrl), { headers: { cookie } });
    const variantText = await variantRes.text();
    expect(variantRes.status).toBe(200);
    const segment = variantText.split('\n').find((line) => line && !line.startsWith('#'))!;
    const segmentRes = await fetch(new URL(segment, new URL(variant, body.playlistUrl)), {
      headers: { cookie },
    });
    expect(segmentRes.status).toBe(200);
    expect((await segmentRes.arrayBuffer()).byteLength).toBeGreaterThan(0);

    // The same URL without the cookies, and the cookies on another video's path, are refused at the edge.
    expect((await fetch(body.playlistUrl)).status).toBe(403);
    const elsewhere = await fetch(`${origin}/hls/${randomUUID()}/index.m3u8`, { headers: { cookie } });
    expect([elsewhere.status, await elsewhere.text()]).toEqual([
      403,
      expect.stringContaining('does not cover'),
    ]);
  });

  it('refuses a learner of another company with 403, and lets the institution watch', async () => {
    const refused = await callAs(otherLearner, 'POST', `/contents/${videoId}/playback`);
    expect(refused).toEqual({ status: 403, body: expect.objectContaining({ status: 403 }) });
    // Nor does a content id that exists nowhere tell them more.
    expect((await callAs(otherLearner, 'POST', `/contents/${randomUUID()}/playback`)).status).toBe(403);
    expect((await playback(MANAGER, videoId)).res.status).toBe(200);
    expect((await playback('learner', materialId)).res.status).toBe(409);
  });

  it('refuses a path parameter that is no content id, naming it', async () => {
    const res = await call('learner', 'POST', '/contents/not-a-uuid/playback');
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'path.contentId' })]);
  });

  it('hands an enrolled learner a short-lived download URL for a material, and nobody else', async () => {
    expect((await call('learner', 'GET', `/contents/${materialId}/download`)).status).toBe(404);
    const file = Buffer.from('%PDF-1.4\n% a handout\n');
    const started = await expectCall<Started>(
      MANAGER,
      'POST',
      '/uploads',
      { contentId: materialId, fileName: 'Handout.pdf', size: file.length, contentType: 'application/pdf' },
      201,
    );
    const parts = await putParts(started.uploadId, file, started.partSize, 1);
    await expectCall(
      MANAGER,
      'POST',
      `/uploads/${encodeURIComponent(started.uploadId)}/complete`,
      { parts },
      200,
    );

    const download = await expectCall<{ url: string; fileName: string; size: number }>(
      'learner',
      'GET',
      `/contents/${materialId}/download`,
      undefined,
      200,
    );
    expect(download).toEqual({
      url: expect.any(String),
      fileName: 'Handout.pdf',
      size: file.length,
      expiresAt: expect.any(String),
    });
    const got = await fetch(download.url);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer())).toEqual(file);
    expect((await callAs(otherLearner, 'GET', `/contents/${materialId}/download`)).status).toBe(403);
    expect((await call('learner', 'GET', `/contents/${videoId}/download`)).status).toBe(409);
  });
});
