import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { LIVE } from '#contracts/live';
import { lectureScheduled, lectureStarted } from '#contracts/platform-events';
import { type Lecture, lectureKey } from './lecture-records';
import { type BusDeps, putOnBus } from '../shared/platform-bus';
import { writeIf } from '../shared/write-if';

/*
 * `lecture.scheduled` and `lecture.started` on the platform bus, for the notifications domain to tell the
 * provision's learners. Each is owed by the conditional write that made its fact (the create's put, the
 * first move to live), which leaves `due` on the lecture in that same write; the fact is published after
 * it, and only then marked `published`. A publish that fails leaves it `due`, so whoever next sees the
 * lecture (a repeated create, a redelivered start, the sweep) publishes it instead of the fact being lost.
 * Its eventId is the lecture's, so the rare second publish (a retry racing a slow first one) is one fact
 * to consumers, who dedupe on it.
 */

export interface LectureFactDeps extends BusDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly liveTable: string;
}

export type LectureFact = 'scheduled' | 'started';

const FACTS = {
  scheduled: {
    detailType: 'lecture.scheduled',
    attribute: 'scheduledFact',
    contract: lectureScheduled,
    occurredAt: (lecture: Lecture) => lecture.createdAt,
  },
  started: {
    detailType: 'lecture.started',
    attribute: 'startedFact',
    contract: lectureStarted,
    // When the stream first went live: the same on every retry, unless an older start turns up meanwhile.
    occurredAt: (lecture: Lecture) => lecture.startedAt,
  },
} as const;

/** The fact's detail, checked against its contract (a lecture that breaks it is a bug, not a retry). */
export function lectureFactDetail(lecture: Lecture, fact: LectureFact) {
  const { contract, occurredAt } = FACTS[fact];
  const parsed = contract.safeParse({
    eventId: `lecture-${fact}-${lecture.lectureId}`,
    occurredAt: occurredAt(lecture),
    lectureId: lecture.lectureId,
    provisionId: lecture.provisionId,
    institutionId: lecture.institutionId,
    courseId: lecture.courseId,
    title: lecture.title,
    startsAt: lecture.startsAt,
    endsAt: lecture.endsAt,
  });
  if (!parsed.success) {
    throw new Error(
      `The lecture.${fact} detail of ${lecture.lectureId} breaks the bus contract:\n${z.prettifyError(parsed.error)}`,
    );
  }
  return parsed.data;
}

/** Whether the lecture owes the fact: a started one only while it is live (afterwards no one can join). */
export function owes(lecture: Lecture, fact: LectureFact): boolean {
  if (lecture[FACTS[fact].attribute] !== 'due') return false;
  return fact === 'scheduled' || lecture.state === 'live';
}

/**
 * Publishes the fact if the lecture owes it, then marks it published (unless someone did already). Says
 * whether it published.
 */
export async function publishLectureFact(
  deps: LectureFactDeps,
  lecture: Lecture,
  fact: LectureFact,
): Promise<boolean> {
  if (!owes(lecture, fact)) return false;
  const { detailType, attribute } = FACTS[fact];
  const detail = lectureFactDetail(lecture, fact);
  await putOnBus(deps, {
    source: LIVE.source,
    detailType,
    detail,
    time: new Date(detail.occurredAt),
  });
  await writeIf(
    deps.ddb,
    new UpdateCommand({
      TableName: deps.liveTable,
      Key: lectureKey(lecture.lectureId),
      UpdateExpression: 'SET #fact = :published',
      ConditionExpression: '#fact = :due',
      ExpressionAttributeNames: { '#fact': attribute },
      ExpressionAttributeValues: { ':published': 'published', ':due': 'due' },
    }),
  );
  return true;
}
