import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchGetChannelCommand,
  CreateChannelCommand,
  CreateRecordingConfigurationCommand,
  DeleteChannelCommand,
  GetChannelCommand,
  GetStreamCommand,
  GetStreamKeyCommand,
  ImportPlaybackKeyPairCommand,
  IvsClient,
  ListChannelsCommand,
  ListStreamKeysCommand,
  ListStreamsCommand,
  ListTagsForResourceCommand,
  PutMetadataCommand,
  StopStreamCommand,
  TagResourceCommand,
} from '@aws-sdk/client-ivs';
import {
  CreateChatTokenCommand,
  CreateRoomCommand,
  DeleteRoomCommand,
  DisconnectUserCommand,
  GetRoomCommand,
  IvschatClient,
  ListRoomsCommand,
} from '@aws-sdk/client-ivschat';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { LOCAL_AWS } from '#local/dynamodb-local';
import { type IvsEvent, type LocalIvs, startLocalIvs } from '#local/ivs';

/*
 * The local IVS, driven by the real IVS and IVS Chat clients: the shapes they deserialize, the refusals IVS
 * makes (validation, throttling, not broadcasting, conflicts, signatures, playback tokens), IVS's EventBridge
 * events, and one real RTMP publish by ffmpeg turned into HLS.
 */

let now = new Date();
let dataDir: string;
let ivs: LocalIvs;
let client: IvsClient;
let chat: IvschatClient;
const events: IvsEvent[] = [];
const RECORDINGS_BUCKET = 'test-recordings';
let recordingConfigurationArn: string;

// One attempt: the tests look at each refusal itself, not at the SDK's retries.
const ivsClient = (credentials = LOCAL_AWS.credentials, endpoint = ivs.endpoint) =>
  new IvsClient({ endpoint, region: LOCAL_AWS.region, credentials, maxAttempts: 1 });

/** Polls `condition` until it holds or the deadline passes; the tests never wait for a fixed time. */
async function waitFor<T>(
  condition: () => T | undefined | Promise<T | undefined>,
  what: string,
  ms = 20_000,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Another channel's ARN: the last character of the id changed (ids are random, so never to itself). */
const otherArn = (arn: string) => arn.replace(/.$/, (c) => (c === 'X' ? 'Y' : 'X'));

/** The error a command fails with: its name and HTTP status as the SDK reports them. */
async function failure(promise: Promise<unknown>) {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'ivs-test-'));
  ivs = await startLocalIvs({
    dataDir,
    clock: () => now,
    log: () => undefined,
    onEvent: (e) => events.push(e),
    // Generous control-plane rates here; the defaults have a test of their own.
    rateLimits: { api: { CreateChannel: 1000, DeleteChannel: 1000, StopStream: 1000, CreateRoom: 1000 } },
  });
  client = ivsClient();
  chat = new IvschatClient({
    endpoint: ivs.chatEndpoint,
    region: LOCAL_AWS.region,
    credentials: LOCAL_AWS.credentials,
    maxAttempts: 1,
  });
  const { recordingConfiguration } = await client.send(
    new CreateRecordingConfigurationCommand({
      name: 'lectures',
      destinationConfiguration: { s3: { bucketName: RECORDINGS_BUCKET } },
    }),
  );
  recordingConfigurationArn = recordingConfiguration!.arn!;
});

afterAll(async () => {
  client.destroy();
  chat.destroy();
  await ivs.close();
  await rm(dataDir, { recursive: true, force: true });
});

beforeEach(() => {
  now = new Date();
  events.length = 0;
});

const createChannel = async (input: { authorized?: boolean; recording?: boolean } = {}) => {
  const out = await client.send(
    new CreateChannelCommand({
      name: `lecture-${randomUUID().slice(0, 8)}`,
      latencyMode: 'LOW',
      type: 'STANDARD',
      authorized: input.authorized ?? false,
      ...(input.recording ? { recordingConfigurationArn } : {}),
      tags: { lecture: 'x' },
    }),
  );
  return { channel: out.channel!, streamKey: out.streamKey! };
};

describe('the local IVS control plane', () => {
  it('lists channels and rooms a page at a time, and refuses a page token it never gave', async () => {
    const made = await Promise.all(Array.from({ length: 3 }, () => createChannel()));
    const rooms = await Promise.all(
      Array.from({ length: 3 }, () =>
        chat.send(new CreateRoomCommand({ name: `r-${randomUUID().slice(0, 8)}` })),
      ),
    );
    const channelArns: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await client.send(
        new ListChannelsCommand({ maxResults: 2, ...(nextToken ? { nextToken } : {}) }),
      );
      expect(page.channels!.length).toBeLessThanOrEqual(2);
      channelArns.push(...page.channels!.map((c) => c.arn!));
      nextToken = page.nextToken;
      pages++;
    } while (nextToken);
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(new Set(channelArns).size).toBe(channelArns.length);
    expect(channelArns).toEqual(expect.arrayContaining(made.map((m) => m.channel.arn)));
    const first = await chat.send(new ListRoomsCommand({ maxResults: 2 }));
    const rest = await chat.send(new ListRoomsCommand({ maxResults: 50, nextToken: first.nextToken! }));
    expect([...first.rooms!, ...rest.rooms!].map((r) => r.arn)).toEqual(
      expect.arrayContaining(rooms.map((r) => r.arn)),
    );
    // Filtered by recording configuration as IVS filters, one filter at a time.
    const recorded = await createChannel({ recording: true });
    const byConfig = await client.send(
      new ListChannelsCommand({ filterByRecordingConfigurationArn: recordingConfigurationArn }),
    );
    expect(byConfig.channels!.map((c) => c.arn)).toContain(recorded.channel.arn);
    expect(byConfig.channels!.map((c) => c.arn)).not.toContain(made[0]!.channel.arn);
    await expect(
      client.send(
        new ListChannelsCommand({
          filterByName: 'x',
          filterByRecordingConfigurationArn: recordingConfigurationArn,
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(client.send(new ListChannelsCommand({ nextToken: 'forged' }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(chat.send(new ListRoomsCommand({ maxResults: 51 }))).rejects.toMatchObject({
      name: 'ValidationException',
    });
  });

  it('creates channels in IVS’s shapes and says it is local', async () => {
    const { channel, streamKey } = await createChannel({ authorized: true });
    expect(channel.arn).toMatch(/^arn:aws:ivs:us-east-1:\d{12}:channel\/[a-zA-Z0-9]{12}$/);
    expect(channel).toMatchObject({ latencyMode: 'LOW', type: 'STANDARD', authorized: true });
    expect(channel.playbackUrl).toBe(`${ivs.endpoint}/hls/${channel.arn!.split('/')[1]}/index.m3u8`);
    expect(channel.ingestEndpoint).toBe(ivs.rtmpUrl.replace(/^rtmp:\/\/(.*)\/app\/$/, '$1'));
    expect(streamKey.value).toMatch(/^sk_us-east-1_[a-zA-Z0-9]{12}_[a-zA-Z0-9]{30}$/);
    expect(streamKey.channelArn).toBe(channel.arn);

    const got = await client.send(new GetChannelCommand({ arn: channel.arn }));
    expect(got.channel).toEqual(channel);
    const key = await client.send(new GetStreamKeyCommand({ arn: streamKey.arn }));
    expect(key.streamKey?.value).toBe(streamKey.value);
    const listed = await client.send(new ListStreamKeysCommand({ channelArn: channel.arn }));
    expect(listed.streamKeys).toEqual([{ arn: streamKey.arn, channelArn: channel.arn, tags: {} }]);
    await client.send(new TagResourceCommand({ resourceArn: channel.arn, tags: { course: 'c1' } }));
    const tags = await client.send(new ListTagsForResourceCommand({ resourceArn: channel.arn }));
    expect(tags.tags).toEqual({ lecture: 'x', course: 'c1' });

    const res = await fetch(`${ivs.endpoint}/GetChannel`, { method: 'POST', body: '{}' });
    expect(res.headers.get('x-local-stand-in')).toMatch(/local/);
    // Not an operation, though every object has one by that name.
    const odd = ivsClient();
    odd.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { path: string }).path = '/constructor';
        return next(args);
      },
      { step: 'build', name: 'rename' },
    );
    expect((await failure(odd.send(new GetChannelCommand({ arn: channel.arn })))).status).toBe(404);
    odd.destroy();

    await client.send(new DeleteChannelCommand({ arn: channel.arn }));
    expect(await failure(client.send(new GetChannelCommand({ arn: channel.arn })))).toEqual({
      name: 'ResourceNotFoundException',
      status: 404,
    });
  });

  it('refuses names, enums, ARNs and tags outside IVS’s model', async () => {
    const refused = { name: 'ValidationException', status: 400 };
    for (const input of [
      { name: 'has spaces' },
      { name: 'x'.repeat(129) },
      { latencyMode: 'ULTRA' as 'LOW' },
      { recordingConfigurationArn: 'arn:aws:s3:::bucket' },
      { tags: { 'aws:reserved': 'x' } },
    ])
      expect(await failure(client.send(new CreateChannelCommand(input)))).toEqual(refused);
    expect(await failure(client.send(new GetChannelCommand({ arn: 'not-an-arn' })))).toEqual({
      name: 'ResourceNotFoundException',
      status: 404,
    });
    expect(
      await failure(client.send(new GetStreamCommand({ channelArn: 'arn:aws:ivs:us-east-1:1:room/x' }))),
    ).toEqual(refused);
    expect(
      await failure(
        client.send(
          new CreateChannelCommand({
            recordingConfigurationArn: 'arn:aws:ivs:us-east-1:000000000000:recording-configuration/nope',
          }),
        ),
      ),
    ).toEqual({ name: 'ResourceNotFoundException', status: 404 });
  });

  it('answers ChannelNotBroadcasting until a stream starts, and refuses to delete a live channel', async () => {
    const { channel } = await createChannel();
    const notLive = { name: 'ChannelNotBroadcasting', status: 404 };
    expect(await failure(client.send(new GetStreamCommand({ channelArn: channel.arn })))).toEqual(notLive);
    expect(await failure(client.send(new StopStreamCommand({ channelArn: channel.arn })))).toEqual(notLive);
    expect(
      await failure(client.send(new PutMetadataCommand({ channelArn: channel.arn, metadata: 'q' }))),
    ).toEqual(notLive);

    const streamId = await ivs.simulateStream(channel.arn!, 'start');
    const { stream } = await client.send(new GetStreamCommand({ channelArn: channel.arn }));
    expect(stream).toMatchObject({ channelArn: channel.arn, streamId, state: 'LIVE', health: 'HEALTHY' });
    expect(stream?.startTime).toEqual(new Date(now.toISOString()));
    expect(await failure(client.send(new DeleteChannelCommand({ arn: channel.arn })))).toEqual({
      name: 'ConflictException',
      status: 409,
    });

    const { streams } = await client.send(new ListStreamsCommand({}));
    expect(streams?.find((s) => s.channelArn === channel.arn)).toMatchObject({ streamId, state: 'LIVE' });
    const missing = otherArn(channel.arn!);
    const batch = await client.send(new BatchGetChannelCommand({ arns: [channel.arn!, missing] }));
    expect(batch.channels?.map((c) => c.arn)).toEqual([channel.arn]);
    expect(batch.errors).toEqual([
      { arn: missing, code: 'ResourceNotFoundException', message: expect.any(String) },
    ]);

    await client.send(new StopStreamCommand({ channelArn: channel.arn }));
    await ivs.idle();
    expect(await failure(client.send(new GetStreamCommand({ channelArn: channel.arn })))).toEqual(notLive);
    await client.send(new DeleteChannelCommand({ arn: channel.arn }));
  });

  it('sends IVS’s stream and recording events, and writes the recording', async () => {
    const { channel } = await createChannel({ recording: true });
    const streamId = await ivs.simulateStream(channel.arn!, 'start');
    await ivs.simulateStream(channel.arn!, 'end');
    const stateChanges = events.filter((e) => e['detail-type'] === 'IVS Stream State Change');
    expect(stateChanges.map((e) => e.detail.event_name)).toEqual([
      'Session Created',
      'Stream Start',
      'Stream End',
    ]);
    expect(stateChanges[1]).toMatchObject({
      version: '0',
      source: 'aws.ivs',
      account: ivs.accountId,
      region: 'us-east-1',
      resources: [channel.arn],
      detail: { event_name: 'Stream Start', channel_name: channel.name, stream_id: streamId },
    });
    const recording = events.filter((e) => e['detail-type'] === 'IVS Recording State Change');
    expect(recording.map((e) => e.detail.recording_status)).toEqual(['Recording Start', 'Recording End']);
    const end = recording[1]!.detail;
    expect(end).toMatchObject({
      channel_name: channel.name,
      stream_id: streamId,
      recording_s3_bucket_name: RECORDINGS_BUCKET,
      recording_duration_ms: 0,
    });
    const prefix = String(end.recording_s3_key_prefix);
    expect(prefix).toMatch(
      new RegExp(`^ivs/v1/${ivs.accountId}/${channel.arn!.split('/')[1]}/\\d{4}/\\d+/\\d+/\\d+/\\d+/\\w+$`),
    );
    const dir = join(dataDir, 'recordings', RECORDINGS_BUCKET, prefix);
    expect(readFileSync(join(dir, 'media/hls/master.m3u8'), 'utf8')).toContain('source/playlist.m3u8');
    expect(readFileSync(join(dir, 'media/hls/source/playlist.m3u8'), 'utf8')).toContain('#EXT-X-ENDLIST');
    expect(existsSync(join(dir, 'events/recording-ended.json'))).toBe(true);
  });
});

describe('PutMetadata', () => {
  it('takes 1 KB and 5 calls per second per channel, keeps what it took and hands it to subscribers', async () => {
    const { channel } = await createChannel();
    const { channel: other } = await createChannel();
    await ivs.simulateStream(channel.arn!, 'start');
    await ivs.simulateStream(other.arn!, 'start');
    const heard: string[] = [];
    const stop = ivs.onMetadata((r) => heard.push(r.metadata));
    const put = (metadata: string, arn = channel.arn) =>
      client.send(new PutMetadataCommand({ channelArn: arn, metadata }));

    // 1 KB counted in UTF-8 bytes: 512 two-byte characters fit, 513 do not.
    expect(await failure(put('é'.repeat(513)))).toEqual({ name: 'ValidationException', status: 400 });
    await put('é'.repeat(512));
    for (let i = 1; i <= 4; i++) await put(`quiz ${i}`);
    expect(await failure(put('quiz 5'))).toEqual({ name: 'ThrottlingException', status: 429 });
    // Another channel has a window of its own.
    await put('elsewhere', other.arn);
    now = new Date(now.getTime() + 1000);
    await put('quiz 5');
    stop();

    const records = ivs.metadataOf(channel.arn!);
    expect(records.map((r) => r.metadata)).toEqual([
      'é'.repeat(512),
      'quiz 1',
      'quiz 2',
      'quiz 3',
      'quiz 4',
      'quiz 5',
    ]);
    expect(records.at(-1)?.receivedAt).toBe(now.toISOString());
    expect(heard).toEqual([...records.slice(0, 5).map((r) => r.metadata), 'elsewhere', 'quiz 5']);

    // The player-side stream: everything so far, as server-sent events.
    const controller = new AbortController();
    const res = await fetch(`${ivs.endpoint}/local/ivs/channels/${channel.arn!.split('/')[1]}/metadata`, {
      signal: controller.signal,
    });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    await waitFor(async () => {
      const { value } = await reader.read();
      text += new TextDecoder().decode(value);
      return text.includes('quiz 5') || undefined;
    }, 'the metadata stream');
    controller.abort();
    expect(text).toContain('event: metadata');
  });
});

describe('control-plane rates', () => {
  it('throttles CreateChannel beyond IVS’s 5 per second, and takes calls again a second later', async () => {
    let clock = new Date();
    const strict = await startLocalIvs({ clock: () => clock, log: () => undefined });
    const c = ivsClient(LOCAL_AWS.credentials, strict.endpoint);
    try {
      for (let i = 0; i < 5; i++) await c.send(new CreateChannelCommand({}));
      expect(await failure(c.send(new CreateChannelCommand({})))).toEqual({
        name: 'ThrottlingException',
        status: 429,
      });
      clock = new Date(clock.getTime() + 1000);
      await c.send(new CreateChannelCommand({}));
    } finally {
      c.destroy();
      await strict.close();
    }
  });
});

describe('quotas and configuration', () => {
  it('imports at most 3 playback key pairs, as IVS allows', async () => {
    const fresh = await startLocalIvs({ log: () => undefined });
    const c = ivsClient(LOCAL_AWS.credentials, fresh.endpoint);
    const importKey = () =>
      c.send(
        new ImportPlaybackKeyPairCommand({
          publicKeyMaterial: generateKeyPairSync('ec', { namedCurve: 'P-384' })
            .publicKey.export({ type: 'spki', format: 'pem' })
            .toString(),
        }),
      );
    try {
      for (let i = 0; i < 3; i++) await importKey();
      expect(await failure(importKey())).toEqual({ name: 'ServiceQuotaExceededException', status: 402 });
    } finally {
      c.destroy();
      await fresh.close();
    }
  });

  it('is found by clients through AWS_ENDPOINT_URL_IVS and AWS_ENDPOINT_URL_IVSCHAT', async () => {
    const saved = { ivs: process.env.AWS_ENDPOINT_URL_IVS, chat: process.env.AWS_ENDPOINT_URL_IVSCHAT };
    process.env.AWS_ENDPOINT_URL_IVS = ivs.endpoint;
    process.env.AWS_ENDPOINT_URL_IVSCHAT = ivs.chatEndpoint;
    const fromEnv = { region: LOCAL_AWS.region, credentials: LOCAL_AWS.credentials, maxAttempts: 1 };
    const c = new IvsClient(fromEnv);
    const r = new IvschatClient(fromEnv);
    try {
      const { channel } = await c.send(new CreateChannelCommand({ name: 'from-env' }));
      expect(channel?.name).toBe('from-env');
      const room = await r.send(new CreateRoomCommand({ name: 'from-env' }));
      expect(room.name).toBe('from-env');
    } finally {
      c.destroy();
      r.destroy();
      for (const [name, value] of [
        ['AWS_ENDPOINT_URL_IVS', saved.ivs],
        ['AWS_ENDPOINT_URL_IVSCHAT', saved.chat],
      ] as const)
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
    }
  });
});

describe('signatures', () => {
  it('refuses unsigned, wrongly signed, unknown-key, other-service and altered requests', async () => {
    const unsigned = await fetch(`${ivs.endpoint}/CreateChannel`, { method: 'POST', body: '{}' });
    expect([unsigned.status, unsigned.headers.get('x-amzn-errortype')]).toEqual([
      403,
      'MissingAuthenticationTokenException',
    ]);
    const wrongSecret = ivsClient({ accessKeyId: 'local', secretAccessKey: 'wrong' });
    expect(await failure(wrongSecret.send(new CreateChannelCommand({})))).toEqual({
      name: 'InvalidSignatureException',
      status: 403,
    });
    const unknownKey = ivsClient({ accessKeyId: 'nobody', secretAccessKey: 'x' });
    expect(await failure(unknownKey.send(new CreateChannelCommand({})))).toEqual({
      name: 'UnrecognizedClientException',
      status: 403,
    });
    // Signed for IVS Chat, sent to IVS.
    const misdirected = new IvschatClient({
      endpoint: ivs.endpoint,
      region: LOCAL_AWS.region,
      credentials: LOCAL_AWS.credentials,
      maxAttempts: 1,
    });
    expect((await failure(misdirected.send(new CreateRoomCommand({})))).status).toBe(403);
    // The body changed after signing (same length, so only the signature can tell).
    const tampering = ivsClient();
    tampering.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body?: string };
        request.body = JSON.stringify({ name: 'SIGNED' });
        return next(args);
      },
      { step: 'deserialize', name: 'tamper' },
    );
    expect(await failure(tampering.send(new CreateChannelCommand({ name: 'signed' })))).toEqual({
      name: 'InvalidSignatureException',
      status: 403,
    });
    for (const c of [wrongSecret, unknownKey, misdirected, tampering]) c.destroy();
  });
});

describe('IVS Chat', () => {
  it('creates rooms and chat tokens in IVS Chat’s shapes', async () => {
    const room = await chat.send(new CreateRoomCommand({ name: 'lecture-room', tags: { lecture: 'x' } }));
    expect(room.arn).toMatch(/^arn:aws:ivschat:us-east-1:\d{12}:room\/[a-zA-Z0-9]{12}$/);
    expect(room).toMatchObject({
      name: 'lecture-room',
      maximumMessageLength: 500,
      maximumMessageRatePerSecond: 10,
    });
    expect(room.createTime).toBeInstanceOf(Date);
    const got = await chat.send(new GetRoomCommand({ identifier: room.arn }));
    expect(got.id).toBe(room.id);

    const token = await chat.send(
      new CreateChatTokenCommand({
        roomIdentifier: room.arn,
        userId: 'learner-1',
        capabilities: ['SEND_MESSAGE'],
        sessionDurationInMinutes: 90,
        attributes: { displayName: 'Kim' },
      }),
    );
    expect(token.token).toEqual(expect.any(String));
    expect(token.tokenExpirationTime?.getTime()).toBe(now.getTime() + 60_000);
    expect(token.sessionExpirationTime?.getTime()).toBe(now.getTime() + 90 * 60_000);

    await chat.send(new DeleteRoomCommand({ identifier: room.arn }));
    expect(await failure(chat.send(new GetRoomCommand({ identifier: room.arn })))).toEqual({
      name: 'ResourceNotFoundException',
      status: 404,
    });
  });

  it('refuses capabilities, durations, user ids and attributes IVS Chat refuses', async () => {
    const room = await chat.send(new CreateRoomCommand({}));
    const token = (input: Partial<ConstructorParameters<typeof CreateChatTokenCommand>[0]>) =>
      chat.send(new CreateChatTokenCommand({ roomIdentifier: room.arn, userId: 'u', ...input }));
    const refused = { name: 'ValidationException', status: 400 };
    expect(await failure(token({ capabilities: ['BAN_USER' as 'SEND_MESSAGE'] }))).toEqual(refused);
    expect(await failure(token({ sessionDurationInMinutes: 181 }))).toEqual(refused);
    expect(await failure(token({ sessionDurationInMinutes: 0 }))).toEqual(refused);
    expect(await failure(token({ userId: 'u'.repeat(129) }))).toEqual(refused);
    expect(await failure(token({ attributes: { a: 'x'.repeat(500) } }))).toEqual(refused);
    await token({ attributes: { a: 'x'.repeat(499) } });
    expect(await failure(chat.send(new CreateRoomCommand({ maximumMessageLength: 501 })))).toEqual(refused);
    expect(
      await failure(token({ roomIdentifier: room.arn!.replace(/room\/\w+$/, 'room/missing12345') })),
    ).toEqual({ name: 'ResourceNotFoundException', status: 404 });
  });
});

describe('IVS Chat messaging', () => {
  /** A connected client: every frame it receives, and a way to wait for one. */
  async function connect(token: string) {
    const ws = new WebSocket(ivs.chatMessagingUrl, token);
    const frames: Record<string, unknown>[] = [];
    ws.on('message', (data) => frames.push(JSON.parse(String(data)) as Record<string, unknown>));
    const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => resolve());
      ws.on('error', reject);
    });
    const next = (match: (f: Record<string, unknown>) => boolean, what: string) =>
      waitFor(() => frames.find(match), what);
    return { ws, frames, closed, next };
  }
  const tokenFor = async (
    roomArn: string,
    userId: string,
    capabilities: ('SEND_MESSAGE' | 'DISCONNECT_USER')[],
  ) =>
    (
      await chat.send(
        new CreateChatTokenCommand({
          roomIdentifier: roomArn,
          userId,
          capabilities,
          attributes: { displayName: userId },
        }),
      )
    ).token!;

  it('relays messages with their sender, refuses what the token does not permit, and disconnects users', async () => {
    const room = await chat.send(new CreateRoomCommand({ maximumMessageLength: 10 }));
    const instructorToken = await tokenFor(room.arn!, 'instructor', ['SEND_MESSAGE', 'DISCONNECT_USER']);
    const instructor = await connect(instructorToken);
    const learner = await connect(await tokenFor(room.arn!, 'learner', []));

    instructor.ws.send(JSON.stringify({ Action: 'SEND_MESSAGE', RequestId: 'r1', Content: 'hello' }));
    const message = await learner.next((f) => f.Type === 'MESSAGE', 'the message');
    expect(message).toMatchObject({
      RequestId: 'r1',
      Content: 'hello',
      Sender: { UserId: 'instructor', Attributes: { displayName: 'instructor' } },
    });
    learner.ws.send(JSON.stringify({ Action: 'SEND_MESSAGE', RequestId: 'r2', Content: 'hi' }));
    expect(await learner.next((f) => f.RequestId === 'r2', 'the refusal')).toMatchObject({
      Type: 'ERROR',
      ErrorCode: 403,
    });
    instructor.ws.send(JSON.stringify({ Action: 'SEND_MESSAGE', RequestId: 'r3', Content: 'x'.repeat(11) }));
    expect(await instructor.next((f) => f.RequestId === 'r3', 'the refusal')).toMatchObject({
      Type: 'ERROR',
      ErrorCode: 400,
    });

    // A chat token connects once.
    await expect(connect(instructorToken)).rejects.toThrow(/401/);

    await chat.send(
      new DisconnectUserCommand({ roomIdentifier: room.arn, userId: 'learner', reason: 'spam' }),
    );
    await learner.closed;
    expect(await instructor.next((f) => f.EventName === 'aws:DISCONNECT_USER', 'the event')).toMatchObject({
      Type: 'EVENT',
      Attributes: { UserId: 'learner', Reason: 'spam' },
    });
    instructor.ws.close();
    await instructor.closed;
  });
});

describe('playback of private channels', () => {
  const signer = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  const stranger = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  let channelArn: string;
  let playbackUrl: string;

  beforeAll(async () => {
    now = new Date();
    const pem = signer.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const imported = await client.send(
      new ImportPlaybackKeyPairCommand({ publicKeyMaterial: pem, name: 'k' }),
    );
    expect(imported.keyPair?.fingerprint).toMatch(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    expect(await failure(client.send(new ImportPlaybackKeyPairCommand({ publicKeyMaterial: pem })))).toEqual({
      name: 'ConflictException',
      status: 409,
    });
    const { channel } = await createChannel({ authorized: true });
    channelArn = channel.arn!;
    playbackUrl = channel.playbackUrl!;
    await ivs.simulateStream(channelArn, 'start');
  });

  it('imports P-384 public keys only', async () => {
    for (const key of [
      generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey,
      generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey,
    ]) {
      const publicKeyMaterial = key.export({ type: 'spki', format: 'pem' }).toString();
      expect(await failure(client.send(new ImportPlaybackKeyPairCommand({ publicKeyMaterial })))).toEqual({
        name: 'ValidationException',
        status: 400,
      });
    }
  });

  const sign = (claims: Record<string, unknown>, key = signer.privateKey, alg = 'ES384') =>
    new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(key);
  const valid = (extra: Record<string, unknown> = {}) => ({
    'aws:channel-arn': channelArn,
    'aws:access-control-allow-origin': 'https://app.example.com',
    exp: Math.floor(now.getTime() / 1000) + 300,
    ...extra,
  });
  const play = (token?: string, headers: Record<string, string> = {}) =>
    fetch(token === undefined ? playbackUrl : `${playbackUrl}?token=${token}`, { headers });

  it('plays with a valid token, on every playlist and segment URL it names', async () => {
    const token = await sign(valid({ 'aws:viewer-id': 'learner-1' }));
    const res = await play(token, { origin: 'https://app.example.com' });
    expect(res.status).toBe(200);
    const master = await res.text();
    expect(master).toContain('#EXTM3U');
    const variant = master.split('\n').find((l) => l.startsWith('live.m3u8'))!;
    expect(variant).toBe(`live.m3u8?token=${token}`);
    const media = await fetch(new URL(variant, playbackUrl));
    expect([media.status, (await media.text()).startsWith('#EXTM3U')]).toEqual([200, true]);
    const bare = await fetch(new URL('live.m3u8', playbackUrl));
    expect(bare.status).toBe(403);
    const { stream } = await client.send(new GetStreamCommand({ channelArn }));
    expect(stream?.viewerCount).toBe(1);
  });

  it('refuses no token, expired, other channel, other key, alg none, HMAC and other origins', async () => {
    const hmacKey = new TextEncoder().encode('a shared secret of enough length!');
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(
      JSON.stringify(valid()),
    ).toString('base64url')}.`;
    const refusals: [string, string | undefined, Record<string, string>?][] = [
      ['no token', undefined],
      ['expired', await sign(valid({ exp: Math.floor(now.getTime() / 1000) - 1 }))],
      ['no exp', await sign({ 'aws:channel-arn': channelArn })],
      ['other channel', await sign(valid({ 'aws:channel-arn': otherArn(channelArn) }))],
      ['other key', await sign(valid(), stranger.privateKey)],
      ['alg none', none],
      ['HS256', await new SignJWT(valid()).setProtectedHeader({ alg: 'HS256' }).sign(hmacKey)],
      [
        'viewer id for 20 minutes',
        await sign(valid({ 'aws:viewer-id': 'v', exp: Math.floor(now.getTime() / 1000) + 1200 })),
      ],
      ['other origin', await sign(valid()), { origin: 'https://evil.example.net' }],
    ];
    for (const [what, token, headers] of refusals) {
      const res = await play(token, headers);
      expect([what, res.status]).toEqual([what, 403]);
    }
    const wildcard = await sign(valid({ 'aws:access-control-allow-origin': 'https://*.example.com' }));
    expect((await play(wildcard, { origin: 'https://app.example.com' })).status).toBe(200);
  });

  it('refuses a single-use token the second time', async () => {
    const token = await sign(valid({ 'aws:single-use-uuid': randomUUID() }));
    expect((await play(token)).status).toBe(200);
    expect((await play(token)).status).toBe(403);
  });
});

describe('RTMP ingest', () => {
  const publish = (url: string) =>
    new Promise<number | null>((resolve) => {
      const child = spawn(
        ffmpegInstaller.path,
        [
          '-hide_banner',
          '-loglevel',
          'error',
          '-re',
          '-f',
          'lavfi',
          '-i',
          'testsrc=duration=6:size=320x240:rate=25',
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
          '-g',
          '25',
          '-f',
          'flv',
          url,
        ],
        { stdio: 'ignore' },
      );
      child.on('close', resolve);
    });

  it('turns a publish with the channel’s key into HLS, with Stream Start and Stream End', async () => {
    const { channel, streamKey } = await createChannel({ recording: true });
    expect(await publish(`${ivs.rtmpUrl}sk_us-east-1_unknownkey12_${'x'.repeat(30)}`)).not.toBe(0);
    expect(events).toEqual([]);

    const published = publish(`${ivs.rtmpUrl}${streamKey.value}`);
    await waitFor(() => events.some((e) => e.detail.event_name === 'Stream Start'), 'Stream Start');
    const playlist = await waitFor(async () => {
      const res = await fetch(new URL('live.m3u8', channel.playbackUrl));
      const text = res.status === 200 ? await res.text() : '';
      return text.includes('.ts') ? text : undefined;
    }, 'a segment in the live playlist');
    const segment = await fetch(
      new URL(
        playlist.split('\n').find((l) => l.endsWith('.ts'))!,
        channel.playbackUrl,
      ),
    );
    expect([segment.status, segment.headers.get('content-type')]).toEqual([200, 'video/mp2t']);
    expect((await segment.arrayBuffer()).byteLength).toBeGreaterThan(0);

    expect(await published).toBe(0);
    await waitFor(() => events.some((e) => e.detail.event_name === 'Stream End'), 'Stream End');
    await ivs.idle();
    const recordingEnd = events.find((e) => e.detail.recording_status === 'Recording End');
    expect(recordingEnd).toBeDefined();
    const dir = join(
      dataDir,
      'recordings',
      RECORDINGS_BUCKET,
      String(recordingEnd!.detail.recording_s3_key_prefix),
    );
    expect(readFileSync(join(dir, 'media/hls/source/playlist.m3u8'), 'utf8')).toMatch(/seg_\d{5}\.ts/);
    expect((await fetch(channel.playbackUrl!)).status).toBe(404);
  });
});
