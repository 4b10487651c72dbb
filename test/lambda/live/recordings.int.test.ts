import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { LIVE, liveRecorded } from '#contracts/live';
import { lectureKey, type Lecture } from '#lambda/live/lecture-records';
import { importRecording, rebasePlaylist, type RecordingDeps } from '#lambda/live/recordings';
import { createTables, LOCAL_AWS } from '#local/dynamodb-local';
import { LocalObjectStore } from '#local/object-store';

/*
 * A recording becomes a course video: IVS's HLS files (as IVS lays them out) in a real S3-compatible store,
 * the lecture in DynamoDB Local; only EventBridge is mocked, with the exact event asserted.
 */

const RECORDINGS = 'lms-live-recordings';
const OUTPUT = 'lms-renditions';
const CHANNEL = 'arn:aws:ivs:us-east-1:123456789012:channel/AbCdef1G2hij';
const BUS = 'lms-platform';

const eventBridge = mockClient(EventBridgeClient);
const dynamo = new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT!, ...LOCAL_AWS });
const ddb = DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } });
let store: LocalObjectStore;
let s3: S3Client;
let deps: RecordingDeps;

const lecture = (over: Partial<Lecture> = {}): Lecture => ({
  lectureId: randomUUID(),
  provisionId: randomUUID(),
  institutionId: randomUUID(),
  companyId: randomUUID(),
  courseId: randomUUID(),
  title: 'Ladders and scaffolds',
  startsAt: '2026-12-10T01:00:00.000Z',
  endsAt: '2026-12-10T02:00:00.000Z',
  capacity: 30,
  joinedCount: 0,
  state: 'ended',
  record: true,
  channelArn: `${CHANNEL}-${randomUUID().slice(0, 8)}`,
  roomArn: 'arn:aws:ivschat:us-east-1:123456789012:room/XyZ',
  playbackUrl: 'https://example.us-east-1.playback.live-video.net/api/video/v1/x.m3u8',
  ingestEndpoint: 'example.global-contribute.live-video.net',
  createdBy: randomUUID(),
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:00.000Z',
  ...over,
});

const MASTER = [
  '#EXTM3U',
  '#EXT-X-INDEPENDENT-SEGMENTS',
  '#EXT-X-STREAM-INF:BANDWIDTH=2000000,RESOLUTION=1280x720',
  '720p30/playlist.m3u8',
  '#EXT-X-STREAM-INF:BANDWIDTH=600000,RESOLUTION=640x360',
  '360p30/playlist.m3u8',
  '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=100000,URI="720p30/iframes.m3u8"',
  '',
].join('\n');

/** Writes a recording as IVS does: media under media/hls, the metadata file last. */
async function recordingOf(l: Lecture, recordingId: string, durationMs = 95_400) {
  const channelId = l.channelArn.split('/').at(-1)!;
  const prefix = `ivs/v1/123456789012/${channelId}/2026/12/10/1/5/${recordingId}`;
  const files: Record<string, string> = {
    'media/hls/master.m3u8': MASTER,
    'media/hls/720p30/playlist.m3u8': '#EXTM3U\n#EXTINF:6.0,\n0.ts\n',
    'media/hls/720p30/0.ts': `720-${recordingId}`,
    'media/hls/360p30/playlist.m3u8': '#EXTM3U\n#EXTINF:6.0,\n0.ts\n',
    'media/hls/360p30/0.ts': `360-${recordingId}`,
    'media/thumbnails/thumb0.jpg': 'jpg',
    'events/recording-ended.json': JSON.stringify({
      recording_ended_at: '2026-12-10T02:00:00Z',
      media: { hls: { duration_ms: durationMs, path: 'media/hls', playlist: 'master.m3u8' } },
    }),
  };
  for (const [key, body] of Object.entries(files)) {
    await s3.send(new PutObjectCommand({ Bucket: RECORDINGS, Key: `${prefix}/${key}`, Body: body }));
  }
  return prefix;
}

const recordingEnd = (l: Lecture, prefix: string, time: string, extra: Record<string, unknown> = {}) => ({
  version: '0',
  id: randomUUID(),
  'detail-type': 'IVS Recording State Change',
  source: 'aws.ivs',
  account: '123456789012',
  time,
  region: 'us-east-1',
  resources: [l.channelArn],
  detail: {
    channel_name: `lms-${l.lectureId}`,
    stream_id: 'st-1A2b3c4D5e6F78ab91c2d3e4',
    recording_status: 'Recording End',
    recording_status_reason: '',
    recording_s3_bucket_name: RECORDINGS,
    recording_s3_key_prefix: prefix,
    ...extra,
  },
});

const text = async (key: string) =>
  (await s3.send(new GetObjectCommand({ Bucket: OUTPUT, Key: key }))).Body!.transformToString();
const keysUnder = async (prefix: string) =>
  ((await s3.send(new ListObjectsV2Command({ Bucket: OUTPUT, Prefix: prefix }))).Contents ?? [])
    .map((o) => o.Key!)
    .sort();

beforeAll(async () => {
  const { live } = await createTables(process.env.DYNAMODB_ENDPOINT!, `live-recordings-${randomUUID()}-`);
  store = await LocalObjectStore.start({ uploadBucket: RECORDINGS, outputBucket: OUTPUT });
  s3 = store.client();
  deps = {
    ddb,
    liveTable: live,
    s3,
    outputBucket: OUTPUT,
    eventBridge: new EventBridgeClient({}),
    busName: BUS,
  };
});
afterAll(async () => {
  s3.destroy();
  await store.close();
  dynamo.destroy();
});
beforeEach(() => {
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});

const put = (l: Lecture) =>
  ddb.send(new PutCommand({ TableName: deps.liveTable, Item: { ...lectureKey(l.lectureId), ...l } }));

describe('a recording becomes a course video', () => {
  it('copies the HLS media beside the course’s videos, points a master playlist into it and says so', async () => {
    const l = lecture();
    await put(l);
    const prefix = await recordingOf(l, 'j8Z9O91ndcVs');

    const outcome = await importRecording(deps, recordingEnd(l, prefix, '2026-12-10T02:00:05Z'));

    expect(outcome).toEqual({ outcome: 'imported', lectureId: l.lectureId, objects: 4 });
    const base = `hls/${l.lectureId}/`;
    expect(await keysUnder(base)).toEqual([
      `${base}index.m3u8`,
      `${base}j8Z9O91ndcVs/360p30/0.ts`,
      `${base}j8Z9O91ndcVs/360p30/playlist.m3u8`,
      `${base}j8Z9O91ndcVs/720p30/0.ts`,
      `${base}j8Z9O91ndcVs/720p30/playlist.m3u8`,
    ]);
    expect(await text(`${base}j8Z9O91ndcVs/720p30/0.ts`)).toBe('720-j8Z9O91ndcVs');
    const master = await text(`${base}index.m3u8`);
    expect(master).toContain('\nj8Z9O91ndcVs/720p30/playlist.m3u8\n');
    expect(master).toContain('URI="j8Z9O91ndcVs/720p30/iframes.m3u8"');

    const detail = {
      lectureId: l.lectureId,
      provisionId: l.provisionId,
      courseId: l.courseId,
      institutionId: l.institutionId,
      title: l.title,
      occurredAt: '2026-12-10T02:00:05.000Z',
      durationSeconds: 95,
      manifestPath: `${base}index.m3u8`,
    };
    expect(liveRecorded.parse(detail)).toEqual(detail);
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(eventBridge).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [
        {
          EventBusName: BUS,
          Source: LIVE.source,
          DetailType: 'live.recorded',
          Detail: JSON.stringify(detail),
          Time: new Date(detail.occurredAt),
        },
      ],
    });
  });

  it('takes the event’s duration over the metadata file’s, and converges when the event repeats', async () => {
    const l = lecture();
    await put(l);
    const prefix = await recordingOf(l, 'rec1');
    const event = recordingEnd(l, prefix, '2026-12-10T02:00:05Z', { recording_duration_ms: 3_600_400 });
    await importRecording(deps, event);
    await importRecording(deps, event);
    const details = eventBridge
      .commandCalls(PutEventsCommand)
      .map((c) => JSON.parse(c.args[0].input.Entries![0]!.Detail!) as { durationSeconds: number });
    expect(details.map((d) => d.durationSeconds)).toEqual([3600, 3600]);
    expect(await keysUnder(`hls/${l.lectureId}/`)).toHaveLength(5);
  });

  it('keeps the newest recording when an older one’s end arrives after it', async () => {
    const l = lecture();
    await put(l);
    const older = await recordingOf(l, 'older');
    const newer = await recordingOf(l, 'newer');
    await importRecording(deps, recordingEnd(l, newer, '2026-12-10T03:00:00Z'));
    const late = await importRecording(deps, recordingEnd(l, older, '2026-12-10T02:00:00Z'));

    expect(late).toEqual({ outcome: 'ignored', reason: 'a newer recording of this lecture was imported' });
    expect(await text(`hls/${l.lectureId}/index.m3u8`)).toContain('newer/720p30/playlist.m3u8');
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    const item = await ddb.send(new GetCommand({ TableName: deps.liveTable, Key: lectureKey(l.lectureId) }));
    expect(item.Item).toMatchObject({ recordingId: 'newer', recordedAt: '2026-12-10T03:00:00.000Z' });
  });

  it('ignores a recording start, an unrecorded lecture and a channel no lecture has, publishing nothing', async () => {
    const unrecorded = lecture({ record: false });
    await put(unrecorded);
    const prefix = await recordingOf(unrecorded, 'r2');
    const start = recordingEnd(unrecorded, prefix, '2026-12-10T02:00:00Z', {
      recording_status: 'Recording Start',
    });
    expect(await importRecording(deps, start)).toEqual({ outcome: 'ignored', reason: 'Recording Start' });
    expect(await importRecording(deps, recordingEnd(unrecorded, prefix, '2026-12-10T02:00:00Z'))).toEqual({
      outcome: 'ignored',
      reason: 'the lecture is not recorded',
    });
    const stranger = lecture();
    expect(await importRecording(deps, recordingEnd(stranger, prefix, '2026-12-10T02:00:00Z'))).toEqual({
      outcome: 'ignored',
      reason: 'no lecture has this channel',
    });
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
    expect(await keysUnder(`hls/${unrecorded.lectureId}/`)).toEqual([]);
  });

  it('refuses an event that is not IVS’s, or whose prefix would leave the recording', async () => {
    const l = lecture();
    await put(l);
    const bad = recordingEnd(l, '../../hls/other', '2026-12-10T02:00:00Z');
    await expect(importRecording(deps, bad)).rejects.toThrow(/recording_s3_key_prefix/);
    await expect(importRecording(deps, { source: 'lms.live' })).rejects.toThrow(/Not an IVS recording/);
    expect(eventBridge).not.toHaveReceivedCommand(PutEventsCommand);
  });
});

describe('rebasePlaylist', () => {
  it('moves relative URIs and leaves absolute ones', () => {
    expect(rebasePlaylist('#EXTM3U\r\na/b.m3u8\nhttps://x/y.m3u8\n/abs.m3u8\n#X:URI="k.key"\n', 'r/')).toBe(
      '#EXTM3U\nr/a/b.m3u8\nhttps://x/y.m3u8\n/abs.m3u8\n#X:URI="r/k.key"\n',
    );
  });
});
