import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  CreateChannelCommand,
  DeleteChannelCommand,
  GetStreamCommand,
  GetStreamKeyCommand,
  IvsClient,
  ListStreamKeysCommand,
} from '@aws-sdk/client-ivs';
import {
  CreateChatTokenCommand,
  CreateRoomCommand,
  DeleteRoomCommand,
  IvschatClient,
} from '@aws-sdk/client-ivschat';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { LIVE } from '#contracts/live';
import { ENV, EVENTS } from '#contracts/resources';
import type { ApiEvent, ApiResult } from '#lambda/shared/http-handler';
import { LOCAL_AWS } from '#local/dynamodb-local';
import { overrideEnv } from '../env';
import { apiEvent } from '../event-fixture';
import {
  channelAnswer,
  createWorld,
  dropWorld,
  endpoint,
  playbackPrivateKey,
  roomAnswer,
  snapshot,
  type World,
} from './live-fixture';

/*
 * The live route handlers as deployed (each module builds its clients from the environment when loaded),
 * against DynamoDB Local with IVS, IVS chat and Secrets Manager mocked at the SDK: who may call what, and
 * bad input named by field. A refused request changes nothing in the live table.
 */

const ivs = mockClient(IvsClient);
const chat = mockClient(IvschatClient);
const secrets = mockClient(SecretsManagerClient);
const bus = mockClient(EventBridgeClient);
let world: World;
let restoreEnv: () => void;
type Handler = (event: ApiEvent) => Promise<ApiResult>;
const handlers: Record<string, Handler> = {};
const MODULES = [
  'create-lecture',
  'list-lectures',
  'get-lecture',
  'update-lecture',
  'cancel-lecture',
  'get-stream-key',
  'join-lecture',
  'record-presence',
  'leave-lecture',
  'create-chat-token',
  'get-attendance',
];
let onStreamState: (event: unknown) => Promise<void>;
let sweep: () => Promise<Record<string, number>>;
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:live-playback-key';

beforeAll(async () => {
  world = await createWorld('live-handlers');
  restoreEnv = overrideEnv({
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    [ENV.accessTable]: world.tables.access!,
    [LIVE.env.table]: world.tables.live!,
    [LIVE.env.namePrefix]: 'lms-handlers',
    [LIVE.env.playbackKeySecretArn]: SECRET_ARN,
    [LIVE.env.playbackOrigins]: 'https://app.academy.example.com',
    [EVENTS.busNameEnv]: 'lms-bus',
  });
  // Loaded after the environment is set, as at a cold start.
  for (const name of MODULES) {
    handlers[name] = (
      (await import(join(__dirname, `../../../lambda/live/${name}`))) as { handler: Handler }
    ).handler;
  }
  const events = (name: string) => import(join(__dirname, `../../../lambda/live/${name}`));
  onStreamState = ((await events('on-stream-state')) as { handler: typeof onStreamState }).handler;
  sweep = ((await events('sweep-lectures')) as { handler: typeof sweep }).handler;
});
afterAll(async () => {
  restoreEnv();
  await dropWorld(world);
});

const ROLES: Record<keyof World['people'], string> = {
  manager: 'institution-manager',
  instructor: 'instructor',
  otherStaff: 'institution-manager',
  learner: 'learner',
  foreignLearner: 'learner',
  stranger: 'learner',
};
type Who = keyof World['people'];

function call(
  name: string,
  who: Who,
  o: { lectureId?: string; body?: unknown; query?: Record<string, string>; rawBody?: string } = {},
) {
  return handlers[name]!(
    apiEvent({
      method: 'POST',
      path: '/lectures',
      ...(o.lectureId ? { pathParameters: { lectureId: o.lectureId } } : {}),
      ...(o.query ? { query: o.query } : {}),
      headers: { 'content-type': 'application/json' },
      ...(o.rawBody !== undefined
        ? { body: o.rawBody }
        : o.body !== undefined
          ? { body: JSON.stringify(o.body) }
          : {}),
      authorizer: { sub: world.people[who], email: `${who}@corp.example.com`, roles: ROLES[who] },
    }),
  );
}

const bodyOf = (r: ApiResult) => JSON.parse(r.body ?? '{}') as Record<string, unknown>;
const fieldsOf = (r: ApiResult) => ((bodyOf(r).errors ?? []) as { field: string }[]).map((e) => e.field);

let lectureId: string;

beforeEach(() => {
  ivs.reset();
  chat.reset();
  secrets.reset();
  bus.reset();
  bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
  secrets.on(GetSecretValueCommand).resolves({
    SecretString: playbackPrivateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  });
  ivs.on(CreateChannelCommand).callsFake(async () => channelAnswer());
  chat.on(CreateRoomCommand).callsFake(async () => roomAnswer());
  ivs.on(ListStreamKeysCommand).resolves({ streamKeys: [{ arn: 'arn:aws:ivs:us-east-1:1:stream-key/k' }] });
  ivs.on(GetStreamKeyCommand).resolves({ streamKey: { value: 'sk_us-east-1_secret' } });
  chat.on(CreateChatTokenCommand).resolves({ token: 'chat' });
  ivs.on(DeleteChannelCommand).resolves({});
  chat.on(DeleteRoomCommand).resolves({});
});

const newLectureBody = () => ({
  provisionId: world.provisionId,
  title: `Handlers ${randomUUID()}`,
  startsAt: '2027-01-05T01:00:00Z',
  endsAt: '2027-01-05T03:00:00Z',
});

describe('the live routes as deployed', () => {
  beforeAll(async () => {
    ivs.on(CreateChannelCommand).callsFake(async () => channelAnswer());
    chat.on(CreateRoomCommand).callsFake(async () => roomAnswer());
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    const created = await call('create-lecture', 'instructor', { body: newLectureBody() });
    expect(created.statusCode).toBe(201);
    lectureId = bodyOf(created).lectureId as string;
  });

  it('answers the permitted callers, with no-store on every credential', async () => {
    const got = await call('get-lecture', 'learner', { lectureId });
    expect(got.statusCode).toBe(200);
    expect(bodyOf(got)).not.toHaveProperty('ingestEndpoint');
    const key = await call('get-stream-key', 'manager', { lectureId });
    expect([key.statusCode, key.headers?.['cache-control']]).toEqual([200, 'no-store']);
    expect(bodyOf(key).streamKey).toBe('sk_us-east-1_secret');
    const joined = await call('join-lecture', 'learner', { lectureId });
    expect([joined.statusCode, joined.headers?.['cache-control']]).toEqual([200, 'no-store']);
    expect(bodyOf(joined).playbackUrl).toMatch(/\?token=[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: SECRET_ARN });
    const token = await call('create-chat-token', 'learner', { lectureId, body: {} });
    expect([token.statusCode, token.headers?.['cache-control']]).toEqual([200, 'no-store']);
    expect(chat).toHaveReceivedCommandWith(CreateChatTokenCommand, {
      attributes: { displayName: 'learner' },
      capabilities: ['SEND_MESSAGE'],
    });
    const presence = await call('record-presence', 'learner', { lectureId, body: {} });
    expect([presence.statusCode, bodyOf(presence)]).toEqual([200, { presenceSeconds: 0, counting: false }]);
    const sheet = await call('get-attendance', 'instructor', { lectureId });
    expect(sheet.statusCode).toBe(200);
    expect((bodyOf(sheet).attendees as unknown[]).length).toBe(1);
    const list = await call('list-lectures', 'learner', { query: { provisionId: world.provisionId } });
    expect(list.statusCode).toBe(200);
    const left = await call('leave-lecture', 'learner', { lectureId });
    expect(left.statusCode).toBe(200);
  });

  const unknown = randomUUID();
  it.each([
    // route, caller, lecture ('known' | 'unknown'), body, expected status
    ['get-lecture', 'foreignLearner', 'known', undefined, 404],
    ['get-lecture', 'otherStaff', 'known', undefined, 404],
    ['get-lecture', 'stranger', 'known', undefined, 404],
    ['get-lecture', 'manager', 'unknown', undefined, 404],
    ['update-lecture', 'learner', 'known', { title: 'Mine now' }, 403],
    ['update-lecture', 'otherStaff', 'known', { title: 'Mine now' }, 404],
    ['update-lecture', 'manager', 'unknown', { title: 'Mine now' }, 404],
    ['cancel-lecture', 'learner', 'known', undefined, 403],
    ['cancel-lecture', 'otherStaff', 'known', undefined, 404],
    ['cancel-lecture', 'manager', 'unknown', undefined, 404],
    ['get-stream-key', 'learner', 'known', undefined, 403],
    ['get-stream-key', 'otherStaff', 'known', undefined, 404],
    ['get-stream-key', 'instructor', 'unknown', undefined, 404],
    ['join-lecture', 'foreignLearner', 'known', undefined, 404],
    ['join-lecture', 'otherStaff', 'known', undefined, 404],
    ['join-lecture', 'stranger', 'known', undefined, 404],
    ['join-lecture', 'learner', 'unknown', undefined, 404],
    ['record-presence', 'foreignLearner', 'known', {}, 404],
    ['record-presence', 'otherStaff', 'known', {}, 403],
    ['record-presence', 'manager', 'known', {}, 403],
    ['record-presence', 'learner', 'unknown', {}, 404],
    ['leave-lecture', 'foreignLearner', 'known', undefined, 404],
    ['leave-lecture', 'instructor', 'known', undefined, 403],
    ['create-chat-token', 'foreignLearner', 'known', {}, 404],
    ['create-chat-token', 'otherStaff', 'known', {}, 404],
    ['create-chat-token', 'learner', 'unknown', {}, 404],
    ['get-attendance', 'learner', 'known', undefined, 403],
    ['get-attendance', 'otherStaff', 'known', undefined, 404],
    ['get-attendance', 'manager', 'unknown', undefined, 404],
  ] as const)('%s by %s for a %s lecture: %i… nothing changed', async (route, who, which, body, status) => {
    const before = await snapshot(world.tables.live!);
    const result = await call(route, who, { lectureId: which === 'known' ? lectureId : unknown, body });
    expect(result.statusCode).toBe(status);
    expect(result.headers?.['content-type']).toBe('application/problem+json');
    expect(await snapshot(world.tables.live!)).toBe(before);
    expect(ivs.calls()).toHaveLength(0);
    expect(chat.calls()).toHaveLength(0);
  });

  it.each([
    ['list-lectures', 'foreignLearner', 404],
    ['list-lectures', 'otherStaff', 404],
    ['create-lecture', 'otherStaff', 404],
    ['create-lecture', 'learner', 403],
  ] as const)('%s by %s: %i, nothing changed', async (route, who, status) => {
    const before = await snapshot(world.tables.live!);
    const result =
      route === 'list-lectures'
        ? await call(route, who, { query: { provisionId: world.provisionId } })
        : await call(route, who, { body: newLectureBody() });
    expect(result.statusCode).toBe(status);
    expect(await snapshot(world.tables.live!)).toBe(before);
    expect(ivs.calls()).toHaveLength(0);
  });

  /** A valid create body with `provisionId: 'known'`, filled in when the test runs. */
  const template = {
    provisionId: 'known',
    title: 'Bad input',
    startsAt: '2027-01-05T01:00:00Z',
    endsAt: '2027-01-05T03:00:00Z',
  };
  it.each([
    ['create-lecture', { body: { ...template, title: undefined } }, ['body.title']],
    ['create-lecture', { body: { ...template, capacity: 0 } }, ['body.capacity']],
    ['create-lecture', { body: { ...template, startsAt: 'tomorrow' } }, ['body.startsAt']],
    ['create-lecture', { body: { ...template, provisionId: 'p-1' } }, ['body.provisionId']],
    ['create-lecture', { body: { ...template, channelArn: 'arn:x' } }, ['body.channelArn']],
    ['create-lecture', { rawBody: '{"title":' }, ['body']],
    ['update-lecture', { lectureId: 'not-a-uuid', body: { title: 'x' } }, ['path.lectureId']],
    ['update-lecture', { lectureId: 'known', body: {} }, ['body']],
    ['update-lecture', { lectureId: 'known', body: { capacity: -1 } }, ['body.capacity']],
    ['list-lectures', { query: { provisionId: 'known', limit: '0' } }, ['query.limit']],
    ['list-lectures', { query: {} }, ['query.provisionId']],
    ['list-lectures', { query: { provisionId: 'known', cursor: 'eyJub3QiOiJhIGtleSJ9' } }, ['query.cursor']],
    ['list-lectures', { query: { provisionId: 'known', upcoming: 'yes' } }, ['query.upcoming']],
    ['create-chat-token', { lectureId: 'known', body: { displayName: 'a\u0007b' } }, ['body.displayName']],
    [
      'create-chat-token',
      { lectureId: 'known', body: { displayName: 'x'.repeat(41) } },
      ['body.displayName'],
    ],
    ['record-presence', { lectureId: 'known', body: { seconds: 60 } }, ['body.seconds']],
    ['join-lecture', { lectureId: '../x' }, ['path.lectureId']],
  ] as const)('%s refuses bad input %j naming %j', async (route, o, fields) => {
    const before = await snapshot(world.tables.live!);
    const who: Who = route === 'record-presence' || route === 'join-lecture' ? 'learner' : 'manager';
    const input = {
      ...o,
      ...('lectureId' in o && o.lectureId === 'known' ? { lectureId } : {}),
      ...('body' in o && o.body && 'provisionId' in o.body && o.body.provisionId === 'known'
        ? { body: { ...o.body, provisionId: world.provisionId } }
        : {}),
      ...('query' in o
        ? {
            query: Object.fromEntries(
              Object.entries(o.query).map(([k, v]) => [k, v === 'known' ? world.provisionId : v]),
            ),
          }
        : {}),
    };
    const result = await call(route, who, input as Parameters<typeof call>[2]);
    expect(result.statusCode).toBe(400);
    expect(fieldsOf(result)).toEqual(fields);
    expect(await snapshot(world.tables.live!)).toBe(before);
  });

  it('cancels for staff, after which joining is refused', async () => {
    const created = await call('create-lecture', 'manager', { body: newLectureBody() });
    const id = bodyOf(created).lectureId as string;
    const cancelled = await call('cancel-lecture', 'instructor', { lectureId: id });
    expect([cancelled.statusCode, bodyOf(cancelled).state]).toEqual([200, 'cancelled']);
    expect((await call('join-lecture', 'learner', { lectureId: id })).statusCode).toBe(409);
    expect(
      (await call('update-lecture', 'manager', { lectureId: id, body: { title: 'x' } })).statusCode,
    ).toBe(409);
  });
});

describe('the stream-state target and the sweep as deployed', () => {
  it('takes a lecture live and ended from IVS events, then the sweep finds nothing to fix', async () => {
    const created = await call('create-lecture', 'manager', { body: newLectureBody() });
    const lecture = bodyOf(created) as { lectureId: string; channelArn: string };
    const event = (name: string, time: string) => ({
      version: '0',
      id: randomUUID(),
      'detail-type': 'IVS Stream State Change',
      source: 'aws.ivs',
      account: '111122223333',
      time,
      region: 'us-east-1',
      resources: [lecture.channelArn],
      detail: { event_name: name, channel_name: 'lms-handlers-x', stream_id: 'st-1' },
    });
    await onStreamState(event('Stream Start', new Date().toISOString()));
    expect(bodyOf(await call('get-lecture', 'learner', { lectureId: lecture.lectureId })).state).toBe('live');
    ivs.on(GetStreamCommand).resolves({ stream: { state: 'LIVE', startTime: new Date() } });
    await expect(sweep()).resolves.toMatchObject({ ended: 0, reconcileErrors: 0 });
    await onStreamState(event('Stream End', new Date(Date.now() + 1000).toISOString()));
    expect(bodyOf(await call('get-lecture', 'learner', { lectureId: lecture.lectureId })).state).toBe(
      'ended',
    );
    // Its schedule (the create route's, with the bus named by its environment), its start and its end.
    expect(
      bus.commandCalls(PutEventsCommand).map((c) => {
        const [entry] = c.args[0].input.Entries!;
        return [entry!.EventBusName, entry!.Source, entry!.DetailType, JSON.parse(entry!.Detail!).lectureId];
      }),
    ).toEqual(
      ['lecture.scheduled', 'lecture.started', 'live.ended'].map((type) => [
        'lms-bus',
        'lms.live',
        type,
        lecture.lectureId,
      ]),
    );
  });
});
