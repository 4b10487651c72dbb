import { createHash } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Upload } from './uploads';

/*
 * Each institution may have a configured number of minutes of source video transcoded per calendar month
 * (UTC, as AWS bills), since MediaConvert bills every rendition by the minute. start-transcode and the
 * local transcoder reserve a video's minutes before starting its job; the upload route refuses a video
 * once the month is used up. Kept beside the access projection (TABLES.access):
 *   institution#<id>   / transcode-minutes#<yyyy-mm>  { used, institutionId, month }
 *   transcode#<digest> / meta                         { institutionId, contentId, key, month, minutes, … }
 * The second item marks one stored object as counted, so no redelivery or retry counts it twice. A job that
 * ends in ERROR gives its minutes back (MediaConvert bills only completed jobs): the marker keeps the time of
 * the release, so a redelivered ERROR gives nothing back twice.
 * Builds no client and reads no environment when loaded; callers hand in the client and the table.
 */

/** One stored object's identity (bucket, key and etag), also MediaConvert's client request token. */
export const uploadDigest = (u: Upload): string =>
  createHash('sha256').update(`${u.bucket}\n${u.key}\n${u.etag}`).digest('hex');

/** `yyyy-mm` of the calendar month in UTC. */
export const monthOf = (at: Date): string => at.toISOString().slice(0, 7);

/** `yyyy-mm-dd` of the first day after `month` (`yyyy-mm`), when its budget starts again. */
export function resetDayOf(month: string): string {
  const [year, monthNumber] = month.split('-').map(Number) as [number, number];
  // Date.UTC takes months from 0, so the month's own number is the next month's index.
  return new Date(Date.UTC(year, monthNumber, 1)).toISOString().slice(0, 10);
}

/** Minutes a source of this length costs: rounded up to whole minutes, at least one. */
export const transcodeMinutesOf = (durationMs: number): number => Math.max(1, Math.ceil(durationMs / 60_000));

export interface MonthlyUsage {
  readonly month: string;
  readonly used: number;
  readonly budget: number;
}

/** Why a video is not transcoded: the budget, the month, what is used, and when it starts again. */
export function budgetUsedUp(usage: MonthlyUsage, minutesNeeded?: number): string {
  const needs = minutesNeeded === undefined ? '' : `, this video needs ${minutesNeeded}`;
  return (
    `The institution's transcoding budget of ${usage.budget} minute${usage.budget === 1 ? '' : 's'} ` +
    `for ${usage.month} is used up ` +
    `(${usage.used} used${needs}); it starts again on ${resetDayOf(usage.month)} at 00:00 UTC`
  );
}

const counterKey = (institutionId: string, month: string) => ({
  pk: `institution#${institutionId}`,
  sk: `transcode-minutes#${month}`,
});
const markerKey = (digest: string) => ({ pk: `transcode#${digest}`, sk: 'meta' });

/** The institution's usage of the month `at` falls in. */
export async function monthlyUsage(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  institutionId: string,
  budget: number,
  at: Date,
): Promise<MonthlyUsage> {
  const month = monthOf(at);
  const { Item } = await ddb.send(
    new GetCommand({ TableName: tableName, Key: counterKey(institutionId, month), ConsistentRead: true }),
  );
  return { month, used: Number(Item?.used ?? 0), budget };
}

export interface ReservationRequest {
  readonly institutionId: string;
  readonly contentId: string;
  readonly upload: Upload;
  readonly minutes: number;
  readonly budget: number;
  /** When the job starts: the month it is counted in. */
  readonly at: Date;
}

export type Reservation =
  | { readonly outcome: 'reserved'; readonly month: string; readonly minutes: number }
  /** Counted by an earlier attempt for the same object (a redelivery, or a retry after a crash). */
  | { readonly outcome: 'already-reserved'; readonly month: string; readonly minutes: number }
  | ({ readonly outcome: 'over-budget'; readonly minutes: number; readonly reason: string } & MonthlyUsage);

/** Attempts when concurrent reservations for the same institution collide in a transaction. */
const MAX_ATTEMPTS = 8;

/** A numeric attribute of an item as DynamoDB returns it raw in a cancellation reason. */
const rawNumber = (item: Record<string, unknown> | undefined, name: string): number | undefined => {
  const value = (item?.[name] as { N?: string } | undefined)?.N;
  return value === undefined ? undefined : Number(value);
};
const rawString = (item: Record<string, unknown> | undefined, name: string): string | undefined =>
  (item?.[name] as { S?: string } | undefined)?.S;

/**
 * Counts the video's minutes against its institution's month, atomically with the marker of its object:
 * either both are written (the month stays within the budget) or neither.
 */
export async function reserveTranscodeMinutes(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  request: ReservationRequest,
): Promise<Reservation> {
  const { institutionId, contentId, upload, minutes, budget } = request;
  const month = monthOf(request.at);
  for (let attempt = 1; ; attempt++) {
    try {
      await ddb.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: tableName,
                Item: {
                  ...markerKey(uploadDigest(upload)),
                  institutionId,
                  contentId,
                  key: upload.key,
                  month,
                  minutes,
                  reservedAt: request.at.toISOString(),
                },
                ConditionExpression: 'attribute_not_exists(pk)',
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            {
              Update: {
                TableName: tableName,
                Key: counterKey(institutionId, month),
                UpdateExpression: 'SET institutionId = :institutionId, #month = :month ADD used :minutes',
                // A month without a counter has used nothing, which fits any video within the budget; a
                // video longer than the whole budget must fail there too, hence no first-use branch for it.
                ConditionExpression:
                  minutes <= budget ? 'attribute_not_exists(used) OR used <= :limit' : 'used <= :limit',
                ExpressionAttributeNames: { '#month': 'month' },
                ExpressionAttributeValues: {
                  ':institutionId': institutionId,
                  ':month': month,
                  ':minutes': minutes,
                  ':limit': budget - minutes,
                },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
          ],
        }),
      );
      return { outcome: 'reserved', month, minutes };
    } catch (e) {
      if (!(e instanceof TransactionCanceledException)) throw e;
      const [marker, counter] = e.CancellationReasons ?? [];
      // Checked first: an object already counted goes on to its job even if the month is full by now.
      if (marker?.Code === 'ConditionalCheckFailed') {
        return {
          outcome: 'already-reserved',
          month: rawString(marker.Item, 'month') ?? month,
          minutes: rawNumber(marker.Item, 'minutes') ?? minutes,
        };
      }
      if (counter?.Code === 'ConditionalCheckFailed') {
        const usage = { month, used: rawNumber(counter.Item, 'used') ?? 0, budget };
        return { outcome: 'over-budget', minutes, ...usage, reason: budgetUsedUp(usage, minutes) };
      }
      // Another reservation for the same month was writing the counter: try again after it, with jitter
      // so that the colliding attempts do not meet again.
      const conflicted = [marker, counter].some((r) => r?.Code === 'TransactionConflict');
      if (!conflicted || attempt >= MAX_ATTEMPTS) throw e;
      await delay(Math.random() * 20 * 2 ** attempt);
    }
  }
}

export type Release =
  | { readonly outcome: 'released'; readonly month: string; readonly minutes: number }
  /** Given back by an earlier delivery of the same failure. */
  | { readonly outcome: 'already-released' }
  /** Nothing was counted under this digest: a job started before budgets, or a marker written elsewhere. */
  | { readonly outcome: 'not-reserved' };

/**
 * Gives a failed job's minutes back to the month they were counted in, once: the marker is stamped and the
 * counter decremented in one transaction that requires the marker unstamped.
 */
export async function releaseTranscodeMinutes(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  digest: string,
  at: Date,
): Promise<Release> {
  const { Item: marker } = await ddb.send(
    new GetCommand({ TableName: tableName, Key: markerKey(digest), ConsistentRead: true }),
  );
  if (!marker) return { outcome: 'not-reserved' };
  if (marker.releasedAt !== undefined) return { outcome: 'already-released' };
  const { institutionId, month, minutes } = marker as {
    institutionId: string;
    month: string;
    minutes: number;
  };
  try {
    await ddb.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName,
              Key: markerKey(digest),
              UpdateExpression: 'SET releasedAt = :at',
              ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(releasedAt)',
              ExpressionAttributeValues: { ':at': at.toISOString() },
            },
          },
          {
            Update: {
              TableName: tableName,
              Key: counterKey(institutionId, month),
              UpdateExpression: 'ADD used :minus',
              ConditionExpression: 'used >= :minutes',
              ExpressionAttributeValues: { ':minus': -minutes, ':minutes': minutes },
            },
          },
        ],
      }),
    );
    return { outcome: 'released', month, minutes };
  } catch (e) {
    // The marker's condition failed: a concurrent delivery of the same failure released it first.
    const [markerReason] = e instanceof TransactionCanceledException ? (e.CancellationReasons ?? []) : [];
    if (markerReason?.Code === 'ConditionalCheckFailed') return { outcome: 'already-released' };
    throw e;
  }
}
