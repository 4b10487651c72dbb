import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IvsClient, PutMetadataCommand } from '@aws-sdk/client-ivs';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { IVS_LIMITS, type QuizInput, quizMetadataBytes } from '#contracts/live';
import { HttpError } from '#contracts/problem';
import { answerKey, type Lecture, quizKey } from '#lambda/live/lecture-records';
import {
  answerQuiz,
  createQuiz,
  listQuizzes,
  type QuizDeps,
  quizResults,
  sendQuiz,
} from '#lambda/live/quizzes';
import {
  documentClient,
  dynamo,
  enroll,
  putLecture,
  quizDepsFor,
  quizTables,
  seedWorld,
  snapshot,
  VirtualClock,
  type World,
} from './quiz-fixture';

/*
 * The quiz domain on DynamoDB Local with a clock the test moves: who may prepare, send, answer and read a
 * quiz, what each sees, and that refusals write nothing. IVS is mocked at its SDK boundary.
 */

const ivs = mockClient(IvsClient);
const T0 = new Date('2026-12-07T09:20:00.000Z');
let client: DynamoDBClient;
let ddb: DynamoDBDocumentClient;
let tables: { accessTable: string; liveTable: string };
let world: World;
let clock: VirtualClock;
let deps: QuizDeps;

beforeAll(async () => {
  client = dynamo();
  ddb = documentClient(client);
  tables = await quizTables('live-quiz-domain');
  world = await seedWorld(ddb, tables.accessTable);
});
afterAll(() => client.destroy());
beforeEach(() => {
  ivs.reset();
  ivs.on(PutMetadataCommand).resolves({});
  clock = new VirtualClock(T0);
  deps = quizDepsFor(ddb, tables, clock);
});

const quiz: QuizInput = {
  question: 'What must you do before lifting a load above the rated capacity?',
  options: ['Lift it slowly', 'Nothing: never lift it', 'Ask a colleague to counterweight'],
  answer: 1,
  explanation: 'The rated capacity is a hard limit.',
  timeLimitSeconds: 20,
};

async function refusal(work: Promise<unknown>): Promise<HttpError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpError);
  return error as HttpError;
}
const fields = (e: HttpError) => e.errors?.map((f) => f.field);

const getItem = async (key: Record<string, string>) =>
  (await ddb.send(new GetCommand({ TableName: tables.liveTable, Key: key, ConsistentRead: true }))).Item;

async function liveQuiz(
  input: QuizInput = quiz,
): Promise<{ lecture: Lecture; quizId: string; deadline: string }> {
  const lecture = await putLecture(ddb, tables.liveTable, world, 'live');
  const { quizId } = await createQuiz(deps, { sub: world.people.staff }, lecture.lectureId, input);
  const { deadline } = await sendQuiz(deps, { sub: world.people.manager }, lecture.lectureId, quizId);
  return { lecture, quizId, deadline };
}

describe('createQuiz', () => {
  it('stores the quiz as staff wrote it, answer and explanation included, in the item shape others read', async () => {
    const lecture = await putLecture(ddb, tables.liveTable, world, 'scheduled');
    const created = await createQuiz(deps, { sub: world.people.staff }, lecture.lectureId, quiz);
    expect(created).toEqual({
      quizId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      ...quiz,
      createdBy: world.people.staff,
      createdAt: T0.toISOString(),
      state: 'prepared',
      metadataBytes: quizMetadataBytes(quiz),
    });
    expect(await getItem(quizKey(lecture.lectureId, created.quizId))).toEqual({
      ...quizKey(lecture.lectureId, created.quizId),
      quizId: created.quizId,
      ...quiz,
      createdBy: world.people.staff,
      createdAt: T0.toISOString(),
    });
  });

  it('answers a retried create with the quiz its first try wrote, until that one is sent', async () => {
    const lecture = await putLecture(ddb, tables.liveTable, world, 'live');
    const staff = { sub: world.people.staff };
    const first = await createQuiz(deps, staff, lecture.lectureId, quiz);
    expect(await createQuiz(deps, staff, lecture.lectureId, quiz)).toEqual(first);
    // Another author's same quiz is theirs.
    const other = await createQuiz(deps, { sub: world.people.manager }, lecture.lectureId, quiz);
    expect(other.quizId).not.toBe(first.quizId);
    await sendQuiz(deps, staff, lecture.lectureId, first.quizId);
    // Sent, the same question asked again is a new quiz.
    const again = await createQuiz(deps, staff, lecture.lectureId, quiz);
    expect([again.quizId === first.quizId, again.state]).toEqual([false, 'prepared']);
    const quizzes = await listQuizzes(deps, staff, lecture.lectureId);
    expect(quizzes.quizzes.map((q) => q.quizId).sort()).toEqual(
      [first.quizId, other.quizId, again.quizId].sort(),
    );
  });

  it('refuses an answer that is not one of the options (400 body.answer), writing nothing', async () => {
    const lecture = await putLecture(ddb, tables.liveTable, world, 'live');
    const before = await snapshot(ddb, tables.liveTable);
    const e = await refusal(
      createQuiz(deps, { sub: world.people.staff }, lecture.lectureId, { ...quiz, answer: 3 }),
    );
    expect([e.status, fields(e)]).toEqual([400, ['body.answer']]);
    expect(await snapshot(ddb, tables.liveTable)).toEqual(before);
  });

  it.each([
    ['a long question', { question: 'Q'.repeat(300) + '한'.repeat(200) }, ['body.question']],
    ['long options', { options: Array.from({ length: 6 }, (_, i) => `${i}`.repeat(190)) }, ['body.options']],
    [
      'both long',
      { question: '"'.repeat(480), options: Array.from({ length: 3 }, () => '한'.repeat(160)) },
      ['body.question', 'body.options'],
    ],
  ])(
    'refuses a quiz too large for IVS’s timed metadata (%s), naming the field, its size and the limit',
    async (_, change, named) => {
      const lecture = await putLecture(ddb, tables.liveTable, world, 'live');
      const big = { ...quiz, ...change };
      const size = quizMetadataBytes(big);
      expect(size).toBeGreaterThan(IVS_LIMITS.metadataBytes);
      const before = await snapshot(ddb, tables.liveTable);
      const e = await refusal(createQuiz(deps, { sub: world.people.staff }, lecture.lectureId, big));
      expect([e.status, fields(e)]).toEqual([400, named]);
      expect(e.detail).toBe(`The quiz is ${size} bytes as timed metadata; IVS takes at most 1024`);
      for (const f of e.errors!)
        expect(f.message).toMatch(new RegExp(`of the quiz's ${size}-byte form.*at most 1024 bytes`));
      expect(await snapshot(ddb, tables.liveTable)).toEqual(before);
    },
  );

  it('takes a quiz of exactly 1 KB of metadata', async () => {
    const lecture = await putLecture(ddb, tables.liveTable, world, 'live');
    const base = { ...quiz, question: '' };
    const question = 'q'.repeat(IVS_LIMITS.metadataBytes - quizMetadataBytes(base));
    const created = await createQuiz(deps, { sub: world.people.staff }, lecture.lectureId, {
      ...base,
      question,
    });
    expect(created.metadataBytes).toBe(1024);
  });

  it.each(['ended', 'cancelled'] as const)('refuses a quiz for a lecture that is %s (409)', async (state) => {
    const lecture = await putLecture(ddb, tables.liveTable, world, state);
    const e = await refusal(createQuiz(deps, { sub: world.people.staff }, lecture.lectureId, quiz));
    expect(e.status).toBe(409);
  });
});

describe('sendQuiz', () => {
  it('sends a quiz once: two sends at the same moment make one PutMetadata and one 409', async () => {
    const lecture = await putLecture(ddb, tables.liveTable, world, 'live');
    const { quizId } = await createQuiz(deps, { sub: world.people.staff }, lecture.lectureId, quiz);
    const outcomes = await Promise.allSettled([
      clock.run(() => sendQuiz(deps, { sub: world.people.staff }, lecture.lectureId, quizId)),
      clock.run(() => sendQuiz(deps, { sub: world.people.manager }, lecture.lectureId, quizId)),
    ]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect((rejected.reason as HttpError).status).toBe(409);
    expect(ivs).toHaveReceivedCommandTimes(PutMetadataCommand, 1);
    const again = await refusal(sendQuiz(deps, { sub: world.people.staff }, lecture.lectureId, quizId));
    expect(again.status).toBe(409);
    expect(ivs).toHaveReceivedCommandTimes(PutMetadataCommand, 1);
  });

  it('refuses while the lecture is not live (409), marking nothing', async () => {
    const lecture = await putLecture(ddb, tables.liveTable, world, 'scheduled');
    const { quizId } = await createQuiz(deps, { sub: world.people.staff }, lecture.lectureId, quiz);
    const e = await refusal(sendQuiz(deps, { sub: world.people.staff }, lecture.lectureId, quizId));
    expect(e.status).toBe(409);
    expect((await getItem(quizKey(lecture.lectureId, quizId)))!.sentAt).toBeUndefined();
    expect(ivs).toHaveReceivedCommandTimes(PutMetadataCommand, 0);
  });
});

describe('answerQuiz', () => {
  it('takes one answer, acknowledged without its correctness; a second is 409 and changes nothing', async () => {
    const { lecture, quizId } = await liveQuiz();
    const sub = world.people.learner;
    expect(await answerQuiz(deps, { sub }, lecture.lectureId, quizId, { option: 2 })).toEqual({
      received: true,
      quizId,
      option: 2,
      answeredAt: T0.toISOString(),
    });
    const stored = {
      ...answerKey(lecture.lectureId, quizId, sub),
      quizId,
      userSub: sub,
      enrollmentId: world.enrollments[sub],
      option: 2,
      correct: false,
      answeredAt: T0.toISOString(),
    };
    expect(await getItem(answerKey(lecture.lectureId, quizId, sub))).toEqual(stored);
    clock.set(new Date(T0.getTime() + 5000));
    const second = await refusal(answerQuiz(deps, { sub }, lecture.lectureId, quizId, { option: 1 }));
    expect(second.status).toBe(409);
    expect(await getItem(answerKey(lecture.lectureId, quizId, sub))).toEqual(stored);
  });

  it('takes an answer at the deadline and refuses one a millisecond after (409 The quiz is closed)', async () => {
    const { lecture, quizId, deadline } = await liveQuiz();
    clock.set(new Date(deadline));
    await answerQuiz(deps, { sub: world.people.learner }, lecture.lectureId, quizId, { option: 1 });
    clock.set(new Date(Date.parse(deadline) + 1));
    const before = await snapshot(ddb, tables.liveTable);
    const late = await refusal(
      answerQuiz(deps, { sub: world.people.learner2 }, lecture.lectureId, quizId, { option: 1 }),
    );
    expect([late.status, late.detail]).toEqual([409, 'The quiz is closed']);
    expect(await snapshot(ddb, tables.liveTable)).toEqual(before);
  });

  it('refuses an option the quiz does not have (400 body.option) and a quiz not yet sent (404)', async () => {
    const { lecture, quizId } = await liveQuiz();
    const e = await refusal(
      answerQuiz(deps, { sub: world.people.learner }, lecture.lectureId, quizId, { option: 3 }),
    );
    expect([e.status, fields(e)]).toEqual([400, ['body.option']]);
    const { quizId: unsent } = await createQuiz(deps, { sub: world.people.staff }, lecture.lectureId, quiz);
    const hidden = await refusal(
      answerQuiz(deps, { sub: world.people.learner }, lecture.lectureId, unsent, { option: 1 }),
    );
    expect([hidden.status, fields(hidden)]).toEqual([404, ['path.quizId']]);
  });
});

describe('listQuizzes', () => {
  it('shows staff every quiz with its answer, and learners the sent ones, revealing the answer once closed', async () => {
    const { lecture, quizId, deadline } = await liveQuiz();
    // Prepared later: quizzes list in the order they were prepared.
    clock.set(new Date(T0.getTime() + 1000));
    const { quizId: prepared } = await createQuiz(deps, { sub: world.people.staff }, lecture.lectureId, {
      ...quiz,
      question: 'Not sent yet',
    });
    await answerQuiz(deps, { sub: world.people.learner }, lecture.lectureId, quizId, { option: 1 });

    const staff = await listQuizzes(deps, { sub: world.people.staff }, lecture.lectureId);
    expect(staff.quizzes.map((q) => [q.quizId, q.state, q.answer])).toEqual([
      [quizId, 'open', 1],
      [prepared, 'prepared', 1],
    ]);

    const open = await listQuizzes(deps, { sub: world.people.learner }, lecture.lectureId);
    expect(open.quizzes).toEqual([
      {
        quizId,
        question: quiz.question,
        options: quiz.options,
        timeLimitSeconds: 20,
        sentAt: T0.toISOString(),
        deadline,
        state: 'open',
        yourAnswer: { option: 1, answeredAt: new Date(T0.getTime() + 1000).toISOString() },
      },
    ]);
    const other = await listQuizzes(deps, { sub: world.people.learner2 }, lecture.lectureId);
    expect(other.quizzes[0]).not.toHaveProperty('yourAnswer');
    expect(other.quizzes[0]).not.toHaveProperty('answer');

    clock.set(new Date(Date.parse(deadline) + 1));
    const closed = await listQuizzes(deps, { sub: world.people.learner }, lecture.lectureId);
    expect(closed.quizzes[0]).toMatchObject({
      state: 'closed',
      answer: 1,
      explanation: quiz.explanation,
      yourAnswer: { option: 1, correct: true },
    });
  });
});

describe('quizResults', () => {
  it('counts 200 concurrent answers exactly, per option, with the correct rate', async () => {
    const { lecture, quizId } = await liveQuiz();
    const learners = Array.from({ length: 200 }, (_, i) => `crowd-${i}-${lecture.lectureId.slice(0, 8)}`);
    await enroll(ddb, tables.accessTable, world, learners);
    const outcomes = await Promise.allSettled(
      learners.map((sub, i) => answerQuiz(deps, { sub }, lecture.lectureId, quizId, { option: i % 3 })),
    );
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    const results = await quizResults(deps, { sub: world.people.staff }, lecture.lectureId, quizId);
    expect(results).toEqual({
      quizId,
      state: 'open',
      sentAt: T0.toISOString(),
      deadline: expect.any(String),
      answer: 1,
      counts: [67, 67, 66],
      total: 200,
      correct: 67,
      correctRate: 67 / 200,
    });
  });

  it('reports a quiz nobody answered yet with a null rate', async () => {
    const lecture = await putLecture(ddb, tables.liveTable, world, 'live');
    const { quizId } = await createQuiz(deps, { sub: world.people.staff }, lecture.lectureId, quiz);
    expect(await quizResults(deps, { sub: world.people.manager }, lecture.lectureId, quizId)).toEqual({
      quizId,
      state: 'prepared',
      answer: 1,
      counts: [0, 0, 0],
      total: 0,
      correct: 0,
      correctRate: null,
    });
  });
});
