import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  BadRequestException,
  CreateJobCommand,
  MediaConvertClient,
  ProbeCommand,
  type ProbeCommandOutput,
  TooManyRequestsException,
} from '@aws-sdk/client-mediaconvert';
import { DynamoDBDocumentClient, GetCommand, type TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, S3ObjectCreatedNotificationEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ENV, EVENTS, VOD } from '#contracts/resources';
import type * as StartTranscode from '#lambda/vod/start-transcode';
import { monthlyUsage, reserveTranscodeMinutes, uploadDigest } from '#lambda/vod/transcode-budget';
import { createTables, LOCAL_AWS } from '#local/dynamodb-local';
import { overrideEnv } from '../env';

/*
 * The handler as deployed: its module reads the environment at load, the idempotency layer and the
 * transcoding budget write to real tables in DynamoDB Local, and only MediaConvert and EventBridge are
 * mocked. The budget's own cases call the domain function with a fixed clock and budget.
 */

const UPLOADS = 'lms-uploads';
const OUTPUT = 'lms-renditions';
const ROLE = 'arn:aws:iam::111122223333:role/lms-mediaconvert';
const QUEUE = 'arn:aws:mediaconvert:eu-west-1:111122223333:queues/lms-demo-vod-TranscodeQueue';
const BUS = 'lms-platform';
const INSTITUTION = '5b0c7c1e-3f0a-4d43-9a51-2f7f4b1f9c11';

const mediaConvert = mockClient(MediaConvertClient);
const eventBridge = mockClient(EventBridgeClient);
const dynamo = new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT!, ...LOCAL_AWS });
const ddb = DynamoDBDocumentClient.from(dynamo);
let mod: typeof StartTranscode;
let handler: typeof StartTranscode.handler;
let idempotencyTable: string;
let accessTable: string;
let restoreEnv: () => void;

beforeAll(async () => {
  const endpoint = process.env.DYNAMODB_ENDPOINT!;
  // A prefix of its own, so this file's records never meet another file's.
  const tables = await createTables(endpoint, `vod-start-transcode-${randomUUID()}-`);
  ({ idempotency: idempotencyTable, access: accessTable } = tables);
  restoreEnv = overrideEnv({
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    [ENV.idempotencyTable]: idempotencyTable,
    [ENV.accessTable]: accessTable,
    [VOD.env.outputBucket]: OUTPUT,
    [VOD.env.mediaConvertRoleArn]: ROLE,
    [VOD.env.mediaConvertQueueArn]: QUEUE,
    [VOD.env.monthlyTranscodeMinutes]: '6000',
    [EVENTS.busNameEnv]: BUS,
  });
  // Loaded after the environment is set, as at a cold start.
  mod = (await import(join(__dirname, '../../../lambda/vod/start-transcode'))) as typeof StartTranscode;
  ({ handler } = mod);
});

afterAll(() => {
  restoreEnv();
  dynamo.destroy();
});

let jobs = 0;
const createdJob = () => ({
  Job: { Id: `job-${++jobs}`, Role: ROLE, Settings: {}, Status: 'SUBMITTED' as const },
});

/** Probe's answer for an MP4 with H.264 video and AAC audio of this many seconds. */
const probedVideo = (seconds: number): Partial<ProbeCommandOutput> => ({
  ProbeResults: [
    {
      Container: {
        Format: 'mp4',
        Duration: seconds,
        Tracks: [
          { Index: 1, TrackType: 'video', Codec: 'AVC', Duration: seconds },
          { Index: 2, TrackType: 'audio', Codec: 'AAC', Duration: seconds },
        ],
      },
      Metadata: { ETag: 'e', FileSize: 73_400_320, MimeType: 'video/mp4' },
    },
  ],
});

/** Probe's answer for a podcast in an MP4: one AAC track and no picture. */
const probedAudioOnly: Partial<ProbeCommandOutput> = {
  ProbeResults: [
    {
      Container: {
        Format: 'mp4',
        Duration: 1800,
        Tracks: [{ Index: 1, TrackType: 'audio', Codec: 'AAC', Duration: 1800 }],
      },
    },
  ],
};

/** The budget's per-object marker, as transcode-budget.ts writes it. */
const markerOf = async (upload: { bucket: string; key: string; etag: string }) =>
  (
    await ddb.send(
      new GetCommand({
        TableName: accessTable,
        Key: { pk: `transcode#${uploadDigest(upload)}`, sk: 'meta' },
      }),
    )
  ).Item;

/** Minutes counted for the institution in the month `at` falls in. */
const usedMinutes = async (institutionId: string, at: Date) =>
  (await monthlyUsage(ddb, accessTable, institutionId, 0, at)).used;

beforeEach(() => {
  mediaConvert.reset();
  mediaConvert.on(CreateJobCommand).callsFake(createdJob);
  mediaConvert.on(ProbeCommand).resolves(probedVideo(90));
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});

const context = { functionName: 'start-transcode', getRemainingTimeInMillis: () => 30_000 } as Context;

/** S3's EventBridge event for a stored object, with the key as S3 writes it (form-encoded). */
function objectCreated(o: { rawKey: string; etag: string; id?: string }): S3ObjectCreatedNotificationEvent {
  return {
    version: '0',
    id: o.id ?? randomUUID(),
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '111122223333',
    time: '2026-11-23T10:00:00Z',
    region: LOCAL_AWS.region,
    resources: [`arn:aws:s3:::${UPLOADS}`],
    detail: {
      version: '0',
      bucket: { name: UPLOADS },
      object: {
        key: o.rawKey,
        size: 73_400_320,
        etag: o.etag,
        'version-id': 'v1',
        sequencer: '0062E99A88DC407460',
      },
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: '111122223333',
      'source-ip-address': '203.0.113.1',
      reason: 'CompleteMultipartUpload',
    },
  };
}

const videoKey = (contentId: string, rawName = 'lecture.mp4') =>
  `videos/${INSTITUTION}/${contentId}/${rawName}`;

/** One HLS rendition exactly as the job must ask for it. */
const rendition = (name: string, width: number, height: number, maxBitrate: number, quality: number) => ({
  NameModifier: `_${name}`,
  ContainerSettings: { Container: 'M3U8', M3u8Settings: {} },
  VideoDescription: {
    Width: width,
    Height: height,
    ScalingBehavior: 'FIT_NO_UPSCALE',
    CodecSettings: {
      Codec: 'H_264',
      H264Settings: {
        RateControlMode: 'QVBR',
        MaxBitrate: maxBitrate,
        QvbrSettings: { QvbrQualityLevel: quality },
        QualityTuningLevel: 'SINGLE_PASS_HQ',
        CodecProfile: 'HIGH',
        CodecLevel: 'AUTO',
        GopSize: 2,
        GopSizeUnits: 'SECONDS',
        GopClosedCadence: 1,
        SceneChangeDetect: 'TRANSITION_DETECTION',
        FramerateControl: 'INITIALIZE_FROM_SOURCE',
        ParControl: 'INITIALIZE_FROM_SOURCE',
      },
    },
  },
  AudioDescriptions: [
    {
      AudioSourceName: 'Audio Selector 1',
      CodecSettings: {
        Codec: 'AAC',
        AacSettings: {
          Bitrate: 128000,
          SampleRate: 48000,
          CodingMode: 'CODING_MODE_2_0',
          CodecProfile: 'LC',
          RateControlMode: 'CBR',
        },
      },
    },
  ],
});

describe('start-transcode', () => {
  it('submits one job with the full settings for a video upload, the key decoded', async () => {
    const contentId = randomUUID();
    const etag = 'b1946ac92492d2347c6235b4d2611184-14';
    // "Week 1 – Intro+Q&A.mp4" as S3 writes it into the event.
    const event = objectCreated({ rawKey: videoKey(contentId, 'Week+1+%E2%80%93+Intro%2BQ%26A.mp4'), etag });
    const key = `videos/${INSTITUTION}/${contentId}/Week 1 – Intro+Q&A.mp4`;

    await expect(handler(event, context)).resolves.toEqual({
      outcome: 'submitted',
      contentId,
      jobId: 'job-1',
    });

    // Probed first, at the decoded key.
    expect(mediaConvert.commandCalls(ProbeCommand).map((c) => c.args[0].input)).toEqual([
      { InputFiles: [{ FileUrl: `s3://${UPLOADS}/${key}` }] },
    ]);
    expect(mediaConvert).toHaveReceivedCommandTimes(CreateJobCommand, 1);
    expect(mediaConvert.commandCalls(CreateJobCommand)[0]!.args[0].input).toEqual({
      // The platform's own queue, never the account's shared Default (which a job without one runs in).
      Queue: QUEUE,
      Role: ROLE,
      ClientRequestToken: createHash('sha256').update(`${UPLOADS}\n${key}\n${etag}`).digest('hex'),
      UserMetadata: {
        contentId,
        sourceKey: key,
        uploadBucket: UPLOADS,
        uploadDigest: createHash('sha256').update(`${UPLOADS}\n${key}\n${etag}`).digest('hex'),
      },
      Settings: {
        TimecodeConfig: { Source: 'ZEROBASED' },
        Inputs: [
          {
            FileInput: `s3://${UPLOADS}/${key}`,
            TimecodeSource: 'ZEROBASED',
            VideoSelector: {},
            AudioSelectors: { 'Audio Selector 1': { DefaultSelection: 'DEFAULT' } },
          },
        ],
        OutputGroups: [
          {
            Name: 'HLS',
            OutputGroupSettings: {
              Type: 'HLS_GROUP_SETTINGS',
              HlsGroupSettings: {
                Destination: `s3://${OUTPUT}/hls/${contentId}/index`,
                SegmentLength: 6,
                SegmentLengthControl: 'GOP_MULTIPLE',
                MinSegmentLength: 0,
                SegmentControl: 'SEGMENTED_FILES',
                DirectoryStructure: 'SINGLE_DIRECTORY',
                ManifestDurationFormat: 'FLOATING_POINT',
                TargetDurationCompatibilityMode: 'SPEC_COMPLIANT',
                OutputSelection: 'MANIFESTS_AND_SEGMENTS',
                StreamInfResolution: 'INCLUDE',
                CodecSpecification: 'RFC_4281',
                ClientCache: 'ENABLED',
              },
            },
            Outputs: [
              rendition('1080p', 1920, 1080, 6_500_000, 8),
              rendition('720p', 1280, 720, 2_900_000, 7),
              rendition('540p', 960, 540, 1_700_000, 6),
              rendition('360p', 640, 360, 900_000, 6),
            ],
          },
          {
            Name: 'Thumbnail',
            OutputGroupSettings: {
              Type: 'FILE_GROUP_SETTINGS',
              FileGroupSettings: { Destination: `s3://${OUTPUT}/hls/${contentId}/thumbnail` },
            },
            Outputs: [
              {
                ContainerSettings: { Container: 'RAW' },
                Extension: 'jpg',
                VideoDescription: {
                  Width: 1280,
                  Height: 720,
                  ScalingBehavior: 'FIT_NO_UPSCALE',
                  CodecSettings: {
                    Codec: 'FRAME_CAPTURE',
                    FrameCaptureSettings: {
                      FramerateNumerator: 1,
                      FramerateDenominator: 1,
                      MaxCaptures: 1,
                      Quality: 80,
                    },
                  },
                },
              },
            ],
          },
        ],
      },
    });
  });

  it('keeps a record per object in the idempotency table, under the table’s key and TTL attributes', async () => {
    const contentId = randomUUID();
    const before = Math.floor(Date.now() / 1000);
    await handler(objectCreated({ rawKey: videoKey(contentId), etag: 'e-record' }), context);

    const ddb = new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT!, ...LOCAL_AWS });
    try {
      const { Items = [] } = await ddb.send(new ScanCommand({ TableName: idempotencyTable }));
      const record = Items.find((i) => i.data?.M?.contentId?.S === contentId);
      expect(record).toMatchObject({
        pk: { S: expect.stringMatching(/^vod\.start-transcode#\S+$/) },
        status: { S: 'COMPLETED' },
        // Set from the Lambda context, so a crashed attempt does not block retries for a day.
        in_progress_expiration: { N: expect.stringMatching(/^\d+$/) },
      });
      const expiresAt = Number(record!.expiresAt!.N);
      expect(expiresAt).toBeGreaterThanOrEqual(before + 86_400);
      expect(expiresAt).toBeLessThanOrEqual(before + 86_400 + 60);
    } finally {
      ddb.destroy();
    }
  });

  it('submits one job, probed and counted once, when the same event is delivered twice', async () => {
    const institutionId = randomUUID();
    const contentId = randomUUID();
    const event = objectCreated({
      rawKey: `videos/${institutionId}/${contentId}/lecture.mp4`,
      etag: 'e-twice',
    });
    const first = await handler(event, context);
    const second = await handler(event, context);
    expect(second).toEqual(first);
    expect(mediaConvert).toHaveReceivedCommandTimes(ProbeCommand, 1);
    expect(mediaConvert).toHaveReceivedCommandTimes(CreateJobCommand, 1);
    // 90 s of video cost 2 minutes of the month the job started in.
    const marker = await markerOf({ bucket: UPLOADS, key: event.detail.object.key, etag: 'e-twice' });
    expect(marker).toMatchObject({ institutionId, contentId, minutes: 2 });
    expect(await usedMinutes(institutionId, new Date(`${marker!.month}-01T00:00:00Z`))).toBe(2);
  });

  it('submits one job when S3 announces the same object again under another event id', async () => {
    const rawKey = videoKey(randomUUID());
    const first = await handler(objectCreated({ rawKey, etag: 'e-same', id: randomUUID() }), context);
    const second = await handler(objectCreated({ rawKey, etag: 'e-same', id: randomUUID() }), context);
    expect(second).toEqual(first);
    expect(mediaConvert).toHaveReceivedCommandTimes(CreateJobCommand, 1);
  });

  it('submits a second job when the same key is uploaded again (a new etag)', async () => {
    const rawKey = videoKey(randomUUID());
    const first = await handler(objectCreated({ rawKey, etag: 'e-v1' }), context);
    const second = await handler(objectCreated({ rawKey, etag: 'e-v2' }), context);
    expect(second).not.toEqual(first);
    expect(mediaConvert).toHaveReceivedCommandTimes(CreateJobCommand, 2);
  });

  it('submits again on redelivery after CreateJob failed, since a failure leaves no record', async () => {
    const event = objectCreated({ rawKey: videoKey(randomUUID()), etag: 'e-retry' });
    mediaConvert
      .on(CreateJobCommand)
      .rejectsOnce(new Error('TooManyRequestsException'))
      .callsFake(createdJob);
    await expect(handler(event, context)).rejects.toThrow('TooManyRequestsException');
    await expect(handler(event, context)).resolves.toMatchObject({ outcome: 'submitted' });
    expect(mediaConvert).toHaveReceivedCommandTimes(CreateJobCommand, 2);
  });

  it('refuses a file that is no video with video.failed, stores the refusal and submits no job', async () => {
    mediaConvert.on(ProbeCommand).resolves(probedAudioOnly);
    const contentId = randomUUID();
    const event = objectCreated({ rawKey: videoKey(contentId, 'podcast.mp4'), etag: 'e-audio' });
    const refused = {
      outcome: 'refused',
      contentId,
      reason: 'The mp4 file has no video track (only audio)',
    };
    await expect(handler(event, context)).resolves.toEqual(refused);
    // Delivered again: the stored refusal answers, nothing is published twice.
    await expect(handler(event, context)).resolves.toEqual(refused);
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(eventBridge).toHaveReceivedCommandWith(PutEventsCommand, {
      Entries: [
        expect.objectContaining({ EventBusName: BUS, Source: 'lms.vod', DetailType: 'video.failed' }),
      ],
    });
    expect(mediaConvert).toHaveReceivedCommandTimes(CreateJobCommand, 0);
  });

  it.each([
    [
      'a materials upload',
      `materials/${INSTITUTION}/${randomUUID()}/notes.pdf`,
      'not under the video upload prefix',
    ],
    ['a key outside the upload layout', `uploads/${randomUUID()}.mp4`, 'not under the video upload prefix'],
    [
      'a content id that is not a UUID',
      `videos/${INSTITUTION}/lecture-1/intro.mp4`,
      'the content id is not a UUID',
    ],
    [
      'a key without a file name',
      `videos/${INSTITUTION}/${randomUUID()}/`,
      'not <prefix><institutionId>/<contentId>/<file name>',
    ],
  ])('ignores %s without a job', async (_what, rawKey, reason) => {
    await expect(handler(objectCreated({ rawKey, etag: 'e-ignored' }), context)).resolves.toEqual({
      outcome: 'ignored',
      reason,
    });
    expect(mediaConvert.calls()).toHaveLength(0);
    expect(eventBridge.calls()).toHaveLength(0);
  });

  it.each([
    ['an event without an etag', objectCreated({ rawKey: videoKey(randomUUID()), etag: '' }), /etag/],
    [
      'another S3 event type',
      { ...objectCreated({ rawKey: videoKey(randomUUID()), etag: 'e' }), 'detail-type': 'Object Deleted' },
      /detail-type/,
    ],
    [
      'a key that is not URL-encoded',
      objectCreated({ rawKey: videoKey(randomUUID(), '100%.mp4'), etag: 'e' }),
      /URL-encoded/,
    ],
    ['no event at all', null, /Not an S3 Object Created event/],
  ])('rejects %s with a clear error and no job', async (_what, event, message) => {
    const error = await handler(event, context).then(
      () => new Error('resolved'),
      (e: Error) => e,
    );
    expect(error.message).toMatch(/^Not an S3 Object Created event:/);
    expect(error.message).toMatch(message);
    expect(mediaConvert.calls()).toHaveLength(0);
  });
});

describe('startTranscode: probe and monthly budget', () => {
  const NOW = new Date('2026-11-23T10:00:00Z');

  /** The handler's dependencies with a fixed clock and budget (the SDK clients are the mocked ones). */
  const depsWith = (budget: number, now = NOW): StartTranscode.StartTranscodeDeps => ({
    mediaConvert: new MediaConvertClient({ region: LOCAL_AWS.region }),
    eventBridge: new EventBridgeClient({ region: LOCAL_AWS.region }),
    busName: BUS,
    roleArn: ROLE,
    queueArn: QUEUE,
    outputBucket: OUTPUT,
    ddb,
    accessTable,
    monthlyTranscodeMinutes: budget,
    now: () => now,
  });

  /** A stored video object of its own content, for an institution. */
  const upload = (institutionId: string): StartTranscode.VideoUpload => {
    const contentId = randomUUID();
    return {
      bucket: UPLOADS,
      key: `videos/${institutionId}/${contentId}/lecture.mp4`,
      etag: randomUUID(),
      contentId,
      institutionId,
    };
  };

  /** Starts the upload's transcode with Probe answering this many seconds of video. */
  const start = (deps: StartTranscode.StartTranscodeDeps, u: StartTranscode.VideoUpload, seconds: number) => {
    mediaConvert
      .on(ProbeCommand, { InputFiles: [{ FileUrl: `s3://${UPLOADS}/${u.key}` }] })
      .resolves(probedVideo(seconds));
    return mod.startTranscode(deps, u);
  };

  /** Exactly the PutEvents calls a refusal must make. */
  const failedEvents = (contentId: string, reason: string, at = NOW) => [
    {
      Entries: [
        {
          EventBusName: BUS,
          Source: 'lms.vod',
          DetailType: 'video.failed',
          Detail: JSON.stringify({ contentId, occurredAt: at.toISOString(), reason }),
          Time: at,
        },
      ],
    },
  ];
  const putEventsInputs = () => eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input);

  describe('probe', () => {
    it.each([
      ['a file without a video track', probedAudioOnly, 'The mp4 file has no video track (only audio)'],
      [
        'a file whose format MediaConvert does not recognise',
        { ProbeResults: [{ Container: { Tracks: [] } }] },
        'MediaConvert does not recognise the file’s format',
      ],
      [
        'a video without a duration',
        { ProbeResults: [{ Container: { Format: 'webm', Tracks: [{ TrackType: 'video', Codec: 'VP9' }] } }] },
        'The webm file has no duration',
      ],
    ] as [string, Partial<ProbeCommandOutput>, string][])(
      'refuses %s: video.failed with the reason, nothing counted, no job',
      async (_what, answer, reason) => {
        const u = upload(randomUUID());
        mediaConvert.on(ProbeCommand).resolves(answer);
        await expect(mod.startTranscode(depsWith(6000), u)).resolves.toEqual({
          outcome: 'refused',
          contentId: u.contentId,
          reason,
        });
        expect(putEventsInputs()).toEqual(failedEvents(u.contentId, reason));
        expect(mediaConvert).toHaveReceivedCommandTimes(CreateJobCommand, 0);
        expect(await markerOf(u)).toBeUndefined();
        expect(await usedMinutes(u.institutionId, NOW)).toBe(0);
      },
    );

    it('refuses a file Probe cannot read, with MediaConvert’s message', async () => {
      const u = upload(randomUUID());
      mediaConvert
        .on(ProbeCommand)
        .rejects(new BadRequestException({ message: 'Unable to open input file', $metadata: {} }));
      const reason = 'MediaConvert could not probe the file: Unable to open input file';
      await expect(mod.startTranscode(depsWith(6000), u)).resolves.toMatchObject({
        outcome: 'refused',
        reason,
      });
      expect(putEventsInputs()).toEqual(failedEvents(u.contentId, reason));
      expect(mediaConvert).toHaveReceivedCommandTimes(CreateJobCommand, 0);
    });

    it('throws when Probe is throttled, publishing and counting nothing, so the upload is delivered again', async () => {
      const u = upload(randomUUID());
      mediaConvert
        .on(ProbeCommand)
        .rejects(new TooManyRequestsException({ message: 'Too many requests', $metadata: {} }));
      await expect(mod.startTranscode(depsWith(6000), u)).rejects.toThrow('Too many requests');
      expect(eventBridge.calls()).toHaveLength(0);
      expect(mediaConvert).toHaveReceivedCommandTimes(CreateJobCommand, 0);
      expect(await markerOf(u)).toBeUndefined();
    });
  });

  describe('budget', () => {
    it('reserves a video that fits, rounded up to whole minutes, and submits its job', async () => {
      const institutionId = randomUUID();
      const deps = depsWith(10);
      const first = upload(institutionId);
      // 2 min 1 s costs 3 minutes; then 7 minutes fill the budget exactly.
      await expect(start(deps, first, 121)).resolves.toMatchObject({ outcome: 'submitted' });
      expect(await markerOf(first)).toEqual({
        pk: `transcode#${uploadDigest(first)}`,
        sk: 'meta',
        institutionId,
        contentId: first.contentId,
        key: first.key,
        month: '2026-11',
        minutes: 3,
        reservedAt: NOW.toISOString(),
      });
      await expect(start(deps, upload(institutionId), 420)).resolves.toMatchObject({ outcome: 'submitted' });
      expect(await usedMinutes(institutionId, NOW)).toBe(10);
      expect(mediaConvert).toHaveReceivedCommandTimes(CreateJobCommand, 2);
      expect(eventBridge.calls()).toHaveLength(0);
    });

    it('refuses a video that would pass the budget: no job, video.failed naming the budget and the month', async () => {
      const institutionId = randomUUID();
      const deps = depsWith(10);
      await start(deps, upload(institutionId), 480);
      const over = upload(institutionId);
      const reason =
        "The institution's transcoding budget of 10 minutes for 2026-11 is used up " +
        '(8 used, this video needs 3); it starts again on 2026-12-01 at 00:00 UTC';
      await expect(start(deps, over, 150)).resolves.toEqual({
        outcome: 'refused',
        contentId: over.contentId,
        reason,
      });
      expect(putEventsInputs()).toEqual(failedEvents(over.contentId, reason));
      expect(mediaConvert).toHaveReceivedCommandTimes(CreateJobCommand, 1);
      expect(await usedMinutes(institutionId, NOW)).toBe(8);
      expect(await markerOf(over)).toBeUndefined();
    });

    it('refuses a video longer than the whole budget in a month nothing was counted in yet', async () => {
      const u = upload(randomUUID());
      await expect(start(depsWith(10), u, 11 * 60)).resolves.toMatchObject({
        outcome: 'refused',
        reason: expect.stringContaining('(0 used, this video needs 11)'),
      });
      expect(mediaConvert).toHaveReceivedCommandTimes(CreateJobCommand, 0);
      expect(await usedMinutes(u.institutionId, NOW)).toBe(0);
    });

    it('counts an object once when it is started again after a crash, even once the month is full', async () => {
      const u = upload(randomUUID());
      const deps = depsWith(2);
      mediaConvert.on(CreateJobCommand).rejectsOnce(new Error('socket hang up')).callsFake(createdJob);
      await expect(start(deps, u, 120)).rejects.toThrow('socket hang up');
      // The minutes stay reserved for the retry, which finds the month full but this object counted.
      await expect(start(deps, u, 120)).resolves.toMatchObject({ outcome: 'submitted' });
      expect(await usedMinutes(u.institutionId, NOW)).toBe(2);
      const tokens = mediaConvert
        .commandCalls(CreateJobCommand)
        .map((c) => c.args[0].input.ClientRequestToken);
      expect(tokens).toEqual([uploadDigest(u), uploadDigest(u)]);
      expect(eventBridge.calls()).toHaveLength(0);
    });

    it('lets concurrent reservations of one institution together stay within the budget', async () => {
      const institutionId = randomUUID();
      const deps = depsWith(10);
      // Six 3-minute videos at once: three fit in 10 minutes.
      const outcomes = await Promise.all(
        Array.from({ length: 6 }, () => start(deps, upload(institutionId), 180)),
      );
      const counts = outcomes.reduce<Record<string, number>>(
        (n, o) => ({ ...n, [o.outcome]: (n[o.outcome] ?? 0) + 1 }),
        {},
      );
      expect(counts).toEqual({ submitted: 3, refused: 3 });
      expect(await usedMinutes(institutionId, NOW)).toBe(9);
      expect(mediaConvert).toHaveReceivedCommandTimes(CreateJobCommand, 3);
      expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 3);
    });

    it('tries again when another reservation’s transaction conflicts with its own', async () => {
      // DynamoDB Local runs transactions one at a time; DynamoDB cancels one of two that collide.
      const conflict = new TransactionCanceledException({
        message: 'Transaction cancelled, please refer cancellation reasons for specific reasons',
        $metadata: {},
        CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }],
      });
      let attempts = 0;
      const colliding = {
        send: (command: TransactWriteCommand) =>
          ++attempts === 1 ? Promise.reject(conflict) : ddb.send(command),
      } as unknown as DynamoDBDocumentClient;
      const u = upload(randomUUID());
      await expect(
        reserveTranscodeMinutes(colliding, accessTable, {
          institutionId: u.institutionId,
          contentId: u.contentId,
          upload: u,
          minutes: 4,
          budget: 10,
          at: NOW,
        }),
      ).resolves.toEqual({ outcome: 'reserved', month: '2026-11', minutes: 4 });
      expect(attempts).toBe(2);
      expect(await usedMinutes(u.institutionId, NOW)).toBe(4);
    });

    it('counts each calendar month in UTC on its own', async () => {
      const institutionId = randomUUID();
      const lastSecond = new Date('2026-11-30T23:59:59Z');
      const nextMonth = new Date('2026-12-01T00:00:00Z');
      await expect(start(depsWith(5, lastSecond), upload(institutionId), 300)).resolves.toMatchObject({
        outcome: 'submitted',
      });
      await expect(start(depsWith(5, nextMonth), upload(institutionId), 300)).resolves.toMatchObject({
        outcome: 'submitted',
      });
      expect(await usedMinutes(institutionId, lastSecond)).toBe(5);
      expect(await usedMinutes(institutionId, nextMonth)).toBe(5);
    });
  });
});
