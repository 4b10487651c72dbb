import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IvsClient, PutMetadataCommand } from '@aws-sdk/client-ivs';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { lectureKey } from '#lambda/live/lecture-records';
import { answerQuiz, createQuiz, type QuizDeps, quizResults, sendQuiz } from '#lambda/live/quizzes';
import { playbackGrant } from '#lambda/live/playback-token';
import { countSeat, joinLecture, type SeatDeps } from '#lambda/live/seats';
import { createTables, LOCAL_AWS, startDynamoDbLocal } from '#local/dynamodb-local';
import { enroll, putLecture, seedWorld } from '../test/lambda/live/quiz-fixture';

/**
 * A live lecture's busiest moment on DynamoDB Local: LEARNERS learners join at once, then all answer one
 * quiz at once, beside as many bare conditional Puts on the same table in the same run. Each round uses a
 * fresh lecture and quiz; figures are the median round. Counts are verified exactly: N seats and
 * joinedCount N, N answer items, results totalling N, N bare items.
 *
 * Joins go through the join domain as the join route runs it (joinLecture: the lecture, the caller's
 * membership, enrollment and seat in one BatchGetItem; a conditional update of the lecture's seat count; a
 * conditional Put of the seat; an ES384 playback token). Answers go through the quiz domain (answerQuiz: the
 * caller's enrollment from the access projection and one conditional Put; the lecture and the quiz read
 * once for the burst, as one warm function would share them).
 *
 * Two more rows say what a join cannot go below here: its two writes alone, and its token alone (the
 * signature is CPU, which this machine's two cores share with DynamoDB Local).
 * Reproduce: npm run bench:live   (LEARNERS=1000 ROUNDS=3; DYNAMODB_ENDPOINT=<url> to use a running one)
 */
const LEARNERS = Number(process.env.LEARNERS ?? 1000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const GOAL_RATIO = 0.5;
/** Every kind of request shares one connection pool, as one Lambda instance's client would. */
const SOCKETS = 64;

interface Phase {
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

/** Runs every operation at once, timing each from the common start to its own end. */
async function atOnce(count: number, op: (i: number) => Promise<unknown>): Promise<Phase> {
  const latencies: number[] = [];
  const start = performance.now();
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const begun = performance.now();
      await op(i);
      latencies.push(performance.now() - begun);
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: count / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function main() {
  const dynamo = process.env.DYNAMODB_ENDPOINT ? undefined : await startDynamoDbLocal();
  const endpoint = process.env.DYNAMODB_ENDPOINT ?? dynamo!.endpoint;
  process.env.DYNAMODB_ENDPOINT = endpoint;
  const client = new DynamoDBClient({
    endpoint,
    ...LOCAL_AWS,
    requestHandler: {
      httpAgent: new Agent({ keepAlive: true, maxSockets: SOCKETS }),
      // A thousand requests queue for the sockets on purpose.
      socketAcquisitionWarningTimeout: 60_000,
    },
  });
  const ddb = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  // IVS is the one service not run here: the send's PutMetadata is answered by a mock.
  mockClient(IvsClient).on(PutMetadataCommand).resolves({});
  try {
    const { access: accessTable, live: liveTable } = await createTables(
      endpoint,
      `bench-live-${randomUUID()}-`,
    );
    const deps: QuizDeps = {
      ddb,
      accessTable,
      liveTable,
      ivs: new IvsClient({ ...LOCAL_AWS }),
      now: () => new Date(),
      sleep: (ms) => delay(ms),
    };
    const playbackKey = generateKeyPairSync('ec', { namedCurve: 'secp384r1' })
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const seatDeps: SeatDeps = {
      ddb,
      accessTable,
      liveTable,
      playbackKey: () => Promise.resolve(playbackKey),
      playbackOrigins: [],
      now: () => new Date(),
      sleep: (ms) => delay(ms),
      random: Math.random,
    };
    const world = await seedWorld(ddb, accessTable);
    const learners = Array.from({ length: LEARNERS }, (_, i) => `bench-learner-${i}`);
    await enroll(ddb, accessTable, world, learners);

    type Kind = 'bare' | 'joins' | 'answers' | 'writes' | 'tokens';
    const rounds: Record<Kind, Phase>[] = [];
    // Round 0 warms the JVM's and Node's code paths on the same work, and is not counted.
    for (let round = 0; round <= ROUNDS; round++) {
      const lecture = await putLecture(ddb, liveTable, world, 'live', { capacity: LEARNERS });
      const { quizId } = await createQuiz(deps, { sub: world.people.staff }, lecture.lectureId, {
        question: 'Which way does the load backrest face?',
        options: ['Towards the mast', 'Away from the mast', 'Sideways', 'Down'],
        answer: 0,
        timeLimitSeconds: 600,
      });
      await sendQuiz(deps, { sub: world.people.staff }, lecture.lectureId, quizId);
      const barePrefix = `bench#${randomUUID()}`;
      const floor = { pk: `bench#${randomUUID()}`, sk: 'meta' };
      await ddb.send(
        new PutCommand({
          TableName: liveTable,
          Item: { ...floor, joinedCount: 0, capacity: LEARNERS, state: 'live' },
        }),
      );

      const phases = {
        bare: () =>
          atOnce(LEARNERS, (i) =>
            ddb.send(
              new PutCommand({
                TableName: liveTable,
                Item: { pk: barePrefix, sk: `answer#${i}`, option: i % 4, at: new Date().toISOString() },
                ConditionExpression: 'attribute_not_exists(pk)',
              }),
            ),
          ),
        joins: () => atOnce(LEARNERS, (i) => joinLecture(seatDeps, { sub: learners[i]! }, lecture.lectureId)),
        answers: () =>
          atOnce(LEARNERS, (i) =>
            answerQuiz(deps, { sub: learners[i]! }, lecture.lectureId, quizId, { option: i % 4 }),
          ),
        // The writes of a join as joinLecture makes them, without its read and its token.
        writes: () =>
          atOnce(LEARNERS, async (i) => {
            await ddb.send(new UpdateCommand(countSeat(liveTable, floor)));
            await ddb.send(
              new PutCommand({
                TableName: liveTable,
                Item: { pk: floor.pk, sk: `seat#${i}`, joinedAt: new Date().toISOString() },
                ConditionExpression: 'attribute_not_exists(pk)',
              }),
            );
          }),
        tokens: () => atOnce(LEARNERS, (i) => playbackGrant(seatDeps, lecture, learners[i]!)),
      };
      // Each round starts with another kind, so neither a warming JVM nor the machine's other load favours one.
      // Answers come after joins, as they do in a lecture.
      const order = [
        ['bare', 'joins', 'answers', 'writes', 'tokens'],
        ['joins', 'answers', 'writes', 'bare', 'tokens'],
        ['writes', 'joins', 'bare', 'answers', 'tokens'],
      ][round % 3] as Kind[];
      const measured = {} as Record<Kind, Phase>;
      for (const kind of order) measured[kind] = await phases[kind]();
      if (round > 0) rounds.push(measured);

      // Exact counts, or the figures mean nothing.
      const results = await quizResults(deps, { sub: world.people.staff }, lecture.lectureId, quizId);
      const seats = await countPrefix(ddb, liveTable, lectureKey(lecture.lectureId).pk, 'seat#');
      const answerItems = await countPrefix(
        ddb,
        liveTable,
        lectureKey(lecture.lectureId).pk,
        `answer#${quizId}#`,
      );
      const bareItems = await countPrefix(ddb, liveTable, barePrefix, 'answer#');
      const { Item } = await ddb.send(
        new GetCommand({ TableName: liveTable, Key: lectureKey(lecture.lectureId), ConsistentRead: true }),
      );
      const expected = Array.from({ length: 4 }, (_, o) => learners.filter((_, i) => i % 4 === o).length);
      const exact =
        seats === LEARNERS &&
        Item?.joinedCount === LEARNERS &&
        answerItems === LEARNERS &&
        results.total === LEARNERS &&
        results.counts.every((c, o) => c === expected[o]) &&
        results.correct === expected[0] &&
        bareItems === LEARNERS;
      if (!exact) {
        throw new Error(
          `Counts are off in round ${round}: seats ${seats}, joinedCount ${String(Item?.joinedCount)}, answers ` +
            `${answerItems}, results ${results.total} [${results.counts.join(', ')}], bare ${bareItems}`,
        );
      }
    }

    const median = (kind: Kind) => {
      const sorted = rounds.map((r) => r[kind]).sort((a, b) => a.perSecond - b.perSecond);
      return sorted[Math.floor(sorted.length / 2)]!;
    };
    // Ratios are taken within each round (the same minute of the machine's load), then their median.
    const byRound = (kind: Kind) => rounds.map((r) => r[kind].perSecond / r.bare.perSecond);
    const ratio = (kind: Kind) => byRound(kind).sort((a, b) => a - b)[Math.floor(rounds.length / 2)]!;
    const row = (name: string, kind: Kind) => {
      const p = median(kind);
      return [
        name,
        p.perSecond.toFixed(0),
        p.p50.toFixed(0),
        p.p99.toFixed(0),
        kind === 'bare' ? '' : ratio(kind).toFixed(2),
      ];
    };
    const table = [
      ['', 'per second', 'p50 ms', 'p99 ms', 'vs bare'],
      row('bare conditional Puts', 'bare'),
      row('joins (joinLecture)', 'joins'),
      row('answers (answerQuiz)', 'answers'),
      row("a join's two writes alone", 'writes'),
      row("a join's playback token alone", 'tokens'),
    ];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
    console.log(
      `bench/live: ${LEARNERS} learners at once on one lecture, DynamoDB Local, ${ROUNDS} rounds (median), ` +
        `${SOCKETS} sockets; ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)}`,
    );
    console.log('');
    for (const r of table) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
    console.log('');
    console.log(
      `counts: exact in every round (${LEARNERS} seats, joinedCount, answers, results total, bare items)`,
    );
    for (const kind of ['joins', 'answers'] as const) {
      const perRound = byRound(kind)
        .map((r) => r.toFixed(2))
        .join(', ');
      const met = ratio(kind) >= GOAL_RATIO;
      console.log(
        `${kind} vs bare by round: ${perRound}; goal at least ${GOAL_RATIO}: ${met ? 'met' : 'missed'}`,
      );
    }
    console.log('reproduce: npm run bench:live   (LEARNERS, ROUNDS, DYNAMODB_ENDPOINT)');
  } finally {
    client.destroy();
    await dynamo?.stop();
  }
}

async function countPrefix(ddb: DynamoDBDocumentClient, table: string, pk: string, prefix: string) {
  let count = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
        Select: 'COUNT',
        ConsistentRead: true,
        ExclusiveStartKey,
      }),
    );
    count += page.Count ?? 0;
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return count;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
