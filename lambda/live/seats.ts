import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { Identity } from '#contracts/access-token';
import { HttpError } from '#contracts/problem';
import { Busy } from '../shared/unavailable';
import { getLecture, type Lecture, lectureKey, seatKey } from './lecture-records';
import { accessLecture, type LiveAccessDeps } from './live-access';
import { playbackGrant, type PlaybackGrant, type PlaybackTokenDeps } from './playback-token';
import { writeIf } from '../shared/write-if';

/*
 * Seats and presence. A learner's first join takes a seat, counted against the lecture's capacity in the
 * same transaction that writes it, so the count never passes the capacity and always equals the seats.
 * Presence is credited by the server from heartbeats, in real elapsed time while the lecture is live, at
 * most a minute per heartbeat (a client that stops beating stops counting).
 */

export interface SeatDeps extends LiveAccessDeps, PlaybackTokenDeps {
  /** Injected so tests neither wait nor depend on chance. */
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

/** A learner's seat (`seat#<sub>`). */
export interface Seat {
  readonly lectureId: string;
  readonly userSub: string;
  readonly enrollmentId: string;
  readonly joinedAt: string;
  /** Presence credited so far, in milliseconds (reported in whole seconds). */
  readonly presenceMs: number;
  /** The last heartbeat (or the join): where the next heartbeat's credit starts. */
  readonly lastSeenAt: string;
  /** Set by leave: nothing more is counted until the learner joins again. */
  readonly leftAt?: string;
}

/** The longest stretch one heartbeat credits. */
export const HEARTBEAT_CREDIT_MS = 60_000;

type Caller = Pick<Identity, 'sub'>;

export interface Joined extends PlaybackGrant {
  /** `seat`: a learner's (new or kept); `watch`: staff watch without taking one. */
  readonly as: 'seat' | 'watch';
}

const JOINABLE: readonly Lecture['state'][] = ['scheduled', 'live'];

/**
 * Concurrent writes kept winning over this one (heartbeats of one seat racing a leave): the HTTP wrapper
 * answers 503 with Retry-After.
 */
export class SeatsBusy extends Busy {
  constructor(cause: unknown) {
    super('Too many concurrent writes to this lecture; try again shortly', undefined, { cause });
    this.name = 'SeatsBusy';
  }
}

const notJoinable = (lecture: Lecture) => new HttpError(409, `The lecture is ${lecture.state}`);

/**
 * Takes the caller's seat (or keeps it) and answers a playback URL. Staff of the institution may watch too,
 * without a seat: they are not attendees, and must never take a learner's place.
 */
export async function joinLecture(deps: SeatDeps, caller: Caller, lectureId: string): Promise<Joined> {
  // The caller's seat comes with the access check, in the same read.
  const access = await accessLecture<Seat>(deps, caller, lectureId, 'any', seatKey(lectureId, caller.sub));
  const { lecture } = access;
  if (access.as === 'staff') {
    if (lecture.state === 'cancelled') throw notJoinable(lecture);
    return { as: 'watch', ...(await playbackGrant(deps, lecture, caller.sub)) };
  }
  if (!JOINABLE.includes(lecture.state)) throw notJoinable(lecture);
  await takeSeat(deps, lecture, caller.sub, access.enrollmentId, access.also);
  return { as: 'seat', ...(await playbackGrant(deps, lecture, caller.sub)) };
}

/**
 * Counts the seat, then writes it. Every join of a lecture updates its one item; as a transaction with the
 * seat's Put, concurrent joins conflict with each other (DynamoDB cancels, not queues, transactions on one
 * item) and DynamoDB Local runs them one at a time; a conditional update of the count alone is applied in
 * turn. The count comes first, so a failure between the two writes leaves a counted seat nobody holds (one
 * seat fewer offered), never a seat beyond capacity.
 */
async function takeSeat(
  deps: SeatDeps,
  lecture: Lecture,
  sub: string,
  enrollmentId: string,
  seated: Seat | undefined,
) {
  const now = deps.now().toISOString();
  // A rejoin takes no second seat: the seat stays its learner's for the lecture.
  if (seated) return rejoin(deps, lecture.lectureId, sub, now);
  try {
    await deps.ddb.send(new UpdateCommand(countSeat(deps.liveTable, lectureKey(lecture.lectureId))));
  } catch (e) {
    if (!(e instanceof ConditionalCheckFailedException)) throw e;
    const current = await getLecture(deps.ddb, deps.liveTable, lecture.lectureId);
    if (current && !JOINABLE.includes(current.state)) throw notJoinable(current);
    throw new HttpError(409, 'The lecture is full');
  }
  const seat: Seat = {
    lectureId: lecture.lectureId,
    userSub: sub,
    enrollmentId,
    joinedAt: now,
    presenceMs: 0,
    lastSeenAt: now,
  };
  try {
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.liveTable,
        Item: { ...seatKey(lecture.lectureId, sub), ...seat },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (e) {
    // The same learner's other join seated them first, or the write failed: the count goes back.
    await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.liveTable,
        Key: lectureKey(lecture.lectureId),
        UpdateExpression: 'SET joinedCount = joinedCount - :one',
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
    if (!(e instanceof ConditionalCheckFailedException)) throw e;
    return rejoin(deps, lecture.lectureId, sub, now);
  }
}

/**
 * A join's count: one seat more, only below capacity and while the lecture is joinable. Exported for
 * bench/live, which times a join's writes alone.
 */
export const countSeat = (liveTable: string, key: { pk: string; sk: string }) => ({
  TableName: liveTable,
  Key: key,
  UpdateExpression: 'SET joinedCount = joinedCount + :one',
  ConditionExpression: 'joinedCount < #capacity AND #state IN (:scheduled, :live)',
  ExpressionAttributeNames: { '#state': 'state', '#capacity': 'capacity' },
  ExpressionAttributeValues: { ':one': 1, ':scheduled': 'scheduled', ':live': 'live' },
});

async function rejoin(deps: SeatDeps, lectureId: string, sub: string, now: string) {
  // Only if left: a seat not left is counting already, and its last heartbeat stays where credit starts.
  await writeIf(
    deps.ddb,
    new UpdateCommand({
      TableName: deps.liveTable,
      Key: seatKey(lectureId, sub),
      UpdateExpression: 'SET lastSeenAt = :now REMOVE leftAt',
      ConditionExpression: 'attribute_exists(leftAt)',
      ExpressionAttributeValues: { ':now': now },
    }),
  );
}

async function readSeat(deps: LiveAccessDeps, lectureId: string, sub: string): Promise<Seat | undefined> {
  const { Item } = await deps.ddb.send(
    new GetCommand({ TableName: deps.liveTable, Key: seatKey(lectureId, sub), ConsistentRead: true }),
  );
  return Item as Seat | undefined;
}

export interface Presence {
  readonly presenceSeconds: number;
  /** Whether this heartbeat was credited (only while the lecture is live). */
  readonly counting: boolean;
}

/** A heartbeat's retries when another heartbeat of the same seat wrote in between. */
const PRESENCE_TRIES = 3;

/**
 * Credits the time since the seat's last heartbeat, at most a minute, and only the part while the lecture
 * was live this time. The write is conditional on the heartbeat read, so two concurrent heartbeats credit
 * the stretch once: the second re-reads and finds (nearly) nothing left to credit.
 */
async function beat(
  deps: SeatDeps,
  caller: Caller,
  lectureId: string,
  leaving: boolean,
): Promise<Presence & { readonly leftAt?: string }> {
  const access = await accessLecture<Seat>(
    deps,
    caller,
    lectureId,
    'learner',
    seatKey(lectureId, caller.sub),
  );
  const { lecture } = access;
  for (let attempt = 0; ; attempt++) {
    const seat = attempt === 0 ? access.also : await readSeat(deps, lectureId, caller.sub);
    if (!seat) throw new HttpError(409, 'Join the lecture first');
    if (seat.leftAt) {
      if (leaving) return { presenceSeconds: seconds(seat.presenceMs), counting: false, leftAt: seat.leftAt };
      throw new HttpError(409, 'You left this lecture; join again to be counted');
    }
    const current =
      attempt === 0 ? lecture : ((await getLecture(deps.ddb, deps.liveTable, lectureId)) ?? lecture);
    const now = deps.now();
    const counting = current.state === 'live';
    const from = Math.max(Date.parse(seat.lastSeenAt), Date.parse(current.stateChangedAt ?? seat.lastSeenAt));
    const credit = counting ? Math.min(HEARTBEAT_CREDIT_MS, Math.max(0, now.getTime() - from)) : 0;
    // Never move the mark backwards (a clock behind the last heartbeat's).
    const seenAt = new Date(Math.max(now.getTime(), Date.parse(seat.lastSeenAt))).toISOString();
    try {
      await deps.ddb.send(
        new UpdateCommand({
          TableName: deps.liveTable,
          Key: seatKey(lectureId, caller.sub),
          UpdateExpression: `SET presenceMs = presenceMs + :credit, lastSeenAt = :seen${leaving ? ', leftAt = :seen' : ''}`,
          ConditionExpression: 'lastSeenAt = :read AND attribute_not_exists(leftAt)',
          ExpressionAttributeValues: { ':credit': credit, ':seen': seenAt, ':read': seat.lastSeenAt },
        }),
      );
      return {
        presenceSeconds: seconds(seat.presenceMs + credit),
        counting,
        ...(leaving ? { leftAt: seenAt } : {}),
      };
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      if (attempt + 1 >= PRESENCE_TRIES) {
        // Others of this seat's heartbeats keep winning: they credited this stretch, so this one need not.
        const now = await readSeat(deps, lectureId, caller.sub);
        if (!leaving || now?.leftAt) {
          return {
            presenceSeconds: seconds(now?.presenceMs ?? seat.presenceMs),
            counting,
            ...(now?.leftAt ? { leftAt: now.leftAt } : {}),
          };
        }
        throw new SeatsBusy(e);
      }
    }
  }
}

const seconds = (ms: number) => Math.floor(ms / 1000);

export const recordPresence = (deps: SeatDeps, caller: Caller, lectureId: string): Promise<Presence> =>
  beat(deps, caller, lectureId, false);

/** Stops counting: the stretch up to now is credited, then nothing until the learner joins again. */
export const leaveLecture = (deps: SeatDeps, caller: Caller, lectureId: string) =>
  beat(deps, caller, lectureId, true);

/** A quiz as the quiz routes write it (`quiz#<quizId>`); only what attendance needs. */
interface QuizItem {
  readonly quizId: string;
  readonly sentAt?: string;
}

/** One answer (`answer#<quizId>#<sub>`); only what attendance needs. */
interface AnswerItem {
  readonly quizId: string;
  readonly userSub: string;
  readonly correct: boolean;
}

export interface AttendanceRow {
  readonly userSub: string;
  readonly enrollmentId: string;
  readonly joinedAt: string;
  readonly presenceSeconds: number;
  readonly attendanceRate: number;
  readonly quizzesAnswered: number;
  readonly quizzesCorrect: number;
  readonly left: boolean;
}

export interface Roll {
  readonly streamedSeconds: number;
  readonly quizzesSent: number;
  readonly attendees: AttendanceRow[];
}

/**
 * Seconds the lecture has been broadcast: from its first start to its last end, or to now while live; 0 if
 * it never started.
 */
export function streamedSeconds(lecture: Lecture, now: Date): number {
  if (!lecture.startedAt) return 0;
  const end = lecture.state === 'live' || !lecture.endedAt ? now.getTime() : Date.parse(lecture.endedAt);
  return Math.max(0, Math.floor((end - Date.parse(lecture.startedAt)) / 1000));
}

/** Every seat of a lecture with presence, attendance rate and quiz scores: the lecture's partition, read once. */
export async function rollOf(ddb: DynamoDBDocumentClient, liveTable: string, lecture: Lecture, now: Date) {
  const seats: Seat[] = [];
  const quizzes: QuizItem[] = [];
  const answers: AnswerItem[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(
      new QueryCommand({
        TableName: liveTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': lectureKey(lecture.lectureId).pk },
        ConsistentRead: true,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      const sk = String(item.sk);
      if (sk.startsWith('seat#')) seats.push(item as Seat);
      else if (sk.startsWith('quiz#')) quizzes.push(item as QuizItem);
      else if (sk.startsWith('answer#')) answers.push(item as AnswerItem);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  const streamed = streamedSeconds(lecture, now);
  const scores = new Map<string, { answered: number; correct: number }>();
  for (const a of answers) {
    const s = scores.get(a.userSub) ?? { answered: 0, correct: 0 };
    s.answered += 1;
    if (a.correct === true) s.correct += 1;
    scores.set(a.userSub, s);
  }
  const attendees = seats
    .map((seat): AttendanceRow => {
      const presenceSeconds = seconds(seat.presenceMs);
      const score = scores.get(seat.userSub);
      return {
        userSub: seat.userSub,
        enrollmentId: seat.enrollmentId,
        joinedAt: seat.joinedAt,
        presenceSeconds,
        attendanceRate: streamed > 0 ? Math.min(1, presenceSeconds / streamed) : 0,
        quizzesAnswered: score?.answered ?? 0,
        quizzesCorrect: score?.correct ?? 0,
        left: seat.leftAt !== undefined,
      };
    })
    .sort((a, b) => a.joinedAt.localeCompare(b.joinedAt) || a.userSub.localeCompare(b.userSub));
  return { streamedSeconds: streamed, quizzesSent: quizzes.filter((q) => q.sentAt).length, attendees };
}

/** The attendance sheet, for the institution's staff. */
export async function attendanceOf(
  deps: SeatDeps | (LiveAccessDeps & { now: () => Date }),
  caller: Caller,
  lectureId: string,
) {
  const { lecture } = await accessLecture(deps, caller, lectureId, 'staff');
  const roll = await rollOf(deps.ddb, deps.liveTable, lecture, deps.now());
  return { lectureId, state: lecture.state, ...roll };
}
