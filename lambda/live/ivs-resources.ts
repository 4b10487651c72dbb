import {
  CreateChannelCommand,
  DeleteChannelCommand,
  GetStreamCommand,
  GetStreamKeyCommand,
  type IvsClient,
  ListStreamKeysCommand,
} from '@aws-sdk/client-ivs';
import { CreateRoomCommand, DeleteRoomCommand, type IvschatClient } from '@aws-sdk/client-ivschat';
import { logger } from '../shared/observability';
import { Busy } from '../shared/unavailable';

/*
 * A lecture's IVS channel and IVS chat room: created together, deleted together, and every control-plane
 * call retried on throttling. IVS's API allows about five calls a second per account and the limit cannot
 * be raised, so a burst of lecture creations (a semester's schedule typed in at once) must wait its turn
 * rather than fail; past a few tries the caller gets a 503 to retry later.
 */

export interface IvsDeps {
  readonly ivs: IvsClient;
  readonly chat: IvschatClient;
  /** Injected so tests neither wait nor depend on chance. */
  readonly sleep: (ms: number) => Promise<void>;
  /** A number in [0, 1): the jitter of each backoff. */
  readonly random: () => number;
}

export interface ChannelSettings {
  /** `LIVE_NAME_PREFIX`: tells this platform's channels apart from other stages' in one account. */
  readonly namePrefix: string;
  /** Set when the platform records; unset: nothing records. */
  readonly recordingConfigurationArn?: string | undefined;
}

/** The tries of one IVS call (the first and four retries): about three seconds of backoff at most. */
const IVS_TRIES = 5;
const BACKOFF_BASE_MS = 200;
const BACKOFF_CAP_MS = 2000;

/**
 * IVS (or IVS chat) kept throttling: not a bug, a "try again later" that the HTTP wrapper answers 503 with
 * Retry-After. IVS's control plane allows a few calls a second per account, so it passes in seconds.
 */
export class IvsBusy extends Busy {
  constructor(
    readonly operation: string,
    options: { cause: unknown },
  ) {
    super(
      `Amazon IVS is taking no more calls for now (${operation} was throttled ${IVS_TRIES} times); try again in a few seconds`,
      undefined,
      options,
    );
    this.name = 'IvsBusy';
  }
}

const isThrottling = (e: unknown) =>
  e instanceof Error &&
  (e.name === 'ThrottlingException' ||
    (e as { $retryable?: { throttling?: boolean } }).$retryable?.throttling === true);

const errorNamed = (e: unknown, ...names: string[]) => e instanceof Error && names.includes(e.name);

/**
 * Runs one IVS call, retrying throttling with exponential backoff and full jitter (AWS's recommendation:
 * concurrent callers spread out instead of retrying in step). Other errors pass through at once.
 */
export async function withIvsRetry<T>(
  deps: Pick<IvsDeps, 'sleep' | 'random'>,
  operation: string,
  call: () => Promise<T>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (e) {
      if (!isThrottling(e)) throw e;
      if (attempt + 1 >= IVS_TRIES) throw new IvsBusy(operation, { cause: e });
      const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
      await deps.sleep(Math.floor(deps.random() * ceiling));
    }
  }
}

/**
 * `<prefix>-<lectureId>`: IVS names allow letters, digits, `-` and `_`, at most 128 characters; a prefix
 * outside that is made to fit rather than refused, since it is configuration, not input.
 */
export function resourceName(namePrefix: string, lectureId: string): string {
  const prefix = namePrefix.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 128 - lectureId.length - 1);
  return prefix ? `${prefix}-${lectureId}` : lectureId;
}

/**
 * A channel's and room's tags: the lecture and institution, to trace one by hand, and the platform's name
 * prefix, so release-channels.ts touches only its own platform's resources in a shared account.
 */
export const platformTags = (namePrefix: string, lectureId: string, institutionId: string) => ({
  lectureId,
  institutionId,
  platform: namePrefix,
});

export interface LectureResources {
  readonly channelArn: string;
  readonly playbackUrl: string;
  readonly ingestEndpoint: string;
  readonly roomArn: string;
}

/**
 * The lecture's channel (private: playback needs a token the platform signs) and its chat room, tagged
 * with the lecture and institution so an orphan can be traced. If the room cannot be made, the channel is
 * deleted again before the error goes on.
 */
export async function createLectureResources(
  deps: IvsDeps,
  settings: ChannelSettings,
  lecture: { readonly lectureId: string; readonly institutionId: string; readonly record: boolean },
): Promise<LectureResources> {
  const name = resourceName(settings.namePrefix, lecture.lectureId);
  const tags = platformTags(settings.namePrefix, lecture.lectureId, lecture.institutionId);
  const { channel } = await withIvsRetry(deps, 'CreateChannel', () =>
    deps.ivs.send(
      new CreateChannelCommand({
        name,
        // Low latency keeps quizzes and questions in step with what learners see (a few seconds).
        latencyMode: 'LOW',
        // Transcoded renditions: learners join from office networks and phones alike.
        type: 'STANDARD',
        authorized: true,
        ...(lecture.record && settings.recordingConfigurationArn
          ? { recordingConfigurationArn: settings.recordingConfigurationArn }
          : {}),
        tags,
      }),
    ),
  );
  if (!channel?.arn || !channel.playbackUrl || !channel.ingestEndpoint) {
    if (channel?.arn) await undo(deps, { channelArn: channel.arn });
    throw new Error('CreateChannel answered without the channel’s ARN, playback URL or ingest endpoint');
  }
  let roomArn: string | undefined;
  try {
    const room = await withIvsRetry(deps, 'CreateRoom', () =>
      deps.chat.send(new CreateRoomCommand({ name, tags })),
    );
    roomArn = room.arn;
    if (!roomArn) throw new Error('CreateRoom answered without the room’s ARN');
  } catch (e) {
    await undo(deps, { channelArn: channel.arn });
    throw e;
  }
  return {
    channelArn: channel.arn,
    playbackUrl: channel.playbackUrl,
    ingestEndpoint: channel.ingestEndpoint,
    roomArn,
  };
}

async function deleteChannel(deps: IvsDeps, channelArn: string): Promise<void> {
  try {
    await withIvsRetry(deps, 'DeleteChannel', () =>
      deps.ivs.send(new DeleteChannelCommand({ arn: channelArn })),
    );
  } catch (e) {
    // Already gone: a repeated cancel, or a clean-up that ran before.
    if (!errorNamed(e, 'ResourceNotFoundException')) throw e;
  }
}

async function deleteRoom(deps: IvsDeps, roomArn: string): Promise<void> {
  try {
    await withIvsRetry(deps, 'DeleteRoom', () =>
      deps.chat.send(new DeleteRoomCommand({ identifier: roomArn })),
    );
  } catch (e) {
    if (!errorNamed(e, 'ResourceNotFoundException')) throw e;
  }
}

/** Deletes a lecture's channel and room; either may already be gone. */
export async function deleteLectureResources(
  deps: IvsDeps,
  resources: { readonly channelArn?: string | undefined; readonly roomArn?: string | undefined },
): Promise<void> {
  if (resources.channelArn) await deleteChannel(deps, resources.channelArn);
  if (resources.roomArn) await deleteRoom(deps, resources.roomArn);
}

/**
 * Clean-up after a failed creation, which must not hide the failure that caused it: if the clean-up fails
 * too, the orphans are logged by ARN (they carry the lecture's tags) and the original error goes on.
 */
export async function undo(deps: IvsDeps, resources: Partial<LectureResources>): Promise<void> {
  try {
    await deleteLectureResources(deps, resources);
  } catch (e) {
    logger.error('Orphaned IVS resources: delete them by hand', {
      channelArn: resources.channelArn,
      roomArn: resources.roomArn,
      error: e as Error,
    });
  }
}

/** The channel's stream key, read from IVS each time (never stored): a channel is created with one. */
export async function readStreamKey(
  deps: Pick<IvsDeps, 'ivs' | 'sleep' | 'random'>,
  channelArn: string,
): Promise<string | undefined> {
  const { streamKeys } = await withIvsRetry(deps, 'ListStreamKeys', () =>
    deps.ivs.send(new ListStreamKeysCommand({ channelArn })),
  );
  const arn = streamKeys?.[0]?.arn;
  if (!arn) return undefined;
  const { streamKey } = await withIvsRetry(deps, 'GetStreamKey', () =>
    deps.ivs.send(new GetStreamKeyCommand({ arn })),
  );
  return streamKey?.value;
}

/** Whether the channel is broadcasting now, and since when, as IVS's API says (not its events). */
export async function streamOf(
  deps: Pick<IvsDeps, 'ivs' | 'sleep' | 'random'>,
  channelArn: string,
): Promise<{ readonly live: false } | { readonly live: true; readonly startedAt?: Date | undefined }> {
  try {
    const { stream } = await withIvsRetry(deps, 'GetStream', () =>
      deps.ivs.send(new GetStreamCommand({ channelArn })),
    );
    return stream?.state === 'LIVE' ? { live: true, startedAt: stream.startTime } : { live: false };
  } catch (e) {
    // No stream, or no channel any more (deleted by hand): either way nothing is broadcast.
    if (errorNamed(e, 'ChannelNotBroadcasting', 'ResourceNotFoundException')) return { live: false };
    throw e;
  }
}
