import {
  CopyObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { LIVE, liveRecorded, type LiveRecorded } from '#contracts/live';
import { VOD } from '#contracts/resources';
import { lectureKey, type Lecture } from './lecture-records';
import { type BusDeps, putOnBus } from '../shared/platform-bus';
import { writeIf } from '../shared/write-if';

/*
 * A lecture's recording becomes a video of its course. IVS writes a recording as HLS under its own prefix
 * (`ivs/v1/<account>/<channel>/<date>/<recordingId>/media/hls/...`) and says so with a Recording End event,
 * after which the files are complete. The recording's files are copied beside the course's other videos, in
 * the playback bucket under `hls/<lectureId>/<recordingId>/`, and a master playlist at the place every
 * video's lives (`hls/<lectureId>/index.m3u8`) points into them; so the same signed cookies play it, and the
 * core makes it a video content (its id the lecture's) with `live.recorded`. A stream that restarted is
 * recorded again: the newest recording wins, each in its own folder, so no segment of one mixes into another.
 */

export interface RecordingDeps extends BusDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly liveTable: string;
  readonly s3: S3Client;
  /** The playback bucket (the video pipeline's output). */
  readonly outputBucket: string;
}

/** The fields used of IVS's `IVS Recording State Change` event (Low-Latency Streaming user guide). */
const recordingStateChange = z.object({
  source: z.literal('aws.ivs'),
  'detail-type': z.literal('IVS Recording State Change'),
  time: z.iso.datetime({ offset: true }),
  resources: z.array(z.string().startsWith('arn:')).min(1),
  detail: z.object({
    recording_status: z.string().min(1),
    recording_s3_bucket_name: z.string().min(3).max(63),
    recording_s3_key_prefix: z
      .string()
      .min(1)
      .max(512)
      .regex(/^[\w\-/]+$/, 'an IVS recording prefix'),
    recording_duration_ms: z.number().nonnegative().optional(),
  }),
});

/** What `events/recording-ended.json` says of the HLS media, where the event does not. */
const recordingEnded = z.object({
  media: z.object({
    hls: z.object({
      duration_ms: z.number().nonnegative().optional(),
      path: z.string().regex(/^[\w\-/]+$/),
      playlist: z.string().regex(/^[\w\-.]+$/),
    }),
  }),
});

export type RecordingOutcome =
  | { readonly outcome: 'imported'; readonly lectureId: string; readonly objects: number }
  | { readonly outcome: 'ignored'; readonly reason: string };

/** Copies a recording into the playback bucket and announces the video; repeated events converge. */
export async function importRecording(deps: RecordingDeps, event: unknown): Promise<RecordingOutcome> {
  const parsed = recordingStateChange.safeParse(event);
  if (!parsed.success) {
    throw new Error(`Not an IVS recording state change:\n${z.prettifyError(parsed.error)}`);
  }
  const { detail, time, resources } = parsed.data;
  if (detail.recording_status !== 'Recording End') {
    return { outcome: 'ignored', reason: detail.recording_status };
  }
  const lecture = await lectureOfChannel(deps, resources[0]!);
  if (!lecture) return { outcome: 'ignored', reason: 'no lecture has this channel' };
  if (!lecture.record) return { outcome: 'ignored', reason: 'the lecture is not recorded' };

  const source = { bucket: detail.recording_s3_bucket_name, prefix: detail.recording_s3_key_prefix };
  const recordingId = source.prefix.split('/').filter(Boolean).at(-1)!;
  const media = await mediaOf(deps.s3, source);
  const durationMs = detail.recording_duration_ms ?? media.durationMs;
  if (durationMs === undefined) throw new Error(`Recording ${source.prefix} tells no duration`);

  const target = `${VOD.outputPrefix}${lecture.lectureId}/`;
  const objects = await copyMedia(deps, source.bucket, `${source.prefix}/${media.path}/`, {
    prefix: `${target}${recordingId}/`,
    skip: media.playlist,
  });
  const occurredAt = new Date(time).toISOString();
  if (!(await claimNewest(deps, lecture.lectureId, occurredAt, recordingId))) {
    return { outcome: 'ignored', reason: 'a newer recording of this lecture was imported' };
  }
  const master = await readText(deps.s3, source.bucket, `${source.prefix}/${media.path}/${media.playlist}`);
  const manifestPath = `${target}${VOD.masterPlaylist}`;
  await deps.s3.send(
    new PutObjectCommand({
      Bucket: deps.outputBucket,
      Key: manifestPath,
      Body: rebasePlaylist(master, `${recordingId}/`),
      ContentType: 'application/vnd.apple.mpegurl',
    }),
  );
  await publishRecorded(deps, {
    lectureId: lecture.lectureId,
    provisionId: lecture.provisionId,
    courseId: lecture.courseId,
    institutionId: lecture.institutionId,
    title: lecture.title,
    occurredAt,
    durationSeconds: Math.round(durationMs / 1000),
    manifestPath,
  });
  return { outcome: 'imported', lectureId: lecture.lectureId, objects };
}

async function lectureOfChannel(deps: RecordingDeps, channelArn: string): Promise<Lecture | undefined> {
  const { Items } = await deps.ddb.send(
    new QueryCommand({
      TableName: deps.liveTable,
      IndexName: LIVE.indexes.byChannel,
      KeyConditionExpression: 'channelArn = :arn',
      ExpressionAttributeValues: { ':arn': channelArn },
      Limit: 1,
    }),
  );
  return Items?.[0] as Lecture | undefined;
}

async function mediaOf(s3: S3Client, source: { bucket: string; prefix: string }) {
  let ended: z.infer<typeof recordingEnded> | undefined;
  try {
    const text = await readText(s3, source.bucket, `${source.prefix}/events/recording-ended.json`);
    ended = recordingEnded.parse(JSON.parse(text));
  } catch (e) {
    // IVS writes the file with the event; without it the documented defaults still find the media.
    if (!(e instanceof NoSuchKey)) throw e;
  }
  return {
    path: ended?.media.hls.path ?? 'media/hls',
    playlist: ended?.media.hls.playlist ?? 'master.m3u8',
    durationMs: ended?.media.hls.duration_ms,
  };
}

async function readText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return object.Body!.transformToString('utf-8');
}

/** Parallel copies per page: S3 takes thousands a second per prefix, a Lambda's sockets fewer. */
const COPY_CONCURRENCY = 16;

async function copyMedia(
  deps: RecordingDeps,
  bucket: string,
  from: string,
  to: { readonly prefix: string; readonly skip: string },
): Promise<number> {
  let copied = 0;
  let token: string | undefined;
  do {
    const page = await deps.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: from, ContinuationToken: token }),
    );
    const keys = (page.Contents ?? []).map((o) => o.Key!).filter((key) => key.slice(from.length) !== to.skip);
    for (let i = 0; i < keys.length; i += COPY_CONCURRENCY) {
      await Promise.all(
        keys.slice(i, i + COPY_CONCURRENCY).map((key) =>
          deps.s3.send(
            new CopyObjectCommand({
              Bucket: deps.outputBucket,
              Key: `${to.prefix}${key.slice(from.length)}`,
              // Each path segment encoded, the slashes kept: S3's documented form of CopySource.
              CopySource: `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`,
            }),
          ),
        ),
      );
    }
    copied += keys.length;
    token = page.NextContinuationToken;
  } while (token);
  return copied;
}

/**
 * Marks this recording the lecture's newest, unless a newer one was imported: the master playlist is
 * written only by the newest. The same recording again (a retried event) may go on, so a retry after a
 * failure past this point finishes the job.
 */
async function claimNewest(
  deps: RecordingDeps,
  lectureId: string,
  occurredAt: string,
  recordingId: string,
): Promise<boolean> {
  return writeIf(
    deps.ddb,
    new UpdateCommand({
      TableName: deps.liveTable,
      Key: lectureKey(lectureId),
      UpdateExpression: 'SET recordedAt = :at, recordingId = :id',
      ConditionExpression:
        'attribute_exists(pk) AND (attribute_not_exists(recordedAt) OR recordedAt < :at OR ' +
        '(recordedAt = :at AND recordingId = :id))',
      ExpressionAttributeValues: { ':at': occurredAt, ':id': recordingId },
    }),
  );
}

/**
 * The master playlist, its relative URIs (variant lines and `URI="..."` attributes) moved under `base`;
 * absolute URIs stay.
 */
export function rebasePlaylist(playlist: string, base: string): string {
  const relative = (uri: string) => !/^[a-z][a-z0-9+.-]*:/i.test(uri) && !uri.startsWith('/');
  return playlist
    .split(/\r?\n/)
    .map((line) => {
      const trimmed = line.trim();
      if (trimmed === '') return line;
      if (trimmed.startsWith('#')) {
        return line.replace(/URI="([^"]*)"/g, (attr, uri: string) =>
          relative(uri) ? `URI="${base}${uri}"` : attr,
        );
      }
      return relative(trimmed) ? `${base}${trimmed}` : line;
    })
    .join('\n');
}

function publishRecorded(deps: RecordingDeps, detail: LiveRecorded): Promise<void> {
  const checked = liveRecorded.parse(detail);
  return putOnBus(deps, {
    source: LIVE.source,
    detailType: 'live.recorded',
    detail: checked,
    time: new Date(checked.occurredAt),
  });
}
