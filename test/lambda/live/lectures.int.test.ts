import { randomUUID } from 'node:crypto';
import {
  CreateChannelCommand,
  DeleteChannelCommand,
  GetStreamKeyCommand,
  IvsClient,
  ListStreamKeysCommand,
} from '@aws-sdk/client-ivs';
import { CreateRoomCommand, DeleteRoomCommand, IvschatClient } from '@aws-sdk/client-ivschat';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { liveRoutes } from '#contracts/routes';
import { lectureScheduled } from '#contracts/platform-events';
import { HttpError } from '#contracts/problem';
import {
  cancelLecture,
  createLecture,
  lectureIdFor,
  lectureView,
  listLectures,
  readLecture,
  streamKeyFor,
  updateLecture,
} from '#lambda/live/lectures';
import { getLecture } from '#lambda/live/lecture-records';
import { httpHandler } from '#lambda/shared/http-handler';
import { apiEvent } from '../event-fixture';
import {
  type AllDeps,
  awsError,
  channelAnswer,
  Clock,
  createWorld,
  ddb,
  depsFor,
  dropWorld,
  NOW,
  roomAnswer,
  setLecture,
  snapshot,
  type World,
} from './live-fixture';

/*
 * Scheduling lectures against DynamoDB Local, with IVS, IVS chat and EventBridge mocked at the SDK boundary:
 * what is asked of IVS, what is cleaned up when half of it fails, throttling, the lecture items written and
 * the lecture.scheduled put on the bus.
 */

const ivs = mockClient(IvsClient);
const chat = mockClient(IvschatClient);
const bus = mockClient(EventBridgeClient);
let world: World;
let deps: AllDeps;
let clock: Clock;

beforeAll(async () => {
  world = await createWorld('live-lectures');
});
afterAll(() => dropWorld(world));
beforeEach(() => {
  ivs.reset();
  chat.reset();
  bus.reset();
  bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
  clock = new Clock();
  deps = depsFor(world, clock);
});

const body = (o: Record<string, unknown> = {}) => ({
  provisionId: world.provisionId,
  title: `Lecture ${randomUUID()}`,
  startsAt: '2026-12-02T10:00:00+09:00',
  endsAt: '2026-12-02T12:00:00+09:00',
  ...o,
});

async function refusal(p: Promise<unknown>): Promise<HttpError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(HttpError);
  return e as HttpError;
}

/** Each PutEvents call's one entry, its detail parsed by the lecture.scheduled contract. */
function scheduledFacts() {
  return bus.commandCalls(PutEventsCommand).map((c) => {
    const entries = c.args[0].input.Entries ?? [];
    expect(entries).toHaveLength(1);
    return { ...entries[0]!, detail: lectureScheduled.parse(JSON.parse(entries[0]!.Detail!)) };
  });
}

function answerCreation() {
  const channel = channelAnswer();
  const room = roomAnswer();
  ivs.on(CreateChannelCommand).resolves(channel);
  chat.on(CreateRoomCommand).resolves(room);
  return { channel: channel.channel, room };
}

describe('createLecture', () => {
  it('creates a private low-latency channel and a chat room named and tagged for the lecture, then the lecture', async () => {
    const { channel, room } = answerCreation();
    const input = body({ capacity: 20 });
    const { lecture, created } = await createLecture(deps, { sub: world.people.instructor }, input);
    expect(created).toBe(true);
    const lectureId = lectureIdFor(world.people.instructor, input);
    expect(lecture.lectureId).toBe(lectureId);
    const tags = { lectureId, institutionId: world.institutionId, platform: 'lms-test' };
    expect(ivs).toHaveReceivedCommandTimes(CreateChannelCommand, 1);
    expect(ivs.commandCalls(CreateChannelCommand)[0]!.args[0].input).toEqual({
      name: `lms-test-${lectureId}`,
      latencyMode: 'LOW',
      type: 'STANDARD',
      authorized: true,
      recordingConfigurationArn: 'arn:aws:ivs:us-east-1:111122223333:recording-configuration/rec1',
      tags,
    });
    expect(chat.commandCalls(CreateRoomCommand)[0]!.args[0].input).toEqual({
      name: `lms-test-${lectureId}`,
      tags,
    });
    const stored = await getLecture(ddb, world.tables.live!, lectureId);
    expect(stored).toMatchObject({
      lectureId,
      provisionId: world.provisionId,
      institutionId: world.institutionId,
      companyId: world.companyId,
      courseId: world.courseId,
      title: input.title,
      // Stored in UTC, so they sort and compare as strings.
      startsAt: '2026-12-02T01:00:00.000Z',
      endsAt: '2026-12-02T03:00:00.000Z',
      capacity: 20,
      joinedCount: 0,
      state: 'scheduled',
      sweepState: 'scheduled',
      record: true,
      channelArn: channel.arn,
      playbackUrl: channel.playbackUrl,
      ingestEndpoint: channel.ingestEndpoint,
      roomArn: room.arn,
      gsi1pk: `provision#${world.provisionId}`,
      gsi1sk: `2026-12-02T01:00:00.000Z#${lectureId}`,
      createdBy: world.people.instructor,
    });
    // The stream key is IVS's alone.
    expect(JSON.stringify(stored)).not.toContain('sk_secret');
    // Once written, the lecture is announced for the notifications domain, and marked so.
    expect(bus).toHaveReceivedCommandTimes(PutEventsCommand, 1);
    const [fact] = scheduledFacts();
    expect(fact).toEqual({
      EventBusName: 'lms-platform',
      Source: 'lms.live',
      DetailType: 'lecture.scheduled',
      Time: NOW,
      Detail: expect.any(String),
      detail: {
        eventId: `lecture-scheduled-${lectureId}`,
        occurredAt: NOW.toISOString(),
        lectureId,
        provisionId: world.provisionId,
        institutionId: world.institutionId,
        courseId: world.courseId,
        title: input.title,
        startsAt: '2026-12-02T01:00:00.000Z',
        endsAt: '2026-12-02T03:00:00.000Z',
      },
    });
    expect(stored).toMatchObject({ scheduledFact: 'published' });
    // Bookkeeping, not something staff see.
    expect(lectureView(stored!, 'staff')).not.toHaveProperty('scheduledFact');
    expect(lectureView(lecture, 'staff')).toEqual(lectureView(stored!, 'staff'));
  });

  it('records only when asked and configured; capacity defaults to the provision’s attendees', async () => {
    answerCreation();
    const { lecture } = await createLecture(deps, { sub: world.people.manager }, body({ record: false }));
    expect(lecture).toMatchObject({ record: false, capacity: world.attendeeCount });
    expect(ivs.commandCalls(CreateChannelCommand)[0]!.args[0].input).not.toHaveProperty(
      'recordingConfigurationArn',
    );
  });

  it('answers the same lecture to a repeated request, creating nothing more', async () => {
    answerCreation();
    const input = body();
    const first = await createLecture(deps, { sub: world.people.manager }, input);
    const again = await createLecture(deps, { sub: world.people.manager }, input);
    expect(again).toEqual({ lecture: expect.objectContaining(first.lecture), created: false });
    expect(ivs).toHaveReceivedCommandTimes(CreateChannelCommand, 1);
    // Announced by the first, not again.
    expect(scheduledFacts().map((f) => f.detail.lectureId)).toEqual([first.lecture.lectureId]);
  });

  it('announces the lecture on the retry when its announcement failed after the write', async () => {
    answerCreation();
    bus
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'x' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e2' }] });
    const input = body();
    const lectureId = lectureIdFor(world.people.manager, input);
    await expect(createLecture(deps, { sub: world.people.manager }, input)).rejects.toThrow(
      /PutEvents refused lecture.scheduled: InternalFailure/,
    );
    // The lecture stands, still owing its announcement.
    expect(await getLecture(ddb, world.tables.live!, lectureId)).toMatchObject({
      state: 'scheduled',
      scheduledFact: 'due',
    });
    clock.advance(5_000);
    const retry = await createLecture(deps, { sub: world.people.manager }, input);
    expect(retry).toMatchObject({ created: false, lecture: { lectureId, scheduledFact: 'published' } });
    const again = await createLecture(deps, { sub: world.people.manager }, input);
    expect(again.created).toBe(false);
    // The failed attempt and the retry's, the same fact (consumers dedupe on eventId); none for the third.
    const facts = scheduledFacts();
    expect(facts).toHaveLength(2);
    expect(facts[1]!.Detail).toBe(facts[0]!.Detail);
    expect(facts[1]!.detail).toMatchObject({
      eventId: `lecture-scheduled-${lectureId}`,
      occurredAt: NOW.toISOString(),
    });
    expect(ivs).toHaveReceivedCommandTimes(CreateChannelCommand, 1);
    expect(await getLecture(ddb, world.tables.live!, lectureId)).toMatchObject({
      scheduledFact: 'published',
    });
  });

  it('never announces a lecture cancelled before its announcement went out', async () => {
    answerCreation();
    bus.on(PutEventsCommand).rejectsOnce(awsError('InternalFailure', 500));
    const input = body();
    const lectureId = lectureIdFor(world.people.manager, input);
    await expect(createLecture(deps, { sub: world.people.manager }, input)).rejects.toMatchObject({
      name: 'InternalFailure',
    });
    await setLecture(world.tables.live!, lectureId, { state: 'cancelled' });
    const e = await refusal(createLecture(deps, { sub: world.people.manager }, input));
    expect(e.status).toBe(409);
    expect(bus).toHaveReceivedCommandTimes(PutEventsCommand, 1);
  });

  it('deletes the channel and room of the loser when two identical requests race', async () => {
    ivs.on(CreateChannelCommand).callsFake(async () => channelAnswer());
    chat.on(CreateRoomCommand).callsFake(async () => roomAnswer());
    ivs.on(DeleteChannelCommand).resolves({});
    chat.on(DeleteRoomCommand).resolves({});
    const input = body();
    const [a, b] = await Promise.all([
      createLecture(deps, { sub: world.people.manager }, input),
      createLecture(deps, { sub: world.people.manager }, input),
    ]);
    expect(a.lecture.channelArn).toBe(b.lecture.channelArn);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    const kept = a.lecture.channelArn;
    const made = ivs.commandCalls(CreateChannelCommand).length;
    // Either both made a channel and the loser deleted its own, or the loser found the lecture first.
    expect(ivs.commandCalls(DeleteChannelCommand).map((c) => c.args[0].input.arn)).toEqual(
      made === 2 ? [expect.not.stringMatching(kept)] : [],
    );
    // One fact: the winner's, or also the loser's if it found the lecture before the winner marked it
    // published, with the same eventId.
    const ids = scheduledFacts().map((f) => f.detail.eventId);
    expect(ids.length).toBeGreaterThanOrEqual(1);
    expect(new Set(ids)).toEqual(new Set([`lecture-scheduled-${a.lecture.lectureId}`]));
  });

  it('deletes the channel when the room cannot be created, and writes nothing', async () => {
    const channel = channelAnswer();
    ivs.on(CreateChannelCommand).resolves(channel);
    chat.on(CreateRoomCommand).rejects(awsError('ServiceQuotaExceededException', 402));
    ivs.on(DeleteChannelCommand).resolves({});
    const before = await snapshot(world.tables.live!);
    const e = await refusal(createLecture(deps, { sub: world.people.manager }, body()));
    expect([e.status, e.detail]).toEqual([503, expect.stringMatching(/^IVS allows no more channels/)]);
    expect(ivs).toHaveReceivedCommandWith(DeleteChannelCommand, { arn: channel.channel.arn });
    expect(await snapshot(world.tables.live!)).toBe(before);
  });

  it('deletes channel and room when the lecture cannot be written', async () => {
    const { channel, room } = answerCreation();
    ivs.on(DeleteChannelCommand).resolves({});
    chat.on(DeleteRoomCommand).resolves({});
    // DynamoDB fails the write only; reads go through.
    const failing = Object.create(ddb, {
      send: {
        value: (command: object) =>
          command instanceof PutCommand
            ? Promise.reject(awsError('InternalServerError', 500))
            : ddb.send(command as never),
      },
    }) as typeof ddb;
    const before = await snapshot(world.tables.live!);
    await expect(
      createLecture({ ...deps, ddb: failing }, { sub: world.people.manager }, body()),
    ).rejects.toMatchObject({
      name: 'InternalServerError',
    });
    expect(await snapshot(world.tables.live!)).toBe(before);
    expect(ivs).toHaveReceivedCommandWith(DeleteChannelCommand, { arn: channel.arn });
    expect(chat).toHaveReceivedCommandWith(DeleteRoomCommand, { identifier: room.arn });
    expect(bus).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it('retries a throttled CreateChannel with growing, jittered waits, then succeeds', async () => {
    const channel = channelAnswer();
    ivs
      .on(CreateChannelCommand)
      .rejectsOnce(awsError('ThrottlingException', 429))
      .rejectsOnce(awsError('ThrottlingException', 429))
      .resolves(channel);
    chat.on(CreateRoomCommand).resolves(roomAnswer());
    const { lecture } = await createLecture(deps, { sub: world.people.manager }, body());
    expect(lecture.channelArn).toBe(channel.channel.arn);
    expect(ivs).toHaveReceivedCommandTimes(CreateChannelCommand, 3);
    // Full jitter at 0.5 of 200 ms, then of 400 ms.
    expect(deps.sleeps).toEqual([100, 200]);
  });

  it('gives up after five throttled tries: 503 with Retry-After, nothing left behind', async () => {
    ivs.on(CreateChannelCommand).rejects(awsError('ThrottlingException', 429));
    const handler = httpHandler(liveRoutes.createLecture, async ({ identity, body: b }) => {
      await createLecture(deps, identity, b);
      return { status: 201 };
    });
    const before = await snapshot(world.tables.live!);
    const result = await handler(
      apiEvent({
        method: 'POST',
        path: '/lectures',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body()),
        authorizer: { sub: world.people.manager, email: 'm@example.com', roles: 'institution-manager' },
      }),
    );
    expect(result.statusCode).toBe(503);
    expect(result.headers).toMatchObject({
      'content-type': 'application/problem+json',
      'retry-after': expect.stringMatching(/^\d+$/),
    });
    // Says what is busy, in words a screen can show, with the request id support will ask for.
    expect(JSON.parse(result.body!)).toMatchObject({
      status: 503,
      detail: expect.stringMatching(/^Amazon IVS is taking no more calls for now \(CreateChannel/),
      requestId: expect.any(String),
    });
    expect(ivs).toHaveReceivedCommandTimes(CreateChannelCommand, 5);
    expect(deps.sleeps).toEqual([100, 200, 400, 800]);
    expect(chat).toHaveReceivedCommandTimes(CreateRoomCommand, 0);
    expect(await snapshot(world.tables.live!)).toBe(before);
  });

  it.each([
    ['capacity above the attendees', { capacity: 31 }, 422, 'body.capacity'],
    ['an end before the start', { endsAt: '2026-12-02T00:59:00Z' }, 400, 'body.endsAt'],
    ['an end at the start', { endsAt: '2026-12-02T10:00:00+09:00' }, 400, 'body.endsAt'],
  ])('refuses %s, naming the field, before asking IVS', async (_, o, status, field) => {
    const e = await refusal(createLecture(deps, { sub: world.people.manager }, body(o)));
    expect(e.status).toBe(status);
    expect(e.errors?.map((x) => x.field)).toEqual([field]);
    expect(ivs).toHaveReceivedCommandTimes(CreateChannelCommand, 0);
    expect(bus).toHaveReceivedCommandTimes(PutEventsCommand, 0);
  });

  it.each([
    ['another institution’s staff', 'otherStaff', 'provisionId', 404],
    ['a learner', 'learner', 'provisionId', 404],
    ['anyone, for an unknown provision', 'manager', 'unknown', 404],
    ['anyone, for a provision not accepted', 'manager', 'requestedProvisionId', 409],
  ] as const)('refuses %s', async (_, who, which, status) => {
    const provisionId = which === 'unknown' ? randomUUID() : world[which];
    const e = await refusal(createLecture(deps, { sub: world.people[who] }, body({ provisionId })));
    expect(e.status).toBe(status);
    expect(e.errors?.map((x) => x.field)).toEqual(['body.provisionId']);
    expect(ivs).toHaveReceivedCommandTimes(CreateChannelCommand, 0);
  });
});

describe('listing, reading, changing and cancelling', () => {
  let provisionWorld: World;
  beforeAll(async () => {
    provisionWorld = await createWorld('live-list');
  });
  afterAll(() => dropWorld(provisionWorld));

  async function schedule(w: World, days: number[]) {
    const d = depsFor(w, clock);
    const ids: string[] = [];
    for (const day of days) {
      ivs.on(CreateChannelCommand).resolves(channelAnswer());
      chat.on(CreateRoomCommand).resolves(roomAnswer());
      const start = `2026-12-${String(day).padStart(2, '0')}T01:00:00.000Z`;
      const { lecture } = await createLecture(
        d,
        { sub: w.people.manager },
        {
          provisionId: w.provisionId,
          title: `Day ${day}`,
          startsAt: start,
          endsAt: start.replace('T01', 'T02'),
        },
      );
      ids.push(lecture.lectureId);
    }
    return { d, ids };
  }

  it('lists a provision’s lectures by start, a page at a time, with an opaque cursor', async () => {
    const { d } = await schedule(provisionWorld, [9, 3, 5]);
    const first = await listLectures(
      d,
      { sub: provisionWorld.people.learner },
      {
        provisionId: provisionWorld.provisionId,
        limit: 2,
      },
    );
    expect(first.lectures.map((l) => l.title)).toEqual(['Day 3', 'Day 5']);
    // Learners see no broadcast details.
    expect(first.lectures[0]).not.toHaveProperty('ingestEndpoint');
    expect(first.lectures[0]).not.toHaveProperty('channelArn');
    expect(first.cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    const second = await listLectures(
      d,
      { sub: provisionWorld.people.learner },
      {
        provisionId: provisionWorld.provisionId,
        limit: 2,
        cursor: first.cursor!,
      },
    );
    expect(second.lectures.map((l) => l.title)).toEqual(['Day 9']);
    const staff = await listLectures(
      d,
      { sub: provisionWorld.people.instructor },
      {
        provisionId: provisionWorld.provisionId,
      },
    );
    expect(staff.lectures).toHaveLength(3);
    expect(staff.lectures[0]).toHaveProperty('ingestEndpoint', 'abc.global-contribute.live-video.net');
    expect(staff.lectures[0]).not.toHaveProperty('gsi1pk');
  });

  it.each([
    ['not base64 JSON', 'not-a-cursor'],
    ['another provision’s key', 'other'],
    ['extra keys', 'extra'],
  ])('refuses a cursor that is %s, naming query.cursor', async (_, kind) => {
    const d = depsFor(provisionWorld, clock);
    const key = (gsi1pk: string, extra = {}) =>
      Buffer.from(JSON.stringify({ pk: 'lecture#x', sk: 'meta', gsi1pk, gsi1sk: 'x', ...extra })).toString(
        'base64url',
      );
    const cursor =
      kind === 'other'
        ? key(`provision#${randomUUID()}`)
        : kind === 'extra'
          ? key(`provision#${provisionWorld.provisionId}`, { evil: 1 })
          : kind;
    const e = await refusal(
      listLectures(
        d,
        { sub: provisionWorld.people.manager },
        { provisionId: provisionWorld.provisionId, cursor },
      ),
    );
    expect(e.status).toBe(400);
    expect(e.errors?.map((x) => x.field)).toEqual(['query.cursor']);
  });

  it.each(['foreignLearner', 'otherStaff', 'stranger'] as const)(
    'answers %s 404 for the provision’s lectures',
    async (who) => {
      const d = depsFor(provisionWorld, clock);
      const e = await refusal(
        listLectures(d, { sub: provisionWorld.people[who] }, { provisionId: provisionWorld.provisionId }),
      );
      expect(e.status).toBe(404);
      expect(e.errors?.map((x) => x.field)).toEqual(['query.provisionId']);
    },
  );

  it('filters ended and cancelled lectures with upcoming=true', async () => {
    const w = await createWorld('live-upcoming');
    try {
      const { d, ids } = await schedule(w, [2, 4, 6]);
      ivs.on(DeleteChannelCommand).resolves({});
      chat.on(DeleteRoomCommand).resolves({});
      await cancelLecture(d, { sub: w.people.manager }, ids[1]!);
      const all = await listLectures(d, { sub: w.people.learner }, { provisionId: w.provisionId });
      expect(all.lectures.map((l) => [l.title, l.state])).toEqual([
        ['Day 2', 'scheduled'],
        ['Day 4', 'cancelled'],
        ['Day 6', 'scheduled'],
      ]);
      const upcoming = await listLectures(
        d,
        { sub: w.people.learner },
        {
          provisionId: w.provisionId,
          upcoming: 'true',
        },
      );
      expect(upcoming.lectures.map((l) => l.title)).toEqual(['Day 2', 'Day 6']);
    } finally {
      await dropWorld(w);
    }
  });

  it('changes a scheduled lecture, moving it in the provision’s order', async () => {
    const w = await createWorld('live-update');
    try {
      const { d, ids } = await schedule(w, [2, 4]);
      const changed = await updateLecture(d, { sub: w.people.instructor }, ids[0]!, {
        title: 'Moved',
        startsAt: '2026-12-05T01:00:00Z',
        endsAt: '2026-12-05T03:00:00Z',
        capacity: 10,
      });
      expect(changed).toMatchObject({ title: 'Moved', startsAt: '2026-12-05T01:00:00.000Z', capacity: 10 });
      const list = await listLectures(d, { sub: w.people.learner }, { provisionId: w.provisionId });
      expect(list.lectures.map((l) => l.title)).toEqual(['Day 4', 'Moved']);
      const one = await readLecture(d, { sub: w.people.learner }, ids[0]!);
      expect(one).toMatchObject({ title: 'Moved', capacity: 10 });
    } finally {
      await dropWorld(w);
    }
  });

  it('refuses a capacity below the seats taken or above the attendees, and an end before the start', async () => {
    const w = await createWorld('live-update-bad');
    try {
      const { d, ids } = await schedule(w, [2]);
      const lectureId = ids[0]!;
      await setLecture(w.tables.live!, lectureId, { joinedCount: 5 });
      const before = await snapshot(w.tables.live!);
      const cases: [Record<string, unknown>, number, string][] = [
        [{ capacity: 4 }, 409, 'body.capacity'],
        [{ capacity: 31 }, 422, 'body.capacity'],
        [{ endsAt: '2026-12-02T00:00:00Z' }, 400, 'body.endsAt'],
        [{ startsAt: '2026-12-03T00:00:00Z' }, 400, 'body.startsAt'],
      ];
      for (const [change, status, field] of cases) {
        const e = await refusal(updateLecture(d, { sub: w.people.manager }, lectureId, change));
        expect([e.status, e.errors?.map((x) => x.field)]).toEqual([status, [field]]);
      }
      expect(await snapshot(w.tables.live!)).toBe(before);
    } finally {
      await dropWorld(w);
    }
  });

  it('cancels a scheduled lecture, deleting its channel and room; refuses a live one', async () => {
    const w = await createWorld('live-cancel');
    try {
      const { d, ids } = await schedule(w, [2, 3]);
      ivs.on(DeleteChannelCommand).resolves({});
      chat.on(DeleteRoomCommand).resolves({});
      const lecture = (await getLecture(ddb, w.tables.live!, ids[0]!))!;
      const cancelled = await cancelLecture(d, { sub: w.people.manager }, ids[0]!);
      expect(cancelled.state).toBe('cancelled');
      expect(ivs).toHaveReceivedCommandWith(DeleteChannelCommand, { arn: lecture.channelArn });
      expect(chat).toHaveReceivedCommandWith(DeleteRoomCommand, { identifier: lecture.roomArn });
      const stored = await getLecture(ddb, w.tables.live!, ids[0]!);
      expect(stored).toMatchObject({ state: 'cancelled' });
      expect(stored).not.toHaveProperty('sweepState');
      // A repeat finishes a clean-up that failed; IVS says the channel is gone already.
      ivs.on(DeleteChannelCommand).rejects(awsError('ResourceNotFoundException', 404));
      await expect(cancelLecture(d, { sub: w.people.manager }, ids[0]!)).resolves.toMatchObject({
        state: 'cancelled',
      });
      ivs.reset();
      await setLecture(w.tables.live!, ids[1]!, { state: 'live' });
      const e = await refusal(cancelLecture(d, { sub: w.people.manager }, ids[1]!));
      expect(e.status).toBe(409);
      expect(ivs).toHaveReceivedCommandTimes(DeleteChannelCommand, 0);
    } finally {
      await dropWorld(w);
    }
  });

  it('reads the stream key from IVS for staff, and refuses learners', async () => {
    const w = await createWorld('live-key');
    try {
      const { d, ids } = await schedule(w, [2]);
      const lecture = (await getLecture(ddb, w.tables.live!, ids[0]!))!;
      ivs
        .on(ListStreamKeysCommand)
        .resolves({ streamKeys: [{ arn: 'arn:aws:ivs:us-east-1:1:stream-key/k1' }] });
      ivs
        .on(GetStreamKeyCommand)
        .resolves({ streamKey: { arn: 'arn:aws:ivs:us-east-1:1:stream-key/k1', value: 'sk_live_1' } });
      await expect(streamKeyFor(d, { sub: w.people.instructor }, ids[0]!)).resolves.toEqual({
        ingestUrl: 'rtmps://abc.global-contribute.live-video.net:443/app/',
        streamKey: 'sk_live_1',
      });
      expect(ivs).toHaveReceivedCommandWith(ListStreamKeysCommand, { channelArn: lecture.channelArn });
      expect(ivs).toHaveReceivedCommandWith(GetStreamKeyCommand, {
        arn: 'arn:aws:ivs:us-east-1:1:stream-key/k1',
      });
      expect((await refusal(streamKeyFor(d, { sub: w.people.learner }, ids[0]!))).status).toBe(403);
      expect((await refusal(streamKeyFor(d, { sub: w.people.otherStaff }, ids[0]!))).status).toBe(404);
    } finally {
      await dropWorld(w);
    }
  });
});
