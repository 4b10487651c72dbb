import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ENV, EVENTS } from '#contracts/resources';
import type * as PublishJobState from '#lambda/vod/publish-job-state';
import { monthlyUsage, reserveTranscodeMinutes, uploadDigest } from '#lambda/vod/transcode-budget';
import { createTables, LOCAL_AWS } from '#local/dynamodb-local';
import { overrideEnv } from '../env';

/*
 * The handler as deployed: its module reads the environment at load, and a failed job's minutes go back to
 * the budget in a real access table in DynamoDB Local; only EventBridge is mocked.
 */

const BUS = 'lms-platform';
const OUTPUT = 'lms-renditions';
const CONTENT = '0f6f5e3c-8a44-4c5e-b6a3-6f1d2b7c9e10';
const JOB = '1795440000000-abc123';

const eventBridge = mockClient(EventBridgeClient);
let handler: typeof PublishJobState.handler;
let durationSecondsOf: typeof PublishJobState.durationSecondsOf;
let restoreEnv: () => void;
let accessTable: string;
const dynamo = new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT!, ...LOCAL_AWS });
const ddb = DynamoDBDocumentClient.from(dynamo);

// The module reads its environment at load, as at a cold start.
beforeAll(async () => {
  const endpoint = process.env.DYNAMODB_ENDPOINT!;
  ({ access: accessTable } = await createTables(endpoint, `vod-job-state-${randomUUID()}-`));
  restoreEnv = overrideEnv({
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    [ENV.accessTable]: accessTable,
    [EVENTS.busNameEnv]: BUS,
  });
  ({ handler, durationSecondsOf } = (await import(
    join(__dirname, '../../../lambda/vod/publish-job-state')
  )) as typeof PublishJobState);
});
afterAll(() => {
  restoreEnv();
  dynamo.destroy();
});
beforeEach(() => {
  eventBridge.reset();
  eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});

const hlsOutput = (name: string, width: number, height: number) => ({
  outputFilePaths: [`s3://${OUTPUT}/hls/${CONTENT}/index_${name}.m3u8`],
  durationInMs: 1_834_567,
  videoDetails: { widthInPx: width, heightInPx: height, averageQVBRScore: 8.1 },
});

/** MediaConvert's event as EventBridge delivers it, shaped after the samples in its user guide. */
function jobStateChange(detail: Record<string, unknown>) {
  return {
    version: '0',
    id: 'a4b5c6d7-0000-4000-8000-000000000001',
    'detail-type': 'MediaConvert Job State Change',
    source: 'aws.mediaconvert',
    account: '111122223333',
    time: '2026-11-23T10:31:07Z',
    region: 'eu-west-1',
    resources: [`arn:aws:mediaconvert:eu-west-1:111122223333:jobs/${JOB}`],
    detail: {
      timestamp: 1795429867124,
      accountId: '111122223333',
      queue: 'arn:aws:mediaconvert:eu-west-1:111122223333:queues/Default',
      jobId: JOB,
      userMetadata: {
        contentId: CONTENT,
        sourceKey: `videos/i-1/${CONTENT}/lecture.mp4`,
        uploadBucket: 'lms-uploads',
      },
      ...detail,
    },
  };
}

const complete = (hls: ReturnType<typeof hlsOutput>[]) =>
  jobStateChange({
    status: 'COMPLETE',
    warnings: [{ code: 230005, count: 1 }],
    outputGroupDetails: [
      {
        type: 'HLS_GROUP',
        outputDetails: hls,
        playlistFilePaths: [`s3://${OUTPUT}/hls/${CONTENT}/index.m3u8`],
      },
      {
        type: 'FILE_GROUP',
        outputDetails: [
          {
            outputFilePaths: [`s3://${OUTPUT}/hls/${CONTENT}/thumbnail.0000000.jpg`],
            durationInMs: 1_834_567,
            videoDetails: { widthInPx: 1280, heightInPx: 720 },
          },
        ],
      },
    ],
  });

/** The PutEvents input with the detail parsed, so a comparison covers every field, not a string's key order. */
function sentInput(): Omit<PutEventsCommandInput, 'Entries'> & { Entries: Record<string, unknown>[] } {
  const { input } = eventBridge.commandCalls(PutEventsCommand)[0]!.args[0];
  return {
    ...input,
    Entries: (input.Entries ?? []).map((e) => ({ ...e, Detail: JSON.parse(e.Detail ?? 'null') as unknown })),
  };
}

describe('publish-job-state', () => {
  it('publishes video.ready for a completed job, renditions highest first', async () => {
    // MediaConvert lists outputs in no promised order.
    const event = complete([
      hlsOutput('540p', 960, 540),
      hlsOutput('1080p', 1920, 1080),
      hlsOutput('360p', 640, 360),
      hlsOutput('720p', 1280, 720),
    ]);
    await expect(handler(event)).resolves.toEqual({ outcome: 'published', type: 'video.ready' });

    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    expect(sentInput()).toEqual({
      Entries: [
        {
          EventBusName: BUS,
          Source: 'lms.vod',
          DetailType: 'video.ready',
          Time: new Date('2026-11-23T10:31:07Z'),
          Detail: {
            contentId: CONTENT,
            occurredAt: '2026-11-23T10:31:07Z',
            durationSeconds: 1834,
            manifestPath: `hls/${CONTENT}/index.m3u8`,
            thumbnailPath: `hls/${CONTENT}/thumbnail.0000000.jpg`,
            renditions: [
              { height: 1080, bitrate: 6_500_000 },
              { height: 720, bitrate: 2_900_000 },
              { height: 540, bitrate: 1_700_000 },
              { height: 360, bitrate: 900_000 },
            ],
          },
        },
      ],
    });
  });

  it('reports the heights MediaConvert produced from a small source, and each rung’s bitrate', async () => {
    // A 854x480 upload: FIT_NO_UPSCALE leaves the upper rungs at the source's size.
    await handler(
      complete([
        hlsOutput('1080p', 854, 480),
        hlsOutput('720p', 854, 480),
        hlsOutput('540p', 854, 480),
        hlsOutput('360p', 640, 360),
      ]),
    );
    expect(sentInput().Entries[0]!.Detail).toMatchObject({
      renditions: [
        { height: 480, bitrate: 6_500_000 },
        { height: 480, bitrate: 2_900_000 },
        { height: 480, bitrate: 1_700_000 },
        { height: 360, bitrate: 900_000 },
      ],
    });
  });

  it('publishes video.failed with the error code and message for a failed job', async () => {
    const event = jobStateChange({
      status: 'ERROR',
      errorCode: 1040,
      errorMessage: 'Unable to open input file [s3://lms-uploads/videos/x.mp4]',
    });
    await expect(handler(event)).resolves.toEqual({ outcome: 'published', type: 'video.failed' });

    expect(sentInput()).toEqual({
      Entries: [
        {
          EventBusName: BUS,
          Source: 'lms.vod',
          DetailType: 'video.failed',
          Time: new Date('2026-11-23T10:31:07Z'),
          Detail: {
            contentId: CONTENT,
            occurredAt: '2026-11-23T10:31:07Z',
            reason: `MediaConvert job ${JOB} failed with error 1040: Unable to open input file [s3://lms-uploads/videos/x.mp4]`,
          },
        },
      ],
    });
  });

  describe('the budget', () => {
    const institutionId = randomUUID();
    const upload = {
      bucket: 'lms-uploads',
      key: `videos/${institutionId}/${CONTENT}/lecture.mp4`,
      etag: 'e1',
    };
    const at = new Date();
    const used = async () => (await monthlyUsage(ddb, accessTable, institutionId, 60, at)).used;
    const failed = () =>
      jobStateChange({
        status: 'ERROR',
        errorCode: 1040,
        userMetadata: {
          contentId: CONTENT,
          sourceKey: upload.key,
          uploadBucket: upload.bucket,
          uploadDigest: uploadDigest(upload),
        },
      });

    it('gets a failed job’s minutes back once, however often the failure is delivered', async () => {
      const other = { ...upload, etag: 'e2' };
      for (const u of [upload, other]) {
        await reserveTranscodeMinutes(ddb, accessTable, {
          institutionId,
          contentId: CONTENT,
          upload: u,
          minutes: 7,
          budget: 60,
          at,
        });
      }
      expect(await used()).toBe(14);

      await expect(handler(failed())).resolves.toEqual({ outcome: 'published', type: 'video.failed' });
      expect(await used()).toBe(7);
      const { Item: marker } = await ddb.send(
        new GetCommand({
          TableName: accessTable,
          Key: { pk: `transcode#${uploadDigest(upload)}`, sk: 'meta' },
        }),
      );
      expect(marker).toMatchObject({ minutes: 7, releasedAt: expect.any(String) });

      await Promise.all([handler(failed()), handler(failed())]);
      expect(await used()).toBe(7);
      expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 3);
    });

    it('keeps a completed job’s minutes counted', async () => {
      const done = { ...upload, etag: 'e3' };
      await reserveTranscodeMinutes(ddb, accessTable, {
        institutionId,
        contentId: CONTENT,
        upload: done,
        minutes: 5,
        budget: 60,
        at,
      });
      const before = await used();
      const event = complete([hlsOutput('1080p', 1920, 1080)]);
      event.detail.userMetadata = {
        ...event.detail.userMetadata,
        uploadDigest: uploadDigest(done),
      } as typeof event.detail.userMetadata;
      await expect(handler(event)).resolves.toEqual({ outcome: 'published', type: 'video.ready' });
      expect(await used()).toBe(before);
    });

    it('gives back nothing for a job that carries no digest, and still publishes its failure', async () => {
      const before = await used();
      await expect(handler(jobStateChange({ status: 'ERROR' }))).resolves.toEqual({
        outcome: 'published',
        type: 'video.failed',
      });
      expect(await used()).toBe(before);
    });
  });

  it('throws when PutEvents drops the entry, so EventBridge delivers the job event again', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'Try again' }],
    });
    await expect(handler(jobStateChange({ status: 'ERROR', errorCode: 1040 }))).rejects.toThrow(
      'PutEvents refused video.failed: InternalFailure Try again',
    );
  });

  it('lets a PutEvents error escape for the same retry', async () => {
    eventBridge.on(PutEventsCommand).rejects(new Error('ThrottlingException'));
    await expect(handler(jobStateChange({ status: 'ERROR' }))).rejects.toThrow('ThrottlingException');
  });

  it('rejects a job this pipeline did not submit (no contentId) and publishes nothing', async () => {
    const event = {
      ...jobStateChange({ status: 'COMPLETE' }),
      detail: { jobId: JOB, status: 'COMPLETE', userMetadata: {} },
    };
    await expect(handler(event)).rejects.toThrow(
      /Not a MediaConvert job state change of this pipeline:[\s\S]*contentId/,
    );
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it('refuses a completed job without an HLS duration rather than publish a made-up one', async () => {
    const event = jobStateChange({ status: 'COMPLETE', outputGroupDetails: [] });
    await expect(handler(event)).rejects.toThrow(
      `MediaConvert job ${JOB} completed without an HLS output duration`,
    );
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it('ignores the states between submission and the end', async () => {
    await expect(handler(jobStateChange({ status: 'PROGRESSING' }))).resolves.toEqual({
      outcome: 'ignored',
      status: 'PROGRESSING',
    });
    expect(eventBridge).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });
});

describe('durationSecondsOf', () => {
  it.each([
    [0, 0],
    [400, 1],
    [1_999, 1],
    [60_000, 60],
    [1_834_567, 1834],
  ])('%i ms is %i s', (ms, seconds) => expect(durationSecondsOf(ms)).toBe(seconds));
});
