import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import { EVENTS, VOD } from '#contracts/resources';
import { videoReady, type VideoFailed, type VideoReady } from '#contracts/platform-events';
import {
  releaseTranscodeMinutes,
  reserveTranscodeMinutes,
  transcodeMinutesOf,
  uploadDigest,
} from '#lambda/vod/transcode-budget';
import {
  AUDIO,
  GOP_SECONDS,
  HLS_SEGMENT_SECONDS,
  LADDER,
  outputPrefixFor,
  THUMBNAIL,
  type Rung,
} from '#lambda/vod/transcode-settings';
import type { EventPublisher } from '#service/events/publisher';
import { contentIdOf, durationSecondsOf, parseObjectCreated, type Upload } from '#lambda/vod/uploads';
import { videoFailedFact } from '#lambda/vod/video-facts';
import type { TranscodeCache } from './transcode-cache';

/** x264's constant-quality level standing in for a QVBR quality level (1 to 10). */
export const crfOf = (qvbrQuality: number): number => 37 - 2 * qvbrQuality;

/**
 * One rung's H.264 settings for x264 as it stands in for MediaConvert: high profile, the rung's ceiling with a
 * buffer of twice that, and a keyframe every GOP_SECONDS whatever the frame rate, so segments cut on the same
 * boundaries. The rate itself (CRF, or a two-pass target) is the caller's.
 */
export function x264RungArgs(rung: Rung, preset: string): string[] {
  return [
    ...['-c:v', 'libx264', '-preset', preset, '-profile:v', 'high', '-pix_fmt', 'yuv420p'],
    ...['-maxrate', String(rung.maxBitrate), '-bufsize', String(2 * rung.maxBitrate)],
    ...['-force_key_frames', `expr:gte(t,n_forced*${GOP_SECONDS})`],
  ];
}

export type TranscodeOutcome =
  | { outcome: 'ready'; detail: VideoReady }
  | { outcome: 'failed'; detail: VideoFailed }
  | { outcome: 'duplicate' }
  | { outcome: 'ignored'; reason: string };

export interface LocalTranscoderOptions {
  /** A client of the store holding both buckets. */
  readonly s3: S3Client;
  readonly outputBucket: string;
  /** The platform bus. */
  readonly publish: EventPublisher;
  /** The monthly transcoding budget, counted in the access table as start-transcode counts it. */
  readonly budget: {
    readonly ddb: DynamoDBDocumentClient;
    readonly table: string;
    /** Minutes of source video each institution may have transcoded per calendar month (UTC). */
    readonly monthlyMinutes: number;
  };
  /** @default the binary of `@ffmpeg-installer/ffmpeg` */
  readonly ffmpegPath?: string;
  /** @default console.log */
  readonly log?: (line: string) => void;
  /** @default the system clock */
  readonly clock?: () => Date;
  /** Encodes kept by content, so the same video is not encoded twice. @default none: ffmpeg encodes each */
  readonly cache?: TranscodeCache;
}

interface Probe {
  readonly width: number;
  readonly height: number;
  readonly durationMs: number;
  readonly hasAudio: boolean;
}

class FfmpegError extends Error {}

const CONTENT_TYPES: Record<string, string> = {
  m3u8: 'application/vnd.apple.mpegurl',
  ts: 'video/mp2t',
  jpg: 'image/jpeg',
};

const even = (n: number) => Math.max(2, 2 * Math.round(n / 2));

/** MediaConvert's FIT_NO_UPSCALE: the largest size within the box keeping the aspect ratio, never larger. */
function fit(width: number, height: number, boxWidth: number, boxHeight: number) {
  const scale = Math.min(1, boxWidth / width, boxHeight / height);
  return { width: even(width * scale), height: even(height * scale) };
}

/**
 * The rungs not above the source (MediaConvert would emit every rung, the larger ones at the source's
 * size, which on one machine is only wasted work); the lowest rung when the source is smaller than all.
 */
export function rungsFor(sourceHeight: number): readonly Rung[] {
  const fitting = LADDER.filter((r) => r.height <= sourceHeight);
  return fitting.length > 0 ? fitting : [LADDER[LADDER.length - 1]!];
}

/**
 * MediaConvert on one machine: for each object created under `videos/`, the ladder of transcode-settings
 * as HLS with ffmpeg into the output bucket, then `video.ready` or `video.failed` on the bus, as
 * publish-job-state publishes them. As start-transcode, it reserves the video's minutes in its
 * institution's monthly budget first, and a file that is no video or does not fit starts no encode. Jobs
 * run one at a time, so a demo machine is not swamped.
 */
export class LocalTranscoder {
  private readonly ffmpeg: string;
  private readonly log: (line: string) => void;
  private readonly clock: () => Date;
  /** The digest of bucket, key and etag of every upload taken, like start-transcode's idempotency key. */
  private readonly seen = new Set<string>();
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: LocalTranscoderOptions) {
    this.ffmpeg = options.ffmpegPath ?? ffmpegInstaller.path;
    this.log = options.log ?? ((line) => console.log(line));
    this.clock = options.clock ?? (() => new Date());
  }

  /** Takes an S3 `Object Created` event; resolves when its transcode has finished and been published. */
  enqueue(event: unknown): Promise<TranscodeOutcome> {
    let upload: Upload;
    try {
      upload = parseObjectCreated(event);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    const located = contentIdOf(upload.key);
    if (!('contentId' in located))
      return Promise.resolve({ outcome: 'ignored', reason: `not a video upload: ${upload.key}` });
    const { contentId, institutionId } = located;
    const id = uploadDigest(upload);
    if (this.seen.has(id)) return Promise.resolve({ outcome: 'duplicate' });
    this.seen.add(id);
    const job = this.tail.then(() => this.run(upload, contentId, institutionId));
    this.tail = job.catch((error: Error) => {
      // Forgotten, so a redelivery tries again, as the idempotency record of a failed attempt is deleted.
      this.seen.delete(id);
      this.log(`transcode ${upload.key} failed: ${error.message}`);
    });
    return job;
  }

  /** Resolves when every job taken so far has finished. */
  async idle(): Promise<void> {
    let tail;
    do {
      tail = this.tail;
      await tail;
    } while (tail !== this.tail);
  }

  private async run(upload: Upload, contentId: string, institutionId: string): Promise<TranscodeOutcome> {
    const { bucket, key } = upload;
    const started = Date.now();
    const work = await mkdtemp(join(tmpdir(), 'lms-transcode-'));
    try {
      const source = join(work, 'source');
      const got = await this.options.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      await pipeline(got.Body as Readable, createWriteStream(source));
      let detail: VideoReady;
      try {
        const probe = await this.probe(source);
        const { ddb, table, monthlyMinutes } = this.options.budget;
        const reservation = await reserveTranscodeMinutes(ddb, table, {
          institutionId,
          contentId,
          upload,
          minutes: transcodeMinutesOf(probe.durationMs),
          budget: monthlyMinutes,
          at: this.clock(),
        });
        if (reservation.outcome === 'over-budget') return await this.fail(contentId, reservation.reason);
        const out = join(work, 'out');
        await mkdir(out);
        const renditions = await this.encode(source, probe, out);
        detail = videoReady.parse({
          contentId,
          occurredAt: this.clock().toISOString(),
          durationSeconds: durationSecondsOf(probe.durationMs),
          manifestPath: `${outputPrefixFor(contentId)}${VOD.masterPlaylist}`,
          thumbnailPath: `${outputPrefixFor(contentId)}${THUMBNAIL.baseName}.0000000.jpg`,
          renditions,
        });
        await this.store(out, contentId);
      } catch (error) {
        if (!(error instanceof FfmpegError)) throw error;
        // As publish-job-state does for a job in ERROR: a failed encode costs the institution nothing.
        const { ddb, table } = this.options.budget;
        await releaseTranscodeMinutes(ddb, table, uploadDigest(upload), this.clock());
        return await this.fail(contentId, `ffmpeg could not transcode ${key}: ${error.message}`);
      }
      await this.publish('video.ready', detail);
      this.log(`transcode ${key} ready in ${Date.now() - started}ms`);
      return { outcome: 'ready', detail };
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  }

  /** `video.failed`, as start-transcode or publish-job-state would publish it. */
  private async fail(contentId: string, reason: string): Promise<TranscodeOutcome> {
    const { detail } = videoFailedFact(contentId, this.clock().toISOString(), reason);
    await this.publish('video.failed', detail);
    this.log(`transcode of content ${contentId} failed: ${detail.reason}`);
    return { outcome: 'failed', detail };
  }

  private async publish(detailType: 'video.ready' | 'video.failed', detail: VideoReady | VideoFailed) {
    await this.options.publish([
      { source: EVENTS.sources.vod, detailType, detail, time: new Date(detail.occurredAt) },
    ]);
  }

  /** ffmpeg's own description of the input (this package ships no ffprobe); a reason if it is no video. */
  private async probe(source: string): Promise<Probe> {
    // Without an output ffmpeg only describes the input and exits 1, so the exit code says nothing here.
    const { stderr } = await this.exec(['-hide_banner', '-i', source], { allowFailure: true });
    const video = stderr
      .split('\n')
      .find((line) => /Stream #\d+:\d+.*: Video: /.test(line) && !line.includes('(attached pic)'));
    const size = video && /, (\d{2,5})x(\d{2,5})[\s,]/.exec(video);
    if (!size) {
      const reason = lastLines(stderr.replaceAll(source, 'the upload'));
      throw new FfmpegError(video ? `no video size in "${video.trim()}"` : `not a video (${reason})`);
    }
    const duration = /Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)/.exec(stderr);
    if (!duration) throw new FfmpegError('the upload has no duration');
    const durationMs = Math.round(
      (Number(duration[1]) * 3600 + Number(duration[2]) * 60 + Number(duration[3])) * 1000,
    );
    // ffmpeg turns a phone's rotated video upright while decoding, so its height is the stored width.
    const rotate = Math.abs(Number(/rotate\s*:\s*(-?\d+)/.exec(stderr)?.[1] ?? 0)) % 180 === 90;
    const [width, height] = rotate ? [Number(size[2]), Number(size[1])] : [Number(size[1]), Number(size[2])];
    return { width, height, durationMs, hasAudio: /Stream #\d+:\d+.*: Audio: /.test(stderr) };
  }

  /** One ffmpeg run decoding once: every rung's HLS playlist and segments, and the thumbnail. */
  private async encode(source: string, probe: Probe, out: string): Promise<VideoReady['renditions']> {
    const rungs = rungsFor(probe.height).map((rung) => ({
      rung,
      ...fit(probe.width, probe.height, rung.width, rung.height),
    }));
    const thumb = fit(probe.width, probe.height, THUMBNAIL.width, THUMBNAIL.height);
    const split = `[0:v]split=${rungs.length + 1}${rungs.map((_, i) => `[s${i}]`).join('')}[st]`;
    const scales = rungs.map((r, i) => `[s${i}]scale=${r.width}:${r.height}[v${i}]`);
    const args = [
      '-hide_banner',
      '-loglevel',
      'error',
      '-i',
      source,
      '-filter_complex',
      [split, ...scales, `[st]scale=${thumb.width}:${thumb.height}[vt]`].join(';'),
    ];
    rungs.forEach(({ rung }, i) => {
      const base = `${VOD.masterPlaylist.replace(/\.m3u8$/, '')}_${rung.name}`;
      args.push(
        '-map',
        `[v${i}]`,
        ...(probe.hasAudio ? ['-map', '0:a:0'] : []),
        // ultrafast only locally: MediaConvert's SINGLE_PASS_HQ is about quality, here speed on a laptop.
        ...x264RungArgs(rung, 'ultrafast'),
        // QVBR's nearest: constant quality (quality 8/7/6 → CRF 21/23/25) under the rung's ceiling.
        '-crf',
        String(crfOf(rung.qvbrQuality)),
        ...(probe.hasAudio
          ? [
              '-c:a',
              AUDIO.codec,
              '-b:a',
              String(AUDIO.bitrate),
              '-ar',
              String(AUDIO.sampleRate),
              '-ac',
              String(AUDIO.channels),
            ]
          : []),
        '-f',
        'hls',
        '-hls_time',
        String(HLS_SEGMENT_SECONDS),
        '-hls_playlist_type',
        'vod',
        '-hls_segment_filename',
        join(out, `${base}_%05d.ts`),
        join(out, `${base}.m3u8`),
      );
    });
    args.push(
      '-map',
      '[vt]',
      '-frames:v',
      '1',
      // mjpeg's scale runs 2 (best) to 31; MediaConvert's quality 80 of 100 lands near 5.
      '-q:v',
      String(Math.round(2 + ((100 - THUMBNAIL.quality) / 100) * 29 * 0.5)),
      join(out, `${THUMBNAIL.baseName}.0000000.jpg`),
    );
    const run = () => this.exec(args);
    const { cache } = this.options;
    await (cache ? cache.through({ ffmpeg: this.ffmpeg, source, out, args }, run) : run());

    // Written here rather than by ffmpeg so BANDWIDTH is the rung's ceiling, as MediaConvert advertises.
    const master = [
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      ...rungs.flatMap(({ rung, width, height }) => [
        `#EXT-X-STREAM-INF:BANDWIDTH=${rung.maxBitrate},RESOLUTION=${width}x${height}`,
        `${VOD.masterPlaylist.replace(/\.m3u8$/, '')}_${rung.name}.m3u8`,
      ]),
      '',
    ].join('\n');
    await writeFile(join(out, VOD.masterPlaylist), master);
    return rungs.map(({ rung, height }) => ({ height, bitrate: rung.maxBitrate }));
  }

  private async store(out: string, contentId: string) {
    // The master last, so a player never finds it before the playlists it names.
    const files = (await readdir(out)).sort(
      (a, b) => Number(a === VOD.masterPlaylist) - Number(b === VOD.masterPlaylist),
    );
    for (const file of files) {
      await this.options.s3.send(
        new PutObjectCommand({
          Bucket: this.options.outputBucket,
          Key: `${outputPrefixFor(contentId)}${file}`,
          Body: await readFile(join(out, file)),
          ContentType: CONTENT_TYPES[file.split('.').pop()!] ?? 'application/octet-stream',
        }),
      );
    }
  }

  private exec(args: string[], { allowFailure = false } = {}): Promise<{ stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.ffmpeg, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => {
        // The tail is all a reason needs; a long encode's log must not grow without bound.
        stderr = (stderr + chunk.toString()).slice(-64_000);
      });
      child.on('error', reject);
      child.on('close', (code) => {
        if (code === 0 || allowFailure) resolve({ stderr });
        else reject(new FfmpegError(`exit ${code}: ${lastLines(stderr)}`));
      });
    });
  }
}

const lastLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .slice(-3)
    .map((l) => l.trim())
    .join(' / ') || 'no output';
