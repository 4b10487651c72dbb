import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IvsClient, PutMetadataCommand } from '@aws-sdk/client-ivs';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { LIVE, type QuizInput } from '#contracts/live';
import { ENV } from '#contracts/resources';
import { limiterKey, quizKey } from '#lambda/live/lecture-records';
import type { ApiEvent, ApiResult } from '#lambda/shared/http-handler';
import { LOCAL_AWS } from '#local/dynamodb-local';
import { overrideEnv } from '../env';
import { apiEvent } from '../event-fixture';
import {
  documentClient,
  dynamo,
  putLecture,
  quizTables,
  seedWorld,
  snapshot,
  type World,
} from './quiz-fixture';

/*
 * The five quiz routes as deployed: each handler module loaded after its environment is set, over tables of
 * this file's own in DynamoDB Local, IVS mocked at its SDK boundary. Who may do what (the authorization
 * matrix), which inputs are refused naming their field, and that every refusal leaves the table as it was.
 */

type Handler = (event: ApiEvent) => Promise<ApiResult>;
const ROUTES = ['create-quiz', 'list-quizzes', 'send-quiz', 'answer-quiz', 'get-quiz-results'] as const;
type RouteName = (typeof ROUTES)[number];
const QUIZLESS: readonly RouteName[] = ['create-quiz', 'list-quizzes'];

const ivs = mockClient(IvsClient);
let client: DynamoDBClient;
let ddb: DynamoDBDocumentClient;
let tables: { accessTable: string; liveTable: string };
let world: World;
let restoreEnv: () => void;
const handlers = {} as Record<RouteName, Handler>;

beforeAll(async () => {
  client = dynamo();
  ddb = documentClient(client);
  tables = await quizTables('live-quiz-routes');
  world = await seedWorld(ddb, tables.accessTable);
  restoreEnv = overrideEnv({
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: process.env.DYNAMODB_ENDPOINT!,
    [ENV.accessTable]: tables.accessTable,
    [LIVE.env.table]: tables.liveTable,
  });
  // Loaded after the environment is set, as at a cold start.
  for (const name of ROUTES) {
    handlers[name] = (
      (await import(join(__dirname, `../../../lambda/live/${name}`))) as { handler: Handler }
    ).handler;
  }
});
afterAll(() => {
  restoreEnv();
  client.destroy();
});
beforeEach(() => {
  ivs.reset();
  ivs.on(PutMetadataCommand).resolves({});
});

const quiz: QuizInput = {
  question: 'Which way does the load backrest face?',
  options: ['Towards the mast', 'Away from the mast', 'Sideways'],
  answer: 0,
  timeLimitSeconds: 60,
};

type Who = 'staff' | 'manager' | 'otherStaff' | 'learner' | 'foreignLearner' | 'stranger' | 'nobody';
const ROLES: Record<Exclude<Who, 'nobody'>, string> = {
  staff: 'instructor',
  manager: 'institution-manager',
  otherStaff: 'institution-manager',
  learner: 'learner',
  foreignLearner: 'learner',
  stranger: 'learner',
};

interface Call {
  readonly who: Who;
  readonly lectureId: string;
  readonly quizId?: string;
  readonly body?: string;
  readonly headers?: Record<string, string>;
}

async function call(route: RouteName, c: Call) {
  const sub = c.who === 'nobody' ? undefined : world.people[c.who];
  const result = await handlers[route](
    apiEvent({
      method: route.startsWith('list') || route.startsWith('get') ? 'GET' : 'POST',
      path: `/lectures/${c.lectureId}/quizzes`,
      // Only the routes of one quiz have its id in their path.
      pathParameters: {
        lectureId: c.lectureId,
        ...(c.quizId && !QUIZLESS.includes(route) ? { quizId: c.quizId } : {}),
      },
      headers: c.headers ?? (c.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(c.body !== undefined ? { body: c.body } : {}),
      ...(sub && c.who !== 'nobody'
        ? { authorizer: { sub, email: `${sub}@example.com`, roles: ROLES[c.who] } }
        : {}),
    }),
  );
  const headers = (result.headers ?? {}) as Record<string, string>;
  return {
    status: result.statusCode!,
    headers,
    body: result.body ? (JSON.parse(result.body) as Record<string, unknown>) : undefined,
    fields: result.body
      ? ((JSON.parse(result.body) as { errors?: { field: string }[] }).errors ?? []).map((e) => e.field)
      : [],
  };
}

/** A live lecture with one sent quiz (answered by nobody) and one prepared quiz. */
async function scene() {
  const lecture = await putLecture(ddb, tables.liveTable, world, 'live');
  const create = async () =>
    (await call('create-quiz', { who: 'staff', lectureId: lecture.lectureId, body: JSON.stringify(quiz) }))
      .body!.quizId as string;
  const sent = await create();
  const sending = await call('send-quiz', { who: 'staff', lectureId: lecture.lectureId, quizId: sent });
  expect([sending.status, sending.body]).toEqual([200, expect.objectContaining({ quizId: sent })]);
  return { lectureId: lecture.lectureId, sent, prepared: await create() };
}

const body = JSON.stringify;

describe('the authorization matrix', () => {
  // [route, who, expected status]; refusals must leave the live table exactly as it was.
  const matrix: [RouteName, Who, number][] = [
    ['create-quiz', 'staff', 201],
    ['create-quiz', 'manager', 201],
    ['create-quiz', 'otherStaff', 404],
    ['create-quiz', 'learner', 403],
    ['create-quiz', 'nobody', 401],
    ['list-quizzes', 'staff', 200],
    ['list-quizzes', 'learner', 200],
    ['list-quizzes', 'otherStaff', 404],
    ['list-quizzes', 'foreignLearner', 404],
    ['list-quizzes', 'stranger', 404],
    ['list-quizzes', 'nobody', 401],
    ['send-quiz', 'manager', 200],
    ['send-quiz', 'otherStaff', 404],
    ['send-quiz', 'learner', 403],
    ['answer-quiz', 'learner', 201],
    ['answer-quiz', 'foreignLearner', 404],
    ['answer-quiz', 'stranger', 404],
    ['answer-quiz', 'staff', 403],
    ['answer-quiz', 'otherStaff', 403],
    ['get-quiz-results', 'staff', 200],
    ['get-quiz-results', 'manager', 200],
    ['get-quiz-results', 'otherStaff', 404],
    ['get-quiz-results', 'learner', 403],
    ['get-quiz-results', 'foreignLearner', 403],
  ];

  it.each(matrix)('%s by %s: %i', async (route, who, status) => {
    const s = await scene();
    const quizId = route === 'send-quiz' ? s.prepared : s.sent;
    const input =
      route === 'create-quiz' ? body(quiz) : route === 'answer-quiz' ? body({ option: 1 }) : undefined;
    const before = await snapshot(ddb, tables.liveTable);
    const res = await call(route, { who, lectureId: s.lectureId, quizId, ...(input ? { body: input } : {}) });
    expect(res.status).toBe(status);
    if (status >= 400) {
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(await snapshot(ddb, tables.liveTable)).toEqual(before);
    }
  });

  it('answers 404 alike for a lecture that does not exist and one of another institution', async () => {
    const s = await scene();
    const unknown = await call('list-quizzes', { who: 'otherStaff', lectureId: randomUUID() });
    const foreign = await call('list-quizzes', { who: 'otherStaff', lectureId: s.lectureId });
    expect([unknown.status, foreign.status]).toEqual([404, 404]);
    expect(unknown.body!.detail).toBe(foreign.body!.detail);
  });

  it.each(['send-quiz', 'answer-quiz', 'get-quiz-results'] as const)(
    '%s of a quiz the lecture does not have: 404 path.quizId, nothing written',
    async (route) => {
      const s = await scene();
      const before = await snapshot(ddb, tables.liveTable);
      const res = await call(route, {
        who: route === 'answer-quiz' ? 'learner' : 'staff',
        lectureId: s.lectureId,
        quizId: randomUUID(),
        ...(route === 'answer-quiz' ? { body: body({ option: 0 }) } : {}),
      });
      expect([res.status, res.fields]).toEqual([404, ['path.quizId']]);
      expect(await snapshot(ddb, tables.liveTable)).toEqual(before);
    },
  );
});

describe('bad input', () => {
  // [route, body or undefined, named fields, status]
  const cases: [string, RouteName, string | undefined, string[], number?][] = [
    ['no question', 'create-quiz', body({ ...quiz, question: undefined }), ['body.question']],
    ['a blank question', 'create-quiz', body({ ...quiz, question: '   ' }), ['body.question']],
    ['one option', 'create-quiz', body({ ...quiz, options: ['only'] }), ['body.options']],
    ['seven options', 'create-quiz', body({ ...quiz, options: [...'abcdefg'] }), ['body.options']],
    ['an empty option', 'create-quiz', body({ ...quiz, options: ['a', ''] }), ['body.options.1']],
    ['a negative answer', 'create-quiz', body({ ...quiz, answer: -1 }), ['body.answer']],
    ['an answer past the options', 'create-quiz', body({ ...quiz, answer: 3 }), ['body.answer']],
    [
      'a fractional time limit',
      'create-quiz',
      body({ ...quiz, timeLimitSeconds: 10.5 }),
      ['body.timeLimitSeconds'],
    ],
    ['a time limit of 4 s', 'create-quiz', body({ ...quiz, timeLimitSeconds: 4 }), ['body.timeLimitSeconds']],
    ['an unknown field', 'create-quiz', body({ ...quiz, correct: 0 }), ['body.correct']],
    [
      'a long explanation',
      'create-quiz',
      body({ ...quiz, explanation: 'e'.repeat(1001) }),
      ['body.explanation'],
    ],
    ['no JSON', 'create-quiz', '{"question":', ['body']],
    ['a text option', 'answer-quiz', body({ option: 'a' }), ['body.option']],
    ['option 6', 'answer-quiz', body({ option: 6 }), ['body.option']],
    ['an option past the quiz’s', 'answer-quiz', body({ option: 3 }), ['body.option']],
    ['no option', 'answer-quiz', body({}), ['body.option']],
    ['an array body', 'answer-quiz', body([0]), ['body']],
  ];

  it.each(cases)('%s (%s): 400 naming it, nothing written', async (_, route, input, named, status = 400) => {
    const s = await scene();
    const before = await snapshot(ddb, tables.liveTable);
    const res = await call(route, {
      who: route === 'answer-quiz' ? 'learner' : 'staff',
      lectureId: s.lectureId,
      quizId: s.sent,
      ...(input !== undefined ? { body: input } : {}),
    });
    expect([res.status, res.fields]).toEqual([status, named]);
    expect(await snapshot(ddb, tables.liveTable)).toEqual(before);
  });

  it.each(ROUTES)('%s refuses malformed path ids, naming each', async (route) => {
    const takesQuiz = !QUIZLESS.includes(route);
    const res = await call(route, {
      who: route === 'answer-quiz' ? 'learner' : 'staff',
      lectureId: 'lecture-1',
      ...(takesQuiz ? { quizId: '../1' } : {}),
      ...(route === 'create-quiz'
        ? { body: body(quiz) }
        : route === 'answer-quiz'
          ? { body: body({ option: 0 }) }
          : {}),
    });
    expect([res.status, res.fields]).toEqual([
      400,
      takesQuiz ? ['path.lectureId', 'path.quizId'] : ['path.lectureId'],
    ]);
  });

  it('refuses a body that is not JSON by its content type (415 headers.content-type)', async () => {
    const s = await scene();
    const res = await call('answer-quiz', {
      who: 'learner',
      lectureId: s.lectureId,
      quizId: s.sent,
      body: 'option=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect([res.status, res.fields]).toEqual([415, ['headers.content-type']]);
  });
});

describe('send-quiz under a full channel queue', () => {
  it('answers 503 problem+json with Retry-After, the quiz left unsent and IVS not called', async () => {
    const s = await scene();
    const { Item: lecture } = await ddb.send(
      new GetCommand({ TableName: tables.liveTable, Key: { pk: `lecture#${s.lectureId}`, sk: 'meta' } }),
    );
    // Another sender's burst holds the channel's slots for the next minute.
    await ddb.send(
      new PutCommand({
        TableName: tables.liveTable,
        Item: { ...limiterKey(lecture!.channelArn as string), nextFree: Date.now() + 60_000 },
      }),
    );
    ivs.reset();
    const res = await call('send-quiz', { who: 'staff', lectureId: s.lectureId, quizId: s.prepared });
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(50);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(res.body).toMatchObject({
      status: 503,
      detail: expect.stringMatching(/^The channel's timed metadata queue is full; try again in \d+ s$/),
      requestId: expect.any(String),
    });
    expect(ivs).toHaveReceivedCommandTimes(PutMetadataCommand, 0);
    const { Item: stored } = await ddb.send(
      new GetCommand({
        TableName: tables.liveTable,
        Key: quizKey(s.lectureId, s.prepared),
        ConsistentRead: true,
      }),
    );
    expect(stored!.sentAt).toBeUndefined();
  });
});
