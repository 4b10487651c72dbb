import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { CreateJobCommand, MediaConvertClient } from '@aws-sdk/client-mediaconvert';
import type { Context, S3ObjectCreatedNotificationEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ENV, VOD } from '../../../lambda/resources';
import type * as StartTranscode from '../../../lambda/vod/start-transcode';
import { createTables, LOCAL_AWS } from '../../../local/dynamodb-local';
import { overrideEnv } from '../env';

/*
 * The handler as deployed: its module reads the environment at load, the idempotency layer writes to a
 * real table in DynamoDB Local, and only MediaConvert is mocked.
 */

const UPLOADS = 'lms-uploads';
const OUTPUT = 'lms-renditions';
const ROLE = 'arn:aws:iam::111122223333:role/lms-mediaconvert';
const INSTITUTION = '5b0c7c1e-3f0a-4d43-9a51-2f7f4b1f9c11';

const mediaConvert = mockClient(MediaConvertClient);
let handler: typeof StartTranscode.handler;
let idempotencyTable: string;
let restoreEnv: () => void;

beforeAll(async () => {
  const endpoint = process.env.DYNAMODB_ENDPOINT!;
  // A prefix of its own, so this file's records never meet another file's.
  idempotencyTable = (await createTables(endpoint, `vod-start-transcode-${randomUUID()}-`)).idempotency;
  restoreEnv = overrideEnv({
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    [ENV.idempotencyTable]: idempotencyTable,
    [VOD.env.outputBucket]: OUTPUT,
    [VOD.env.mediaConvertRoleArn]: ROLE,
  });
  // Loaded after the environment is set, as at a cold start.
  ({ handler } = (await import(
    join(__dirname, '../../../lambda/vod/start-transcode')
  )) as typeof StartTranscode);
});

afterAll(() => {
  restoreEnv();
});

let jobs = 0;
const createdJob = () => ({
  Job: { Id: `job-${++jobs}`, Role: ROLE, Settings: {}, Status: 'SUBMITTED' as const },
});
beforeEach(() => {
  mediaConvert.reset();
  mediaConvert.on(CreateJobCommand).callsFake(createdJob);
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
        QualityTuningLevel: 'MULTI_PASS_HQ',
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

    expect(mediaConvert).toHaveReceivedCommandTimes(CreateJobCommand, 1);
    expect(mediaConvert.commandCalls(CreateJobCommand)[0]!.args[0].input).toEqual({
      Role: ROLE,
      ClientRequestToken: createHash('sha256').update(`${UPLOADS}\n${key}\n${etag}`).digest('hex'),
      UserMetadata: { contentId, sourceKey: key, uploadBucket: UPLOADS },
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
              rendition('1080p', 1920, 1080, 5_000_000, 8),
              rendition('720p', 1280, 720, 3_000_000, 7),
              rendition('540p', 960, 540, 1_500_000, 7),
              rendition('360p', 640, 360, 800_000, 6),
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

  it('submits one job when the same event is delivered twice', async () => {
    const event = objectCreated({ rawKey: videoKey(randomUUID()), etag: 'e-twice' });
    const first = await handler(event, context);
    const second = await handler(event, context);
    expect(second).toEqual(first);
    expect(mediaConvert).toHaveReceivedCommandTimes(CreateJobCommand, 1);
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
    expect(mediaConvert).toHaveReceivedCommandTimes(CreateJobCommand, 0);
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
    expect(mediaConvert).toHaveReceivedCommandTimes(CreateJobCommand, 0);
  });
});
