import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { LIVE, LIVE_ENDED_PART_SIZE, liveEnded, type LiveEnded } from '#contracts/live';
import type { Lecture } from './lecture-records';
import { rollOf } from './seats';
import { type BusDeps, putOnBus } from '../shared/platform-bus';

/*
 * `live.ended` on the platform bus: everyone who joined, with presence and quiz scores, when a lecture's
 * stream ends. Its `occurredAt` is the end's own time (the IVS event's, or the sweep's finding), so a
 * re-publish of the same end says the same thing and consumers keep the newest.
 */

export type PublishDeps = BusDeps;

/** EventBridge's limit for one entry. */
const ENTRY_BYTES = 256 * 1024;

/** The parts of `live.ended` for an ended lecture, each checked against the contract. */
export async function liveEndedParts(
  ddb: DynamoDBDocumentClient,
  liveTable: string,
  lecture: Lecture,
): Promise<LiveEnded[]> {
  if (lecture.state !== 'ended' || !lecture.startedAt || !lecture.endedAt) {
    throw new Error(`Lecture ${lecture.lectureId} has not ended after starting`);
  }
  const roll = await rollOf(ddb, liveTable, lecture, new Date(lecture.endedAt));
  const attendees = roll.attendees.map(
    ({
      userSub,
      enrollmentId,
      joinedAt,
      presenceSeconds,
      attendanceRate,
      quizzesAnswered,
      quizzesCorrect,
    }) => ({
      ...{ userSub, enrollmentId, joinedAt, presenceSeconds, attendanceRate },
      ...{ quizzesAnswered, quizzesCorrect },
    }),
  );
  const parts = Math.max(1, Math.ceil(attendees.length / LIVE_ENDED_PART_SIZE));
  return Array.from({ length: parts }, (_, i) => {
    const detail = {
      lectureId: lecture.lectureId,
      provisionId: lecture.provisionId,
      courseId: lecture.courseId,
      institutionId: lecture.institutionId,
      title: lecture.title,
      occurredAt: lecture.endedAt!,
      startedAt: lecture.startedAt!,
      endedAt: lecture.endedAt!,
      quizzesSent: roll.quizzesSent,
      part: i + 1,
      parts,
      attendees: attendees.slice(i * LIVE_ENDED_PART_SIZE, (i + 1) * LIVE_ENDED_PART_SIZE),
    };
    const parsed = liveEnded.safeParse(detail);
    if (!parsed.success) {
      throw new Error(`The live.ended detail breaks the bus contract:\n${z.prettifyError(parsed.error)}`);
    }
    return parsed.data;
  });
}

/** Publishes every part, one entry per call: a part may be close to the 256 KB a call carries in all. */
export async function publishLiveEnded(
  deps: PublishDeps & { readonly ddb: DynamoDBDocumentClient; readonly liveTable: string },
  lecture: Lecture,
): Promise<number> {
  const parts = await liveEndedParts(deps.ddb, deps.liveTable, lecture);
  for (const part of parts) {
    // The entry's size as PutEvents counts it: source, detail type and detail.
    const detail = JSON.stringify(part);
    const size = Buffer.byteLength(LIVE.source + 'live.ended' + detail, 'utf8');
    if (size > ENTRY_BYTES) throw new Error(`live.ended part ${part.part} is ${size} bytes, above 256 KB`);
    await putOnBus(deps, {
      source: LIVE.source,
      detailType: 'live.ended',
      detail: part,
      time: new Date(part.occurredAt),
    });
  }
  return parts.length;
}
