import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { Identity } from '#contracts/access-token';
import {
  LIVE,
  type createLectureBody,
  type listLecturesQuery,
  type updateLectureBody,
} from '#contracts/live';
import { HttpError } from '#contracts/problem';
import { enrollmentIn, managesInstitution, provisionFacts } from '../access/access';
import {
  type ChannelSettings,
  createLectureResources,
  deleteLectureResources,
  type IvsDeps,
  readStreamKey,
  undo,
} from './ivs-resources';
import { getLecture, type Lecture, lectureKey, provisionIndexKeys, sweepStateOf } from './lecture-records';
import { publishLectureFact } from './lecture-facts';
import { accessLecture, type LiveAccessDeps, provisionForStaff } from './live-access';
import { derivedUuid } from '../shared/derived-id';
import type { BusDeps } from '../shared/platform-bus';

/*
 * Scheduling lectures: each has an IVS channel and chat room of its own, created with it and deleted when
 * it is cancelled. Staff of the provision's institution schedule and change them; learners enrolled in the
 * provision see them, without what only a broadcaster needs (ingest endpoint, channel and room).
 */

/** What reading, changing and cancelling lectures takes. */
export interface LectureReadDeps extends LiveAccessDeps, IvsDeps {
  readonly now: () => Date;
}

/** Creating one also takes the channel settings, and the bus its lecture.scheduled goes on. */
export interface LectureDeps extends LectureReadDeps, ChannelSettings, BusDeps {}

type Caller = Pick<Identity, 'sub'>;

/** What a learner sees of a lecture. */
export interface LectureSummary {
  readonly lectureId: string;
  readonly provisionId: string;
  readonly courseId: string;
  readonly title: string;
  readonly startsAt: string;
  readonly endsAt: string;
  readonly capacity: number;
  readonly joinedCount: number;
  readonly state: Lecture['state'];
  readonly startedAt?: string;
  readonly endedAt?: string;
}

/**
 * What staff see: everything but the index attributes and the bus bookkeeping (and never a stream key,
 * which is not stored).
 */
export type StaffLecture = Omit<Lecture, 'stateChangedAt' | 'scheduledFact' | 'startedFact'>;

export function lectureView(lecture: Lecture, as: 'staff' | 'learner'): LectureSummary | StaffLecture {
  const { lectureId, provisionId, courseId, title, startsAt, endsAt, capacity, joinedCount, state } = lecture;
  if (as === 'learner') {
    return {
      ...{ lectureId, provisionId, courseId, title, startsAt, endsAt, capacity, joinedCount, state },
      ...(lecture.startedAt ? { startedAt: lecture.startedAt } : {}),
      ...(lecture.endedAt ? { endedAt: lecture.endedAt } : {}),
    };
  }
  const staff = { ...lecture } as Record<string, unknown>;
  for (const internal of [
    'pk',
    'sk',
    'gsi1pk',
    'gsi1sk',
    'sweepState',
    'stateChangedAt',
    'scheduledFact',
    'startedFact',
  ]) {
    delete staff[internal];
  }
  return staff as unknown as StaffLecture;
}

const utc = (instant: string) => new Date(instant).toISOString();

/**
 * The lecture's id, derived from what scheduled it, so a client that retries a create after a timeout gets
 * the same lecture instead of a second one with a second channel.
 */
export const lectureIdFor = (
  sub: string,
  body: Pick<z.infer<typeof createLectureBody>, 'provisionId' | 'title' | 'startsAt' | 'endsAt'>,
): string => derivedUuid('lecture', sub, body.provisionId, body.title, utc(body.startsAt), utc(body.endsAt));

function checkTimes(startsAt: string, endsAt: string, field: 'body.endsAt' | 'body.startsAt'): void {
  if (Date.parse(endsAt) <= Date.parse(startsAt)) {
    throw new HttpError(400, 'A lecture ends after it starts', [
      { field, message: 'must be later than startsAt' },
    ]);
  }
}

function capacityAbove(attendeeCount: number): HttpError {
  return new HttpError(422, `The provision has ${attendeeCount} attendees`, [
    { field: 'body.capacity', message: `at most the provision's ${attendeeCount} attendees` },
  ]);
}

/**
 * Schedules a lecture: channel and room first, then the lecture item that names them. The item is written
 * only if no lecture has its id, so of two concurrent identical requests one writes and the other deletes
 * the channel and room it made and answers the first's lecture; a failed write deletes them too. The writer
 * then publishes lecture.scheduled; if that fails the request fails, and its retry (which finds the lecture,
 * still owing the fact) publishes it.
 */
export async function createLecture(
  deps: LectureDeps,
  caller: Caller,
  body: z.infer<typeof createLectureBody>,
): Promise<{ lecture: Lecture; created: boolean }> {
  const provision = await provisionForStaff(deps, caller, body.provisionId);
  const startsAt = utc(body.startsAt);
  const endsAt = utc(body.endsAt);
  checkTimes(startsAt, endsAt, 'body.endsAt');
  const capacity = body.capacity ?? provision.attendeeCount;
  if (capacity > provision.attendeeCount || capacity < 1) throw capacityAbove(provision.attendeeCount);

  const lectureId = lectureIdFor(caller.sub, body);
  const existing = await getLecture(deps.ddb, deps.liveTable, lectureId);
  if (existing) {
    return { lecture: await announced(deps, sameOrRefused(existing)), created: false };
  }

  const record = body.record !== false && Boolean(deps.recordingConfigurationArn);
  const resources = await createLectureResources(deps, deps, {
    lectureId,
    institutionId: provision.institutionId,
    record,
  }).catch((e: unknown) => {
    // Waiting will not help: the account holds as many channels or rooms as IVS allows it.
    if (e instanceof Error && e.name === 'ServiceQuotaExceededException') {
      throw new HttpError(
        503,
        'IVS allows no more channels or chat rooms in this account; cancel unused lectures or raise the quota',
      );
    }
    throw e;
  });
  const now = deps.now().toISOString();
  const lecture: Lecture = {
    lectureId,
    provisionId: body.provisionId,
    institutionId: provision.institutionId,
    companyId: provision.companyId,
    courseId: provision.courseId,
    title: body.title,
    startsAt,
    endsAt,
    capacity,
    joinedCount: 0,
    state: 'scheduled',
    record,
    ...resources,
    createdBy: caller.sub,
    createdAt: now,
    updatedAt: now,
    scheduledFact: 'due',
  };
  try {
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.liveTable,
        Item: {
          ...lectureKey(lectureId),
          ...provisionIndexKeys(body.provisionId, startsAt, lectureId),
          sweepState: sweepStateOf('scheduled'),
          ...lecture,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (e) {
    await undo(deps, resources);
    if (!(e instanceof ConditionalCheckFailedException)) throw e;
    const winner = await getLecture(deps.ddb, deps.liveTable, lectureId);
    if (!winner) throw e;
    // The winner publishes lecture.scheduled (or its client's retry does, if that fails).
    return { lecture: sameOrRefused(winner), created: false };
  }
  return { lecture: await announced(deps, lecture), created: true };
}

/** Publishes lecture.scheduled if the lecture still owes it; the lecture as it is then. */
async function announced(deps: LectureDeps, lecture: Lecture): Promise<Lecture> {
  const published = await publishLectureFact(deps, lecture, 'scheduled');
  return published ? { ...lecture, scheduledFact: 'published' } : lecture;
}

/** A repeated create answers the lecture it made, unless that was cancelled since. */
function sameOrRefused(existing: Lecture): Lecture {
  if (existing.state === 'cancelled') {
    throw new HttpError(409, 'This lecture was scheduled and cancelled; change its title or times', [
      { field: 'body.startsAt', message: 'a cancelled lecture has this title and these times' },
    ]);
  }
  return existing;
}

const cursorKey = (provisionId: string) =>
  z.strictObject({
    pk: z.string().startsWith('lecture#').max(200),
    sk: z.literal('meta'),
    gsi1pk: z.literal(`provision#${provisionId}`),
    gsi1sk: z.string().min(1).max(200),
  });

const badCursor = () =>
  new HttpError(400, 'Invalid query.cursor', [
    { field: 'query.cursor', message: 'not a cursor this listing gave out' },
  ]);

function decodeCursor(cursor: string, provisionId: string): Record<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  const parsed = cursorKey(provisionId).safeParse(json);
  if (!parsed.success) throw badCursor();
  return parsed.data;
}

const encodeCursor = (key: Record<string, unknown>) =>
  Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');

/**
 * A provision's lectures by planned start, for its institution's staff and its enrolled learners; anyone
 * else gets the 404 of a provision that does not exist. With `upcoming`, a page may hold fewer than `limit`
 * lectures (ended ones are filtered after reading); the cursor still goes on from where it stopped.
 */
export async function listLectures(
  deps: LiveAccessDeps,
  caller: Caller,
  query: z.infer<typeof listLecturesQuery>,
): Promise<{ lectures: (LectureSummary | StaffLecture)[]; cursor?: string }> {
  const startKey = query.cursor ? decodeCursor(query.cursor, query.provisionId) : undefined;
  const provision = await provisionFacts(deps.ddb, deps.accessTable, query.provisionId);
  const [staff, enrollment] = provision
    ? await Promise.all([
        managesInstitution(deps.ddb, deps.accessTable, caller.sub, provision.institutionId),
        enrollmentIn(deps.ddb, deps.accessTable, caller.sub, provision.courseId, query.provisionId),
      ])
    : [false, undefined];
  if (!staff && !enrollment) {
    throw new HttpError(404, 'No such provision', [
      { field: 'query.provisionId', message: 'no provision you take part in has this id' },
    ]);
  }
  const upcoming = query.upcoming === 'true';
  const page = await deps.ddb.send(
    new QueryCommand({
      TableName: deps.liveTable,
      IndexName: LIVE.indexes.byProvision,
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: {
        ':pk': provisionIndexKeys(query.provisionId, '', '').gsi1pk,
        ...(upcoming ? { ':scheduled': 'scheduled', ':live': 'live' } : {}),
      },
      ...(upcoming
        ? {
            FilterExpression: '#state IN (:scheduled, :live)',
            ExpressionAttributeNames: { '#state': 'state' },
          }
        : {}),
      Limit: query.limit ?? 20,
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    }),
  );
  const as = staff ? 'staff' : 'learner';
  return {
    lectures: (page.Items ?? []).map((item) => lectureView(item as Lecture, as)),
    ...(page.LastEvaluatedKey ? { cursor: encodeCursor(page.LastEvaluatedKey) } : {}),
  };
}

export async function readLecture(deps: LiveAccessDeps, caller: Caller, lectureId: string) {
  const access = await accessLecture(deps, caller, lectureId, 'any');
  return lectureView(access.lecture, access.as);
}

const notScheduled = (lecture: Lecture) =>
  new HttpError(409, `The lecture is ${lecture.state}; only a scheduled lecture changes`);

/**
 * Changes a scheduled lecture. The write is conditional on the lecture still being scheduled and on its
 * seats taken still fitting the new capacity, so a join or a stream start in between is never overruled.
 */
export async function updateLecture(
  deps: LectureReadDeps,
  caller: Caller,
  lectureId: string,
  body: z.infer<typeof updateLectureBody>,
): Promise<StaffLecture> {
  const { lecture } = await accessLecture(deps, caller, lectureId, 'staff');
  if (lecture.state !== 'scheduled') throw notScheduled(lecture);
  const startsAt = body.startsAt ? utc(body.startsAt) : lecture.startsAt;
  const endsAt = body.endsAt ? utc(body.endsAt) : lecture.endsAt;
  checkTimes(startsAt, endsAt, body.endsAt ? 'body.endsAt' : 'body.startsAt');
  if (body.capacity !== undefined) {
    const provision = await provisionFacts(deps.ddb, deps.accessTable, lecture.provisionId);
    const attendees = provision?.attendeeCount ?? 0;
    if (body.capacity > attendees) throw capacityAbove(attendees);
  }
  const set: Record<string, unknown> = {
    title: body.title ?? lecture.title,
    startsAt,
    endsAt,
    capacity: body.capacity ?? lecture.capacity,
    updatedAt: deps.now().toISOString(),
    gsi1sk: provisionIndexKeys(lecture.provisionId, startsAt, lectureId).gsi1sk,
  };
  const names = Object.fromEntries(Object.keys(set).map((k) => [`#${k}`, k]));
  const values = Object.fromEntries(Object.entries(set).map(([k, v]) => [`:${k}`, v]));
  try {
    const { Attributes } = await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.liveTable,
        Key: lectureKey(lectureId),
        UpdateExpression: `SET ${Object.keys(set)
          .map((k) => `#${k} = :${k}`)
          .join(', ')}`,
        ConditionExpression: '#state = :scheduled AND joinedCount <= :capacity',
        ExpressionAttributeNames: { ...names, '#state': 'state' },
        ExpressionAttributeValues: { ...values, ':scheduled': 'scheduled' },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return lectureView(Attributes as Lecture, 'staff') as StaffLecture;
  } catch (e) {
    if (!(e instanceof ConditionalCheckFailedException)) throw e;
    const now = await getLecture(deps.ddb, deps.liveTable, lectureId);
    if (!now || now.state !== 'scheduled') throw notScheduled(now ?? { ...lecture, state: 'cancelled' });
    throw new HttpError(409, `${now.joinedCount} learners have joined already`, [
      { field: 'body.capacity', message: `at least the ${now.joinedCount} seats taken` },
    ]);
  }
}

/**
 * Cancels a lecture that has not been broadcast: first the state (so no one joins and no stream event
 * revives it), then its channel and room. A repeated cancel finishes a clean-up that failed half way.
 */
export async function cancelLecture(deps: LectureReadDeps, caller: Caller, lectureId: string) {
  const { lecture } = await accessLecture(deps, caller, lectureId, 'staff');
  if (lecture.state === 'live' || lecture.state === 'ended') {
    throw new HttpError(409, `The lecture is ${lecture.state}; only a scheduled lecture is cancelled`);
  }
  let cancelled: Lecture = lecture;
  if (lecture.state === 'scheduled') {
    try {
      const { Attributes } = await deps.ddb.send(
        new UpdateCommand({
          TableName: deps.liveTable,
          Key: lectureKey(lectureId),
          UpdateExpression: 'SET #state = :cancelled, updatedAt = :now REMOVE sweepState',
          ConditionExpression: '#state = :scheduled',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':cancelled': 'cancelled',
            ':scheduled': 'scheduled',
            ':now': deps.now().toISOString(),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      cancelled = Attributes as Lecture;
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      const now = await getLecture(deps.ddb, deps.liveTable, lectureId);
      // Its stream started meanwhile.
      if (now?.state !== 'cancelled') throw notScheduled(now ?? lecture);
      cancelled = now;
    }
  }
  await deleteLectureResources(deps, cancelled);
  return lectureView(cancelled, 'staff') as StaffLecture;
}

/** What the broadcaster's encoder needs: the RTMPS ingest URL and the channel's stream key. */
export async function streamKeyFor(deps: LectureReadDeps, caller: Caller, lectureId: string) {
  const { lecture } = await accessLecture(deps, caller, lectureId, 'staff');
  if (lecture.state === 'cancelled') throw new HttpError(409, 'The lecture is cancelled');
  if (lecture.channelReleasedAt) {
    throw new HttpError(409, 'The lecture ended, and its channel was released; schedule a new lecture');
  }
  const streamKey = await readStreamKey(deps, lecture.channelArn);
  if (!streamKey) throw new HttpError(409, 'The lecture’s channel has no stream key');
  // IVS answers a host and takes RTMPS on 443; the local IVS answers `host:port` of plain RTMP.
  const ingestUrl = lecture.ingestEndpoint.includes(':')
    ? `rtmp://${lecture.ingestEndpoint}/app/`
    : `rtmps://${lecture.ingestEndpoint}:443/app/`;
  return { ingestUrl, streamKey };
}
