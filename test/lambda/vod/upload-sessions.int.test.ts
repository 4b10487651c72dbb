import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, ListPartsCommand, type S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { applyAccessFact } from '#lambda/access/access';
import { HttpError } from '#contracts/problem';
import { reserveTranscodeMinutes } from '#lambda/vod/transcode-budget';
import {
  abortUpload,
  completeUpload,
  listUploadedParts,
  partSizeFor,
  partUrls,
  safeFileName,
  startUpload,
  type UploadDeps,
} from '#lambda/vod/upload-sessions';
import { createTables, LOCAL_AWS } from '#local/dynamodb-local';
import { LocalObjectStore, type ObjectCreatedEvent } from '#local/object-store';

/*
 * The upload sessions against the local object store (real S3 client, presigned URLs, browser-style PUTs)
 * and an access table of this file's own in DynamoDB Local, its facts written by the projection's code.
 */

const MiB = 1024 * 1024;
const BUDGET = 6000;
const endpoint = process.env.DYNAMODB_ENDPOINT!;
const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS });
const ddb = DynamoDBDocumentClient.from(client);
let objectsDir: string;
let store: LocalObjectStore;
let s3: S3Client;
let deps: UploadDeps;
const created: ObjectCreatedEvent[] = [];

const institutionId = randomUUID();
const otherInstitutionId = randomUUID();
const courseId = randomUUID();
const video = randomUUID();
const material = randomUUID();
const exam = randomUUID();
const recording = randomUUID();
const people = {
  manager: { sub: `manager-${randomUUID()}` },
  instructor: { sub: `instructor-${randomUUID()}` },
  otherManager: { sub: `other-manager-${randomUUID()}` },
  learner: { sub: `learner-${randomUUID()}` },
};

beforeAll(async () => {
  objectsDir = await mkdtemp(join(tmpdir(), 'upload-sessions-'));
  store = await LocalObjectStore.start({
    uploadBucket: 'test-upload-sessions',
    outputBucket: 'test-upload-sessions-out',
    dir: objectsDir,
    onObjectCreated: (event) => created.push(event),
  });
  s3 = store.client();
  const { access } = await createTables(endpoint, `vod-upload-sessions-${randomUUID()}-`);
  deps = {
    s3,
    ddb,
    accessTable: access,
    uploadBucket: store.uploadBucket,
    maxBytes: 64 * MiB,
    monthlyTranscodeMinutes: BUDGET,
    now: () => new Date(),
  };
  const occurredAt = new Date().toISOString();
  const fact = () => ({ eventId: randomUUID(), occurredAt });
  const member = (institution: string, userSub: string, role: 'institution-manager' | 'instructor') =>
    applyAccessFact(ddb, access, {
      type: 'institution.member-set',
      detail: { ...fact(), institutionId: institution, userSub, role },
    });
  const content = (contentId: string, kind: 'video' | 'material' | 'exam') =>
    applyAccessFact(ddb, access, {
      type: 'content.set',
      detail: { ...fact(), contentId, courseId, institutionId, kind, state: 'active' },
    });
  await member(institutionId, people.manager.sub, 'institution-manager');
  await member(institutionId, people.instructor.sub, 'instructor');
  await member(otherInstitutionId, people.otherManager.sub, 'institution-manager');
  await content(video, 'video');
  await content(material, 'material');
  await content(exam, 'exam');
  await applyAccessFact(ddb, access, {
    type: 'content.set',
    detail: {
      ...fact(),
      contentId: recording,
      courseId,
      institutionId,
      kind: 'video',
      state: 'active',
      provisionId: randomUUID(),
    },
  });
  await applyAccessFact(ddb, access, {
    type: 'enrollment.created',
    detail: {
      ...fact(),
      courseId,
      userSub: people.learner.sub,
      enrollmentId: randomUUID(),
      provisionId: randomUUID(),
    },
  });
});

afterAll(async () => {
  s3.destroy();
  await store.close();
  client.destroy();
  await rm(objectsDir, { recursive: true, force: true });
});

/** The refusal a call ends in, as the handler wrapper would answer it. */
async function refusal(call: Promise<unknown>): Promise<{ status: number; fields: string[] }> {
  try {
    await call;
  } catch (e) {
    if (e instanceof HttpError) return { status: e.status, fields: (e.errors ?? []).map((f) => f.field) };
    throw e;
  }
  throw new Error('expected a refusal');
}

/** What a browser does with a part URL: a plain PUT, the ETag read from the response headers. */
async function put(url: string, body: Uint8Array): Promise<string> {
  const res = await fetch(url, { method: 'PUT', body, headers: { origin: 'http://localhost:5173' } });
  expect(res.status).toBe(200);
  return res.headers.get('etag')!;
}

const record = async (uploadId: string) =>
  (
    await ddb.send(
      new GetCommand({ TableName: deps.accessTable, Key: { pk: `upload#${uploadId}`, sk: 'meta' } }),
    )
  ).Item;

const s3ListParts = (key: string, uploadId: string) =>
  s3.send(new ListPartsCommand({ Bucket: store.uploadBucket, Key: key, UploadId: uploadId }));

/** Every item of the access table, to show a refused call wrote nothing. */
const accessItems = async () =>
  (await ddb.send(new ScanCommand({ TableName: deps.accessTable, ConsistentRead: true }))).Items ?? [];

/** Keys of the multipart uploads the store holds (s3rver keeps each in `<bucket>/._S3rver_uploads/<id>`). */
async function pendingUploadKeys(): Promise<string[]> {
  const dir = join(objectsDir, store.uploadBucket, '._S3rver_uploads');
  const ids = await readdir(dir).catch(() => []);
  return Promise.all(ids.map((id) => readFile(join(dir, id, 'key'), 'utf8')));
}

describe('upload sessions', () => {
  it('uploads in two parts, resumes from the listed parts and completes', async () => {
    const file = randomBytes(8 * MiB + 1024);
    const started = await startUpload(deps, people.manager, {
      contentId: video,
      fileName: 'Lecture 1: Intro (final).MP4',
      size: file.length,
      contentType: 'video/mp4',
    });
    expect(started).toEqual({
      uploadId: expect.any(String),
      key: `videos/${institutionId}/${video}/Lecture-1-Intro-final.mp4`,
      partSize: 8 * MiB,
      partCount: 2,
    });
    const { uploadId, key } = started;
    expect(await record(uploadId)).toMatchObject({
      key,
      contentId: video,
      institutionId,
      size: file.length,
      partSize: 8 * MiB,
      partCount: 2,
      contentType: 'video/mp4',
      startedBy: people.manager.sub,
    });

    const [first] = await partUrls(deps, people.manager, uploadId, { from: 1, to: 1 });
    expect(first!.partNumber).toBe(1);
    await put(first!.url, file.subarray(0, 8 * MiB));

    // The browser was closed; an instructor of the same institution picks the upload up.
    const listed = await listUploadedParts(deps, people.instructor, uploadId);
    expect(listed).toEqual([{ partNumber: 1, etag: expect.any(String), size: 8 * MiB }]);
    const [second] = await partUrls(deps, people.instructor, uploadId, { from: 2, to: 2 });
    const etag2 = await put(second!.url, file.subarray(8 * MiB));

    const done = await completeUpload(deps, people.instructor, uploadId, [
      { partNumber: 1, etag: listed[0]!.etag },
      { partNumber: 2, etag: etag2 },
    ]);
    expect(done).toEqual({ key, size: file.length });
    const head = await s3.send(new HeadObjectCommand({ Bucket: store.uploadBucket, Key: key }));
    expect(head.ContentLength).toBe(file.length);
    expect(head.ContentType).toBe('video/mp4');
    expect(await record(uploadId)).toBeUndefined();
    expect(created.map((e) => e.detail.object.key)).toContain(key);
  });

  it('refuses a content type the content’s kind does not take', async () => {
    const body = { fileName: 'slides.pdf', size: 1024, contentType: 'application/pdf' };
    expect(await refusal(startUpload(deps, people.manager, { ...body, contentId: video }))).toEqual({
      status: 400,
      fields: ['body.contentType'],
    });
    expect(
      await refusal(
        startUpload(deps, people.manager, { ...body, contentId: material, contentType: 'video/mp4' }),
      ),
    ).toEqual({ status: 400, fields: ['body.contentType'] });
    // The same file is fine for a material; its starter may give it up.
    const started = await startUpload(deps, people.manager, { ...body, contentId: material });
    expect(started.key).toBe(`materials/${institutionId}/${material}/slides.pdf`);
    await abortUpload(deps, people.manager, started.uploadId);
    expect(await record(started.uploadId)).toBeUndefined();
    await expect(s3ListParts(started.key, started.uploadId)).rejects.toMatchObject({ name: 'NoSuchUpload' });
  });

  it('refuses a declared size above the maximum', async () => {
    const start = startUpload(deps, people.manager, {
      contentId: video,
      fileName: 'long.mp4',
      size: deps.maxBytes + 1,
      contentType: 'video/mp4',
    });
    expect(await refusal(start)).toEqual({ status: 400, fields: ['body.size'] });
  });

  it('refuses a video once the institution’s transcoding month is used up, writing nothing', async () => {
    // A month of its own, filled as start-transcode fills it, so the other cases' month stays empty.
    const at = new Date('2031-05-15T08:00:00Z');
    const inMay = { ...deps, now: () => at };
    const reserve = (minutes: number) =>
      reserveTranscodeMinutes(ddb, deps.accessTable, {
        institutionId,
        contentId: video,
        upload: {
          bucket: store.uploadBucket,
          key: `videos/${institutionId}/${video}/earlier.mp4`,
          etag: randomUUID(),
        },
        minutes,
        budget: BUDGET,
        at,
      });
    const body = { contentId: video, fileName: 'over-budget.mp4', size: 1024, contentType: 'video/mp4' };
    // One minute left: the upload starts, since only transcoding knows the video's length.
    await reserve(BUDGET - 1);
    const started = await startUpload(inMay, people.manager, body);
    await abortUpload(inMay, people.manager, started.uploadId);

    await reserve(1);
    const items = await accessItems();
    const pending = await pendingUploadKeys();
    const error = await startUpload(inMay, people.manager, body).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HttpError);
    expect((error as HttpError).toProblem()).toEqual({
      type: 'about:blank',
      title: 'Conflict',
      status: 409,
      detail:
        "The institution's transcoding budget of 6000 minutes for 2031-05 is used up (6000 used); " +
        'it starts again on 2031-06-01 at 00:00 UTC',
    });
    expect(await accessItems()).toEqual(items);
    expect(await pendingUploadKeys()).toEqual(pending);
    expect(pending).not.toContain(`videos/${institutionId}/${video}/over-budget.mp4`);

    // Materials are not transcoded, so the budget does not hold them back.
    const handout = await startUpload(inMay, people.manager, {
      contentId: material,
      fileName: 'handout.pdf',
      size: 1024,
      contentType: 'application/pdf',
    });
    expect(await pendingUploadKeys()).toContain(handout.key);
    await abortUpload(inMay, people.manager, handout.uploadId);
  });

  it('refuses an exam content with 409', async () => {
    const start = startUpload(deps, people.manager, {
      contentId: exam,
      fileName: 'exam.pdf',
      size: 1024,
      contentType: 'application/pdf',
    });
    expect(await refusal(start)).toEqual({ status: 409, fields: [] });
  });

  it('refuses a live lecture’s recording with 409 naming the content, writing nothing', async () => {
    const before = await accessItems();
    const start = startUpload(deps, people.manager, {
      contentId: recording,
      fileName: 'over.mp4',
      size: 1024,
      contentType: 'video/mp4',
    });
    expect(await refusal(start)).toEqual({ status: 409, fields: ['body.contentId'] });
    expect(await accessItems()).toEqual(before);
    expect(await pendingUploadKeys()).not.toContainEqual(expect.stringContaining(recording));
  });

  it('answers a learner and another institution’s manager as if the content did not exist', async () => {
    const body = { contentId: video, fileName: 'a.mp4', size: 1024, contentType: 'video/mp4' };
    expect(await refusal(startUpload(deps, people.learner, body))).toEqual({ status: 404, fields: [] });
    expect(await refusal(startUpload(deps, people.otherManager, body))).toEqual({ status: 404, fields: [] });
  });

  it('aborts the upload when the completion names a wrong ETag', async () => {
    const started = await startUpload(deps, people.manager, {
      contentId: video,
      fileName: 'short.mp4',
      size: 1024,
      contentType: 'video/mp4',
    });
    const [url] = await partUrls(deps, people.manager, started.uploadId, { from: 1, to: 1 });
    await put(url!.url, randomBytes(1024));
    const complete = completeUpload(deps, people.manager, started.uploadId, [
      { partNumber: 1, etag: '"0123456789abcdef0123456789abcdef"' },
    ]);
    expect(await refusal(complete)).toEqual({ status: 400, fields: ['body.parts'] });
    await expect(s3ListParts(started.key, started.uploadId)).rejects.toMatchObject({ name: 'NoSuchUpload' });
    expect(await record(started.uploadId)).toBeUndefined();
    expect(await refusal(listUploadedParts(deps, people.manager, started.uploadId))).toEqual({
      status: 404,
      fields: [],
    });
  });

  it('aborts the upload when the parts do not add up to the declared size', async () => {
    const started = await startUpload(deps, people.manager, {
      contentId: video,
      fileName: 'declared.mp4',
      size: 4096,
      contentType: 'video/mp4',
    });
    const [url] = await partUrls(deps, people.manager, started.uploadId, { from: 1, to: 1 });
    const etag = await put(url!.url, randomBytes(1024));
    const complete = completeUpload(deps, people.manager, started.uploadId, [{ partNumber: 1, etag }]);
    expect(await refusal(complete)).toEqual({ status: 400, fields: ['body.parts'] });
    await expect(s3ListParts(started.key, started.uploadId)).rejects.toMatchObject({ name: 'NoSuchUpload' });
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: store.uploadBucket, Key: started.key })),
    ).rejects.toMatchObject({ name: 'NotFound' });
  });

  it('answers 404 for an upload of another institution and leaves it untouched', async () => {
    const started = await startUpload(deps, people.manager, {
      contentId: video,
      fileName: 'mine.mp4',
      size: 1024,
      contentType: 'video/mp4',
    });
    const [url] = await partUrls(deps, people.manager, started.uploadId, { from: 1, to: 1 });
    const etag = await put(url!.url, randomBytes(1024));
    const { uploadId } = started;
    for (const who of [people.otherManager, people.learner]) {
      for (const call of [
        () => partUrls(deps, who, uploadId, { from: 1, to: 1 }),
        () => listUploadedParts(deps, who, uploadId),
        () => completeUpload(deps, who, uploadId, [{ partNumber: 1, etag }]),
        () => abortUpload(deps, who, uploadId),
      ]) {
        expect(await refusal(call())).toEqual({ status: 404, fields: [] });
      }
    }
    expect(await listUploadedParts(deps, people.manager, uploadId)).toEqual([
      { partNumber: 1, etag: etag.replace(/"/g, ''), size: 1024 },
    ]);
    expect(await completeUpload(deps, people.manager, uploadId, [{ partNumber: 1, etag }])).toEqual({
      key: started.key,
      size: 1024,
    });
  });

  it('answers 404 for an upload id it never issued', async () => {
    expect(await refusal(listUploadedParts(deps, people.manager, 'no-such-upload'))).toEqual({
      status: 404,
      fields: [],
    });
  });

  it('presigns at most 100 parts per call and none beyond the upload', async () => {
    const started = await startUpload(deps, people.manager, {
      contentId: video,
      fileName: 'range.mp4',
      size: 1024,
      contentType: 'video/mp4',
    });
    expect(await refusal(partUrls(deps, people.manager, started.uploadId, { from: 1, to: 101 }))).toEqual({
      status: 400,
      fields: ['query.to'],
    });
    expect(await refusal(partUrls(deps, people.manager, started.uploadId, { from: 1, to: 2 }))).toEqual({
      status: 400,
      fields: ['query.to'],
    });
    await abortUpload(deps, people.manager, started.uploadId);
  });
});

describe('partSizeFor', () => {
  it.each([
    [1, 8 * MiB],
    [80_000 * MiB, 8 * MiB],
    [80_000 * MiB + 1, 9 * MiB],
    [5 * 1024 * 1024 * MiB, 525 * MiB],
  ])('%i bytes → %i per part, within 10,000 parts', (size, partSize) => {
    expect(partSizeFor(size)).toBe(partSize);
    expect(Math.ceil(size / partSize)).toBeLessThanOrEqual(10_000);
  });
});

describe('safeFileName', () => {
  it.each([
    ['Lecture 1: Intro.MP4', 'Lecture-1-Intro.mp4'],
    ['café résumé.pdf', 'cafe-resume.pdf'],
    ['강의자료.hwp', 'file.hwp'],
    ['../../etc/passwd', 'etc-passwd'],
    ['.hidden', 'hidden'],
    ['no extension', 'no-extension'],
  ])('%s → %s', (name, safe) => {
    expect(safeFileName(name)).toBe(safe);
  });
});
