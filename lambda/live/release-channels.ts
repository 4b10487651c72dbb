import { ListChannelsCommand, type ListChannelsCommandOutput } from '@aws-sdk/client-ivs';
import { ListRoomsCommand, type ListRoomsCommandOutput } from '@aws-sdk/client-ivschat';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { getItems } from '../shared/batch-get';
import { logger } from '../shared/observability';
import { deleteLectureResources, type IvsDeps, resourceName, withIvsRetry } from './ivs-resources';
import { type Lecture, lectureKey } from './lecture-records';

/*
 * Gives IVS back the channels and rooms no lecture needs. An account holds a limited number of channels per
 * region (5,000 by default), and a lecture keeps its channel after it ends, for a broadcaster who reconnects
 * and for its recording to finish; a platform running ten lectures a day would reach the limit within two
 * years. So, every hour:
 *   - a lecture ended a day ago gives its channel and room back (`channelReleasedAt`);
 *   - a cancelled lecture's, should its cancel have failed to delete them, go now;
 *   - an orphan, made by a create that timed out between CreateChannel and writing its lecture, goes the run
 *     after it was first seen (a create still running then has long timed out).
 * Only resources this platform made are touched: its name prefix and its own `platform` tag, both exact.
 */

export interface ReleaseDeps extends IvsDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly liveTable: string;
  readonly namePrefix: string;
  readonly now: () => Date;
}

/** How long an ended lecture keeps its channel: a reconnecting broadcaster, a recording still being written. */
export const RELEASE_AFTER_END_MS = 24 * 3600_000;
/** How long an orphan is left alone after it is first seen: longer than any create can run. */
export const ORPHAN_GRACE_MS = 30 * 60_000;
/** IVS's control plane takes about five calls a second per account, shared with every other caller. */
const PACE_MS = 250;

/** What IVS holds for one lecture id: normally one channel and one room. */
interface Held {
  readonly channelArns: string[];
  readonly roomArns: string[];
}

export interface ReleaseReport {
  readonly held: number;
  readonly released: number;
  readonly orphansSeen: number;
  readonly orphansReleased: number;
  readonly failures: number;
}

/** `orphan#<lectureId>`: when an orphan of that lecture id was first seen. */
const orphanKey = (lectureId: string) => ({ pk: `orphan#${lectureId}`, sk: 'meta' });

export async function releaseChannels(deps: ReleaseDeps): Promise<ReleaseReport> {
  const held = await heldResources(deps);
  const lectureIds = [...held.keys()];
  const found = await getItems<Record<string, unknown>>(deps.ddb, [
    ...lectureIds.map((id) => ({ table: deps.liveTable, key: lectureKey(id), consistent: true })),
    ...lectureIds.map((id) => ({ table: deps.liveTable, key: orphanKey(id), consistent: true })),
  ]);
  const now = deps.now().getTime();
  let released = 0;
  let orphansSeen = 0;
  let orphansReleased = 0;
  let failures = 0;
  let calls = 0;
  const pace = () => (calls++ > 0 ? deps.sleep(PACE_MS) : Promise.resolve());
  for (const [i, lectureId] of lectureIds.entries()) {
    const lecture = found[i] as Lecture | undefined;
    const seen = found[lectureIds.length + i] as { seenAt?: string } | undefined;
    const resources = held.get(lectureId)!;
    try {
      if (lecture) {
        // Resources of a create that lost a race to an identical one are orphans beside a real lecture.
        const extra = {
          channelArns: resources.channelArns.filter((arn) => arn !== lecture.channelArn),
          roomArns: resources.roomArns.filter((arn) => arn !== lecture.roomArn),
        };
        const due =
          lecture.state === 'cancelled' ||
          (lecture.state === 'ended' &&
            lecture.endedAt !== undefined &&
            Date.parse(lecture.endedAt) <= now - RELEASE_AFTER_END_MS);
        if (due) {
          await pace();
          await deleteAll(deps, resources);
          await markReleased(deps, lecture);
          released++;
        } else if (extra.channelArns.length + extra.roomArns.length > 0) {
          if (await orphanDue(deps, lectureId, seen, now)) {
            await pace();
            await deleteAll(deps, extra);
            orphansReleased++;
          } else orphansSeen++;
        } else if (seen) {
          // Seen while its create was still running: that create finished.
          await deps.ddb.send(new DeleteCommand({ TableName: deps.liveTable, Key: orphanKey(lectureId) }));
        }
      } else if (await orphanDue(deps, lectureId, seen, now)) {
        await pace();
        await deleteAll(deps, resources);
        orphansReleased++;
      } else orphansSeen++;
    } catch (e) {
      failures++;
      logger.error('Could not release a lecture’s IVS resources', { lectureId, error: e as Error });
    }
  }
  const report = { held: held.size, released, orphansSeen, orphansReleased, failures };
  logger.info('Channel release finished', report);
  return report;
}

/** The channels and rooms this platform made, by the lecture id they were made for. */
async function heldResources(deps: ReleaseDeps): Promise<Map<string, Held>> {
  const held = new Map<string, Held>();
  const ours = (name: string | undefined, tags: Record<string, string> | undefined) => {
    const lectureId = tags?.['lectureId'];
    if (!lectureId || tags?.['platform'] !== deps.namePrefix) return undefined;
    if (name !== resourceName(deps.namePrefix, lectureId)) return undefined;
    let entry = held.get(lectureId);
    if (!entry) held.set(lectureId, (entry = { channelArns: [], roomArns: [] }));
    return entry;
  };
  let nextToken: string | undefined;
  do {
    const page: ListChannelsCommandOutput = await withIvsRetry(deps, 'ListChannels', () =>
      deps.ivs.send(new ListChannelsCommand({ maxResults: 100, ...(nextToken ? { nextToken } : {}) })),
    );
    for (const c of page.channels ?? []) if (c.arn) ours(c.name, c.tags)?.channelArns.push(c.arn);
    nextToken = page.nextToken || undefined;
  } while (nextToken);
  do {
    const page: ListRoomsCommandOutput = await withIvsRetry(deps, 'ListRooms', () =>
      deps.chat.send(new ListRoomsCommand({ maxResults: 50, ...(nextToken ? { nextToken } : {}) })),
    );
    for (const r of page.rooms ?? []) if (r.arn) ours(r.name, r.tags)?.roomArns.push(r.arn);
    nextToken = page.nextToken || undefined;
  } while (nextToken);
  return held;
}

async function deleteAll(deps: ReleaseDeps, resources: Held) {
  for (const channelArn of resources.channelArns) await deleteLectureResources(deps, { channelArn });
  for (const roomArn of resources.roomArns) await deleteLectureResources(deps, { roomArn });
}

/** Whether an orphan was seen a grace period ago; the first sighting is written down and waits. */
async function orphanDue(
  deps: ReleaseDeps,
  lectureId: string,
  seen: { seenAt?: string } | undefined,
  now: number,
): Promise<boolean> {
  if (seen?.seenAt) {
    if (Date.parse(seen.seenAt) > now - ORPHAN_GRACE_MS) return false;
    await deps.ddb.send(new DeleteCommand({ TableName: deps.liveTable, Key: orphanKey(lectureId) }));
    return true;
  }
  await deps.ddb.send(
    new PutCommand({
      TableName: deps.liveTable,
      Item: { ...orphanKey(lectureId), seenAt: new Date(now).toISOString() },
    }),
  );
  return false;
}

async function markReleased(deps: ReleaseDeps, lecture: Lecture) {
  await deps.ddb.send(
    new UpdateCommand({
      TableName: deps.liveTable,
      Key: lectureKey(lecture.lectureId),
      UpdateExpression: 'SET channelReleasedAt = :now',
      ExpressionAttributeValues: { ':now': deps.now().toISOString() },
    }),
  );
}
