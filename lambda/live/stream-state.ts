import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { LIVE } from '#contracts/live';
import { logger } from '../shared/observability';
import { type IvsDeps, streamOf } from './ivs-resources';
import { publishLectureFact } from './lecture-facts';
import { getLecture, type Lecture, lectureKey } from './lecture-records';
import { publishLiveEnded, type PublishDeps } from './live-ended';
import { countLiveMetric } from './live-metrics';
import { writeIf } from '../shared/write-if';

/*
 * A lecture's broadcast state, as IVS reports it. IVS's EventBridge events are best effort: lost, late,
 * repeated or out of order. So each change is applied only if it is newer than the one the lecture holds
 * (by the event's own time), and a sweep asks IVS's API about every lecture that is, or should be, live and
 * fixes what the events missed. A cancelled lecture stays cancelled whatever IVS says.
 */

export interface StreamStateDeps extends PublishDeps, Pick<IvsDeps, 'ivs' | 'sleep' | 'random'> {
  readonly ddb: DynamoDBDocumentClient;
  readonly liveTable: string;
  readonly now: () => Date;
}

/** The fields used of IVS's `IVS Stream State Change` event; its channel is `resources[0]`. */
const streamStateChange = z.object({
  source: z.literal('aws.ivs'),
  'detail-type': z.literal('IVS Stream State Change'),
  time: z.iso.datetime({ offset: true }),
  resources: z.array(z.string().min(1)).min(1),
  detail: z.object({ event_name: z.string().min(1) }),
});

export type Transition = 'live' | 'ended';

const TRANSITIONS: Readonly<Record<string, Transition>> = {
  'Stream Start': 'live',
  'Stream End': 'ended',
};

export type StreamStateOutcome = 'applied' | 'stale' | 'ignored' | 'unknown-channel' | 'cancelled';

/** Finds the lecture of a channel (the byChannel index holds one lecture per channel). */
export async function lectureOfChannel(
  ddb: DynamoDBDocumentClient,
  liveTable: string,
  channelArn: string,
): Promise<Lecture | undefined> {
  const { Items } = await ddb.send(
    new QueryCommand({
      TableName: liveTable,
      IndexName: LIVE.indexes.byChannel,
      KeyConditionExpression: 'channelArn = :arn',
      ExpressionAttributeValues: { ':arn': channelArn },
      Limit: 1,
    }),
  );
  return Items?.[0] as Lecture | undefined;
}

/** One event from the rule on `aws.ivs` / `IVS Stream State Change`. Session Created and the like change nothing. */
export async function onStreamStateChange(
  deps: StreamStateDeps,
  event: unknown,
): Promise<StreamStateOutcome> {
  const parsed = streamStateChange.safeParse(event);
  if (!parsed.success) {
    throw new Error(`Not an IVS stream state change:\n${z.prettifyError(parsed.error)}`);
  }
  const { time, resources, detail } = parsed.data;
  const to = TRANSITIONS[detail.event_name];
  if (!to) return 'ignored';
  const lecture = await lectureOfChannel(deps.ddb, deps.liveTable, resources[0]!);
  if (!lecture) {
    logger.warn('A stream state change for a channel of no lecture', { channelArn: resources[0] });
    return 'unknown-channel';
  }
  return applyTransition(deps, lecture.lectureId, to, new Date(time).toISOString());
}

/**
 * Moves a lecture to `to` as of `at` (UTC ISO, the same form everywhere so times compare as strings), unless
 * it knows something newer or is cancelled. On reaching `ended` it publishes live.ended; the same end seen
 * again publishes the same detail again (the previous publish may have failed after the write), a stale end
 * publishes nothing. The first time it reaches `live` it publishes lecture.started, once: a repeated start
 * or a reconnect finds it published already.
 */
export async function applyTransition(
  deps: StreamStateDeps,
  lectureId: string,
  to: Transition,
  at: string,
): Promise<StreamStateOutcome> {
  const now = deps.now().toISOString();
  const common = {
    ConditionExpression:
      'attribute_exists(pk) AND #state <> :cancelled AND (attribute_not_exists(stateChangedAt) OR stateChangedAt < :at)',
    ExpressionAttributeNames: { '#state': 'state' },
  };
  try {
    const { Attributes } = await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.liveTable,
        Key: lectureKey(lectureId),
        ...common,
        ...(to === 'live'
          ? {
              // The first write that takes it live leaves lecture.started owed, and no later one does (a
              // reconnect finds it published). Publishing before the write could announce a lecture whose
              // cancel wins the race; publishing after it with nothing recorded would lose a failed publish,
              // since the redelivered start is stale by then.
              UpdateExpression:
                'SET #state = :live, sweepState = :live, stateChangedAt = :at, startedAt = if_not_exists(startedAt, :at), startedFact = if_not_exists(startedFact, :due), updatedAt = :now',
              ExpressionAttributeValues: {
                ':cancelled': 'cancelled',
                ':at': at,
                ':live': 'live',
                ':due': 'due',
                ':now': now,
              },
            }
          : {
              UpdateExpression:
                // sweepState stays until live.ended is out (finishEnd), so a failed publish is retried.
                'SET #state = :ended, stateChangedAt = :at, endedAt = :at, updatedAt = :now',
              ExpressionAttributeValues: {
                ':cancelled': 'cancelled',
                ':at': at,
                ':ended': 'ended',
                ':now': now,
              },
            }),
        ReturnValues: 'ALL_NEW',
      }),
    );
    const lecture = Attributes as Lecture;
    logger.info('Lecture state changed', { lectureId, state: to, at });
    if (to === 'ended') await finishEnd(deps, lecture);
    else await publishLectureFact(deps, lecture, 'started');
    return 'applied';
  } catch (e) {
    if (!(e instanceof ConditionalCheckFailedException)) throw e;
  }
  const lecture = await getLecture(deps.ddb, deps.liveTable, lectureId);
  if (!lecture || lecture.state === 'cancelled') return 'cancelled';
  if (to === 'live') {
    // This very start, redelivered after its lecture.started failed to go out: publish it now. (Or a
    // duplicate racing the first writer's publish: the same eventId, one fact to consumers.)
    await publishLectureFact(deps, lecture, 'started');
    // A start older than what the lecture knows still tells when it first started, which a lecture whose
    // end arrived first lacks (and cannot report without).
    if (await backdateStart(deps, lectureId, at)) {
      const started = await getLecture(deps.ddb, deps.liveTable, lectureId);
      // Back in the sweep's index first, so a failed publish is retried like any other.
      if (started?.state === 'ended' && (await resweep(deps, started))) await finishEnd(deps, started);
    }
  } else if (lecture.state === 'ended' && lecture.endedAt === at && isSwept(lecture)) {
    // This very end, redelivered after its live.ended failed to go out: publish it now.
    await finishEnd(deps, lecture);
  }
  return 'stale';
}

/**
 * Publishes live.ended for an ended lecture, then takes it out of the sweep's index: if the publish fails,
 * the lecture is still there and the next sweep (or the event's redelivery) publishes it. A lecture whose
 * start was never seen cannot be reported yet; the late start publishes it (backdateStart).
 */
export async function finishEnd(deps: StreamStateDeps, lecture: Lecture): Promise<boolean> {
  const published = Boolean(lecture.startedAt);
  if (published) await publishLiveEnded(deps, lecture);
  // Unless it went live again meanwhile: then the sweep must keep watching it.
  await writeIf(
    deps.ddb,
    new UpdateCommand({
      TableName: deps.liveTable,
      Key: lectureKey(lecture.lectureId),
      UpdateExpression: 'REMOVE sweepState',
      ConditionExpression: '#state = :ended AND endedAt = :endedAt',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':ended': 'ended', ':endedAt': lecture.endedAt },
    }),
  );
  return published;
}

/** Puts an ended lecture back in the sweep's index until its live.ended is out; false if it changed since. */
async function resweep(deps: StreamStateDeps, lecture: Lecture): Promise<boolean> {
  return writeIf(
    deps.ddb,
    new UpdateCommand({
      TableName: deps.liveTable,
      Key: lectureKey(lecture.lectureId),
      UpdateExpression: 'SET sweepState = :live',
      ConditionExpression: '#state = :ended AND endedAt = :endedAt',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':live': 'live', ':ended': 'ended', ':endedAt': lecture.endedAt },
    }),
  );
}

/** Still in the sweep's index: for an ended lecture, its live.ended has not gone out yet. */
const isSwept = (lecture: Lecture) => (lecture as { sweepState?: string }).sweepState !== undefined;

async function backdateStart(deps: StreamStateDeps, lectureId: string, at: string): Promise<boolean> {
  return writeIf(
    deps.ddb,
    new UpdateCommand({
      TableName: deps.liveTable,
      Key: lectureKey(lectureId),
      UpdateExpression: 'SET startedAt = :at',
      ConditionExpression:
        '#state <> :cancelled AND (attribute_not_exists(startedAt) OR startedAt > :at) AND (attribute_not_exists(endedAt) OR endedAt > :at)',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':at': at, ':cancelled': 'cancelled' },
    }),
  );
}

/** How far ahead of its planned start the sweep looks at a scheduled lecture (broadcasters test early). */
const EARLY_MS = 15 * 60_000;
/** Scheduled lectures older than this that never started are left alone: no one is going to broadcast. */
const STALE_SCHEDULE_MS = 24 * 60 * 60_000;
/** A live lecture changed this recently is not ended yet: IVS's API may lag its own events. */
const SETTLE_MS = 60_000;
/** Pause between GetStream calls, so the sweep leaves most of IVS's 5 calls a second to the routes. */
const PACE_MS = 250;

export interface SweepReport {
  readonly checked: number;
  readonly started: number;
  readonly ended: number;
  /**
   * Facts that had not gone out yet (a publish failed before): live.ended of ended lectures, lecture.started
   * of live ones.
   */
  readonly published: number;
  readonly unchanged: number;
  /** Lectures that could not be reconciled this time (logged one by one); the stack alarms on it. */
  readonly reconcileErrors: number;
}

async function sweepCandidates(deps: StreamStateDeps, now: Date): Promise<Lecture[]> {
  const out: Lecture[] = [];
  const queries = [
    { state: 'live', range: undefined },
    {
      state: 'scheduled',
      range: [
        new Date(now.getTime() - STALE_SCHEDULE_MS).toISOString(),
        new Date(now.getTime() + EARLY_MS).toISOString(),
      ],
    },
  ] as const;
  for (const q of queries) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await deps.ddb.send(
        new QueryCommand({
          TableName: deps.liveTable,
          IndexName: LIVE.indexes.bySweepState,
          KeyConditionExpression: q.range
            ? 'sweepState = :state AND startsAt BETWEEN :from AND :to'
            : 'sweepState = :state',
          ExpressionAttributeValues: {
            ':state': q.state,
            ...(q.range ? { ':from': q.range[0], ':to': q.range[1] } : {}),
          },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      out.push(...((page.Items ?? []) as Lecture[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
  return out;
}

/**
 * Reconciles every lecture believed live, and every scheduled one due, with IVS's GetStream: a live lecture
 * whose stream is gone ends (publishing live.ended), a scheduled one whose stream runs goes live. One call at
 * a time, paced, each retried on throttling; a lecture that fails is counted and the sweep goes on.
 */
export async function sweepLectures(deps: StreamStateDeps): Promise<SweepReport> {
  const now = deps.now();
  const lectures = await sweepCandidates(deps, now);
  let started = 0;
  let ended = 0;
  let published = 0;
  let unchanged = 0;
  let reconcileErrors = 0;
  for (const [i, lecture] of lectures.entries()) {
    try {
      if (await publishLectureFact(deps, lecture, 'started')) published++;
      if (lecture.state === 'ended') {
        if (await finishEnd(deps, lecture)) published++;
        else unchanged++;
        continue;
      }
      if (i > 0) await deps.sleep(PACE_MS);
      const stream = await streamOf(deps, lecture.channelArn);
      if (lecture.state === 'scheduled' && stream.live) {
        const at = (stream.startedAt ?? deps.now()).toISOString();
        if ((await applyTransition(deps, lecture.lectureId, 'live', at)) === 'applied') started++;
        else unchanged++;
      } else if (
        lecture.state === 'live' &&
        !stream.live &&
        Date.parse(lecture.stateChangedAt ?? lecture.updatedAt) <= now.getTime() - SETTLE_MS
      ) {
        const at = deps.now().toISOString();
        if ((await applyTransition(deps, lecture.lectureId, 'ended', at)) === 'applied') ended++;
        else unchanged++;
      } else {
        unchanged++;
      }
    } catch (e) {
      reconcileErrors++;
      logger.error('Could not reconcile a lecture', { lectureId: lecture.lectureId, error: e as Error });
    }
  }
  const report = { checked: lectures.length, started, ended, published, unchanged, reconcileErrors };
  // One line per run, and the count as a metric the live stack alarms on.
  logger.info('Lecture sweep finished', report);
  countLiveMetric(LIVE.metrics.reconcileErrors, reconcileErrors);
  return report;
}
