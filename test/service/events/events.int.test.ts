import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { sql } from 'kysely';
import { mediaEventHandlers } from '#service/courses/media-events';
import { emit } from '#service/events/outbox';
import { eventBridgePublisher } from '#service/events/publisher';
import { consumeBatch } from '#service/events/queue-consumer';
import { relayOutbox } from '#service/events/relay';
import { seedVideoCourse } from '../seed';
import { testDatabase, type TestDatabase } from '../test-database';

const BUS = 'lms-test-bus';
const QUEUE = 'https://sqs.eu-central-1.amazonaws.com/123456789012/core-events';
let t: TestDatabase;
const eventBridge = mockClient(EventBridgeClient);
const sqs = mockClient(SQSClient);
const warnings: string[] = [];
const log = { warn: (message: string) => void warnings.push(message) };

beforeAll(async () => {
  t = await testDatabase('events');
});
afterAll(() => t.close());
beforeEach(async () => {
  eventBridge.reset();
  sqs.reset();
  warnings.length = 0;
  await t.db.deleteFrom('outbox').execute();
});

async function emitN(n: number) {
  await t.db.transaction().execute(async (trx) => {
    for (let i = 0; i < n; i++)
      await emit(trx, 'enrollment.created', {
        enrollmentId: `e${i}`,
        provisionId: 'p',
        courseId: 'c',
        userSub: `u${i}`,
      });
  });
}

const unpublished = async () =>
  (
    await t.db
      .selectFrom('outbox')
      .select('payload')
      .where('published_at', 'is', null)
      .orderBy('id')
      .execute()
  ).map((r) => r.payload.enrollmentId);

/** PutEvents answers: an EventId per entry, or an error for the ones listed. */
function acceptExcept(failing: number[] = []) {
  eventBridge.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
    FailedEntryCount: failing.length,
    Entries: input.Entries.map((_, i) =>
      failing.includes(i)
        ? { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }
        : { EventId: `id-${i}` },
    ),
  }));
}

describe('outbox relay', () => {
  it('publishes each event to the bus with its id and time, ten per call, and marks them', async () => {
    await emitN(12);
    acceptExcept();
    const row = await t.db
      .selectFrom('outbox')
      .select(['id', 'created_at'])
      .orderBy('id')
      .executeTakeFirstOrThrow();
    expect(await relayOutbox(t.db, eventBridgePublisher(new EventBridgeClient({}), BUS))).toBe(12);
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls.map((c) => c.args[0].input.Entries!.length)).toEqual([10, 2]);
    const first = calls[0]!.args[0].input.Entries![0]!;
    expect(first).toEqual({
      EventBusName: BUS,
      Source: 'lms.core',
      DetailType: 'enrollment.created',
      Detail: expect.any(String),
      Time: row.created_at,
    });
    // jsonb keeps its own key order: compare the detail, not its text.
    expect(JSON.parse(first.Detail!)).toEqual({
      enrollmentId: 'e0',
      provisionId: 'p',
      courseId: 'c',
      userSub: 'u0',
      eventId: `core-${row.id}`,
      occurredAt: row.created_at.toISOString(),
    });
    expect(await unpublished()).toEqual([]);
    expect(await relayOutbox(t.db, eventBridgePublisher(new EventBridgeClient({}), BUS))).toBe(0);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(2);
  });

  it('keeps the entries the bus refused and publishes them on the next pass', async () => {
    await emitN(3);
    acceptExcept([1]);
    const publish = eventBridgePublisher(new EventBridgeClient({}), BUS);
    await relayOutbox(t.db, publish);
    expect(await unpublished()).toEqual(['e1']);
    eventBridge.reset();
    acceptExcept();
    await relayOutbox(t.db, publish);
    expect(await unpublished()).toEqual([]);
    expect(
      JSON.parse(eventBridge.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!.Detail!),
    ).toMatchObject({
      enrollmentId: 'e1',
    });
  });

  it('leaves everything unpublished when the bus cannot be reached', async () => {
    await emitN(2);
    eventBridge.on(PutEventsCommand).rejects(new Error('connect ETIMEDOUT'));
    await expect(relayOutbox(t.db, eventBridgePublisher(new EventBridgeClient({}), BUS))).rejects.toThrow(
      'ETIMEDOUT',
    );
    expect(await unpublished()).toEqual(['e0', 'e1']);
  });

  it('lets several relays run at once without publishing an event twice', async () => {
    await emitN(120);
    const seen: string[] = [];
    const publish = async (events: readonly { detail: Record<string, unknown> }[]) => {
      for (const e of events) seen.push(e.detail.eventId as string);
      return events.map((_, i) => i);
    };
    const passes = async () => {
      while ((await relayOutbox(t.db, publish, 7)) > 0);
    };
    await Promise.all([passes(), passes(), passes()]);
    expect(seen).toHaveLength(120);
    expect(new Set(seen).size).toBe(120);
  });
});

describe('video events from the queue', () => {
  let contentId: string;

  beforeAll(async () => {
    [contentId] = (await seedVideoCourse(t.db, { videos: 1, ready: false })).videoIds as [string];
  });

  const ready = (id: string, occurredAt: string, manifestPath = 'videos/v1/index.m3u8') => ({
    id,
    source: 'lms.vod',
    'detail-type': 'video.ready',
    time: occurredAt,
    detail: { contentId, occurredAt, durationSeconds: 754, manifestPath },
  });
  const failed = (id: string, occurredAt: string) => ({
    id,
    source: 'lms.vod',
    'detail-type': 'video.failed',
    time: occurredAt,
    detail: { contentId, occurredAt, reason: 'not a video stream' },
  });
  const media = () =>
    t.db
      .selectFrom('contents')
      .select(['media_state', 'duration_seconds', 'playback_path', 'media_error'])
      .where('id', '=', contentId)
      .executeTakeFirstOrThrow();

  /** One ReceiveMessage answer with these bodies; returns what the consumer deleted. */
  async function deliver(bodies: unknown[]) {
    sqs.on(ReceiveMessageCommand).resolves({
      Messages: bodies.map((b, i) => ({
        MessageId: `m${i}`,
        ReceiptHandle: `r${i}`,
        Body: typeof b === 'string' ? b : JSON.stringify(b),
      })),
    });
    sqs.on(DeleteMessageBatchCommand).resolves({});
    const result = await consumeBatch(new SQSClient({}), QUEUE, mediaEventHandlers(t.db), log, {
      waitSeconds: 0,
    });
    expect(sqs).toHaveReceivedCommandWith(ReceiveMessageCommand, {
      QueueUrl: QUEUE,
      MaxNumberOfMessages: 10,
      WaitTimeSeconds: 0,
    });
    return { result, deleted: sqs.commandCalls(DeleteMessageBatchCommand).map((c) => c.args[0].input) };
  }

  it('sets a video ready, once, however often the event arrives', async () => {
    const event = ready('ev-1', '2026-11-23T10:00:00Z');
    const { result, deleted } = await deliver([event, event]);
    expect(result).toEqual({ received: 2, handled: 2 });
    expect(deleted).toEqual([
      {
        QueueUrl: QUEUE,
        Entries: [
          { Id: '0', ReceiptHandle: 'r0' },
          { Id: '1', ReceiptHandle: 'r1' },
        ],
      },
    ]);
    expect(await media()).toEqual({
      media_state: 'ready',
      duration_seconds: 754,
      playback_path: 'videos/v1/index.m3u8',
      media_error: null,
    });
    const processed = await t.db
      .selectFrom('processed_events')
      .select(sql<number>`count(*)::int`.as('n'))
      .where('event_id', '=', 'ev-1')
      .executeTakeFirstOrThrow();
    expect(processed.n).toBe(1);
  });

  it('ignores an older event that arrives after a newer one, and applies a newer one', async () => {
    await deliver([failed('ev-2', '2026-11-23T09:00:00Z')]);
    expect((await media()).media_state).toBe('ready');
    sqs.reset();
    await deliver([failed('ev-3', '2026-11-23T11:00:00Z')]);
    expect(await media()).toMatchObject({ media_state: 'failed', media_error: 'not a video stream' });
    sqs.reset();
    await deliver([ready('ev-4', '2026-11-23T12:00:00Z', 'videos/v2/index.m3u8')]);
    expect(await media()).toMatchObject({
      media_state: 'ready',
      playback_path: 'videos/v2/index.m3u8',
      media_error: null,
    });
  });

  it('leaves malformed, unknown and invalid events on the queue for the dead-letter queue', async () => {
    const before = await media();
    const { result, deleted } = await deliver([
      'not json',
      { ...ready('ev-5', '2026-11-23T13:00:00Z'), 'detail-type': 'video.renamed' },
      { ...ready('ev-6', '2026-11-23T13:00:00Z'), detail: { contentId: 'nope' } },
    ]);
    expect(result).toEqual({ received: 3, handled: 0 });
    expect(deleted).toEqual([]);
    expect(warnings).toHaveLength(3);
    expect(await media()).toEqual(before);
  });

  it('keeps a batch hidden while a long handler runs, all but the failed, until it is deleted', async () => {
    sqs.on(ReceiveMessageCommand).resolves({
      Messages: ['slow', 'broken', 'quick'].map((type, i) => ({
        MessageId: `m${i}`,
        ReceiptHandle: `r${i}`,
        Body: JSON.stringify({ ...ready(`ev-h${i}`, '2026-11-23T14:00:00Z'), 'detail-type': type }),
      })),
    });
    sqs.on(DeleteMessageBatchCommand).resolves({});
    let extended!: () => void;
    const extension = new Promise<void>((resolve) => (extended = resolve));
    sqs.on(ChangeMessageVisibilityBatchCommand).callsFake(() => {
      extended();
      return {};
    });
    const result = await consumeBatch(
      new SQSClient({}),
      QUEUE,
      {
        // Runs until the visibility was extended once: the handler outlives a heartbeat.
        slow: () => extension,
        quick: async () => undefined,
      },
      log,
      { waitSeconds: 0, heartbeatMs: 5 },
    );
    expect(result).toEqual({ received: 3, handled: 2 });
    expect(sqs.commandCalls(ChangeMessageVisibilityBatchCommand)[0]!.args[0].input).toEqual({
      QueueUrl: QUEUE,
      Entries: ['0', '1', '2'].map((Id) => ({ Id, ReceiptHandle: `r${Id}`, VisibilityTimeout: 60 })),
    });
    expect(sqs).toHaveReceivedCommandWith(DeleteMessageBatchCommand, {
      QueueUrl: QUEUE,
      Entries: [
        { Id: '0', ReceiptHandle: 'r0' },
        { Id: '2', ReceiptHandle: 'r2' },
      ],
    });
  });
});
