import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  AccessDeniedException,
  ChannelNotBroadcasting,
  IvsClient,
  PutMetadataCommand,
  type PutMetadataCommandInput,
  ThrottlingException,
} from '@aws-sdk/client-ivs';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { IVS_LIMITS, quizMetadata } from '#contracts/live';
import { HttpError } from '#contracts/problem';
import { limiterKey, quizKey } from '#lambda/live/lecture-records';
import {
  ChannelBusy,
  MAX_LATE,
  MAX_TRIES,
  MAX_WAIT_MS,
  METADATA_SLOT_MS,
  reserveMetadataSlot,
} from '#lambda/live/metadata-limiter';
import { createQuiz, type QuizDeps, type QuizItem, sendQuiz } from '#lambda/live/quizzes';
import {
  documentClient,
  dynamo,
  putLecture,
  quizDepsFor,
  quizTables,
  seedWorld,
  VirtualClock,
  type World,
} from './quiz-fixture';

/*
 * The channel limiter as deployed: its slots in a real table in DynamoDB Local, raced for by concurrent
 * senders; only IVS is mocked, at its SDK boundary, recording each PutMetadata by the senders' virtual clock.
 */

const ivs = mockClient(IvsClient);
const T0 = new Date('2026-12-07T09:15:00.000Z');
let client: DynamoDBClient;
let ddb: DynamoDBDocumentClient;
let tables: { accessTable: string; liveTable: string };
let world: World;

interface Call {
  readonly at: number;
  readonly input: PutMetadataCommandInput;
}

beforeAll(async () => {
  client = dynamo();
  ddb = documentClient(client);
  tables = await quizTables('live-limiter');
  world = await seedWorld(ddb, tables.accessTable);
});
afterAll(() => client.destroy());
beforeEach(() => ivs.reset());

/** Records each PutMetadata at the clock's time; `fail` may throw for a call, by its number from 1. */
function recordCalls(
  clock: VirtualClock,
  fail?: (n: number, input: PutMetadataCommandInput) => Error | undefined,
) {
  const calls: Call[] = [];
  ivs.on(PutMetadataCommand).callsFake((input: PutMetadataCommandInput) => {
    calls.push({ at: clock.now().getTime(), input });
    const error = fail?.(calls.length, input);
    if (error) throw error;
    return {};
  });
  return calls;
}

const throttling = () =>
  new ThrottlingException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } });

const question = (n: number) =>
  `Question ${n}: which of these is the safe load for a counterbalanced forklift on a 5% incline? ${'…'.repeat(60)}`;
const options = (n: number) => [1, 2, 3, 4].map((o) => `Option ${o} for question ${n}: ${'x'.repeat(120)}`);

async function prepare(deps: QuizDeps, lectureId: string, count: number) {
  const quizzes: QuizItem[] = [];
  for (let n = 0; n < count; n++) {
    quizzes.push(
      await createQuiz(deps, { sub: world.people.staff }, lectureId, {
        question: question(n),
        options: options(n),
        answer: n % 4,
        explanation: 'Derate by the incline.',
        timeLimitSeconds: 30,
      }),
    );
  }
  return quizzes;
}

/** The most calls in any window of one second [t, t + 1000) that starts at a call. */
const busiestSecond = (times: number[]) =>
  Math.max(0, ...times.map((t) => times.filter((u) => u >= t && u < t + 1000).length));

const getQuiz = async (lectureId: string, quizId: string) =>
  (await ddb.send(new GetCommand({ TableName: tables.liveTable, Key: quizKey(lectureId, quizId) })))
    .Item as QuizItem;

describe('the channel limiter', () => {
  it('20 quizzes sent in one second reach IVS at no more than 5 calls per second per channel, none lost, each within 1 KB', async () => {
    const clock = new VirtualClock(T0);
    const deps = quizDepsFor(ddb, tables, clock);
    const [busy, other] = [
      await putLecture(ddb, tables.liveTable, world, 'live'),
      await putLecture(ddb, tables.liveTable, world, 'live'),
    ];
    const busyQuizzes = await prepare(deps, busy.lectureId, 20);
    const otherQuizzes = await prepare(deps, other.lectureId, 5);
    const calls = recordCalls(clock);

    // Every send starts at T0, concurrently: each one's reservation races the others' in DynamoDB Local.
    const sends = [
      ...busyQuizzes.map((q) => [busy, q] as const),
      ...otherQuizzes.map((q) => [other, q] as const),
    ].map(([lecture, quiz]) =>
      clock.run(() => sendQuiz(deps, { sub: world.people.staff }, lecture.lectureId, quiz.quizId)),
    );
    const sent = await Promise.all(sends);

    for (const lecture of [busy, other]) {
      const own = calls.filter((c) => c.input.channelArn === lecture.channelArn);
      expect(busiestSecond(own.map((c) => c.at))).toBeLessThanOrEqual(IVS_LIMITS.metadataCallsPerSecond);
    }
    // None lost, none twice: each quiz reached its own channel once, exactly as the player reads it.
    expect(calls).toHaveLength(25);
    const byQuiz = new Map(calls.map((c) => [JSON.parse(c.input.metadata!).id as string, c]));
    expect(byQuiz.size).toBe(25);
    for (const [i, quiz] of [...busyQuizzes, ...otherQuizzes].entries()) {
      const lecture = i < 20 ? busy : other;
      const call = byQuiz.get(quiz.quizId)!;
      const { sentAt, deadline } = sent[i]!;
      expect(call.input).toEqual({
        channelArn: lecture.channelArn,
        metadata: quizMetadata(
          quiz.quizId,
          { question: quiz.question, options: [...quiz.options] },
          new Date(deadline),
        ),
      });
      expect(new TextEncoder().encode(call.input.metadata!).length).toBeLessThanOrEqual(
        IVS_LIMITS.metadataBytes,
      );
      // The deadline counts from the moment the quiz reached the channel, not from when the send was asked.
      expect(Date.parse(sentAt)).toBe(call.at);
      expect(Date.parse(deadline)).toBe(call.at + 30_000);
      expect(await getQuiz(lecture.lectureId, quiz.quizId)).toMatchObject({ sentAt, deadline });
    }
    // The busy channel's queue took 4 s; the other channel went out in its own first second.
    const times = (arn: string) =>
      calls.filter((c) => c.input.channelArn === arn).map((c) => c.at - T0.getTime());
    expect(times(busy.channelArn).sort((a, b) => a - b)).toEqual(
      [...Array(20).keys()].map((k) => k * METADATA_SLOT_MS),
    );
    expect(times(other.channelArn).sort((a, b) => a - b)).toEqual([0, 200, 400, 600, 800]);
  });

  it('retries IVS’s throttling in the next slot, with the same metadata', async () => {
    const clock = new VirtualClock(T0);
    const deps = quizDepsFor(ddb, tables, clock);
    const lecture = await putLecture(ddb, tables.liveTable, world, 'live');
    const [quiz] = await prepare(deps, lecture.lectureId, 1);
    const calls = recordCalls(clock, (n) => (n === 1 ? throttling() : undefined));

    const sent = await sendQuiz(deps, { sub: world.people.staff }, lecture.lectureId, quiz!.quizId);

    expect(calls.map((c) => c.at - T0.getTime())).toEqual([0, METADATA_SLOT_MS]);
    expect(calls[1]!.input).toEqual(calls[0]!.input);
    expect(ivs).toHaveReceivedCommandTimes(PutMetadataCommand, 2);
    expect(await getQuiz(lecture.lectureId, quiz!.quizId)).toMatchObject({ sentAt: sent.sentAt });
  });

  it('gives up after bounded tries when IVS keeps throttling, undoing the sent mark so the quiz can be sent again', async () => {
    const clock = new VirtualClock(T0);
    const deps = quizDepsFor(ddb, tables, clock);
    const lecture = await putLecture(ddb, tables.liveTable, world, 'live');
    const [quiz] = await prepare(deps, lecture.lectureId, 1);
    const calls = recordCalls(clock, () => throttling());

    const refusal = await sendQuiz(deps, { sub: world.people.staff }, lecture.lectureId, quiz!.quizId).catch(
      (e: unknown) => e,
    );
    expect(refusal).toBeInstanceOf(ChannelBusy);
    expect(refusal).toMatchObject({ reason: 'throttled', retryAfterSeconds: 1 });
    expect(calls).toHaveLength(MAX_TRIES);
    const unsent = await getQuiz(lecture.lectureId, quiz!.quizId);
    expect([unsent.sentAt, unsent.deadline]).toEqual([undefined, undefined]);

    ivs.reset();
    const again = recordCalls(clock);
    const sent = await sendQuiz(deps, { sub: world.people.staff }, lecture.lectureId, quiz!.quizId);
    expect(again).toHaveLength(1);
    expect(await getQuiz(lecture.lectureId, quiz!.quizId)).toMatchObject({ sentAt: sent.sentAt });
  });

  it('refuses a send whose slot is more than MAX_WAIT_MS away, calling nothing and marking nothing', async () => {
    const clock = new VirtualClock(T0);
    const deps = quizDepsFor(ddb, tables, clock);
    const lecture = await putLecture(ddb, tables.liveTable, world, 'live');
    const [quiz] = await prepare(deps, lecture.lectureId, 1);
    const calls = recordCalls(clock);
    await ddb.send(
      new PutCommand({
        TableName: tables.liveTable,
        Item: { ...limiterKey(lecture.channelArn), nextFree: T0.getTime() + MAX_WAIT_MS + 2500 },
      }),
    );

    const refusal = await sendQuiz(deps, { sub: world.people.staff }, lecture.lectureId, quiz!.quizId).catch(
      (e: unknown) => e,
    );

    expect(refusal).toBeInstanceOf(ChannelBusy);
    expect(refusal).toMatchObject({ reason: 'queue-full', retryAfterSeconds: 3 });
    expect(calls).toHaveLength(0);
    expect((await getQuiz(lecture.lectureId, quiz!.quizId)).sentAt).toBeUndefined();
  });

  it('reserves a new slot instead of calling late when the sender woke long after its slot', async () => {
    const clock = new VirtualClock(T0);
    const lecture = await putLecture(ddb, tables.liveTable, world, 'live');
    // Another sender holds the next slot; this one's first wake-up is 300 ms late (a paused instance).
    await reserveMetadataSlot(quizDepsFor(ddb, tables, clock), lecture.channelArn);
    let overslept = false;
    const deps: QuizDeps = {
      ...quizDepsFor(ddb, tables, clock),
      sleep: (ms) => clock.sleep(overslept ? ms : ((overslept = true), ms + 300)),
    };
    const [quiz] = await prepare(deps, lecture.lectureId, 1);
    const calls = recordCalls(clock);

    await sendQuiz(deps, { sub: world.people.staff }, lecture.lectureId, quiz!.quizId);

    // Its slot was at 200 ms and it woke at 500: calling then would crowd the slots after it, so it took the
    // channel's next free slot (the channel was idle again by then, so 500 itself) and called once.
    expect(calls.map((c) => c.at - T0.getTime())).toEqual([500]);
  });

  it('calls anyway after missing MAX_LATE slots, leaving it to IVS to throttle, instead of failing the send', async () => {
    const clock = new VirtualClock(T0);
    const lecture = await putLecture(ddb, tables.liveTable, world, 'live');
    const [quiz] = await prepare(quizDepsFor(ddb, tables, clock), lecture.lectureId, 1);
    // A clock that runs 300 ms on between any two readings: every slot has passed by the time it is checked.
    let t = T0.getTime();
    // Counts the reservations, as the limiter item sees them.
    let reservations = 0;
    const counting = new Proxy(ddb, {
      get: (target, name) =>
        name === 'send'
          ? (command: { input: { Key?: { pk?: string } } }) => {
              if (command.input.Key?.pk?.startsWith('limiter#')) reservations += 1;
              return target.send(command as never);
            }
          : Reflect.get(target, name),
    });
    const deps: QuizDeps = { ...quizDepsFor(counting, tables, clock), now: () => new Date((t += 300)) };
    ivs.on(PutMetadataCommand).resolves({});

    await sendQuiz(deps, { sub: world.people.staff }, lecture.lectureId, quiz!.quizId);

    expect(ivs).toHaveReceivedCommandTimes(PutMetadataCommand, 1);
    // The send's own slot, then one for each slot it missed, then the call in the last one, however late.
    // Each slot is on a channel idle again by then: two updates (the busy form refused, then the idle form).
    expect(reservations).toBe(2 * (1 + MAX_LATE));
  });

  it('undoes the mark and answers 409 when IVS says the channel is not broadcasting; other IVS errors pass through unmarked', async () => {
    const clock = new VirtualClock(T0);
    const deps = quizDepsFor(ddb, tables, clock);
    const lecture = await putLecture(ddb, tables.liveTable, world, 'live');
    const [a, b] = await prepare(deps, lecture.lectureId, 2);
    recordCalls(clock, (_n, input) =>
      JSON.parse(input.metadata!).id === a!.quizId
        ? new ChannelNotBroadcasting({ message: 'not live', $metadata: {} })
        : new AccessDeniedException({ message: 'no', $metadata: {} }),
    );

    const notLive = await sendQuiz(deps, { sub: world.people.staff }, lecture.lectureId, a!.quizId).catch(
      (e: unknown) => e,
    );
    expect(notLive).toBeInstanceOf(HttpError);
    expect((notLive as HttpError).status).toBe(409);
    const denied = await sendQuiz(deps, { sub: world.people.staff }, lecture.lectureId, b!.quizId).catch(
      (e: unknown) => e,
    );
    expect(denied).toBeInstanceOf(AccessDeniedException);
    for (const q of [a!, b!]) expect((await getQuiz(lecture.lectureId, q.quizId)).sentAt).toBeUndefined();
  });
});
