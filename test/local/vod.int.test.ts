import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import ffmpeg from '@ffmpeg-installer/ffmpeg';
import { createTables, LOCAL_AWS } from '#local/dynamodb-local';
import { LocalEventBus } from '#local/event-bus';
import { LocalObjectStore, type ObjectCreatedEvent } from '#local/object-store';
import { LocalTranscoder, type TranscodeOutcome } from '#local/transcoder';

const INSTITUTION = 'example-academy';
const NOW = new Date('2026-11-23T10:00:00Z');
const dynamo = new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT!, ...LOCAL_AWS });
let work: string;
let store: LocalObjectStore;
let s3: S3Client;
let bus: LocalEventBus;
let transcoder: LocalTranscoder;
const created: ObjectCreatedEvent[] = [];
const outcomes: Promise<TranscodeOutcome>[] = [];

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vod-test-'));
  store = await LocalObjectStore.start({
    uploadBucket: 'test-vod-uploads',
    outputBucket: 'test-vod-renditions',
    dir: join(work, 'objects'),
    onObjectCreated: (event) => {
      created.push(event);
      outcomes.push(transcoder.enqueue(event));
    },
  });
  s3 = store.client();
  bus = new LocalEventBus();
  const { access } = await createTables(process.env.DYNAMODB_ENDPOINT!, `local-vod-${randomUUID()}-`);
  transcoder = new LocalTranscoder({
    s3,
    outputBucket: store.outputBucket,
    publish: bus.publish,
    // The first video (4 s, so 1 minute) uses the month up; the last case shows the refusal.
    budget: { ddb: DynamoDBDocumentClient.from(dynamo), table: access, monthlyMinutes: 1 },
    log: () => undefined,
    clock: () => NOW,
  });
});
afterAll(async () => {
  await transcoder.idle();
  await store.close();
  s3.destroy();
  dynamo.destroy();
  await rm(work, { recursive: true, force: true });
});

/** A browser's multipart upload: presigned part URLs, plain PUTs, the ETags from the response headers. */
async function uploadInParts(key: string, body: Buffer, parts: number) {
  const { UploadId } = await s3.send(
    new CreateMultipartUploadCommand({ Bucket: store.uploadBucket, Key: key, ContentType: 'video/mp4' }),
  );
  const size = Math.ceil(body.length / parts);
  const etags: string[] = [];
  for (let n = 1; n <= parts; n++) {
    const url = await getSignedUrl(
      s3,
      new UploadPartCommand({ Bucket: store.uploadBucket, Key: key, UploadId, PartNumber: n }),
      { expiresIn: 600 },
    );
    const res = await fetch(url, {
      method: 'PUT',
      body: body.subarray((n - 1) * size, n * size),
      headers: { origin: 'http://localhost:5173' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-expose-headers')).toContain('ETag');
    etags.push(res.headers.get('etag')!);
  }
  await s3.send(
    new CompleteMultipartUploadCommand({
      Bucket: store.uploadBucket,
      Key: key,
      UploadId,
      MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
    }),
  );
}

const text = async (key: string) =>
  (await s3.send(new GetObjectCommand({ Bucket: store.outputBucket, Key: key }))).Body!.transformToString();

describe('local video pipeline', () => {
  const contentId = randomUUID();
  const prefix = `hls/${contentId}/`;

  it('transcodes a multipart upload into the HLS ladder and publishes video.ready', async () => {
    const source = join(work, 'lecture.mp4');
    await promisify(execFile)(ffmpeg.path, [
      ...['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440', '-t', '4'],
      ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', source],
    ]);
    await uploadInParts(`videos/${INSTITUTION}/${contentId}/lecture.mp4`, await readFile(source), 2);
    await transcoder.idle();

    expect(created).toHaveLength(1);
    expect(await outcomes[0]).toMatchObject({ outcome: 'ready' });
    const master = await text(`${prefix}index.m3u8`);
    // A 360p source gets the 360p rung only: nothing above the source's height.
    expect(master.match(/#EXT-X-STREAM-INF:.*/g)).toEqual([
      '#EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=640x360',
    ]);
    expect(master).toContain('index_360p.m3u8');
    const media = await text(`${prefix}index_360p.m3u8`);
    expect(media).toContain('#EXT-X-TARGETDURATION:');
    expect(media).toContain('#EXT-X-ENDLIST');
    const segments = media.split('\n').filter((l) => l.endsWith('.ts'));
    expect(segments.length).toBeGreaterThan(0);
    const { Contents = [] } = await s3.send(
      new ListObjectsV2Command({ Bucket: store.outputBucket, Prefix: prefix }),
    );
    const keys = Contents.map((o) => o.Key);
    for (const segment of segments) expect(keys).toContain(`${prefix}${segment}`);
    expect(keys).toContain(`${prefix}thumbnail.0000000.jpg`);
    const thumb = await s3.send(
      new GetObjectCommand({ Bucket: store.outputBucket, Key: `${prefix}thumbnail.0000000.jpg` }),
    );
    expect(thumb.ContentType).toBe('image/jpeg');
    // Nobody else on the machine reads the buckets: S3 refuses an unsigned request to a private bucket.
    const anonymous = await fetch(`${store.endpoint}/${store.outputBucket}/${prefix}thumbnail.0000000.jpg`);
    expect(anonymous.status).toBe(403);

    const ready = bus.published.filter((e) => e['detail-type'] === 'video.ready');
    expect(ready).toHaveLength(1);
    expect(ready[0]!.source).toBe('lms.vod');
    expect(ready[0]!.detail).toEqual({
      contentId,
      occurredAt: expect.any(String),
      // 4.0 s of video, rounded down as publish-job-state does.
      durationSeconds: 4,
      manifestPath: `${prefix}index.m3u8`,
      thumbnailPath: `${prefix}thumbnail.0000000.jpg`,
      renditions: [{ height: 360, bitrate: 900_000 }],
    });
  });

  it('transcodes the same object event once when it is delivered again', async () => {
    expect(await transcoder.enqueue(created[0])).toEqual({ outcome: 'duplicate' });
    await transcoder.idle();
    expect(bus.published.filter((e) => e['detail-type'] === 'video.ready')).toHaveLength(1);
  });

  it('publishes video.failed with ffmpeg’s reason for a file that is no video', async () => {
    const notes = randomUUID();
    await s3.send(
      new PutObjectCommand({
        Bucket: store.uploadBucket,
        Key: `videos/${INSTITUTION}/${notes}/notes.mp4`,
        Body: 'Week 1: bring a notebook.\n',
      }),
    );
    await transcoder.idle();
    expect(await outcomes.at(-1)).toMatchObject({ outcome: 'failed' });
    const failed = bus.published.filter((e) => e['detail-type'] === 'video.failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.detail).toEqual({
      contentId: notes,
      occurredAt: expect.any(String),
      reason: expect.stringMatching(/not a video .*Invalid data found when processing input/),
    });
  });

  it('publishes video.failed naming the budget once the month is used up, and encodes nothing', async () => {
    const again = randomUUID();
    await s3.send(
      new PutObjectCommand({
        Bucket: store.uploadBucket,
        Key: `videos/${INSTITUTION}/${again}/lecture.mp4`,
        Body: await readFile(join(work, 'lecture.mp4')),
      }),
    );
    await transcoder.idle();
    const detail = {
      contentId: again,
      occurredAt: NOW.toISOString(),
      reason:
        "The institution's transcoding budget of 1 minute for 2026-11 is used up (1 used, this video needs 1); " +
        'it starts again on 2026-12-01 at 00:00 UTC',
    };
    expect(await outcomes.at(-1)).toEqual({ outcome: 'failed', detail });
    expect(
      bus.published.filter((e) => (e.detail as { contentId?: string }).contentId === again),
    ).toMatchObject([{ source: 'lms.vod', 'detail-type': 'video.failed', detail }]);
    const { KeyCount } = await s3.send(
      new ListObjectsV2Command({ Bucket: store.outputBucket, Prefix: `hls/${again}/` }),
    );
    expect(KeyCount).toBe(0);
  });

  it('ignores uploads outside videos/<institution>/<content id>/', async () => {
    await s3.send(
      new PutObjectCommand({ Bucket: store.uploadBucket, Key: 'materials/x/y/slides.pdf', Body: '%PDF' }),
    );
    expect(await outcomes.at(-1)).toEqual({ outcome: 'ignored', reason: expect.any(String) });
  });
});
