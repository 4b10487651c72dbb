import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { ChannelNotBroadcasting, ResourceNotFoundException } from '@aws-sdk/client-ivs';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Identity } from '#contracts/access-token';
import { IVS_LIMITS, LIVE, quizMetadata, quizMetadataBytes, type QuizInput } from '#contracts/live';
import { HttpError, type FieldProblem } from '#contracts/problem';
import { enrollmentIn } from '../access/access';
import { getItems } from '../shared/batch-get';
import { derivedUuid } from '../shared/derived-id';
import { SharedReads } from '../shared/shared-reads';
import { answerKey, type Lecture, lectureKey, quizKey } from './lecture-records';
import { accessLecture, lectureHome, type LiveAccessDeps } from './live-access';
import { type MetadataLimiterDeps, putMetadataInSlot, reserveMetadataSlot } from './metadata-limiter';
import { countLiveMetric } from './live-metrics';
import { writeIf } from '../shared/write-if';

/*
 * Live quizzes: staff prepare a quiz for a lecture, send it on the live channel as timed metadata (once),
 * learners answer it once before its deadline by the server's clock, and staff read the results counted
 * from the answers themselves. The correct option and the explanation are the staff's until the deadline
 * has passed: a learner's answer is acknowledged, not judged, so nobody can pass the answer on while the
 * quiz is open; the player reveals both from the list of quizzes once the deadline is over.
 */

export interface QuizDeps extends LiveAccessDeps, MetadataLimiterDeps {
  readonly ddb: DynamoDBDocumentClient;
}

type Caller = Pick<Identity, 'sub'>;

/** lecture#<id> / quiz#<quizId>: the attendance report and live.ended read it too. */
export interface QuizItem {
  readonly quizId: string;
  readonly question: string;
  readonly options: readonly string[];
  readonly answer: number;
  readonly explanation?: string;
  readonly timeLimitSeconds: number;
  readonly createdBy: string;
  readonly createdAt: string;
  /** When the quiz went on the channel, and until when it takes answers (ISO 8601). Set together, once. */
  readonly sentAt?: string;
  readonly deadline?: string;
}

/** lecture#<id> / answer#<quizId>#<sub>: one learner's one answer. */
export interface AnswerItem {
  readonly quizId: string;
  readonly userSub: string;
  readonly enrollmentId: string;
  readonly option: number;
  readonly correct: boolean;
  readonly answeredAt: string;
}

/** A quiz as staff see it: everything, and whether it is still open. */
export interface StaffQuiz extends QuizItem {
  readonly state: 'prepared' | 'open' | 'closed';
}

/** A sent quiz as a learner sees it: the answer and explanation only once it is closed. */
export interface LearnerQuiz {
  readonly quizId: string;
  readonly question: string;
  readonly options: readonly string[];
  readonly timeLimitSeconds: number;
  readonly sentAt: string;
  readonly deadline: string;
  readonly state: 'open' | 'closed';
  readonly answer?: number;
  readonly explanation?: string;
  /** The caller's own answer; whether it was correct once the quiz is closed. */
  readonly yourAnswer?: { readonly option: number; readonly answeredAt: string; readonly correct?: boolean };
}

export interface QuizResults {
  readonly quizId: string;
  readonly state: StaffQuiz['state'];
  readonly sentAt?: string;
  readonly deadline?: string;
  readonly answer: number;
  /** Answers per option, by the option's index. */
  readonly counts: readonly number[];
  readonly total: number;
  readonly correct: number;
  /** correct / total; null before the first answer. */
  readonly correctRate: number | null;
}

const noSuchQuiz = () =>
  new HttpError(404, 'No such quiz', [
    { field: 'path.quizId', message: 'this lecture has no quiz with this id' },
  ]);

const stateOf = (quiz: QuizItem, now: Date): StaffQuiz['state'] =>
  quiz.deadline === undefined ? 'prepared' : now.getTime() <= Date.parse(quiz.deadline) ? 'open' : 'closed';

const utf8Bytes = (s: string) => new TextEncoder().encode(s).length;

/**
 * The fields that make a quiz's metadata too large for IVS, each with its size: a field is named when it
 * takes more than half the room the metadata leaves for text, so at least one always is, and both when
 * both are large.
 */
export function oversizeProblems(quiz: Pick<QuizInput, 'question' | 'options'>): FieldProblem[] {
  const size = quizMetadataBytes(quiz);
  if (size <= IVS_LIMITS.metadataBytes) return [];
  const room = IVS_LIMITS.metadataBytes - quizMetadataBytes({ question: '', options: [] });
  // As JSON encodes them (quotes and escapes included), without the empty string's or list's own brackets.
  const fields = [
    { field: 'body.question', what: 'the question', bytes: utf8Bytes(JSON.stringify(quiz.question)) - 2 },
    { field: 'body.options', what: 'the options', bytes: utf8Bytes(JSON.stringify(quiz.options)) - 2 },
  ];
  return fields
    .filter((f) => f.bytes > room / 2)
    .map((f) => ({
      field: f.field,
      message:
        `${f.what} take ${f.bytes} bytes of the quiz's ${size}-byte form on the channel; ` +
        `IVS takes at most ${IVS_LIMITS.metadataBytes} bytes of timed metadata`,
    }));
}

async function getQuiz(deps: QuizDeps, lectureId: string, quizId: string): Promise<QuizItem | undefined> {
  const { Item } = await deps.ddb.send(
    new GetCommand({ TableName: deps.liveTable, Key: quizKey(lectureId, quizId), ConsistentRead: true }),
  );
  return Item as QuizItem | undefined;
}

/** Every item of the lecture under one sort-key prefix, all pages, read after every write so far. */
async function queryPrefix<T>(
  deps: QuizDeps,
  lectureId: string,
  prefix: string,
  projection?: { readonly expression: string; readonly names: Record<string, string> },
) {
  const items: T[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await deps.ddb.send(
      new QueryCommand({
        TableName: deps.liveTable,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': lectureKey(lectureId).pk, ':prefix': prefix },
        ConsistentRead: true,
        ...(projection
          ? { ProjectionExpression: projection.expression, ExpressionAttributeNames: projection.names }
          : {}),
        ExclusiveStartKey,
      }),
    );
    items.push(...((page.Items ?? []) as T[]));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return items;
}

const notTakingQuizzes = (lecture: Lecture) =>
  new HttpError(409, `The lecture is ${lecture.state}; quizzes are prepared for scheduled or live lectures`);

/** Prepares a quiz (staff of the lecture's institution, while the lecture is scheduled or live). */
export async function createQuiz(
  deps: QuizDeps,
  caller: Caller,
  lectureId: string,
  input: QuizInput,
): Promise<StaffQuiz & { readonly metadataBytes: number }> {
  const { lecture } = await accessLecture(deps, caller, lectureId, 'staff');
  if (lecture.state !== 'scheduled' && lecture.state !== 'live') throw notTakingQuizzes(lecture);
  if (input.answer >= input.options.length) {
    throw new HttpError(400, 'Invalid body.answer', [
      { field: 'body.answer', message: `must be the index of one of the ${input.options.length} options` },
    ]);
  }
  const oversize = oversizeProblems(input);
  if (oversize.length > 0) {
    throw new HttpError(
      400,
      `The quiz is ${quizMetadataBytes(input)} bytes as timed metadata; IVS takes at most ${IVS_LIMITS.metadataBytes}`,
      oversize,
    );
  }
  const content = {
    question: input.question,
    options: input.options,
    answer: input.answer,
    ...(input.explanation ? { explanation: input.explanation } : {}),
    timeLimitSeconds: input.timeLimitSeconds,
  };
  const now = deps.now();
  const metadataBytes = quizMetadataBytes(input);
  const put = async (quizId: string): Promise<QuizItem | undefined> => {
    const quiz: QuizItem = { quizId, ...content, createdBy: caller.sub, createdAt: now.toISOString() };
    const written = await writeIf(
      deps.ddb,
      new PutCommand({
        TableName: deps.liveTable,
        Item: { ...quizKey(lectureId, quizId), ...quiz },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return written ? quiz : undefined;
  };
  // The same quiz retried (after a timeout) finds the one its first try wrote while that is still prepared;
  // once it is sent, asking the same question again is a new quiz.
  const sameQuizId = derivedUuid('quiz', lectureId, caller.sub, content);
  const created = await put(sameQuizId);
  if (created) return { ...staffView(created, now), metadataBytes };
  const first = await getQuiz(deps, lectureId, sameQuizId);
  if (first && first.sentAt === undefined) return { ...staffView(first, now), metadataBytes };
  const again = await put(randomUUID());
  if (!again) throw new Error('A random quiz id was taken');
  return { ...staffView(again, now), metadataBytes };
}

/** The quiz's own fields, without the item's keys. */
const staffView = (q: QuizItem, now: Date): StaffQuiz => ({
  quizId: q.quizId,
  question: q.question,
  options: q.options,
  answer: q.answer,
  ...(q.explanation ? { explanation: q.explanation } : {}),
  timeLimitSeconds: q.timeLimitSeconds,
  createdBy: q.createdBy,
  createdAt: q.createdAt,
  ...(q.sentAt ? { sentAt: q.sentAt, deadline: q.deadline! } : {}),
  state: stateOf(q, now),
});

/**
 * The lecture's quizzes in the order they were prepared: all of them, with answers, for staff; for an
 * enrolled learner the sent ones, with the answer and explanation once closed, and the learner's own answer.
 */
export async function listQuizzes(
  deps: QuizDeps,
  caller: Caller,
  lectureId: string,
): Promise<{ readonly quizzes: readonly (StaffQuiz | LearnerQuiz)[] }> {
  const access = await accessLecture(deps, caller, lectureId, 'any');
  const now = deps.now();
  const quizzes = (await queryPrefix<QuizItem>(deps, lectureId, 'quiz#')).sort(
    (a, b) => a.createdAt.localeCompare(b.createdAt) || a.quizId.localeCompare(b.quizId),
  );
  if (access.as === 'staff') return { quizzes: quizzes.map((q) => staffView(q, now)) };
  const sent = quizzes.filter((q) => q.sentAt !== undefined && q.deadline !== undefined);
  const mine = await ownAnswers(deps, lectureId, caller.sub, sent);
  return {
    quizzes: sent.map((quiz): LearnerQuiz => {
      const closed = stateOf(quiz, now) === 'closed';
      const own = mine.get(quiz.quizId);
      return {
        quizId: quiz.quizId,
        question: quiz.question,
        options: quiz.options,
        timeLimitSeconds: quiz.timeLimitSeconds,
        sentAt: quiz.sentAt!,
        deadline: quiz.deadline!,
        state: closed ? 'closed' : 'open',
        ...(closed ? { answer: quiz.answer } : {}),
        ...(closed && quiz.explanation ? { explanation: quiz.explanation } : {}),
        ...(own
          ? {
              yourAnswer: {
                option: own.option,
                answeredAt: own.answeredAt,
                ...(closed ? { correct: own.correct } : {}),
              },
            }
          : {}),
      };
    }),
  };
}

async function ownAnswers(deps: QuizDeps, lectureId: string, sub: string, quizzes: readonly QuizItem[]) {
  const answers = await getItems<AnswerItem>(
    deps.ddb,
    quizzes.map((q) => ({
      table: deps.liveTable,
      key: answerKey(lectureId, q.quizId, sub),
      consistent: true,
    })),
  );
  return new Map(answers.filter((a) => a !== undefined).map((a) => [a.quizId, a]));
}

/**
 * Sends a prepared quiz on the live lecture's channel: marks it sent (once: a second send is 409), with its
 * deadline counted from its slot on the channel, then puts the metadata through the channel's limiter. If
 * IVS refuses for good, the mark is undone so the quiz can be sent again.
 */
export async function sendQuiz(
  deps: QuizDeps,
  caller: Caller,
  lectureId: string,
  quizId: string,
): Promise<{ readonly quizId: string; readonly sentAt: string; readonly deadline: string }> {
  const [{ lecture }, quiz] = await Promise.all([
    accessLecture(deps, caller, lectureId, 'staff'),
    getQuiz(deps, lectureId, quizId),
  ]);
  if (!quiz) throw noSuchQuiz();
  if (quiz.sentAt !== undefined) throw alreadySent(quiz.sentAt);
  if (lecture.state !== 'live') {
    throw new HttpError(409, `The lecture is ${lecture.state}; quizzes are sent while it is live`);
  }
  // The first slot is reserved before the mark, so the deadline counts from when the quiz reaches the channel,
  // not from when the send was asked for (a burst may queue it for seconds).
  const slot = await reserveMetadataSlot(deps, lecture.channelArn);
  const sentAt = new Date(Math.max(slot, deps.now().getTime()));
  const deadline = new Date(sentAt.getTime() + quiz.timeLimitSeconds * 1000);
  const mark = { ':sentAt': sentAt.toISOString(), ':deadline': deadline.toISOString() };
  try {
    await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.liveTable,
        Key: quizKey(lectureId, quizId),
        UpdateExpression: 'SET sentAt = :sentAt, deadline = :deadline',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(sentAt)',
        ExpressionAttributeValues: mark,
      }),
    );
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException) throw alreadySent();
    throw e;
  }
  try {
    await putMetadataInSlot(
      deps,
      lecture.channelArn,
      quizMetadata(quizId, { question: quiz.question, options: [...quiz.options] }, deadline),
      slot,
    );
  } catch (e) {
    await unmark(deps, lectureId, quizId, mark[':sentAt']);
    // The lecture's state follows IVS's events, which may be late: IVS itself may know the stream stopped.
    if (e instanceof ChannelNotBroadcasting) {
      throw new HttpError(
        409,
        'The lecture’s channel is not broadcasting; start the stream, then send the quiz',
      );
    }
    if (e instanceof ResourceNotFoundException) {
      throw new HttpError(409, 'The lecture’s channel no longer exists in IVS');
    }
    // Learners did not get the quiz at its moment of the lecture: staff should know at once.
    countLiveMetric(LIVE.metrics.quizSendFailures, 1);
    throw e;
  }
  return { quizId, sentAt: mark[':sentAt'], deadline: mark[':deadline'] };
}

const alreadySent = (sentAt?: string) =>
  new HttpError(409, sentAt ? `The quiz was already sent at ${sentAt}` : 'The quiz was already sent');

/** Takes back this send's own mark (not another's): the quiz never reached the channel. */
async function unmark(deps: QuizDeps, lectureId: string, quizId: string, sentAt: string) {
  await writeIf(
    deps.ddb,
    new UpdateCommand({
      TableName: deps.liveTable,
      Key: quizKey(lectureId, quizId),
      UpdateExpression: 'REMOVE sentAt, deadline',
      ConditionExpression: 'sentAt = :sentAt',
      ExpressionAttributeValues: { ':sentAt': sentAt },
    }),
  );
}

/**
 * A sent quiz changes no more (its deadline is set once), except when its send is undone because IVS
 * refused it for good, and then nobody has seen it. Kept for a second: a forged answer to a quiz whose send
 * was just undone is the most this lets in, and the burst of answers after a send reads the quiz once.
 */
const SENT_QUIZ_KEEP_MS = 1000;
const sentQuizzes = new SharedReads<QuizItem | undefined>(
  SENT_QUIZ_KEEP_MS,
  (q) => q?.deadline !== undefined,
);

/**
 * The caller's enrollment in the lecture's provision, as accessLecture(…, 'learner') decides it: an enrolled
 * caller in one read of the projection once the lecture's home is known; anyone else through accessLecture,
 * which gives the refusal every live route gives (404 outside the lecture, 403 for its staff).
 */
async function learnerEnrollment(deps: QuizDeps, caller: Caller, lectureId: string): Promise<string> {
  const home = await lectureHome(deps, lectureId);
  const enrollment =
    home && (await enrollmentIn(deps.ddb, deps.accessTable, caller.sub, home.courseId, home.provisionId));
  if (enrollment) return enrollment.enrollmentId;
  const access = await accessLecture(deps, caller, lectureId, 'learner');
  if (access.as !== 'learner') throw new HttpError(403, 'Only enrolled learners may do this');
  return access.enrollmentId;
}

/**
 * A learner's one answer, before the deadline by the server's clock. Acknowledged without saying whether it
 * is right: the answer is revealed to everyone together when the quiz closes.
 */
export async function answerQuiz(
  deps: QuizDeps,
  caller: Caller,
  lectureId: string,
  quizId: string,
  input: { readonly option: number },
): Promise<{
  readonly received: true;
  readonly quizId: string;
  readonly option: number;
  readonly answeredAt: string;
}> {
  const [enrollmentId, quiz] = await Promise.all([
    learnerEnrollment(deps, caller, lectureId),
    sentQuizzes.get(`${deps.liveTable}/${lectureId}/${quizId}`, deps.now(), () =>
      getQuiz(deps, lectureId, quizId),
    ),
  ]);
  // A quiz not yet sent is as unknown to learners as one that does not exist.
  if (!quiz || quiz.deadline === undefined) throw noSuchQuiz();
  const now = deps.now();
  if (now.getTime() > Date.parse(quiz.deadline)) {
    throw new HttpError(409, 'The quiz is closed', [
      { field: 'path.quizId', message: `the quiz took answers until ${quiz.deadline}` },
    ]);
  }
  if (input.option >= quiz.options.length) {
    throw new HttpError(400, 'Invalid body.option', [
      { field: 'body.option', message: `must be the index of one of the ${quiz.options.length} options` },
    ]);
  }
  const answer: AnswerItem = {
    quizId,
    userSub: caller.sub,
    enrollmentId,
    option: input.option,
    correct: input.option === quiz.answer,
    answeredAt: now.toISOString(),
  };
  try {
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.liveTable,
        Item: { ...answerKey(lectureId, quizId, caller.sub), ...answer },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException) {
      throw new HttpError(409, 'You already answered this quiz', [
        { field: 'path.quizId', message: 'one answer per learner; the first one counts' },
      ]);
    }
    throw e;
  }
  return { received: true, quizId, option: answer.option, answeredAt: answer.answeredAt };
}

/** Answers per option and the correct rate, counted from the answers themselves (staff). */
export async function quizResults(
  deps: QuizDeps,
  caller: Caller,
  lectureId: string,
  quizId: string,
): Promise<QuizResults> {
  const [, quiz] = await Promise.all([
    accessLecture(deps, caller, lectureId, 'staff'),
    getQuiz(deps, lectureId, quizId),
  ]);
  if (!quiz) throw noSuchQuiz();
  // Counted from the answer items, not kept in a counter item that every answer would contend for.
  const answers = await queryPrefix<Pick<AnswerItem, 'option' | 'correct'>>(
    deps,
    lectureId,
    `answer#${quizId}#`,
    // OPTION is one of DynamoDB's reserved words.
    { expression: '#option, correct', names: { '#option': 'option' } },
  );
  const counts = quiz.options.map(() => 0);
  let correct = 0;
  for (const a of answers) {
    if (a.option < counts.length) counts[a.option]! += 1;
    if (a.correct) correct += 1;
  }
  const now = deps.now();
  return {
    quizId,
    state: stateOf(quiz, now),
    ...(quiz.sentAt ? { sentAt: quiz.sentAt, deadline: quiz.deadline! } : {}),
    answer: quiz.answer,
    counts,
    total: answers.length,
    correct,
    correctRate: answers.length > 0 ? correct / answers.length : null,
  };
}
