import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateChannelCommand, IvsClient } from '@aws-sdk/client-ivs';
import { CreateChatTokenCommand, CreateRoomCommand, IvschatClient } from '@aws-sdk/client-ivschat';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';
import { HttpError } from '#contracts/problem';
import { chatTokenFor, defaultDisplayName } from '#lambda/live/chat-token';
import { getLecture, seatKey } from '#lambda/live/lecture-records';
import { createLecture } from '#lambda/live/lectures';
import { attendanceOf, joinLecture, leaveLecture, recordPresence } from '#lambda/live/seats';
import {
  type AllDeps,
  channelAnswer,
  Clock,
  createWorld,
  ddb,
  depsFor,
  dropWorld,
  NOW,
  playbackPublicKey,
  roomAnswer,
  setLecture,
  snapshot,
  type World,
} from './live-fixture';

/*
 * Seats, playback tokens, presence, attendance and chat tokens against DynamoDB Local: the capacity holds
 * under a crowd of concurrent joins, and presence is credited in server time only while live.
 */

const ivs = mockClient(IvsClient);
const chat = mockClient(IvschatClient);
// Creating a lecture announces it; these tests are about seats, not the bus (lectures.int.test.ts is).
const bus = mockClient(EventBridgeClient);
let world: World;
let deps: AllDeps;
let clock: Clock;

beforeAll(async () => {
  world = await createWorld('live-seats', { attendeeCount: 500, crowd: 499 });
});
afterAll(() => dropWorld(world));
beforeEach(() => {
  ivs.reset();
  chat.reset();
  bus.reset();
  bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
  clock = new Clock();
  deps = depsFor(world, clock);
});

async function newLecture(capacity = 100) {
  ivs.on(CreateChannelCommand).resolves(channelAnswer());
  chat.on(CreateRoomCommand).resolves(roomAnswer());
  const { lecture } = await createLecture(
    deps,
    { sub: world.people.manager },
    {
      provisionId: world.provisionId,
      title: `Lecture ${randomUUID()}`,
      startsAt: '2026-12-01T10:00:00Z',
      endsAt: '2026-12-01T12:00:00Z',
      capacity,
    },
  );
  return lecture;
}

async function refusal(p: Promise<unknown>): Promise<HttpError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(HttpError);
  return e as HttpError;
}

async function seatsOf(lectureId: string) {
  const { Items } = await ddb.send(
    new QueryCommand({
      TableName: world.tables.live!,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :seat)',
      ExpressionAttributeValues: { ':pk': `lecture#${lectureId}`, ':seat': 'seat#' },
      ConsistentRead: true,
    }),
  );
  return Items ?? [];
}

describe('joinLecture', () => {
  it('answers a playback URL whose ES384 token verifies with the public key, for this viewer and channel', async () => {
    const lecture = await newLecture();
    const joined = await joinLecture(deps, { sub: world.people.learner }, lecture.lectureId);
    expect(joined.as).toBe('seat');
    const url = new URL(joined.playbackUrl);
    expect(`${url.origin}${url.pathname}`).toBe(lecture.playbackUrl);
    const token = url.searchParams.get('token')!;
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES384', typ: 'JWT' });
    const key = await importSPKI(
      playbackPublicKey.export({ type: 'spki', format: 'pem' }).toString(),
      'ES384',
    );
    const { payload } = await jwtVerify(token, key, { algorithms: ['ES384'], currentDate: NOW });
    expect(payload).toEqual({
      'aws:channel-arn': lecture.channelArn,
      'aws:viewer-id': world.people.learner,
      'aws:access-control-allow-origin': 'https://app.academy.example.com,https://academy.example.com',
      iat: NOW.getTime() / 1000,
      exp: NOW.getTime() / 1000 + 600,
    });
    expect(joined.expiresAt).toBe('2026-12-01T09:10:00.000Z');
    // Signed by another key, it does not verify.
    const other = await importSPKI(
      generateKeyPairSync('ec', { namedCurve: 'P-384' })
        .publicKey.export({ type: 'spki', format: 'pem' })
        .toString(),
      'ES384',
    );
    await expect(jwtVerify(token, other, { currentDate: NOW })).rejects.toThrow();
  });

  it('admits exactly the capacity out of 500 concurrent joins, and counts exactly the seats', async () => {
    const lecture = await newLecture(100);
    const everyone = [world.people.learner, ...world.crowd];
    expect(everyone).toHaveLength(500);
    const outcomes = await Promise.all(
      everyone.map((sub) =>
        joinLecture(deps, { sub }, lecture.lectureId).then(
          () => 'seated',
          (e: unknown) => (e instanceof HttpError ? `${e.status} ${e.detail}` : `error ${String(e)}`),
        ),
      ),
    );
    const tally = outcomes.reduce<Record<string, number>>((t, o) => ({ ...t, [o]: (t[o] ?? 0) + 1 }), {});
    expect(tally).toEqual({ seated: 100, '409 The lecture is full': 400 });
    expect(await seatsOf(lecture.lectureId)).toHaveLength(100);
    expect((await getLecture(ddb, world.tables.live!, lecture.lectureId))!.joinedCount).toBe(100);
  }, 180_000);

  it('gives the count back when the seat cannot be written, and seats a learner once however often they join at once', async () => {
    const lecture = await newLecture();
    let failures = 0;
    const failingSeatWrite = Object.create(ddb, {
      send: {
        value: (command: object) => {
          if (command instanceof PutCommand && failures < 1) {
            failures++;
            return Promise.reject(new Error('connection reset'));
          }
          return ddb.send(command as never);
        },
      },
    }) as typeof ddb;
    const e = await joinLecture(
      { ...deps, ddb: failingSeatWrite },
      { sub: world.crowd[5]! },
      lecture.lectureId,
    ).catch((x: unknown) => x);
    expect(e).toEqual(new Error('connection reset'));
    expect(await seatsOf(lecture.lectureId)).toHaveLength(0);
    expect((await getLecture(ddb, world.tables.live!, lecture.lectureId))!.joinedCount).toBe(0);

    await Promise.all(
      Array.from({ length: 8 }, () => joinLecture(deps, { sub: world.crowd[6]! }, lecture.lectureId)),
    );
    expect(await seatsOf(lecture.lectureId)).toHaveLength(1);
    expect((await getLecture(ddb, world.tables.live!, lecture.lectureId))!.joinedCount).toBe(1);
  });

  it('keeps one seat for a rejoin and still answers a fresh playback URL', async () => {
    const lecture = await newLecture(1);
    const first = await joinLecture(deps, { sub: world.people.learner }, lecture.lectureId);
    clock.advance(60_000);
    // Full now, yet the seated learner comes back in.
    const again = await joinLecture(deps, { sub: world.people.learner }, lecture.lectureId);
    expect(again.playbackUrl).not.toBe(first.playbackUrl);
    expect(again.expiresAt).toBe('2026-12-01T09:11:00.000Z');
    expect(await seatsOf(lecture.lectureId)).toHaveLength(1);
    expect((await getLecture(ddb, world.tables.live!, lecture.lectureId))!.joinedCount).toBe(1);
    const e = await refusal(joinLecture(deps, { sub: world.crowd[0]! }, lecture.lectureId));
    expect([e.status, e.detail]).toEqual([409, 'The lecture is full']);
  });

  it('lets staff watch without taking a seat', async () => {
    const lecture = await newLecture(1);
    const joined = await joinLecture(deps, { sub: world.people.instructor }, lecture.lectureId);
    expect(joined.as).toBe('watch');
    expect(await seatsOf(lecture.lectureId)).toHaveLength(0);
  });

  it.each(['ended', 'cancelled'] as const)('refuses joining a lecture that is %s', async (state) => {
    const lecture = await newLecture();
    await setLecture(world.tables.live!, lecture.lectureId, { state });
    const before = await snapshot(world.tables.live!);
    const e = await refusal(joinLecture(deps, { sub: world.people.learner }, lecture.lectureId));
    expect(e.status).toBe(409);
    expect(await snapshot(world.tables.live!)).toBe(before);
  });

  it.each([
    ['another company’s learner of the same course', 'foreignLearner', 404],
    ['another institution’s staff', 'otherStaff', 404],
    ['a stranger', 'stranger', 404],
  ] as const)('refuses %s, changing nothing', async (_, who, status) => {
    const lecture = await newLecture();
    const before = await snapshot(world.tables.live!);
    const e = await refusal(joinLecture(deps, { sub: world.people[who] }, lecture.lectureId));
    expect(e.status).toBe(status);
    expect(await snapshot(world.tables.live!)).toBe(before);
  });
});

describe('presence and attendance', () => {
  const seat = async (lectureId: string, sub: string) =>
    (
      await ddb.send(
        new GetCommand({ TableName: world.tables.live!, Key: seatKey(lectureId, sub), ConsistentRead: true }),
      )
    ).Item!;

  it('credits heartbeats only while live, at most a minute each, and nothing after leaving', async () => {
    const lecture = await newLecture();
    const me = { sub: world.people.learner };
    await joinLecture(deps, me, lecture.lectureId);
    clock.advance(30_000);
    // Scheduled: nothing counts yet, but the mark moves.
    await expect(recordPresence(deps, me, lecture.lectureId)).resolves.toEqual({
      presenceSeconds: 0,
      counting: false,
    });
    clock.advance(20_000);
    const liveAt = clock.now().toISOString();
    await setLecture(world.tables.live!, lecture.lectureId, {
      state: 'live',
      stateChangedAt: liveAt,
      startedAt: liveAt,
    });
    clock.advance(45_000);
    // From the start of the stream, not from the last heartbeat 20 s before it.
    await expect(recordPresence(deps, me, lecture.lectureId)).resolves.toEqual({
      presenceSeconds: 45,
      counting: true,
    });
    clock.advance(10 * 60_000);
    // A client that went quiet for ten minutes gets one minute.
    await expect(recordPresence(deps, me, lecture.lectureId)).resolves.toMatchObject({
      presenceSeconds: 105,
    });
    clock.advance(30_500);
    await expect(leaveLecture(deps, me, lecture.lectureId)).resolves.toMatchObject({
      presenceSeconds: 135,
      counting: true,
    });
    clock.advance(30_000);
    const e = await refusal(recordPresence(deps, me, lecture.lectureId));
    expect(e.status).toBe(409);
    expect((await seat(lecture.lectureId, me.sub)).presenceMs).toBe(135_500);
    // Joining again counts again, from the rejoin.
    await joinLecture(deps, me, lecture.lectureId);
    clock.advance(10_000);
    await expect(recordPresence(deps, me, lecture.lectureId)).resolves.toMatchObject({
      presenceSeconds: 145,
    });
  });

  it('credits concurrent heartbeats once', async () => {
    const lecture = await newLecture();
    const me = { sub: world.crowd[1]! };
    await joinLecture(deps, me, lecture.lectureId);
    await setLecture(world.tables.live!, lecture.lectureId, {
      state: 'live',
      stateChangedAt: NOW.toISOString(),
      startedAt: NOW.toISOString(),
    });
    clock.advance(40_000);
    await Promise.all(Array.from({ length: 8 }, () => recordPresence(deps, me, lecture.lectureId)));
    expect((await seat(lecture.lectureId, me.sub)).presenceMs).toBe(40_000);
  });

  it('refuses a heartbeat without a seat, and from staff', async () => {
    const lecture = await newLecture();
    expect((await refusal(recordPresence(deps, { sub: world.crowd[2]! }, lecture.lectureId))).status).toBe(
      409,
    );
    expect(
      (await refusal(recordPresence(deps, { sub: world.people.manager }, lecture.lectureId))).status,
    ).toBe(403);
  });

  it('reports every seat with presence, attendance rate over the streamed time, and quiz scores', async () => {
    const lecture = await newLecture();
    const [a, b] = [world.crowd[3]!, world.crowd[4]!];
    await joinLecture(deps, { sub: a }, lecture.lectureId);
    clock.advance(1000);
    await joinLecture(deps, { sub: b }, lecture.lectureId);
    const startedAt = clock.now().toISOString();
    await setLecture(world.tables.live!, lecture.lectureId, {
      state: 'live',
      stateChangedAt: startedAt,
      startedAt,
    });
    for (let i = 0; i < 5; i++) {
      clock.advance(60_000);
      await recordPresence(deps, { sub: a }, lecture.lectureId);
      if (i < 2) await recordPresence(deps, { sub: b }, lecture.lectureId);
    }
    const quiz = randomUUID();
    const write = (item: Record<string, unknown>) =>
      ddb.send(new PutCommand({ TableName: world.tables.live!, Item: item }));
    await write({
      pk: `lecture#${lecture.lectureId}`,
      sk: `quiz#${quiz}`,
      quizId: quiz,
      question: 'Q?',
      options: ['x', 'y'],
      answer: 1,
      timeLimitSeconds: 30,
      createdBy: world.people.manager,
      createdAt: startedAt,
      sentAt: startedAt,
    });
    for (const [sub, option] of [
      [a, 1],
      [b, 0],
    ] as const) {
      await write({
        pk: `lecture#${lecture.lectureId}`,
        sk: `answer#${quiz}#${sub}`,
        quizId: quiz,
        userSub: sub,
        enrollmentId: world.enrollments.get(sub),
        option,
        correct: option === 1,
        answeredAt: startedAt,
      });
    }
    const sheet = await attendanceOf(deps, { sub: world.people.instructor }, lecture.lectureId);
    expect(sheet).toEqual({
      lectureId: lecture.lectureId,
      state: 'live',
      streamedSeconds: 300,
      quizzesSent: 1,
      attendees: [
        {
          userSub: a,
          enrollmentId: world.enrollments.get(a),
          joinedAt: NOW.toISOString(),
          presenceSeconds: 300,
          attendanceRate: 1,
          quizzesAnswered: 1,
          quizzesCorrect: 1,
          left: false,
        },
        {
          userSub: b,
          enrollmentId: world.enrollments.get(b),
          joinedAt: '2026-12-01T09:00:01.000Z',
          presenceSeconds: 120,
          attendanceRate: 0.4,
          quizzesAnswered: 1,
          quizzesCorrect: 0,
          left: false,
        },
      ],
    });
    expect((await refusal(attendanceOf(deps, { sub: a }, lecture.lectureId))).status).toBe(403);
    expect(
      (await refusal(attendanceOf(deps, { sub: world.people.otherStaff }, lecture.lectureId))).status,
    ).toBe(404);
  });

  it('rates 0 for a lecture that never started', async () => {
    const lecture = await newLecture();
    await joinLecture(deps, { sub: world.people.learner }, lecture.lectureId);
    const sheet = await attendanceOf(deps, { sub: world.people.manager }, lecture.lectureId);
    expect(sheet.streamedSeconds).toBe(0);
    expect(sheet.attendees.map((r) => r.attendanceRate)).toEqual([0]);
  });
});

describe('chatTokenFor', () => {
  it.each([
    ['a learner may only send', 'learner', ['SEND_MESSAGE']],
    ['staff also moderate', 'instructor', ['SEND_MESSAGE', 'DELETE_MESSAGE', 'DISCONNECT_USER']],
  ] as const)('%s', async (_, who, capabilities) => {
    const lecture = await newLecture();
    chat.on(CreateChatTokenCommand).resolves({
      token: 'chat-token',
      sessionExpirationTime: new Date('2026-12-01T12:00:00Z'),
      tokenExpirationTime: new Date('2026-12-01T09:01:00Z'),
    });
    const sub = world.people[who];
    const grant = await chatTokenFor(
      deps,
      { sub, email: 'kim.minji@corp.example.com' },
      lecture.lectureId,
      undefined,
    );
    expect(grant).toEqual({
      token: 'chat-token',
      sessionExpiresAt: '2026-12-01T12:00:00.000Z',
      tokenExpiresAt: '2026-12-01T09:01:00.000Z',
      capabilities,
    });
    expect(chat.commandCalls(CreateChatTokenCommand)[0]!.args[0].input).toEqual({
      roomIdentifier: lecture.roomArn,
      userId: sub,
      capabilities,
      sessionDurationInMinutes: 180,
      attributes: { displayName: 'kim.minji' },
    });
  });

  it('uses the chosen display name, and refuses outsiders before asking IVS chat', async () => {
    const lecture = await newLecture();
    chat.on(CreateChatTokenCommand).resolves({ token: 't' });
    await chatTokenFor(deps, { sub: world.people.learner, email: undefined }, lecture.lectureId, {
      displayName: 'Minji',
    });
    expect(chat).toHaveReceivedCommandWith(CreateChatTokenCommand, { attributes: { displayName: 'Minji' } });
    for (const who of ['foreignLearner', 'otherStaff', 'stranger'] as const) {
      const e = await refusal(
        chatTokenFor(deps, { sub: world.people[who], email: undefined }, lecture.lectureId, undefined),
      );
      expect(e.status).toBe(404);
    }
    expect(chat).toHaveReceivedCommandTimes(CreateChatTokenCommand, 1);
  });

  it('names the caller by the e-mail’s local part, or plainly when there is none', () => {
    expect(defaultDisplayName('a.very.long.local.part.that.goes.on.and.on.forever@x.com')).toHaveLength(40);
    expect(defaultDisplayName(undefined)).toBe('Participant');
  });
});
