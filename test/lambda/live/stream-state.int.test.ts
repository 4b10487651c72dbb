import { randomUUID } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateChannelCommand, GetStreamCommand, IvsClient } from '@aws-sdk/client-ivs';
import { CreateRoomCommand, IvschatClient } from '@aws-sdk/client-ivschat';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { LIVE_ENDED_PART_SIZE, liveEnded } from '#contracts/live';
import { lectureStarted } from '#contracts/platform-events';
import { getLecture, type Lecture } from '#lambda/live/lecture-records';
import { createLecture } from '#lambda/live/lectures';
import { liveEndedParts } from '#lambda/live/live-ended';
import { joinLecture, recordPresence } from '#lambda/live/seats';
import { onStreamStateChange, sweepLectures } from '#lambda/live/stream-state';
import {
  type AllDeps,
  awsError,
  channelAnswer,
  Clock,
  createWorld,
  ddb,
  depsFor,
  dropWorld,
  roomAnswer,
  setLecture,
  type World,
} from './live-fixture';

/*
 * Stream state from IVS's best-effort events and from the sweep, against DynamoDB Local: repeated and
 * out-of-order events end in the right state, a lost end is found by the sweep, live.ended leaves (valid
 * against its contract) once per end, and lecture.started once per lecture.
 */

const ivs = mockClient(IvsClient);
const chat = mockClient(IvschatClient);
const bus = mockClient(EventBridgeClient);
let world: World;
let deps: AllDeps;
let clock: Clock;
/** The world the current test schedules in. */
let active: World;

beforeAll(async () => {
  world = await createWorld('live-stream', { crowd: 3 });
});
afterAll(() => dropWorld(world));
beforeEach(() => {
  ivs.reset();
  chat.reset();
  bus.reset();
  bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
  clock = new Clock();
  active = world;
  deps = depsFor(world, clock);
});

async function newLecture(startsAt = '2026-12-01T09:05:00Z') {
  ivs.on(CreateChannelCommand).resolves(channelAnswer());
  chat.on(CreateRoomCommand).resolves(roomAnswer());
  const { lecture } = await createLecture(
    deps,
    { sub: active.people.manager },
    {
      provisionId: active.provisionId,
      title: `Lecture ${randomUUID()}`,
      startsAt,
      endsAt: new Date(Date.parse(startsAt) + 2 * 3600_000).toISOString(),
    },
  );
  return lecture;
}

/** IVS's event as EventBridge delivers it. */
const ivsEvent = (channelArn: string, name: string, time: string) => ({
  version: '0',
  id: randomUUID(),
  'detail-type': 'IVS Stream State Change',
  source: 'aws.ivs',
  account: '111122223333',
  time,
  region: 'us-east-1',
  resources: [channelArn],
  detail: { event_name: name, channel_name: 'lms-test-x', stream_id: 'st-1' },
});

/** Ends a lecture, so the sweeps of later tests in the same world find nothing live to ask IVS about. */
async function endForGood(lecture: Lecture) {
  const end = ivsEvent(lecture.channelArn, 'Stream End', '2026-12-01T12:00:00Z');
  expect(await onStreamStateChange(deps, end)).toBe('applied');
}

const stateOf = async (lectureId: string) => (await getLecture(ddb, active.tables.live!, lectureId))!;

/**
 * PutEvents set up afresh for answers in order (a `*Once` answer counts the calls made before it, such as a
 * create's lecture.scheduled); the history starts again too.
 */
function failingBus() {
  bus.reset();
  return bus.on(PutEventsCommand);
}

/** PutEvents calls (failed ones too) of one detail type; creating a lecture puts lecture.scheduled. */
const callsOf = (detailType: string) =>
  bus.commandCalls(PutEventsCommand).filter((c) => c.args[0].input.Entries?.[0]?.DetailType === detailType);

function published() {
  return callsOf('live.ended').flatMap((c) =>
    (c.args[0].input.Entries ?? []).map((e) => ({
      ...e,
      detail: liveEnded.parse(JSON.parse(e.Detail!)),
    })),
  );
}

/** The lecture.started entries put, each call's one entry, its detail parsed by the contract. */
function startedFacts() {
  return callsOf('lecture.started').map((c) => {
    const entries = c.args[0].input.Entries ?? [];
    expect(entries).toHaveLength(1);
    return { ...entries[0]!, detail: lectureStarted.parse(JSON.parse(entries[0]!.Detail!)) };
  });
}

describe('onStreamStateChange', () => {
  it('goes live, then ends, publishing live.ended with every attendee, valid against the contract', async () => {
    const lecture = await newLecture();
    const me = { sub: world.people.learner };
    await joinLecture(deps, me, lecture.lectureId);
    await expect(
      onStreamStateChange(deps, ivsEvent(lecture.channelArn, 'Stream Start', '2026-12-01T09:00:00Z')),
    ).resolves.toBe('applied');
    expect(await stateOf(lecture.lectureId)).toMatchObject({
      state: 'live',
      sweepState: 'live',
      startedAt: '2026-12-01T09:00:00.000Z',
      startedFact: 'published',
    });
    expect(startedFacts()).toEqual([
      {
        EventBusName: 'lms-platform',
        Source: 'lms.live',
        DetailType: 'lecture.started',
        Time: new Date('2026-12-01T09:00:00Z'),
        Detail: expect.any(String),
        detail: {
          eventId: `lecture-started-${lecture.lectureId}`,
          occurredAt: '2026-12-01T09:00:00.000Z',
          lectureId: lecture.lectureId,
          provisionId: world.provisionId,
          institutionId: world.institutionId,
          courseId: world.courseId,
          title: lecture.title,
          startsAt: '2026-12-01T09:05:00.000Z',
          endsAt: '2026-12-01T11:05:00.000Z',
        },
      },
    ]);
    clock.advance(50_000);
    await recordPresence(deps, me, lecture.lectureId);
    await expect(
      onStreamStateChange(deps, ivsEvent(lecture.channelArn, 'Stream End', '2026-12-01T09:01:40Z')),
    ).resolves.toBe('applied');
    const ended = await stateOf(lecture.lectureId);
    expect(ended).toMatchObject({ state: 'ended', endedAt: '2026-12-01T09:01:40.000Z' });
    expect(ended).not.toHaveProperty('sweepState');
    expect(callsOf('live.ended')).toHaveLength(1);
    const [entry] = published();
    expect(entry).toMatchObject({
      EventBusName: 'lms-platform',
      Source: 'lms.live',
      DetailType: 'live.ended',
      Time: new Date('2026-12-01T09:01:40Z'),
    });
    expect(entry!.detail).toEqual({
      lectureId: lecture.lectureId,
      provisionId: world.provisionId,
      courseId: world.courseId,
      institutionId: world.institutionId,
      title: lecture.title,
      occurredAt: '2026-12-01T09:01:40.000Z',
      startedAt: '2026-12-01T09:00:00.000Z',
      endedAt: '2026-12-01T09:01:40.000Z',
      quizzesSent: 0,
      part: 1,
      parts: 1,
      attendees: [
        {
          userSub: me.sub,
          enrollmentId: world.enrollments.get(me.sub),
          joinedAt: '2026-12-01T09:00:00.000Z',
          presenceSeconds: 50,
          attendanceRate: 0.5,
          quizzesAnswered: 0,
          quizzesCorrect: 0,
        },
      ],
    });
  });

  it('ignores repeats and older events, so any order ends in the newest state', async () => {
    const lecture = await newLecture();
    const start1 = ivsEvent(lecture.channelArn, 'Stream Start', '2026-12-01T09:00:00Z');
    const end1 = ivsEvent(lecture.channelArn, 'Stream End', '2026-12-01T09:30:00Z');
    const start2 = ivsEvent(lecture.channelArn, 'Stream Start', '2026-12-01T09:31:00Z');
    // Delivered: the restart first, then the first end, then the first start, then the restart again.
    expect(await onStreamStateChange(deps, start2)).toBe('applied');
    expect(await onStreamStateChange(deps, end1)).toBe('stale');
    expect(await onStreamStateChange(deps, start1)).toBe('stale');
    expect(await onStreamStateChange(deps, start2)).toBe('stale');
    expect(await stateOf(lecture.lectureId)).toMatchObject({
      state: 'live',
      // The older start still tells when it first began.
      startedAt: '2026-12-01T09:00:00.000Z',
      stateChangedAt: '2026-12-01T09:31:00.000Z',
    });
    expect(callsOf('live.ended')).toHaveLength(0);
    const end2 = ivsEvent(lecture.channelArn, 'Stream End', '2026-12-01T10:00:00Z');
    expect(await onStreamStateChange(deps, end2)).toBe('applied');
    expect(await onStreamStateChange(deps, end2)).toBe('stale');
    expect(await onStreamStateChange(deps, start2)).toBe('stale');
    expect(await stateOf(lecture.lectureId)).toMatchObject({
      state: 'ended',
      endedAt: '2026-12-01T10:00:00.000Z',
    });
    // Once, for the one end that applied.
    expect(published().map((e) => e.detail.occurredAt)).toEqual(['2026-12-01T10:00:00.000Z']);
    // Once, at the first start that took it live (the older one arrived later).
    expect(startedFacts().map((e) => e.detail.occurredAt)).toEqual(['2026-12-01T09:31:00.000Z']);
  });

  it('publishes lecture.started once: not for a redelivered start, nor when the stream reconnects', async () => {
    const lecture = await newLecture();
    const start = ivsEvent(lecture.channelArn, 'Stream Start', '2026-12-01T09:00:00Z');
    expect(await onStreamStateChange(deps, start)).toBe('applied');
    expect(await onStreamStateChange(deps, start)).toBe('stale');
    // The broadcaster's encoder drops and connects again.
    expect(
      await onStreamStateChange(deps, ivsEvent(lecture.channelArn, 'Stream End', '2026-12-01T09:10:00Z')),
    ).toBe('applied');
    const again = ivsEvent(lecture.channelArn, 'Stream Start', '2026-12-01T09:11:00Z');
    expect(await onStreamStateChange(deps, again)).toBe('applied');
    expect(await onStreamStateChange(deps, again)).toBe('stale');
    expect(await stateOf(lecture.lectureId)).toMatchObject({
      state: 'live',
      startedAt: '2026-12-01T09:00:00.000Z',
      startedFact: 'published',
    });
    expect(startedFacts().map((e) => [e.detail.eventId, e.detail.occurredAt])).toEqual([
      [`lecture-started-${lecture.lectureId}`, '2026-12-01T09:00:00.000Z'],
    ]);
    await endForGood(lecture);
  });

  it('publishes lecture.started when the start is redelivered after its publish failed', async () => {
    const lecture = await newLecture();
    failingBus()
      .rejectsOnce(awsError('InternalFailure', 500))
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e2' }] });
    const start = ivsEvent(lecture.channelArn, 'Stream Start', '2026-12-01T09:00:00Z');
    await expect(onStreamStateChange(deps, start)).rejects.toMatchObject({ name: 'InternalFailure' });
    // The transition stands, and the lecture still owes its fact.
    expect(await stateOf(lecture.lectureId)).toMatchObject({ state: 'live', startedFact: 'due' });
    expect(await onStreamStateChange(deps, start)).toBe('stale');
    expect(await stateOf(lecture.lectureId)).toMatchObject({ startedFact: 'published' });
    expect(await onStreamStateChange(deps, start)).toBe('stale');
    // The failed put and the redelivery's, the same fact; nothing for the third delivery.
    const facts = startedFacts();
    expect(facts).toHaveLength(2);
    expect(facts[1]!.Detail).toBe(facts[0]!.Detail);
    expect(facts[1]!.detail.eventId).toBe(`lecture-started-${lecture.lectureId}`);
    await endForGood(lecture);
  });

  it('reports an end that arrived before its start once the start arrives', async () => {
    const lecture = await newLecture();
    expect(
      await onStreamStateChange(deps, ivsEvent(lecture.channelArn, 'Stream End', '2026-12-01T09:40:00Z')),
    ).toBe('applied');
    expect(callsOf('live.ended')).toHaveLength(0);
    expect(
      await onStreamStateChange(deps, ivsEvent(lecture.channelArn, 'Stream Start', '2026-12-01T09:00:00Z')),
    ).toBe('stale');
    expect(await stateOf(lecture.lectureId)).toMatchObject({
      state: 'ended',
      startedAt: '2026-12-01T09:00:00.000Z',
    });
    expect(published().map((e) => [e.detail.startedAt, e.detail.endedAt])).toEqual([
      ['2026-12-01T09:00:00.000Z', '2026-12-01T09:40:00.000Z'],
    ]);
    // It was never live: no one is told to join a lecture that is over.
    expect(startedFacts()).toEqual([]);
    expect(await stateOf(lecture.lectureId)).not.toHaveProperty('sweepState');
  });

  it('leaves an end reported late by its start to the sweep when that publish fails', async () => {
    const lecture = await newLecture();
    await onStreamStateChange(deps, ivsEvent(lecture.channelArn, 'Stream End', '2026-12-01T09:40:00Z'));
    failingBus()
      .rejectsOnce(awsError('InternalFailure', 500))
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e2' }] });
    await expect(
      onStreamStateChange(deps, ivsEvent(lecture.channelArn, 'Stream Start', '2026-12-01T09:00:00Z')),
    ).rejects.toMatchObject({ name: 'InternalFailure' });
    expect(await stateOf(lecture.lectureId)).toMatchObject({ state: 'ended', sweepState: 'live' });
    await expect(sweepLectures(deps)).resolves.toMatchObject({ published: 1, reconcileErrors: 0 });
    expect(callsOf('live.ended')).toHaveLength(2);
    expect(await stateOf(lecture.lectureId)).not.toHaveProperty('sweepState');
  });

  it('publishes again when the same end is redelivered after its publish failed', async () => {
    const lecture = await newLecture();
    await onStreamStateChange(deps, ivsEvent(lecture.channelArn, 'Stream Start', '2026-12-01T09:00:00Z'));
    failingBus()
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e2' }] });
    const end = ivsEvent(lecture.channelArn, 'Stream End', '2026-12-01T09:20:00Z');
    await expect(onStreamStateChange(deps, end)).rejects.toThrow(/InternalFailure/);
    expect(await onStreamStateChange(deps, end)).toBe('stale');
    expect(callsOf('live.ended')).toHaveLength(2);
    expect(await stateOf(lecture.lectureId)).not.toHaveProperty('sweepState');
    expect(await onStreamStateChange(deps, end)).toBe('stale');
    expect(callsOf('live.ended')).toHaveLength(2);
  });

  it('leaves a cancelled lecture cancelled, ignores other events and unknown channels', async () => {
    const lecture = await newLecture();
    await setLecture(world.tables.live!, lecture.lectureId, { state: 'cancelled' });
    expect(
      await onStreamStateChange(deps, ivsEvent(lecture.channelArn, 'Stream Start', '2026-12-01T09:00:00Z')),
    ).toBe('cancelled');
    expect((await stateOf(lecture.lectureId)).state).toBe('cancelled');
    expect(startedFacts()).toEqual([]);
    expect(
      await onStreamStateChange(
        deps,
        ivsEvent(lecture.channelArn, 'Session Created', '2026-12-01T09:00:00Z'),
      ),
    ).toBe('ignored');
    expect(
      await onStreamStateChange(
        deps,
        ivsEvent('arn:aws:ivs:us-east-1:1:channel/none', 'Stream Start', '2026-12-01T09:00:00Z'),
      ),
    ).toBe('unknown-channel');
    await expect(onStreamStateChange(deps, { source: 'aws.ivs' })).rejects.toThrow(
      /Not an IVS stream state change/,
    );
  });
});

describe('sweepLectures', () => {
  let sweepWorld: World;
  beforeEach(async () => {
    sweepWorld = await createWorld('live-sweep');
    active = sweepWorld;
    deps = depsFor(sweepWorld, clock);
  });
  afterEach(() => dropWorld(sweepWorld));

  it('ends a live lecture whose end event was lost, publishing live.ended once; starts a scheduled one that streams', async () => {
    const lost = await newLecture();
    const early = await newLecture('2026-12-01T09:10:00Z');
    const later = await newLecture('2026-12-02T09:00:00Z');
    await onStreamStateChange(deps, ivsEvent(lost.channelArn, 'Stream Start', '2026-12-01T08:00:00Z'));
    ivs
      .on(GetStreamCommand, { channelArn: lost.channelArn })
      .rejects(awsError('ChannelNotBroadcasting', 404));
    ivs.on(GetStreamCommand, { channelArn: early.channelArn }).resolves({
      stream: { channelArn: early.channelArn, state: 'LIVE', startTime: new Date('2026-12-01T08:58:00Z') },
    });
    const report = await sweepLectures(deps);
    expect(report).toEqual({
      checked: 2,
      started: 1,
      ended: 1,
      published: 0,
      unchanged: 0,
      reconcileErrors: 0,
    });
    // Only the lectures due: the one next day is not asked about.
    expect(
      ivs
        .commandCalls(GetStreamCommand)
        .map((c) => c.args[0].input.channelArn)
        .sort(),
    ).toEqual([lost.channelArn, early.channelArn].sort());
    expect(ivs).not.toHaveReceivedCommandWith(GetStreamCommand, { channelArn: later.channelArn });
    expect(await stateOf(lost.lectureId)).toMatchObject({
      state: 'ended',
      endedAt: '2026-12-01T09:00:00.000Z',
    });
    expect(await stateOf(early.lectureId)).toMatchObject({
      state: 'live',
      startedAt: '2026-12-01T08:58:00.000Z',
    });
    expect(published().map((e) => e.detail.lectureId)).toEqual([lost.lectureId]);
    expect(startedFacts().map((e) => [e.detail.lectureId, e.detail.occurredAt])).toEqual([
      [lost.lectureId, '2026-12-01T08:00:00.000Z'],
      [early.lectureId, '2026-12-01T08:58:00.000Z'],
    ]);
    // The next run finds nothing to fix and publishes nothing more.
    clock.advance(60_000);
    const next = await sweepLectures(deps);
    expect(next).toMatchObject({ checked: 1, started: 0, ended: 0, unchanged: 1 });
    expect(callsOf('live.ended')).toHaveLength(1);
    expect(startedFacts()).toHaveLength(2);
    // The lost end event, arriving hours late, changes nothing either.
    expect(
      await onStreamStateChange(deps, ivsEvent(lost.channelArn, 'Stream End', '2026-12-01T08:50:00Z')),
    ).toBe('stale');
    expect(callsOf('live.ended')).toHaveLength(1);
  });

  it('retries throttled GetStream calls, paces them, and counts what it cannot reconcile', async () => {
    const a = await newLecture();
    const b = await newLecture();
    ivs
      .on(GetStreamCommand, { channelArn: a.channelArn })
      .rejectsOnce(awsError('ThrottlingException', 429))
      .resolves({
        stream: { channelArn: a.channelArn, state: 'LIVE', startTime: new Date('2026-12-01T08:59:00Z') },
      });
    ivs.on(GetStreamCommand, { channelArn: b.channelArn }).rejects(awsError('AccessDeniedException', 403));
    const report = await sweepLectures(deps);
    expect(report).toMatchObject({ checked: 2, started: 1, reconcileErrors: 1 });
    expect(deps.sleeps.filter((ms) => ms === 250)).toHaveLength(1);
    expect((await stateOf(b.lectureId)).state).toBe('scheduled');
  });

  it('publishes lecture.started for a live lecture whose publish failed and whose start retries ran out', async () => {
    const lecture = await newLecture();
    failingBus()
      .rejectsOnce(awsError('InternalFailure', 500))
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e2' }] });
    await expect(
      onStreamStateChange(deps, ivsEvent(lecture.channelArn, 'Stream Start', '2026-12-01T08:59:00Z')),
    ).rejects.toMatchObject({ name: 'InternalFailure' });
    ivs.on(GetStreamCommand).resolves({
      stream: { channelArn: lecture.channelArn, state: 'LIVE', startTime: new Date('2026-12-01T08:59:00Z') },
    });
    expect(await sweepLectures(deps)).toMatchObject({
      checked: 1,
      published: 1,
      unchanged: 1,
      reconcileErrors: 0,
    });
    expect(await stateOf(lecture.lectureId)).toMatchObject({ state: 'live', startedFact: 'published' });
    clock.advance(60_000);
    expect(await sweepLectures(deps)).toMatchObject({ checked: 1, published: 0, unchanged: 1 });
    expect(startedFacts().map((e) => e.detail.occurredAt)).toEqual([
      '2026-12-01T08:59:00.000Z',
      '2026-12-01T08:59:00.000Z',
    ]);
  });

  it('publishes live.ended for an ended lecture whose publish failed before', async () => {
    const lecture = await newLecture();
    await onStreamStateChange(deps, ivsEvent(lecture.channelArn, 'Stream Start', '2026-12-01T08:00:00Z'));
    failingBus()
      .rejectsOnce(awsError('InternalFailure', 500))
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e2' }] });
    await expect(
      onStreamStateChange(deps, ivsEvent(lecture.channelArn, 'Stream End', '2026-12-01T08:30:00Z')),
    ).rejects.toThrow();
    expect(await sweepLectures(deps)).toMatchObject({ checked: 1, published: 1, reconcileErrors: 0 });
    expect(await sweepLectures(deps)).toMatchObject({ checked: 0 });
    expect(ivs).toHaveReceivedCommandTimes(GetStreamCommand, 0);
  });
});

describe('liveEndedParts', () => {
  it(`splits more than ${LIVE_ENDED_PART_SIZE} attendees into parts, each within the contract`, async () => {
    const lecture: Lecture = {
      ...(await newLecture()),
      state: 'ended',
      startedAt: '2026-12-01T09:00:00.000Z',
      endedAt: '2026-12-01T10:00:00.000Z',
    };
    const seats = Array.from({ length: LIVE_ENDED_PART_SIZE + 1 }, (_, i) => ({
      pk: `lecture#${lecture.lectureId}`,
      sk: `seat#u${String(i).padStart(4, '0')}`,
      lectureId: lecture.lectureId,
      userSub: `u${String(i).padStart(4, '0')}`,
      enrollmentId: randomUUID(),
      joinedAt: '2026-12-01T09:00:00.000Z',
      presenceMs: 1_800_000,
      lastSeenAt: '2026-12-01T09:30:00.000Z',
    }));
    for (let i = 0; i < seats.length; i += 25) {
      await ddb.send(
        new BatchWriteCommand({
          RequestItems: {
            [world.tables.live!]: seats.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })),
          },
        }),
      );
    }
    const parts = await liveEndedParts(ddb, world.tables.live!, lecture);
    expect(parts.map((p) => [p.part, p.parts, p.attendees.length])).toEqual([
      [1, 2, LIVE_ENDED_PART_SIZE],
      [2, 2, 1],
    ]);
    for (const p of parts) {
      expect(liveEnded.safeParse(p).success).toBe(true);
      expect(Buffer.byteLength(JSON.stringify(p))).toBeLessThan(256 * 1024);
      expect(p.attendees.every((a) => a.attendanceRate === 0.5)).toBe(true);
    }
  });
});
