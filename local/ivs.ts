import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createHash, createPublicKey, type KeyObject, randomBytes, randomUUID } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import * as z from 'zod';
import { IVS_LIMITS } from '#contracts/live';
import { LOCAL_AWS } from './dynamodb-local';
import { attachChatMessaging, type ChatSession } from './ivs-chat-messaging';
import { flvHeader, flvTag, type RtmpAuthorization, startRtmpIngest } from './ivs-rtmp';
import { verifyPlaybackToken } from './ivs-playback-token';
import { type SignatureVerdict, verifySignatureV4 } from './s3-signature';

/*
 * Amazon IVS (low-latency channels) and Amazon IVS Chat on one machine, for `npm start` and the tests. The real
 * `@aws-sdk/client-ivs` and `@aws-sdk/client-ivschat` clients talk to it unchanged, pointed here by `endpoint`
 * or by AWS_ENDPOINT_URL_IVS / AWS_ENDPOINT_URL_IVSCHAT. It is a stand-in and says so: every answer carries
 * `x-local-stand-in`, and it logs a line saying it is local when it starts.
 *
 *   const ivs = await startLocalIvs({ onEvent: (e) => ... });
 *   new IvsClient({ endpoint: ivs.endpoint, region: 'us-east-1', credentials: LOCAL_AWS.credentials });
 *   new IvschatClient({ endpoint: ivs.chatEndpoint, ... });
 *
 * HTTP (one port):
 *   POST /CreateChannel, /GetChannel, /BatchGetChannel, /DeleteChannel, /ListChannels, /GetStream,
 *        /ListStreams, /StopStream, /GetStreamKey,
 *        /ListStreamKeys, /PutMetadata, /ImportPlaybackKeyPair, /GetPlaybackKeyPair,
 *        /DeletePlaybackKeyPair, /CreateRecordingConfiguration, /GetRecordingConfiguration
 *   POST|GET|DELETE /tags/{resourceArn}                      IVS's REST-JSON, SigV4 for service `ivs`
 *   POST /ivschat/CreateRoom, /GetRoom, /ListRooms, /DeleteRoom, /CreateChatToken, /SendEvent, /DeleteMessage,
 *        /DisconnectUser                                     IVS Chat's REST-JSON, SigV4 for `ivschat`
 *   WS   /ivschat/messaging                                  IVS Chat's messaging API (token as subprotocol)
 *   GET  /hls/{channelId}/index.m3u8                          a channel's playbackUrl (multivariant playlist)
 *   GET  /hls/{channelId}/live.m3u8, /hls/{channelId}/seg_NNNNN.ts   what the playlist names
 *   GET  /local/ivs/channels/{channelId}/metadata             timed metadata as server-sent events
 * RTMP: rtmp://127.0.0.1:{rtmpPort}/app/{streamKey}          ingest (plain RTMP; IVS takes RTMPS on 443)
 *
 * It refuses at least what IVS refuses: unsigned or badly signed calls; names, ARNs, tags and enums outside
 * the model; PutMetadata over 1 KB, more than 5 per second per channel, or on a channel not live; control-plane
 * calls beyond IVS's rates; deleting a live channel; a stream key it did not issue; a second publisher on a
 * live channel; playback of a private channel without a valid ES384 token from an imported P-384 key; chat
 * tokens with unknown capabilities, sessions outside 1 to 180 minutes or attributes over 500 bytes (the
 * platform's contract, IVS_LIMITS; IVS documents 1 KB).
 *
 * Where it differs from IVS, by necessity: `ingestEndpoint` is `host:port` of plain RTMP (IVS answers a host
 * for rtmps://<host>:443/app/), the playback URL is plain HTTP on this port, the stream is copied into one
 * HLS rendition (no transcoding ladder), and metadata reaches players through the SSE endpoint rather than
 * inside the video.
 *
 * Stream and recording state changes go to `onEvent` in the shape EventBridge delivers IVS's events (see
 * `IvsEvent`), in order, after the state changed. In AWS they reach the live stack's rule on the default bus,
 * so locally they belong with what that rule targets; note that the channel ARN is only in `resources`.
 * `simulateStream` starts and ends a stream without RTMP, so platform tests stay fast.
 */

/** An IVS event as EventBridge delivers it. */
export interface IvsEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'IVS Stream State Change' | 'IVS Recording State Change';
  readonly source: 'aws.ivs';
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Readonly<Record<string, unknown>>;
}

/** One accepted PutMetadata call, with the server's time of acceptance. */
export interface MetadataRecord {
  readonly channelArn: string;
  readonly streamId: string;
  readonly metadata: string;
  readonly receivedAt: string;
}

export type IvsOperation =
  | 'CreateChannel'
  | 'GetChannel'
  | 'DeleteChannel'
  | 'ListChannels'
  | 'BatchGetChannel'
  | 'GetStream'
  | 'ListStreams'
  | 'StopStream'
  | 'GetStreamKey'
  | 'ListStreamKeys'
  | 'ImportPlaybackKeyPair'
  | 'GetPlaybackKeyPair'
  | 'DeletePlaybackKeyPair'
  | 'CreateRecordingConfiguration'
  | 'GetRecordingConfiguration'
  | 'TagResource'
  | 'UntagResource'
  | 'ListTagsForResource'
  | 'CreateRoom'
  | 'GetRoom'
  | 'ListRooms'
  | 'DeleteRoom'
  | 'CreateChatToken'
  | 'SendEvent'
  | 'DeleteMessage'
  | 'DisconnectUser';

/**
 * Calls per second per operation for the account, near IVS's and IVS Chat's service quotas ("API rate
 * limits" in the IVS quotas pages: 5 TPS for creating, deleting and stopping, more for reads). They cannot be
 * raised in AWS, so the platform's creation paths must back off; the defaults make them do so locally.
 */
export const IVS_API_RATES: Readonly<Record<IvsOperation, number>> = {
  CreateChannel: 5,
  GetChannel: 50,
  DeleteChannel: 5,
  ListChannels: 50,
  BatchGetChannel: 5,
  GetStream: 50,
  ListStreams: 50,
  StopStream: 5,
  GetStreamKey: 50,
  ListStreamKeys: 50,
  ImportPlaybackKeyPair: 5,
  GetPlaybackKeyPair: 50,
  DeletePlaybackKeyPair: 5,
  CreateRecordingConfiguration: 5,
  GetRecordingConfiguration: 50,
  TagResource: 10,
  UntagResource: 10,
  ListTagsForResource: 10,
  CreateRoom: 5,
  GetRoom: 5,
  ListRooms: 5,
  DeleteRoom: 5,
  CreateChatToken: 200,
  SendEvent: 10,
  DeleteMessage: 10,
  DisconnectUser: 10,
};

export interface LocalIvsOptions {
  /** The HTTP port (control planes, HLS, metadata). @default 0, a free port */
  readonly port?: number;
  /** The RTMP ingest's port. @default 0, a free port */
  readonly rtmpPort?: number;
  /** Where to listen and what to put in URLs. @default '127.0.0.1' */
  readonly host?: string;
  /** HLS output and default recordings; kept on close. @default a new temporary directory, removed on close */
  readonly dataDir?: string;
  /** @default LOCAL_AWS.region */
  readonly region?: string;
  /** The account id in ARNs and events. @default '000000000000' */
  readonly accountId?: string;
  /** Access keys whose signatures are accepted. @default [LOCAL_AWS.credentials] */
  readonly credentials?: readonly { readonly accessKeyId: string; readonly secretAccessKey: string }[];
  /** Signatures, rates, tokens and timestamps are read against it. @default the system clock */
  readonly clock?: () => Date;
  readonly rateLimits?: {
    /** Per operation, calls per second. @default IVS_API_RATES */
    readonly api?: Partial<Record<IvsOperation, number>>;
    /** PutMetadata calls per second per channel. @default IVS_LIMITS.metadataCallsPerSecond */
    readonly metadataPerChannel?: number;
  };
  /** Recording configurations that exist from the start, as a deployed live stack's would. */
  readonly recordingConfigurations?: readonly { readonly arn: string; readonly bucketName: string }[];
  /** IVS's EventBridge events, in order. */
  readonly onEvent?: (event: IvsEvent) => void;
  /** Writes one object of a recording. @default a file under `<dataDir>/recordings/<bucket>/<key>` */
  readonly writeRecording?: (bucket: string, key: string, body: Buffer) => Promise<void>;
  /** @default the binary of `@ffmpeg-installer/ffmpeg` */
  readonly ffmpegPath?: string;
  /** @default console.log */
  readonly log?: (line: string) => void;
}

export interface LocalIvs {
  /** The IVS endpoint (AWS_ENDPOINT_URL_IVS). */
  readonly endpoint: string;
  /** The IVS Chat endpoint (AWS_ENDPOINT_URL_IVSCHAT). */
  readonly chatEndpoint: string;
  /** IVS Chat's messaging WebSocket; connect with a chat token as the subprotocol. */
  readonly chatMessagingUrl: string;
  /** `rtmp://127.0.0.1:<port>/app/`: append a channel's stream key to publish. */
  readonly rtmpUrl: string;
  readonly region: string;
  readonly accountId: string;
  /** Every accepted PutMetadata of a channel, oldest first. */
  metadataOf(channelArn: string): readonly MetadataRecord[];
  /** Calls `listener` for each accepted PutMetadata; returns the unsubscribe function. */
  onMetadata(listener: (record: MetadataRecord) => void): () => void;
  /** Starts or ends a channel's stream as an RTMP publisher would, without media; resolves to the stream id. */
  simulateStream(channelArn: string, action: 'start' | 'end'): Promise<string>;
  /** Resolves when every stream that ended has been written out and its events sent. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** An IVS or IVS Chat error as the SDKs deserialize it: the type in `x-amzn-ErrorType`, the HTTP status. */
class IvsError extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
    readonly fields: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

// The statuses are the models' (`@httpError` in @aws-sdk/client-ivs and client-ivschat's schemas).
const validation = (message: string, fields: Record<string, unknown> = {}) =>
  new IvsError('ValidationException', 400, message, fields);
const notFound = (message: string, fields: Record<string, unknown> = {}) =>
  new IvsError('ResourceNotFoundException', 404, message, fields);
const conflict = (message: string) => new IvsError('ConflictException', 409, message);
const notBroadcasting = (message: string) => new IvsError('ChannelNotBroadcasting', 404, message);
const throttled = (message: string, fields: Record<string, unknown> = {}) =>
  new IvsError('ThrottlingException', 429, message, fields);
const quotaExceeded = (message: string) => new IvsError('ServiceQuotaExceededException', 402, message);

// Names, ARNs and tags as the IVS and IVS Chat models constrain them.
const resourceName = z
  .string()
  .max(128)
  .regex(/^[a-zA-Z0-9-_]*$/);
const arnOf = (service: 'ivs' | 'ivschat', type: string) =>
  z
    .string()
    .min(1)
    .max(128)
    .regex(new RegExp(`^arn:aws:${service}:[a-z0-9-]+:[0-9]+:${type}/[a-zA-Z0-9-]+$`));
const channelArn = arnOf('ivs', 'channel');
const roomArn = arnOf('ivschat', 'room');
const recordingConfigurationArn = arnOf('ivs', 'recording-configuration');
const tags = z
  .record(
    z
      .string()
      .min(1)
      .max(128)
      .refine((k) => !k.toLowerCase().startsWith('aws:'), 'tag keys starting with aws: are reserved'),
    z.string().max(256),
  )
  .refine((t) => Object.keys(t).length <= 50, 'at most 50 tags');
const utf8Bytes = (s: string) => Buffer.byteLength(s, 'utf8');

const schemas = {
  CreateChannel: z.object({
    name: resourceName.optional(),
    latencyMode: z.enum(['NORMAL', 'LOW']).optional(),
    type: z.enum(['BASIC', 'STANDARD', 'ADVANCED_SD', 'ADVANCED_HD']).optional(),
    authorized: z.boolean().optional(),
    insecureIngest: z.boolean().optional(),
    recordingConfigurationArn: z
      .string()
      .max(128)
      .regex(/^$|^arn:aws:ivs:[a-z0-9-]+:[0-9]+:recording-configuration\/[a-zA-Z0-9-]+$/)
      .optional(),
    tags: tags.optional(),
  }),
  byArn: z.object({ arn: z.string().min(1).max(128) }),
  byChannel: z.object({ channelArn }),
  BatchGetChannel: z.object({ arns: z.array(channelArn).min(1).max(100) }),
  ListStreams: z.object({
    filterBy: z.object({ health: z.enum(['HEALTHY', 'STARVING', 'UNKNOWN']).optional() }).optional(),
    maxResults: z.number().int().min(1).max(100).optional(),
    nextToken: z.string().max(1024).optional(),
  }),
  ListChannels: z.object({
    filterByName: resourceName.optional(),
    filterByRecordingConfigurationArn: recordingConfigurationArn.optional(),
    maxResults: z.number().int().min(1).max(100).optional(),
    nextToken: z.string().max(1024).optional(),
  }),
  ListStreamKeys: z.object({
    channelArn,
    maxResults: z.number().int().min(1).max(50).optional(),
    nextToken: z.string().max(1024).optional(),
  }),
  PutMetadata: z.object({
    channelArn,
    metadata: z
      .string()
      .min(1)
      .refine((m) => utf8Bytes(m) <= IVS_LIMITS.metadataBytes, 'metadata may be at most 1 KB (UTF-8)'),
  }),
  ImportPlaybackKeyPair: z.object({
    publicKeyMaterial: z.string().min(1),
    name: resourceName.optional(),
    tags: tags.optional(),
  }),
  CreateRecordingConfiguration: z.object({
    name: resourceName.optional(),
    destinationConfiguration: z.object({
      s3: z.object({
        bucketName: z
          .string()
          .min(3)
          .max(63)
          .regex(/^[a-z0-9-.]+$/),
      }),
    }),
    recordingReconnectWindowSeconds: z.number().int().min(0).max(300).optional(),
    tags: tags.optional(),
  }),
  TagResource: z.object({ tags }),
  CreateRoom: z.object({
    name: resourceName.optional(),
    maximumMessageRatePerSecond: z.number().int().min(1).max(100).optional(),
    maximumMessageLength: z.number().int().min(1).max(500).optional(),
    messageReviewHandler: z
      .object({
        uri: z
          .string()
          .max(170)
          .regex(/^$|^arn:aws:lambda:[a-z0-9-]+:[0-9]{12}:function:.+/)
          .optional(),
        fallbackResult: z.enum(['ALLOW', 'DENY']).optional(),
      })
      .optional(),
    loggingConfigurationIdentifiers: z.array(z.string()).max(3).optional(),
    tags: tags.optional(),
  }),
  byRoom: z.object({ identifier: roomArn }),
  ListRooms: z.object({
    name: resourceName.optional(),
    maxResults: z.number().int().min(1).max(50).optional(),
    nextToken: z.string().max(1024).optional(),
    messageReviewHandlerUri: z.string().max(170).optional(),
    loggingConfigurationIdentifier: z.string().optional(),
  }),
  SendEvent: z.object({
    roomIdentifier: roomArn,
    eventName: z.string().min(1).max(100),
    attributes: z.record(z.string(), z.string()).optional(),
  }),
  DeleteMessage: z.object({
    roomIdentifier: roomArn,
    id: z.string().min(1).max(128),
    reason: z.string().max(256).optional(),
  }),
  DisconnectUser: z.object({
    roomIdentifier: roomArn,
    userId: z.string().min(1).max(128),
    reason: z.string().max(256).optional(),
  }),
  CreateChatToken: z.object({
    roomIdentifier: roomArn,
    userId: z.string().min(1).max(128),
    capabilities: z.array(z.enum(['SEND_MESSAGE', 'DISCONNECT_USER', 'DELETE_MESSAGE'])).optional(),
    sessionDurationInMinutes: z.number().int().min(1).max(IVS_LIMITS.chatSessionMinutes).optional(),
    attributes: z
      .record(z.string(), z.string())
      .refine(
        (a) =>
          Object.entries(a).reduce((n, [k, v]) => n + utf8Bytes(k) + utf8Bytes(v), 0) <=
          IVS_LIMITS.chatAttributesBytes,
        `attributes may total at most ${IVS_LIMITS.chatAttributesBytes} bytes`,
      )
      .optional(),
  }),
};

/** IVS's ids: 12 letters and digits. */
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const randomId = (length: number) => Array.from(randomBytes(length), (b) => ALNUM[b % ALNUM.length]).join('');

interface Stream {
  readonly streamId: string;
  readonly startedAt: Date;
  readonly hlsDir: string;
  /** Disconnects the RTMP publisher; undefined for a simulated stream. */
  readonly disconnect?: () => void;
  readonly ffmpeg?: ChildProcessWithoutNullStreams;
  readonly recording?: { readonly bucketName: string; readonly prefix: string; readonly sessionId: string };
}

interface Channel {
  readonly arn: string;
  readonly id: string;
  readonly name: string;
  readonly latencyMode: string;
  readonly type: string;
  readonly authorized: boolean;
  readonly insecureIngest: boolean;
  readonly recordingConfigurationArn: string;
  readonly streamKey: { readonly arn: string; readonly value: string };
  /** The live stream, if any: the playlist routes read its HLS directory while it lasts. */
  stream?: Stream;
  /** Who fetched the multivariant playlist of the live stream, and when last (`viewerCount`). */
  viewers: Map<string, number>;
}

interface KeyPair {
  readonly arn: string;
  readonly name: string;
  readonly fingerprint: string;
  readonly key: KeyObject;
}

interface Room {
  readonly arn: string;
  readonly id: string;
  readonly name: string;
  readonly createTime: string;
  readonly maximumMessageRatePerSecond: number;
  readonly maximumMessageLength: number;
  readonly messageReviewHandler?: { uri?: string; fallbackResult?: string };
  readonly loggingConfigurationIdentifiers: readonly string[];
}

/** Calls accepted in the last second, per key: IVS's rates are per second, so a sliding one-second window. */
class SlidingWindow {
  private readonly calls = new Map<string, number[]>();
  /** True, and the call counted, when fewer than `limit` calls were accepted in the second before `now`. */
  take(key: string, limit: number, now: number): boolean {
    const recent = (this.calls.get(key) ?? []).filter((t) => t > now - 1000 && t <= now);
    if (recent.length >= limit) {
      this.calls.set(key, recent);
      return false;
    }
    recent.push(now);
    this.calls.set(key, recent);
    return true;
  }
}

const JSON_TYPE = 'application/json';
const STAND_IN = 'local Amazon IVS stand-in (not AWS)';
/** A viewer counts toward `viewerCount` for this long after its last playlist request. */
const VIEWER_WINDOW_MS = 60_000;
const HLS_FILE = /^(live\.m3u8|seg_\d{5}\.ts)$/;

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'x-local-stand-in': STAND_IN, ...headers });
  if (body === undefined) res.end();
  else if (typeof body === 'string' || Buffer.isBuffer(body)) res.end(body);
  else res.end(JSON.stringify(body));
}

/** How AWS's front door answers a request whose signature it refuses, by the verdict's code. */
function signatureRefusal(verdict: Extract<SignatureVerdict, { ok: false }>): IvsError {
  switch (verdict.code) {
    case 'AccessDenied':
      return new IvsError('MissingAuthenticationTokenException', 403, 'Missing Authentication Token');
    case 'InvalidAccessKeyId':
      return new IvsError(
        'UnrecognizedClientException',
        403,
        'The security token included in the request is invalid.',
      );
    case 'AuthorizationHeaderMalformed':
      // A header that does not parse is incomplete; a scope for another service or region is a bad signature.
      return verdict.message.startsWith('The authorization header')
        ? new IvsError('IncompleteSignatureException', 400, verdict.message)
        : new IvsError('InvalidSignatureException', 403, verdict.message);
    default:
      return new IvsError('InvalidSignatureException', 403, verdict.message);
  }
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw validation('The request body is too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function startLocalIvs(options: LocalIvsOptions = {}): Promise<LocalIvs> {
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? LOCAL_AWS.region;
  const accountId = options.accountId ?? '000000000000';
  const clock = options.clock ?? (() => new Date());
  const log = options.log ?? ((line: string) => console.log(line));
  const ffmpegPath = options.ffmpegPath ?? ffmpegInstaller.path;
  const keys = options.credentials ?? [LOCAL_AWS.credentials];
  const secretFor = (id: string) => keys.find((k) => k.accessKeyId === id)?.secretAccessKey;
  const apiRates = { ...IVS_API_RATES, ...options.rateLimits?.api };
  const metadataRate = options.rateLimits?.metadataPerChannel ?? IVS_LIMITS.metadataCallsPerSecond;
  const ownDir = options.dataDir ? undefined : await mkdtemp(join(tmpdir(), 'lms-ivs-'));
  const dataDir = options.dataDir ?? ownDir!;
  const arn = (service: 'ivs' | 'ivschat', type: string, id: string) =>
    `arn:aws:${service}:${region}:${accountId}:${type}/${id}`;

  const channels = new Map<string, Channel>();
  const keyPairs = new Map<string, KeyPair>();
  const recordingConfigs = new Map<string, { arn: string; name: string; bucketName: string }>();
  for (const c of options.recordingConfigurations ?? [])
    recordingConfigs.set(c.arn, { arn: c.arn, name: '', bucketName: c.bucketName });
  const rooms = new Map<string, Room>();
  const chatTokens = new Map<string, ChatSession>();
  const tagsOf = new Map<string, Record<string, string>>();
  const metadata = new Map<string, MetadataRecord[]>();
  const usedSingleUse = new Set<string>();
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  const windows = new SlidingWindow();
  const pending = new Set<Promise<unknown>>();

  const writeRecording =
    options.writeRecording ??
    (async (bucket: string, key: string, body: Buffer) => {
      const file = join(dataDir, 'recordings', bucket, ...key.split('/'));
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, body);
    });

  const emit = (detailType: IvsEvent['detail-type'], channel: Channel, detail: Record<string, unknown>) => {
    const event: IvsEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': detailType,
      source: 'aws.ivs',
      account: accountId,
      time: clock()
        .toISOString()
        .replace(/\.\d{3}Z$/, 'Z'),
      region,
      resources: [channel.arn],
      detail: { channel_name: channel.name, ...detail },
    };
    log(`local IVS: ${detailType} ${String(detail.event_name ?? detail.recording_status)} ${channel.arn}`);
    options.onEvent?.(event);
  };

  const channelById = (id: string) => [...channels.values()].find((c) => c.id === id);
  const requireChannel = (channelArnValue: string) => {
    const channel = channels.get(channelArnValue);
    if (!channel) throw notFound(`Channel ${channelArnValue} not found`);
    return channel;
  };

  // ---- stream life: what IVS does when a publisher connects and leaves ----

  /**
   * A new stream on `channel`. The events are IVS's "IVS Stream State Change" (`Session Created`, then
   * `Stream Start`) and, with a recording configuration, "IVS Recording State Change" (`Recording Start`),
   * with the detail fields of the examples in "Using Amazon EventBridge with IVS Low-Latency Streaming"
   * (docs.aws.amazon.com/ivs/latest/LowLatencyUserGuide/eventbridge.html): `event_name`, `channel_name`,
   * `stream_id`; `recording_status`, `recording_s3_bucket_name`, `recording_s3_key_prefix`,
   * `recording_duration_ms`, `recording_session_id`.
   */
  function startStream(channel: Channel, publisher?: { disconnect: () => void }): Stream {
    const streamId = `st-${randomId(23)}`;
    const startedAt = clock();
    const hlsDir = join(dataDir, 'hls', channel.id, streamId);
    // Synchronously, so a second publisher finds the channel live at once.
    mkdirSync(hlsDir, { recursive: true });
    const config = channel.recordingConfigurationArn
      ? recordingConfigs.get(channel.recordingConfigurationArn)
      : undefined;
    const d = startedAt;
    const recording = config && {
      bucketName: config.bucketName,
      // IVS's layout: ivs/v1/<account>/<channel id>/<year>/<month>/<day>/<hour>/<minute>/<recording id>.
      prefix: `ivs/v1/${accountId}/${channel.id}/${d.getUTCFullYear()}/${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCHours()}/${d.getUTCMinutes()}/${randomId(12)}`,
      sessionId: randomId(12),
    };
    let ffmpeg: ChildProcessWithoutNullStreams | undefined;
    if (publisher) {
      // Copy, not re-encode: what the publisher sends is what viewers get, cut into 2-second segments. Every
      // segment stays in the playlist (an EVENT playlist) so the recording is the whole stream.
      ffmpeg = spawn(ffmpegPath, [
        '-hide_banner',
        '-loglevel',
        'error',
        // A bound on how long ffmpeg looks at the input before it writes, should a stream not come.
        '-analyzeduration',
        '500000',
        '-f',
        'flv',
        '-i',
        'pipe:0',
        '-c',
        'copy',
        '-f',
        'hls',
        '-hls_time',
        '2',
        '-hls_list_size',
        '0',
        '-hls_playlist_type',
        'event',
        '-hls_segment_filename',
        join(hlsDir, 'seg_%05d.ts'),
        join(hlsDir, 'live.m3u8'),
      ]);
      ffmpeg.stdin.on('error', () => undefined);
      ffmpeg.on('error', (error) => {
        // Without ffmpeg there is nothing to watch: drop the publisher, which ends the stream.
        log(`local IVS: ffmpeg could not start (${error.message}); disconnecting the publisher`);
        publisher.disconnect();
      });
      ffmpeg.stderr.on('data', (chunk: Buffer) => log(`local IVS ffmpeg: ${chunk.toString().trim()}`));
    } else {
      // A simulated stream has no media: a live playlist with no segments yet, as at a stream's first moment.
      writeFileSync(
        join(hlsDir, 'live.m3u8'),
        '#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:0\n',
      );
    }
    const stream: Stream = {
      streamId,
      startedAt,
      hlsDir,
      ...(publisher ? { disconnect: publisher.disconnect } : {}),
      ...(ffmpeg ? { ffmpeg } : {}),
      ...(recording ? { recording } : {}),
    };
    channel.stream = stream;
    channel.viewers = new Map();
    emit('IVS Stream State Change', channel, { event_name: 'Session Created', stream_id: streamId });
    emit('IVS Stream State Change', channel, { event_name: 'Stream Start', stream_id: streamId });
    if (recording) {
      emit('IVS Recording State Change', channel, {
        stream_id: streamId,
        recording_status: 'Recording Start',
        recording_status_reason: '',
        recording_s3_bucket_name: recording.bucketName,
        recording_s3_key_prefix: recording.prefix,
        recording_duration_ms: 0,
        recording_session_id: recording.sessionId,
        recording_session_stream_ids: [streamId],
      });
    }
    return stream;
  }

  /** Ends the channel's stream: `Stream End` at once, `Recording End` once the recording is written. */
  function endStream(channel: Channel, stream: Stream): Promise<void> {
    if (channel.stream !== stream) return Promise.resolve();
    channel.stream = undefined;
    const endedAt = clock();
    emit('IVS Stream State Change', channel, { event_name: 'Stream End', stream_id: stream.streamId });
    const finishing = (async () => {
      if (stream.ffmpeg) {
        const running = stream.ffmpeg.pid !== undefined && stream.ffmpeg.exitCode === null;
        const exited = running ? once(stream.ffmpeg, 'close') : Promise.resolve();
        stream.ffmpeg.stdin.end();
        await exited;
      }
      const { recording } = stream;
      if (!recording) return;
      // IVS says `Recording End Failure`, with a reason, when it could not finish writing a recording.
      const failure = await writeRecordingOf(channel, stream, recording, endedAt).then(
        () => undefined,
        (error: Error) => error.message,
      );
      if (failure) log(`local IVS: recording of ${stream.streamId} failed: ${failure}`);
      emit('IVS Recording State Change', channel, {
        stream_id: stream.streamId,
        recording_status: failure ? 'Recording End Failure' : 'Recording End',
        recording_status_reason: failure ?? '',
        recording_s3_bucket_name: recording.bucketName,
        recording_s3_key_prefix: recording.prefix,
        recording_duration_ms: endedAt.getTime() - stream.startedAt.getTime(),
        recording_session_id: recording.sessionId,
        recording_session_stream_ids: [stream.streamId],
      });
    })().catch((error: Error) => log(`local IVS: ending ${stream.streamId} failed: ${error.message}`));
    pending.add(finishing);
    void finishing.finally(() => pending.delete(finishing));
    return finishing;
  }

  /** IVS's recording layout, reduced to one rendition: media/hls/master.m3u8, the variant, events/. */
  async function writeRecordingOf(
    channel: Channel,
    stream: Stream,
    recording: NonNullable<Stream['recording']>,
    endedAt: Date,
  ) {
    const put = (key: string, body: string | Buffer) =>
      writeRecording(recording.bucketName, `${recording.prefix}/${key}`, Buffer.from(body));
    for (const file of (await readdir(stream.hlsDir)).filter((f) => f.endsWith('.ts')).sort())
      await put(`media/hls/source/${file}`, await readFile(join(stream.hlsDir, file)));
    const live = await readFile(join(stream.hlsDir, 'live.m3u8'), 'utf8');
    await put(
      'media/hls/source/playlist.m3u8',
      live.includes('#EXT-X-ENDLIST') ? live : `${live.trimEnd()}\n#EXT-X-ENDLIST\n`,
    );
    await put('media/hls/master.m3u8', multivariant('source/playlist.m3u8'));
    await put(
      'events/recording-ended.json',
      JSON.stringify({
        version: 'v1',
        recording_started_at: stream.startedAt.toISOString(),
        recording_ended_at: endedAt.toISOString(),
        channel_arn: channel.arn,
        recording_status: 'RECORDING_ENDED',
        media: { hls: { path: 'media/hls', playlist: 'master.m3u8', renditions: [{ path: 'source' }] } },
      }),
    );
  }

  // One variant, the publisher's own (the stream is copied, not transcoded). No CODECS: a publisher may send
  // video alone, and a player told of audio would wait for it.
  const multivariant = (variant: string) =>
    `#EXTM3U\n#EXT-X-INDEPENDENT-SEGMENTS\n#EXT-X-STREAM-INF:BANDWIDTH=2500000\n${variant}\n`;

  // ---- the RTMP ingest ----

  const rtmp = await startRtmpIngest({
    port: options.rtmpPort ?? 0,
    host,
    log,
    authorize(app, streamKey, disconnect): RtmpAuthorization {
      // IVS's ingest URL is rtmps://<ingest endpoint>:443/app/ with the stream key as the stream name.
      if (app !== 'app') return { ok: false, reason: `unknown application ${app}; publish to /app/` };
      const channel = [...channels.values()].find((c) => c.streamKey.value === streamKey);
      if (!channel) return { ok: false, reason: 'the stream key is not a channel’s key' };
      if (channel.stream) return { ok: false, reason: 'the channel is already live' };
      const stream = startStream(channel, { disconnect });
      let timestampBase: number | undefined;
      return {
        ok: true,
        session: {
          onTag(type, timestamp, payload) {
            // HLS timestamps start at the publisher's first tag, whatever clock the publisher counts from.
            if (timestampBase === undefined) {
              timestampBase = timestamp;
              stream.ffmpeg?.stdin.write(flvHeader({ type, payload }));
            }
            stream.ffmpeg?.stdin.write(flvTag(type, timestamp - timestampBase, payload));
          },
          onEnd() {
            void endStream(channel, stream);
          },
        },
      };
    },
  });

  // ---- the control planes ----

  const channelShape = (c: Channel) => ({
    arn: c.arn,
    name: c.name,
    latencyMode: c.latencyMode,
    type: c.type,
    recordingConfigurationArn: c.recordingConfigurationArn,
    // IVS answers a host; publishers add rtmps:// and :443/app/. Locally it is plain RTMP on its own port.
    ingestEndpoint: `${host}:${rtmp.port}`,
    playbackUrl: `${baseUrl()}/hls/${c.id}/index.m3u8`,
    authorized: c.authorized,
    insecureIngest: c.insecureIngest,
    preset: '',
    playbackRestrictionPolicyArn: '',
    containerFormat: 'TS',
    tags: tagsOf.get(c.arn) ?? {},
  });
  const streamKeyShape = (c: Channel, withValue: boolean) => ({
    arn: c.streamKey.arn,
    ...(withValue ? { value: c.streamKey.value } : {}),
    channelArn: c.arn,
    tags: tagsOf.get(c.streamKey.arn) ?? {},
  });
  /** A live stream as GetStream and ListStreams describe it; viewers are those of the last minute. */
  const streamShape = (c: Channel, stream: Stream) => {
    const now = clock().getTime();
    return {
      channelArn: c.arn,
      streamId: stream.streamId,
      startTime: stream.startedAt.toISOString(),
      state: 'LIVE',
      health: 'HEALTHY',
      viewerCount: [...c.viewers.values()].filter((t) => t > now - VIEWER_WINDOW_MS).length,
    };
  };
  const roomShape = (r: Room) => ({
    arn: r.arn,
    id: r.id,
    name: r.name,
    createTime: r.createTime,
    updateTime: r.createTime,
    maximumMessageRatePerSecond: r.maximumMessageRatePerSecond,
    maximumMessageLength: r.maximumMessageLength,
    ...(r.messageReviewHandler ? { messageReviewHandler: r.messageReviewHandler } : {}),
    loggingConfigurationIdentifiers: r.loggingConfigurationIdentifiers,
    tags: tagsOf.get(r.arn) ?? {},
  });

  /**
   * One page of a list, as IVS pages: an opaque token for the rest. A token this list did not hand out is
   * refused, as IVS refuses one.
   */
  const page = <T>(all: readonly T[], size: number, token: string | undefined) => {
    let from = 0;
    if (token !== undefined) {
      const decoded = /^local-page-(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
      if (!decoded) throw validation('The nextToken is not one this list gave');
      from = Number(decoded[1]);
    }
    const items = all.slice(from, from + size);
    const more = from + size < all.length;
    return {
      items,
      nextToken: more ? Buffer.from(`local-page-${from + size}`).toString('base64url') : undefined,
    };
  };

  const parse = <T extends z.ZodType>(schema: T, input: unknown, chat: boolean): z.infer<T> => {
    const result = schema.safeParse(input);
    if (result.success) return result.data;
    const fieldList = result.error.issues.map((i) => ({ name: i.path.join('.'), message: i.message }));
    const message = fieldList.map((f) => `${f.name || 'body'}: ${f.message}`).join('; ');
    throw validation(message, chat ? { reason: 'FIELD_VALIDATION_FAILED', fieldList } : {});
  };

  type Handler = (input: unknown, now: Date) => Promise<unknown> | unknown;
  const ivsOps: Partial<Record<IvsOperation, Handler>> = {
    CreateChannel(input) {
      const b = parse(schemas.CreateChannel, input, false);
      if (b.recordingConfigurationArn && !recordingConfigs.has(b.recordingConfigurationArn))
        throw notFound(`Recording configuration ${b.recordingConfigurationArn} not found`);
      const id = randomId(12);
      const channel: Channel = {
        arn: arn('ivs', 'channel', id),
        id,
        name: b.name ?? '',
        latencyMode: b.latencyMode ?? 'LOW',
        type: b.type ?? 'STANDARD',
        authorized: b.authorized ?? false,
        insecureIngest: b.insecureIngest ?? false,
        recordingConfigurationArn: b.recordingConfigurationArn ?? '',
        streamKey: {
          arn: arn('ivs', 'stream-key', randomId(12)),
          value: `sk_${region}_${randomId(12)}_${randomId(30)}`,
        },
        viewers: new Map(),
      };
      channels.set(channel.arn, channel);
      if (b.tags) tagsOf.set(channel.arn, b.tags);
      return { channel: channelShape(channel), streamKey: streamKeyShape(channel, true) };
    },
    GetChannel(input) {
      return { channel: channelShape(requireChannel(parse(schemas.byArn, input, false).arn)) };
    },
    ListChannels(input) {
      const b = parse(schemas.ListChannels, input, false);
      // IVS takes one filter at a time.
      if (b.filterByName && b.filterByRecordingConfigurationArn) {
        throw validation('filterByName and filterByRecordingConfigurationArn cannot be used together');
      }
      const all = [...channels.values()].filter(
        (c) =>
          (!b.filterByName || c.name === b.filterByName) &&
          (!b.filterByRecordingConfigurationArn ||
            c.recordingConfigurationArn === b.filterByRecordingConfigurationArn),
      );
      const { items: list, nextToken } = page(all, b.maxResults ?? 100, b.nextToken);
      return {
        ...(nextToken ? { nextToken } : {}),
        channels: list.map((c) => ({
          arn: c.arn,
          name: c.name,
          latencyMode: c.latencyMode,
          authorized: c.authorized,
          recordingConfigurationArn: c.recordingConfigurationArn,
          type: c.type,
          tags: tagsOf.get(c.arn) ?? {},
        })),
      };
    },
    DeleteChannel(input) {
      const channel = requireChannel(parse(schemas.byArn, input, false).arn);
      // IVS: "If you try to delete a live channel, you will get an error (409 ConflictException)."
      if (channel.stream) throw conflict('Channel is live; stop the stream and wait for Stream End first');
      channels.delete(channel.arn);
      tagsOf.delete(channel.arn);
      tagsOf.delete(channel.streamKey.arn);
      return undefined;
    },
    BatchGetChannel(input) {
      const { arns } = parse(schemas.BatchGetChannel, input, false);
      const found = arns.filter((a) => channels.has(a));
      return {
        channels: found.map((a) => channelShape(channels.get(a)!)),
        errors: arns
          .filter((a) => !channels.has(a))
          .map((a) => ({ arn: a, code: 'ResourceNotFoundException', message: `Channel ${a} not found` })),
      };
    },
    GetStream(input) {
      const channel = requireChannel(parse(schemas.byChannel, input, false).channelArn);
      if (!channel.stream) throw notBroadcasting(`Channel ${channel.arn} is not broadcasting`);
      return {
        stream: { ...streamShape(channel, channel.stream), playbackUrl: channelShape(channel).playbackUrl },
      };
    },
    ListStreams(input) {
      // What the platform's sweep reconciles against: every live stream (a local lecture has few).
      const b = parse(schemas.ListStreams, input, false);
      const live = [...channels.values()].filter((c) => c.stream);
      return {
        streams: live
          .map((c) => streamShape(c, c.stream!))
          .filter((s) => !b.filterBy?.health || s.health === b.filterBy.health),
      };
    },
    async StopStream(input) {
      const channel = requireChannel(parse(schemas.byChannel, input, false).channelArn);
      const stream = channel.stream;
      if (!stream) throw notBroadcasting(`Channel ${channel.arn} is not broadcasting`);
      // As IVS: the publisher is disconnected; the stream ends when it has gone.
      if (stream.disconnect) stream.disconnect();
      else void endStream(channel, stream);
      return {};
    },
    GetStreamKey(input) {
      const keyArn = parse(schemas.byArn, input, false).arn;
      const channel = [...channels.values()].find((c) => c.streamKey.arn === keyArn);
      if (!channel) throw notFound(`Stream key ${keyArn} not found`);
      return { streamKey: streamKeyShape(channel, true) };
    },
    ListStreamKeys(input) {
      const channel = requireChannel(parse(schemas.ListStreamKeys, input, false).channelArn);
      return { streamKeys: [streamKeyShape(channel, false)] };
    },
    ImportPlaybackKeyPair(input) {
      const b = parse(schemas.ImportPlaybackKeyPair, input, false);
      let key: KeyObject;
      try {
        key = createPublicKey(b.publicKeyMaterial);
      } catch {
        throw validation('publicKeyMaterial is not a PEM public key');
      }
      if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'secp384r1')
        throw validation('publicKeyMaterial must be an ECDSA public key on the P-384 curve');
      const der = key.export({ type: 'spki', format: 'der' });
      const fingerprint = (createHash('md5').update(der).digest('hex').match(/../g) ?? []).join(':');
      if ([...keyPairs.values()].some((k) => k.fingerprint === fingerprint))
        throw conflict('A playback key pair with this public key is already imported');
      // IVS allows 3 playback key pairs per region, not raisable.
      if (keyPairs.size >= 3) throw quotaExceeded('At most 3 playback key pairs may be imported');
      const pair: KeyPair = {
        arn: arn('ivs', 'playback-key', randomId(12)),
        name: b.name ?? '',
        fingerprint,
        key,
      };
      keyPairs.set(pair.arn, pair);
      if (b.tags) tagsOf.set(pair.arn, b.tags);
      return { keyPair: { arn: pair.arn, name: pair.name, fingerprint, tags: b.tags ?? {} } };
    },
    GetPlaybackKeyPair(input) {
      const pair = keyPairs.get(parse(schemas.byArn, input, false).arn);
      if (!pair) throw notFound('Playback key pair not found');
      return {
        keyPair: {
          arn: pair.arn,
          name: pair.name,
          fingerprint: pair.fingerprint,
          tags: tagsOf.get(pair.arn) ?? {},
        },
      };
    },
    DeletePlaybackKeyPair(input) {
      const keyArn = parse(schemas.byArn, input, false).arn;
      if (!keyPairs.delete(keyArn)) throw notFound('Playback key pair not found');
      return {};
    },
    CreateRecordingConfiguration(input) {
      const b = parse(schemas.CreateRecordingConfiguration, input, false);
      const config = {
        arn: arn('ivs', 'recording-configuration', randomId(12)),
        name: b.name ?? '',
        bucketName: b.destinationConfiguration.s3.bucketName,
      };
      recordingConfigs.set(config.arn, config);
      if (b.tags) tagsOf.set(config.arn, b.tags);
      return { recordingConfiguration: recordingShape(config) };
    },
    GetRecordingConfiguration(input) {
      const config = recordingConfigs.get(parse(schemas.byArn, input, false).arn);
      if (!config) throw notFound('Recording configuration not found');
      return { recordingConfiguration: recordingShape(config) };
    },
  };
  const recordingShape = (c: { arn: string; name: string; bucketName: string }) => ({
    arn: c.arn,
    name: c.name,
    destinationConfiguration: { s3: { bucketName: c.bucketName } },
    state: 'ACTIVE',
    recordingReconnectWindowSeconds: 0,
    tags: tagsOf.get(c.arn) ?? {},
  });

  const knownArn = (resourceArn: string) =>
    channels.has(resourceArn) ||
    keyPairs.has(resourceArn) ||
    recordingConfigs.has(resourceArn) ||
    rooms.has(resourceArn) ||
    [...channels.values()].some((c) => c.streamKey.arn === resourceArn);

  const chatOps: Partial<Record<IvsOperation, Handler>> = {
    CreateRoom(input, now) {
      const b = parse(schemas.CreateRoom, input, true);
      const id = randomId(12);
      const room: Room = {
        arn: arn('ivschat', 'room', id),
        id,
        name: b.name ?? '',
        createTime: now.toISOString(),
        maximumMessageRatePerSecond: b.maximumMessageRatePerSecond ?? 10,
        maximumMessageLength: b.maximumMessageLength ?? 500,
        ...(b.messageReviewHandler ? { messageReviewHandler: b.messageReviewHandler } : {}),
        loggingConfigurationIdentifiers: b.loggingConfigurationIdentifiers ?? [],
      };
      rooms.set(room.arn, room);
      if (b.tags) tagsOf.set(room.arn, b.tags);
      return roomShape(room);
    },
    GetRoom(input) {
      const id = parse(schemas.byRoom, input, true).identifier;
      const room = rooms.get(id);
      if (!room) throw notFound(`Room ${id} not found`, { resourceId: id, resourceType: 'ROOM' });
      return roomShape(room);
    },
    ListRooms(input) {
      const b = parse(schemas.ListRooms, input, true);
      const all = [...rooms.values()].filter((r) => !b.name || r.name === b.name);
      const { items, nextToken } = page(all, b.maxResults ?? 50, b.nextToken);
      return {
        ...(nextToken ? { nextToken } : {}),
        rooms: items.map((r) => ({
          arn: r.arn,
          id: r.id,
          name: r.name,
          createTime: r.createTime,
          updateTime: r.createTime,
          loggingConfigurationIdentifiers: r.loggingConfigurationIdentifiers,
          tags: tagsOf.get(r.arn) ?? {},
        })),
      };
    },
    DeleteRoom(input) {
      const id = parse(schemas.byRoom, input, true).identifier;
      if (!rooms.delete(id)) throw notFound(`Room ${id} not found`, { resourceId: id, resourceType: 'ROOM' });
      tagsOf.delete(id);
      return undefined;
    },
    CreateChatToken(input, now) {
      const b = parse(schemas.CreateChatToken, input, true);
      if (!rooms.has(b.roomIdentifier))
        throw notFound(`Room ${b.roomIdentifier} not found`, {
          resourceId: b.roomIdentifier,
          resourceType: 'ROOM',
        });
      // IVS Chat: a token connects within one minute; the session lasts the requested minutes (default 60).
      const token = `local.${randomBytes(48).toString('base64url')}`;
      const session: ChatSession = {
        roomArn: b.roomIdentifier,
        userId: b.userId,
        capabilities: b.capabilities ?? [],
        attributes: b.attributes ?? {},
        tokenExpiresAt: now.getTime() + 60_000,
        sessionExpiresAt: now.getTime() + (b.sessionDurationInMinutes ?? 60) * 60_000,
      };
      chatTokens.set(token, session);
      return {
        token,
        tokenExpirationTime: new Date(session.tokenExpiresAt).toISOString(),
        sessionExpirationTime: new Date(session.sessionExpiresAt).toISOString(),
      };
    },
    SendEvent(input) {
      const b = parse(schemas.SendEvent, input, true);
      return { id: chatMessaging.sendEvent(requireRoom(b.roomIdentifier), b.eventName, b.attributes ?? {}) };
    },
    DeleteMessage(input) {
      const b = parse(schemas.DeleteMessage, input, true);
      chatMessaging.deleteMessage(requireRoom(b.roomIdentifier), b.id, b.reason ?? '');
      return { id: b.id };
    },
    DisconnectUser(input) {
      const b = parse(schemas.DisconnectUser, input, true);
      chatMessaging.disconnectUser(requireRoom(b.roomIdentifier), b.userId, b.reason ?? '');
      return {};
    },
  };

  const requireRoom = (id: string) => {
    if (!rooms.has(id)) throw notFound(`Room ${id} not found`, { resourceId: id, resourceType: 'ROOM' });
    return id;
  };

  /** PutMetadata: at most 1 KB, 5 per second per channel, only while the channel is live. */
  function putMetadata(input: unknown, now: Date) {
    const b = parse(schemas.PutMetadata, input, false);
    const channel = requireChannel(b.channelArn);
    if (!channel.stream) throw notBroadcasting(`Channel ${channel.arn} is not broadcasting`);
    if (!windows.take(`PutMetadata ${channel.arn}`, metadataRate, now.getTime()))
      throw throttled(`PutMetadata is limited to ${metadataRate} calls per second per channel`);
    const record: MetadataRecord = {
      channelArn: channel.arn,
      streamId: channel.stream.streamId,
      metadata: b.metadata,
      receivedAt: now.toISOString(),
    };
    metadata.set(channel.arn, [...(metadata.get(channel.arn) ?? []), record]);
    emitter.emit('metadata', record);
    return undefined;
  }

  async function api(req: IncomingMessage, res: ServerResponse, path: string) {
    const chat = path.startsWith('/ivschat/');
    const service = chat ? 'ivschat' : 'ivs';
    const requestId = randomUUID();
    const headers = { 'x-amzn-requestid': requestId, 'content-type': JSON_TYPE };
    try {
      const body = await readBody(req, 256 * 1024);
      const now = clock();
      const verdict = verifySignatureV4(
        { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers },
        secretFor,
        region,
        now,
        { service, body },
      );
      if (!verdict.ok) throw signatureRefusal(verdict);
      let input: unknown = {};
      if (body.length > 0) {
        try {
          input = JSON.parse(body.toString('utf8'));
        } catch {
          throw new IvsError('SerializationException', 400, 'The body is not valid JSON');
        }
      }
      const opPath = chat ? path.slice('/ivschat'.length) : path;
      let operation: IvsOperation | 'PutMetadata' | undefined;
      let handler: Handler | undefined;
      const tagged = /^\/tags\/(.+)$/.exec(opPath);
      if (tagged && req.method !== undefined) {
        let resourceArn: string;
        try {
          resourceArn = decodeURIComponent(tagged[1]!);
        } catch {
          throw validation('The resource ARN is not valid percent-encoding');
        }
        operation =
          req.method === 'POST'
            ? 'TagResource'
            : req.method === 'DELETE'
              ? 'UntagResource'
              : 'ListTagsForResource';
        handler = () => {
          if (!knownArn(resourceArn)) throw notFound(`Resource ${resourceArn} not found`);
          if (req.method === 'GET') return { tags: tagsOf.get(resourceArn) ?? {} };
          if (req.method === 'POST') {
            const b = parse(schemas.TagResource, input, chat);
            tagsOf.set(resourceArn, { ...tagsOf.get(resourceArn), ...b.tags });
          } else {
            const drop = new URL(req.url ?? '/', 'http://local').searchParams.getAll('tagKeys');
            tagsOf.set(
              resourceArn,
              Object.fromEntries(
                Object.entries(tagsOf.get(resourceArn) ?? {}).filter(([k]) => !drop.includes(k)),
              ),
            );
          }
          return {};
        };
      } else if (req.method === 'POST' && opPath === '/PutMetadata' && !chat) {
        operation = 'PutMetadata';
        handler = putMetadata;
      } else if (req.method === 'POST') {
        const name = opPath.slice(1) as IvsOperation;
        const ops = chat ? chatOps : ivsOps;
        // Own operations only: `/constructor` is no operation, whatever the object's prototype says.
        handler = Object.hasOwn(ops, name) ? ops[name] : undefined;
        operation = handler ? name : undefined;
      }
      if (!operation || !handler)
        throw new IvsError('UnknownOperationException', 404, `${req.method} ${path} is not served locally`);
      // PutMetadata's limit is per channel and checked with its other rules; every other call per account.
      if (operation !== 'PutMetadata' && !windows.take(operation, apiRates[operation], now.getTime()))
        throw throttled(
          `${operation} is limited to ${apiRates[operation]} calls per second`,
          chat ? { limit: apiRates[operation] } : {},
        );
      const result = await handler(input, now);
      log(`local IVS: ${operation} ${result === undefined ? 204 : 200} ${requestId}`);
      if (result === undefined) return send(res, 204, undefined, { 'x-amzn-requestid': requestId });
      return send(res, 200, result, headers);
    } catch (error) {
      if (!(error instanceof IvsError)) {
        log(`local IVS: ${req.method} ${path} failed: ${(error as Error).message}`);
        return send(
          res,
          500,
          { message: 'Internal error in the local IVS' },
          {
            ...headers,
            'x-amzn-ErrorType': 'InternalServerException',
          },
        );
      }
      log(`local IVS: ${req.method} ${path} ${error.status} ${error.type} ${requestId}`);
      // IVS's errors carry `exceptionMessage`, IVS Chat's `message`; both carry the type in the header.
      return send(
        res,
        error.status,
        { ...(chat ? {} : { exceptionMessage: error.message }), message: error.message, ...error.fields },
        { ...headers, 'x-amzn-ErrorType': error.type },
      );
    }
  }

  // ---- playback: HLS behind IVS's token check, and timed metadata ----

  /** The token check of a private channel: whether the request may go on (else the refusal is sent). */
  async function authorizePlayback(
    req: IncomingMessage,
    res: ServerResponse,
    channel: Channel,
    url: URL,
    multivariant: boolean,
  ): Promise<{ ok: boolean; viewer: string }> {
    const address = req.socket.remoteAddress ?? '';
    if (!channel.authorized) return { ok: true, viewer: address };
    const token = url.searchParams.get('token');
    const refuse = (reason: string) => {
      send(res, 403, { message: `Forbidden: ${reason}` }, { 'content-type': JSON_TYPE, ...cors(req) });
      return { ok: false, viewer: address };
    };
    if (!token) return refuse('this channel needs a playback token');
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    const verdict = await verifyPlaybackToken(
      token,
      channel.arn,
      [...keyPairs.values()].map((k) => k.key),
      clock(),
      // As IVS by default: the allowed origins are enforced on the multivariant playlist.
      multivariant ? origin : undefined,
    );
    if (!verdict.ok) return refuse(verdict.reason);
    if (multivariant && verdict.singleUseUuid) {
      if (usedSingleUse.has(verdict.singleUseUuid)) return refuse('the single-use token was used already');
      usedSingleUse.add(verdict.singleUseUuid);
    }
    return { ok: true, viewer: verdict.viewerId ?? address };
  }

  const cors = (req: IncomingMessage): Record<string, string> =>
    typeof req.headers.origin === 'string'
      ? { 'access-control-allow-origin': req.headers.origin, vary: 'origin' }
      : {};

  async function playback(req: IncomingMessage, res: ServerResponse, url: URL) {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, { message: 'Method not allowed' }, { 'content-type': JSON_TYPE });
    const hls = /^\/hls\/([a-zA-Z0-9]+)\/([^/]+)$/.exec(url.pathname);
    const meta = /^\/local\/ivs\/channels\/([a-zA-Z0-9]+)\/metadata$/.exec(url.pathname);
    const channel = channelById((hls ?? meta)?.[1] ?? '');
    if (!channel)
      return send(res, 404, { message: 'Not found' }, { 'content-type': JSON_TYPE, ...cors(req) });
    const file = hls?.[2] ?? '';
    const multivariantRequest = file === 'index.m3u8';
    const access = await authorizePlayback(req, res, channel, url, multivariantRequest);
    if (!access.ok) return;
    if (meta) return metadataStream(req, res, channel);
    const stream = channel.stream;
    // As IVS: a channel's playback URL answers 404 while nothing is live on it.
    if (!stream || !(multivariantRequest || HLS_FILE.test(file)))
      return send(res, 404, { message: 'Not found' }, { 'content-type': JSON_TYPE, ...cors(req) });
    const token = url.searchParams.get('token');
    // The token rides on every URL the playlists name, so a private channel's segments need it too.
    const withToken = (uri: string) =>
      channel.authorized && token ? `${uri}?token=${encodeURIComponent(token)}` : uri;
    const mpegurl = {
      'content-type': 'application/vnd.apple.mpegurl',
      'cache-control': 'no-cache',
      ...cors(req),
    };
    if (multivariantRequest) {
      channel.viewers.set(access.viewer, clock().getTime());
      return send(res, 200, multivariant(withToken('live.m3u8')), mpegurl);
    }
    const content = await readFile(join(stream.hlsDir, file)).catch(() => undefined);
    if (!content)
      return send(res, 404, { message: 'Not found' }, { 'content-type': JSON_TYPE, ...cors(req) });
    if (file.endsWith('.m3u8')) {
      const lines = content
        .toString('utf8')
        .split('\n')
        .map((line) => (line && !line.startsWith('#') ? withToken(line) : line));
      return send(res, 200, lines.join('\n'), mpegurl);
    }
    return send(res, 200, content, { 'content-type': 'video/mp2t', ...cors(req) });
  }

  /** Server-sent events: the channel's metadata so far, then each new one, as a player receives cues. */
  function metadataStream(req: IncomingMessage, res: ServerResponse, channel: Channel) {
    res.writeHead(200, {
      'x-local-stand-in': STAND_IN,
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      ...cors(req),
    });
    const write = (r: MetadataRecord) => res.write(`event: metadata\ndata: ${JSON.stringify(r)}\n\n`);
    for (const r of metadata.get(channel.arn) ?? []) write(r);
    const listener = (r: MetadataRecord) => {
      if (r.channelArn === channel.arn) write(r);
    };
    emitter.on('metadata', listener);
    const stop = () => emitter.off('metadata', listener);
    req.on('close', stop);
    openStreams.add(res);
    res.on('close', () => openStreams.delete(res));
  }
  const openStreams = new Set<ServerResponse>();

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const task =
      url.pathname.startsWith('/hls/') || url.pathname.startsWith('/local/ivs/')
        ? playback(req, res, url)
        : api(req, res, url.pathname);
    task.catch((error: Error) => {
      log(`local IVS: ${req.method} ${url.pathname} failed: ${error.message}`);
      if (!res.headersSent) send(res, 500, { message: 'Internal error in the local IVS' });
    });
  });
  const chatMessaging = attachChatMessaging({
    server,
    path: '/ivschat/messaging',
    takeToken(token) {
      // A chat token connects once.
      const session = chatTokens.get(token);
      chatTokens.delete(token);
      return session;
    },
    room: (roomArnValue) => rooms.get(roomArnValue),
    clock,
    log,
  });
  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const baseUrl = () => `http://${host}:${port}`;
  const endpoint = baseUrl();
  log(
    `local IVS (a stand-in, not Amazon IVS): control plane ${endpoint}, chat ${endpoint}/ivschat, ingest rtmp://${host}:${rtmp.port}/app/<stream key>`,
  );

  return {
    endpoint,
    chatEndpoint: `${endpoint}/ivschat`,
    chatMessagingUrl: `ws://${host}:${port}/ivschat/messaging`,
    rtmpUrl: `rtmp://${host}:${rtmp.port}/app/`,
    region,
    accountId,
    metadataOf: (channelArnValue) => metadata.get(channelArnValue) ?? [],
    onMetadata(listener) {
      emitter.on('metadata', listener);
      return () => emitter.off('metadata', listener);
    },
    async simulateStream(channelArnValue, action) {
      const channel = channels.get(channelArnValue);
      if (!channel) throw new Error(`no channel ${channelArnValue}`);
      if (action === 'start') {
        if (channel.stream) throw new Error(`channel ${channelArnValue} is already live`);
        return startStream(channel).streamId;
      }
      const stream = channel.stream;
      if (!stream) throw new Error(`channel ${channelArnValue} is not live`);
      stream.disconnect?.();
      await endStream(channel, stream);
      return stream.streamId;
    },
    async idle() {
      while (pending.size > 0) await Promise.all(pending);
    },
    async close() {
      for (const res of openStreams) res.end();
      chatMessaging.close();
      await rtmp.close();
      for (const channel of channels.values()) if (channel.stream) void endStream(channel, channel.stream);
      while (pending.size > 0) await Promise.all(pending);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownDir) await rm(ownDir, { recursive: true, force: true });
    },
  };
}
