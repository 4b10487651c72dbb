import { randomUUID } from 'node:crypto';
import { DeleteChannelCommand, IvsClient, ListChannelsCommand } from '@aws-sdk/client-ivs';
import { DeleteRoomCommand, IvschatClient, ListRoomsCommand } from '@aws-sdk/client-ivschat';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { platformTags, resourceName } from '#lambda/live/ivs-resources';
import type { LectureState } from '#contracts/live';
import {
  ORPHAN_GRACE_MS,
  RELEASE_AFTER_END_MS,
  releaseChannels,
  type ReleaseDeps,
} from '#lambda/live/release-channels';
import { awsError, Clock, createWorld, ddb, depsFor, dropWorld, type World } from './live-fixture';

/*
 * Giving IVS back what no lecture needs, against DynamoDB Local, with IVS and IVS chat mocked at the SDK
 * boundary: which channels and rooms are deleted, which are left alone, and the paging of the lists.
 */

const ivs = mockClient(IvsClient);
const chat = mockClient(IvschatClient);
const PREFIX = 'lms-test';
let world: World;
let clock: Clock;
let deps: ReleaseDeps;

beforeAll(async () => {
  world = await createWorld('live-release');
});
afterAll(() => dropWorld(world));
beforeEach(() => {
  ivs.reset();
  chat.reset();
  clock = new Clock();
  deps = depsFor(world, clock);
});

interface Made {
  readonly lectureId: string;
  readonly channelArn: string;
  readonly roomArn: string;
}

/** A channel and room as createLectureResources makes them. */
function made(
  lectureId: string = randomUUID(),
  prefix = PREFIX,
  institutionId = world.institutionId,
): Made & {
  readonly channel: Record<string, unknown>;
  readonly room: Record<string, unknown>;
} {
  const id = randomUUID().slice(0, 12);
  const channelArn = `arn:aws:ivs:us-east-1:111122223333:channel/${id}`;
  const roomArn = `arn:aws:ivschat:us-east-1:111122223333:room/${id}`;
  const name = resourceName(prefix, lectureId);
  const tags = platformTags(prefix, lectureId, institutionId);
  return {
    lectureId,
    channelArn,
    roomArn,
    channel: { arn: channelArn, name, latencyMode: 'LOW', authorized: true, tags },
    room: { arn: roomArn, id, name, tags },
  };
}

async function lecture(m: Made, state: LectureState, extra: Record<string, unknown> = {}) {
  await ddb.send(
    new PutCommand({
      TableName: world.tables.live!,
      Item: {
        pk: `lecture#${m.lectureId}`,
        sk: 'meta',
        lectureId: m.lectureId,
        state,
        channelArn: m.channelArn,
        roomArn: m.roomArn,
        ...extra,
      },
    }),
  );
}

const stored = async (lectureId: string) =>
  (
    await ddb.send(
      new GetCommand({
        TableName: world.tables.live!,
        Key: { pk: `lecture#${lectureId}`, sk: 'meta' },
        ConsistentRead: true,
      }),
    )
  ).Item;

/** IVS holding these, listed as IVS lists them. */
function holding(...resources: ReturnType<typeof made>[]) {
  ivs.on(ListChannelsCommand).resolves({ channels: resources.map((r) => r.channel) });
  chat.on(ListRoomsCommand).resolves({ rooms: resources.map((r) => r.room) });
  ivs.on(DeleteChannelCommand).resolves({});
  chat.on(DeleteRoomCommand).resolves({});
}

const deletedChannels = () => ivs.commandCalls(DeleteChannelCommand).map((c) => c.args[0].input.arn);
const deletedRooms = () => chat.commandCalls(DeleteRoomCommand).map((c) => c.args[0].input.identifier);

describe('releaseChannels', () => {
  it('gives back a lecture’s channel and room a day after it ended, and no sooner', async () => {
    const old = made();
    const recent = made();
    const live = made();
    const scheduled = made();
    await lecture(old, 'ended', {
      endedAt: new Date(clock.now().getTime() - RELEASE_AFTER_END_MS).toISOString(),
    });
    await lecture(recent, 'ended', {
      endedAt: new Date(clock.now().getTime() - RELEASE_AFTER_END_MS + 60_000).toISOString(),
    });
    await lecture(live, 'live');
    await lecture(scheduled, 'scheduled');
    holding(old, recent, live, scheduled);
    const report = await releaseChannels(deps);
    expect(report).toEqual({ held: 4, released: 1, orphansSeen: 0, orphansReleased: 0, failures: 0 });
    expect(ivs.commandCalls(DeleteChannelCommand).map((c) => c.args[0].input)).toEqual([
      { arn: old.channelArn },
    ]);
    expect(chat.commandCalls(DeleteRoomCommand).map((c) => c.args[0].input)).toEqual([
      { identifier: old.roomArn },
    ]);
    expect(await stored(old.lectureId)).toMatchObject({ channelReleasedAt: clock.now().toISOString() });
    expect(await stored(recent.lectureId)).not.toHaveProperty('channelReleasedAt');
  });

  it('deletes a cancelled lecture’s channel and room that its cancel left behind', async () => {
    const cancelled = made();
    await lecture(cancelled, 'cancelled');
    holding(cancelled);
    await releaseChannels(deps);
    expect([deletedChannels(), deletedRooms()]).toEqual([[cancelled.channelArn], [cancelled.roomArn]]);
  });

  it('deletes an orphan only on a run a grace period after it was first seen', async () => {
    const orphan = made();
    holding(orphan);
    expect(await releaseChannels(deps)).toMatchObject({ orphansSeen: 1, orphansReleased: 0 });
    clock.advance(ORPHAN_GRACE_MS - 1000);
    expect(await releaseChannels(deps)).toMatchObject({ orphansSeen: 1, orphansReleased: 0 });
    expect(deletedChannels()).toEqual([]);
    clock.advance(1000);
    expect(await releaseChannels(deps)).toMatchObject({ orphansSeen: 0, orphansReleased: 1 });
    expect([deletedChannels(), deletedRooms()]).toEqual([[orphan.channelArn], [orphan.roomArn]]);
    const marker = await ddb.send(
      new GetCommand({
        TableName: world.tables.live!,
        Key: { pk: `orphan#${orphan.lectureId}`, sk: 'meta' },
        ConsistentRead: true,
      }),
    );
    expect(marker.Item).toBeUndefined();
  });

  it('leaves a channel whose create finished after it was first seen, and forgets the sighting', async () => {
    const creating = made();
    holding(creating);
    await releaseChannels(deps);
    await lecture(creating, 'scheduled');
    clock.advance(ORPHAN_GRACE_MS * 2);
    expect(await releaseChannels(deps)).toMatchObject({ orphansSeen: 0, orphansReleased: 0 });
    expect(deletedChannels()).toEqual([]);
    // Were it orphaned later, it would be seen anew, not found overdue.
    const marker = await ddb.send(
      new GetCommand({
        TableName: world.tables.live!,
        Key: { pk: `orphan#${creating.lectureId}`, sk: 'meta' },
        ConsistentRead: true,
      }),
    );
    expect(marker.Item).toBeUndefined();
  });

  it('deletes the second channel of a lecture whose identical create lost the race', async () => {
    const kept = made();
    const lost = { ...made(kept.lectureId) };
    await lecture(kept, 'scheduled');
    holding(kept, lost);
    await releaseChannels(deps);
    clock.advance(ORPHAN_GRACE_MS);
    await releaseChannels(deps);
    expect([deletedChannels(), deletedRooms()]).toEqual([[lost.channelArn], [lost.roomArn]]);
  });

  it('never touches another platform’s resources in the account, orphaned or not', async () => {
    // Another fork's prefix that begins like this one's, and a channel named like ours but tagged for another.
    const otherFork = made(randomUUID(), `${PREFIX}-dev`);
    const renamed = made();
    const mimic = {
      ...renamed,
      channel: { ...renamed.channel, tags: { ...(renamed.channel.tags as object), platform: 'lms-other' } },
      room: { ...renamed.room, tags: {} },
    };
    holding(otherFork, mimic);
    await releaseChannels(deps);
    clock.advance(ORPHAN_GRACE_MS * 3);
    expect(await releaseChannels(deps)).toEqual({
      held: 0,
      released: 0,
      orphansSeen: 0,
      orphansReleased: 0,
      failures: 0,
    });
    expect([deletedChannels(), deletedRooms()]).toEqual([[], []]);
  });

  it('pages through both lists, at IVS’s page sizes', async () => {
    const [a, b] = [made(), made()];
    await lecture(a, 'live');
    await lecture(b, 'live');
    ivs
      .on(ListChannelsCommand)
      .resolvesOnce({ channels: [a.channel], nextToken: 'c2' })
      .resolvesOnce({ channels: [b.channel] });
    chat
      .on(ListRoomsCommand)
      .resolvesOnce({ rooms: [a.room], nextToken: 'r2' })
      .resolvesOnce({ rooms: [b.room], nextToken: '' });
    expect(await releaseChannels(deps)).toMatchObject({ held: 2 });
    expect(ivs.commandCalls(ListChannelsCommand).map((c) => c.args[0].input)).toEqual([
      { maxResults: 100 },
      { maxResults: 100, nextToken: 'c2' },
    ]);
    expect(chat.commandCalls(ListRoomsCommand).map((c) => c.args[0].input)).toEqual([
      { maxResults: 50 },
      { maxResults: 50, nextToken: 'r2' },
    ]);
  });

  it('counts a lecture whose channel IVS will not delete (still live) and goes on with the others', async () => {
    const [stuck, fine] = [made(), made()];
    const ended = new Date(clock.now().getTime() - 2 * RELEASE_AFTER_END_MS).toISOString();
    await lecture(stuck, 'ended', { endedAt: ended });
    await lecture(fine, 'ended', { endedAt: ended });
    holding(stuck, fine);
    ivs.on(DeleteChannelCommand, { arn: stuck.channelArn }).rejects(awsError('ConflictException', 409));
    expect(await releaseChannels(deps)).toMatchObject({ released: 1, failures: 1 });
    expect(await stored(stuck.lectureId)).not.toHaveProperty('channelReleasedAt');
    expect(await stored(fine.lectureId)).toHaveProperty('channelReleasedAt');
  });
});
