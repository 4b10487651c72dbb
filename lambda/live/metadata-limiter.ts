import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type IvsClient, PutMetadataCommand, ThrottlingException } from '@aws-sdk/client-ivs';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { IVS_LIMITS } from '#contracts/live';
import { Busy } from '../shared/unavailable';
import { limiterKey } from './lecture-records';

/*
 * PutMetadata within IVS's 5 calls a second per channel, for every sender at once. The senders are many
 * Lambda instances, so the limiter's state is one DynamoDB item per channel holding the channel's next free
 * slot: a sender reserves a slot atomically, waits until it comes, then calls IVS. A burst is queued, not
 * dropped; only a queue longer than MAX_WAIT_MS is refused, so no function is held for long.
 */

/** One call per slot: 200 ms apart makes 5 in any second. */
export const METADATA_SLOT_MS = 1000 / IVS_LIMITS.metadataCallsPerSecond;
/** The longest a sender waits for its slot: a burst of 25 quizzes on one channel still goes out. */
export const MAX_WAIT_MS = 5000;
/**
 * How late after its slot a sender may still call: until the next slot begins, so each call stays in its own
 * 200 ms span and the calls keep the order of their slots. A slot taken on an idle channel is already due
 * when the reservation returns, so a DynamoDB round trip's lateness is normal. Later than this (a paused or
 * slow instance), the call would crowd the spans after it, so the sender reserves a new slot instead.
 */
export const LATE_TOLERANCE_MS = METADATA_SLOT_MS;
/** Slots a sender may miss by lateness before it calls anyway, leaving IVS's throttling to say no. */
export const MAX_LATE = 3;
/** PutMetadata calls per send: the first, then retries after IVS throttled. */
export const MAX_TRIES = 3;
/** Reservation attempts before giving up: each loses only to another sender's successful reservation. */
const MAX_RESERVE_ATTEMPTS = 5;

export interface MetadataLimiterDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly liveTable: string;
  /** Called with the SDK's own retries off: a retry must wait for a slot of its own. */
  readonly ivs: IvsClient;
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
}

/** The channel's queue is full, or IVS kept throttling: nothing was put; try again after `retryAfterSeconds`. */
export class ChannelBusy extends Busy {
  constructor(
    override readonly retryAfterSeconds: number,
    readonly reason: 'queue-full' | 'throttled',
  ) {
    super(
      reason === 'queue-full'
        ? `The channel's timed metadata queue is full; try again in ${retryAfterSeconds} s`
        : `IVS kept throttling the channel's timed metadata; try again in ${retryAfterSeconds} s`,
      retryAfterSeconds,
    );
    this.name = 'ChannelBusy';
  }
}

const rawNumber = (item: Record<string, unknown> | undefined, name: string): number | undefined => {
  const value = item?.[name] as { N?: string } | number | undefined;
  if (typeof value === 'number') return value;
  return value?.N !== undefined ? Number(value.N) : undefined;
};

/**
 * Reserves the channel's next free slot (epoch ms): slot = max(now, nextFree), nextFree = slot + 200 ms.
 * DynamoDB has no max(), so it is two conditional updates: while the channel is busy, an atomic increment
 * of nextFree (which never conflicts with other senders' increments); when it is idle, setting nextFree
 * from now. A condition fails only when the channel changed between busy and idle, and the other form then
 * applies.
 */
export async function reserveMetadataSlot(deps: MetadataLimiterDeps, channelArn: string): Promise<number> {
  // The limiter item carries no `channelArn` attribute: that would put it in the byChannel index, which must
  // hold lectures only.
  for (let attempt = 1; attempt <= MAX_RESERVE_ATTEMPTS; attempt++) {
    const now = deps.now().getTime();
    try {
      const { Attributes } = await deps.ddb.send(
        new UpdateCommand({
          TableName: deps.liveTable,
          Key: limiterKey(channelArn),
          UpdateExpression: 'SET nextFree = nextFree + :slot',
          ConditionExpression: 'nextFree > :now AND nextFree <= :horizon',
          ExpressionAttributeValues: {
            ':slot': METADATA_SLOT_MS,
            ':now': now,
            ':horizon': now + MAX_WAIT_MS,
          },
          ReturnValues: 'UPDATED_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return (Attributes!.nextFree as number) - METADATA_SLOT_MS;
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      const nextFree = rawNumber(e.Item, 'nextFree');
      if (nextFree !== undefined && nextFree > now + MAX_WAIT_MS) {
        throw new ChannelBusy(Math.ceil((nextFree - now - MAX_WAIT_MS) / 1000), 'queue-full');
      }
    }
    // The channel is idle (no item, or its next free slot has passed): the slot is now.
    try {
      await deps.ddb.send(
        new UpdateCommand({
          TableName: deps.liveTable,
          Key: limiterKey(channelArn),
          UpdateExpression: 'SET nextFree = :next',
          ConditionExpression: 'attribute_not_exists(nextFree) OR nextFree <= :now',
          ExpressionAttributeValues: { ':next': now + METADATA_SLOT_MS, ':now': now },
        }),
      );
      return now;
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
      // Another sender took the idle slot first: the channel is busy now, so increment after it.
    }
  }
  throw new ChannelBusy(1, 'queue-full');
}

/**
 * Puts the metadata on the channel in a slot of its own, waiting for the slot. IVS's ThrottlingException
 * (another tool on the channel, clocks apart, a late call) is retried in the next reserved slot, at most
 * MAX_TRIES calls in all.
 * Throws ChannelBusy when the queue is full or IVS kept throttling; other errors as they come.
 */
export async function putMetadataInSlot(
  deps: MetadataLimiterDeps,
  channelArn: string,
  metadata: string,
  /** A slot the caller already reserved for the first call. */
  reserved?: number,
): Promise<void> {
  let slot = reserved ?? (await reserveMetadataSlot(deps, channelArn));
  for (let tries = 1, lates = 0; ; slot = await reserveMetadataSlot(deps, channelArn)) {
    const wait = slot - deps.now().getTime();
    if (wait > 0) await deps.sleep(wait);
    if (deps.now().getTime() - slot > LATE_TOLERANCE_MS && lates < MAX_LATE) {
      lates += 1;
      continue;
    }
    try {
      await deps.ivs.send(new PutMetadataCommand({ channelArn, metadata }));
      return;
    } catch (e) {
      if (!(e instanceof ThrottlingException || (e as Error).name === 'ThrottlingException')) throw e;
    }
    if (tries >= MAX_TRIES) throw new ChannelBusy(1, 'throttled');
    tries += 1;
  }
}
