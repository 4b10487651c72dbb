import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import ffmpeg from '@ffmpeg-installer/ffmpeg';
import { createTables, LOCAL_AWS } from '#local/dynamodb-local';
import { LocalEventBus } from '#local/event-bus';
import { LocalObjectStore } from '#local/object-store';
import { TranscodeCache } from '#local/transcode-cache';
import { LocalTranscoder, type TranscodeOutcome } from '#local/transcoder';

/*
 * The local transcoder with and without its cache of encodes: the same upload gives the same objects and the
 * same video.ready either way, and with the cache ffmpeg encodes a video only the first time. ffmpeg runs
 * through a wrapper that counts its calls (one to describe the upload, one to encode it).
 */

const INSTITUTION = 'example-academy';
const dynamo = new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT!, ...LOCAL_AWS });
let work: string;
let store: LocalObjectStore;
let s3: S3Client;
let bus: LocalEventBus;
let cacheDir: string;
const transcoders = new Map<'cached' | 'plain', LocalTranscoder>();
const outcomes = new Map<string, Promise<TranscodeOutcome>>();
const calls = { cached: '', plain: '' };

/** ffmpeg behind a script that appends a line to `log` on each call. */
async function countingFfmpeg(name: string, log: string): Promise<string> {
  const path = join(work, `ffmpeg-${name}`);
  await writeFile(path, `#!/bin/sh\necho call >> '${log}'\nexec '${ffmpeg.path}' "$@"\n`);
  await chmod(path, 0o755);
  return path;
}
const callsOf = async (which: 'cached' | 'plain') =>
  (await readFile(calls[which], 'utf8').catch(() => '')).split('\n').filter(Boolean).length;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'transcode-cache-test-'));
  cacheDir = join(work, 'cache');
  calls.cached = join(work, 'calls-cached');
  calls.plain = join(work, 'calls-plain');
  store = await LocalObjectStore.start({
    uploadBucket: 'test-cache-uploads',
    outputBucket: 'test-cache-renditions',
    dir: join(work, 'objects'),
    // Each upload names the transcoder that takes it: videos/<institution>/<content>/<cached|plain>.mp4.
    onObjectCreated: (event) => {
      const key = event.detail.object.key;
      const which = key.endsWith('/plain.mp4') ? 'plain' : 'cached';
      outcomes.set(key.split('/')[2]!, transcoders.get(which)!.enqueue(event));
    },
  });
  s3 = store.client();
  bus = new LocalEventBus();
  const { access } = await createTables(process.env.DYNAMODB_ENDPOINT!, `local-cache-${randomUUID()}-`);
  const common = {
    s3,
    outputBucket: store.outputBucket,
    publish: bus.publish,
    budget: { ddb: DynamoDBDocumentClient.from(dynamo), table: access, monthlyMinutes: 1000 },
    log: () => undefined,
  };
  transcoders.set(
    'cached',
    new LocalTranscoder({
      ...common,
      ffmpegPath: await countingFfmpeg('cached', calls.cached),
      cache: new TranscodeCache({ dir: cacheDir }),
    }),
  );
  transcoders.set(
    'plain',
    new LocalTranscoder({ ...common, ffmpegPath: await countingFfmpeg('plain', calls.plain) }),
  );
});
afterAll(async () => {
  for (const t of transcoders.values()) await t.idle();
  await store.close();
  s3.destroy();
  dynamo.destroy();
  await rm(work, { recursive: true, force: true });
});

/** A short clip from ffmpeg's test sources: the same arguments give the same bytes. */
async function clip(seconds: number, hz: number): Promise<Buffer> {
  const path = join(work, `clip-${seconds}-${hz}.mp4`);
  await promisify(execFile)(ffmpeg.path, [
    ...['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=640x360:rate=25'],
    ...['-f', 'lavfi', '-i', `sine=frequency=${hz}`, '-t', String(seconds)],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', path],
  ]);
  return readFile(path);
}

/** Uploads `body` as a new content's video for the named transcoder; its outcome once transcoded. */
async function transcode(which: 'cached' | 'plain', body: Buffer) {
  const contentId = randomUUID();
  await s3.send(
    new PutObjectCommand({
      Bucket: store.uploadBucket,
      Key: `videos/${INSTITUTION}/${contentId}/${which}.mp4`,
      Body: body,
      ContentType: 'video/mp4',
    }),
  );
  for (const t of transcoders.values()) await t.idle();
  return { contentId, outcome: await outcomes.get(contentId)! };
}

/** Every object a content's transcode wrote: name under its prefix → bytes and type. */
async function outputsOf(contentId: string) {
  const prefix = `hls/${contentId}/`;
  const { Contents = [] } = await s3.send(
    new ListObjectsV2Command({ Bucket: store.outputBucket, Prefix: prefix }),
  );
  const objects: Record<string, { type: string | undefined; bytes: string }> = {};
  for (const { Key } of Contents) {
    const got = await s3.send(new GetObjectCommand({ Bucket: store.outputBucket, Key }));
    objects[Key!.slice(prefix.length)] = {
      type: got.ContentType,
      bytes: Buffer.from(await got.Body!.transformToByteArray()).toString('base64'),
    };
  }
  return objects;
}

/** A video.ready's detail with its content's own id and paths written as placeholders. */
function readyOf(contentId: string) {
  const event = bus.published.find(
    (e) => e['detail-type'] === 'video.ready' && (e.detail as { contentId: string }).contentId === contentId,
  );
  expect(event).toBeDefined();
  return JSON.parse(JSON.stringify(event!.detail).replaceAll(contentId, '<content>')) as Record<
    string,
    unknown
  >;
}

describe('the local transcoder’s cache of encodes', () => {
  let video: Buffer;
  let first: { contentId: string; outcome: TranscodeOutcome };

  beforeAll(async () => {
    video = await clip(3, 440);
  });

  it('encodes a video it has not seen with ffmpeg, and keeps the encode', async () => {
    first = await transcode('cached', video);
    expect(first.outcome).toMatchObject({ outcome: 'ready' });
    // One call describes the upload, one encodes it.
    expect(await callsOf('cached')).toBe(2);
    expect(await readdir(cacheDir)).toHaveLength(1);
    expect(Object.keys(await outputsOf(first.contentId)).sort()).toEqual(
      expect.arrayContaining(['index.m3u8', 'index_360p.m3u8', 'thumbnail.0000000.jpg']),
    );
  });

  it('copies the same video’s encode from the cache: the same objects and video.ready, no ffmpeg encode', async () => {
    const again = await transcode('cached', video);
    expect(again.outcome).toMatchObject({ outcome: 'ready' });
    // Only the description ran: the encode came from the cache.
    expect(await callsOf('cached')).toBe(3);
    expect(await outputsOf(again.contentId)).toEqual(await outputsOf(first.contentId));
    expect(readyOf(again.contentId)).toEqual({ ...readyOf(first.contentId), occurredAt: expect.any(String) });
  });

  it('writes what ffmpeg writes without a cache, which encodes every time', async () => {
    const plain = await transcode('plain', video);
    const plainAgain = await transcode('plain', video);
    expect(await callsOf('plain')).toBe(4);
    expect(await outputsOf(plain.contentId)).toEqual(await outputsOf(first.contentId));
    expect(await outputsOf(plainAgain.contentId)).toEqual(await outputsOf(first.contentId));
    expect(readyOf(plain.contentId)).toEqual({ ...readyOf(first.contentId), occurredAt: expect.any(String) });
  });

  it('encodes a different video anew', async () => {
    const before = await callsOf('cached');
    const other = await transcode('cached', await clip(3, 660));
    expect(other.outcome).toMatchObject({ outcome: 'ready' });
    expect(await callsOf('cached')).toBe(before + 2);
    expect(await readdir(cacheDir)).toHaveLength(2);
    expect(await outputsOf(other.contentId)).not.toEqual(await outputsOf(first.contentId));
  });
});

describe('TranscodeCache', () => {
  const base = async () => {
    const dir = await mkdtemp(join(work, 'key-'));
    const source = join(dir, 'source');
    await writeFile(source, 'the same bytes');
    const out = join(dir, 'out');
    return { ffmpeg: ffmpeg.path, source, out, args: ['-i', source, '-crf', '25', join(out, 'index.m3u8')] };
  };

  it('keys an encode by its source’s bytes and its arguments, not by its scratch directory', async () => {
    const a = await base();
    const b = await base();
    const cache = new TranscodeCache({ dir: join(work, 'unused') });
    expect(await cache.keyOf(b)).toBe(await cache.keyOf(a));
    expect(await cache.keyOf({ ...a, args: a.args.map((x) => (x === '25' ? '23' : x)) })).not.toBe(
      await cache.keyOf(a),
    );
    await writeFile(b.source, 'other bytes');
    expect(await cache.keyOf(b)).not.toBe(await cache.keyOf(a));
  });

  it('keeps nothing of an encode that fails, and passes its error on', async () => {
    const dir = join(work, 'failing');
    const cache = new TranscodeCache({ dir });
    const encode = await base();
    await mkdir(encode.out);
    const failure = new Error('ffmpeg exit 1');
    await expect(cache.through(encode, () => Promise.reject(failure))).rejects.toBe(failure);
    expect(await readdir(dir).catch(() => [])).toEqual([]);
  });
});
