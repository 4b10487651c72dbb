import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { LectureState } from '#contracts/live';

/*
 * The live table's items (TABLES.live), one module so every live handler reads and writes the same shapes:
 *   lecture#<id> / meta                  the lecture (Lecture), with its channel, room and seat count
 *   lecture#<id> / seat#<sub>            a learner's seat: when they joined, their presence so far
 *   lecture#<id> / quiz#<quizId>         a quiz as staff wrote it, and when it was sent
 *   lecture#<id> / answer#<quizId>#<sub> one learner's one answer to one quiz
 *   limiter#<channelArn> / metadata      the channel's next free PutMetadata slot
 * Index attributes (LIVE.indexes): gsi1pk/gsi1sk on the lecture (by provision and start), channelArn on the
 * lecture (by channel), sweepState only while the sweep must look at it (scheduled or live, and `live` kept on
 * an ended lecture until its live.ended has gone out: stream-state.ts).
 */

export interface Lecture {
  readonly lectureId: string;
  readonly provisionId: string;
  readonly institutionId: string;
  readonly companyId: string;
  readonly courseId: string;
  readonly title: string;
  /** ISO 8601, UTC. */
  readonly startsAt: string;
  readonly endsAt: string;
  readonly capacity: number;
  /** Seats taken: at most `capacity`, counted by the conditional write that gives a seat. */
  readonly joinedCount: number;
  readonly state: LectureState;
  /** Whether the channel records into the recording bucket. */
  readonly record: boolean;
  readonly channelArn: string;
  readonly roomArn: string;
  readonly playbackUrl: string;
  readonly ingestEndpoint: string;
  /**
   * When the state last changed by an IVS event or the sweep (the event's own time), so a late or repeated
   * event older than what the lecture already knows changes nothing.
   */
  readonly stateChangedAt?: string;
  /** When the stream first started and last ended. */
  readonly startedAt?: string;
  readonly endedAt?: string;
  /** When its channel and room were given back to IVS (a day after it ended): nothing streams to it again. */
  readonly channelReleasedAt?: string;
  /**
   * Whether `lecture.scheduled` and `lecture.started` went out: `due` from the write that made the fact until
   * it is on the bus (lecture-facts.ts). Absent on a lecture that never started, or made before they existed.
   */
  readonly scheduledFact?: FactState;
  readonly startedFact?: FactState;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type FactState = 'due' | 'published';

export const lectureKey = (lectureId: string) => ({ pk: `lecture#${lectureId}`, sk: 'meta' });
export const seatKey = (lectureId: string, sub: string) => ({
  pk: `lecture#${lectureId}`,
  sk: `seat#${sub}`,
});
export const quizKey = (lectureId: string, quizId: string) => ({
  pk: `lecture#${lectureId}`,
  sk: `quiz#${quizId}`,
});
export const answerKey = (lectureId: string, quizId: string, sub: string) => ({
  pk: `lecture#${lectureId}`,
  sk: `answer#${quizId}#${sub}`,
});
export const limiterKey = (channelArn: string) => ({ pk: `limiter#${channelArn}`, sk: 'metadata' });

/** The byProvision index's keys: a provision's lectures sort by planned start, then id. */
export const provisionIndexKeys = (provisionId: string, startsAt: string, lectureId: string) => ({
  gsi1pk: `provision#${provisionId}`,
  gsi1sk: `${startsAt}#${lectureId}`,
});

/** Scheduled and live lectures carry `sweepState`, so the sweep's index holds only what it must check. */
export const sweepStateOf = (state: LectureState) =>
  state === 'scheduled' || state === 'live' ? state : undefined;

export async function getLecture(
  ddb: DynamoDBDocumentClient,
  liveTable: string,
  lectureId: string,
): Promise<Lecture | undefined> {
  const { Item } = await ddb.send(
    new GetCommand({ TableName: liveTable, Key: lectureKey(lectureId), ConsistentRead: true }),
  );
  return Item as Lecture | undefined;
}
