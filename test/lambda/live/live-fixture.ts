import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IvsClient } from '@aws-sdk/client-ivs';
import { IvschatClient } from '@aws-sdk/client-ivschat';
import { DynamoDBDocumentClient, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { applyAccessFact } from '#lambda/access/access';
import type { LectureDeps } from '#lambda/live/lectures';
import type { SeatDeps } from '#lambda/live/seats';
import type { StreamStateDeps } from '#lambda/live/stream-state';
import { createTables, LOCAL_AWS } from '#local/dynamodb-local';

/*
 * A world for the live tests, in tables of the test file's own in DynamoDB Local: two institutions, a
 * company's accepted provision of a course with its enrolled learners, another company's learner of the
 * same course, and the staff of each institution. IVS, IVS chat and EventBridge are real SDK clients whose
 * calls the test file mocks at the AWS boundary (aws-sdk-client-mock).
 */

export const endpoint = process.env.DYNAMODB_ENDPOINT!;
export const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS });
export const ddb = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

export const NOW = new Date('2026-12-01T09:00:00.000Z');

export interface World {
  readonly tables: Record<string, string>;
  readonly institutionId: string;
  readonly otherInstitutionId: string;
  readonly companyId: string;
  readonly courseId: string;
  readonly provisionId: string;
  /** The other company's provision of the same course. */
  readonly foreignProvisionId: string;
  /** A requested (not accepted) provision of the institution. */
  readonly requestedProvisionId: string;
  readonly attendeeCount: number;
  readonly people: {
    readonly manager: string;
    readonly instructor: string;
    readonly otherStaff: string;
    readonly learner: string;
    readonly foreignLearner: string;
    readonly stranger: string;
  };
  /** Enrolled learners of the provision beyond `learner`, for crowds. */
  readonly crowd: readonly string[];
  readonly enrollments: ReadonlyMap<string, string>;
}

const fact = () => ({ eventId: randomUUID(), occurredAt: NOW.toISOString() });

/** Creates the tables and the access projection's facts. */
export async function createWorld(prefix: string, o: { attendeeCount?: number; crowd?: number } = {}) {
  const tables = await createTables(endpoint, `${prefix}-${randomUUID()}-`);
  const access = tables.access!;
  const w = {
    tables,
    institutionId: randomUUID(),
    otherInstitutionId: randomUUID(),
    companyId: randomUUID(),
    courseId: randomUUID(),
    provisionId: randomUUID(),
    foreignProvisionId: randomUUID(),
    requestedProvisionId: randomUUID(),
    attendeeCount: o.attendeeCount ?? 30,
    people: {
      manager: `manager-${randomUUID()}`,
      instructor: `instructor-${randomUUID()}`,
      otherStaff: `other-${randomUUID()}`,
      learner: `learner-${randomUUID()}`,
      foreignLearner: `foreign-${randomUUID()}`,
      stranger: `stranger-${randomUUID()}`,
    },
    crowd: Array.from({ length: o.crowd ?? 0 }, (_, i) => `crowd-${i}-${randomUUID()}`),
    enrollments: new Map<string, string>(),
  };
  const member = (institutionId: string, userSub: string, role: 'institution-manager' | 'instructor') =>
    applyAccessFact(ddb, access, {
      type: 'institution.member-set',
      detail: { ...fact(), institutionId, userSub, role },
    });
  await member(w.institutionId, w.people.manager, 'institution-manager');
  await member(w.institutionId, w.people.instructor, 'instructor');
  await member(w.otherInstitutionId, w.people.otherStaff, 'institution-manager');
  const provision = (provisionId: string, companyId: string, state: 'accepted' | 'requested') =>
    applyAccessFact(ddb, access, {
      type: 'provision.set',
      detail: {
        ...fact(),
        provisionId,
        institutionId: w.institutionId,
        companyId,
        courseId: w.courseId,
        attendeeCount: w.attendeeCount,
        state,
        startsOn: '2026-12-01',
        endsOn: '2027-02-28',
      },
    });
  await provision(w.provisionId, w.companyId, 'accepted');
  await provision(w.foreignProvisionId, randomUUID(), 'accepted');
  await provision(w.requestedProvisionId, w.companyId, 'requested');
  const enroll = async (userSub: string, provisionId: string) => {
    const enrollmentId = randomUUID();
    w.enrollments.set(userSub, enrollmentId);
    await applyAccessFact(ddb, access, {
      type: 'enrollment.created',
      detail: { ...fact(), courseId: w.courseId, userSub, enrollmentId, provisionId },
    });
  };
  await enroll(w.people.learner, w.provisionId);
  await enroll(w.people.foreignLearner, w.foreignProvisionId);
  for (let i = 0; i < w.crowd.length; i += 25) {
    await Promise.all(w.crowd.slice(i, i + 25).map((sub) => enroll(sub, w.provisionId)));
  }
  return w as World;
}

export async function dropWorld(world: World | undefined) {
  for (const name of Object.values(world?.tables ?? {})) {
    await client.send(new DeleteTableCommand({ TableName: name }));
  }
}

/** Every item of a table, sorted, to show that a refused request changed nothing. */
export async function snapshot(tableName: string) {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(
      new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: startKey }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items
    .map((i) => JSON.stringify(i, Object.keys(i).sort()))
    .sort()
    .join('\n');
}

/** The test's clock: set it, and every dependency reads it. */
export class Clock {
  constructor(private at = NOW.getTime()) {}
  now = () => new Date(this.at);
  set(iso: string) {
    this.at = Date.parse(iso);
  }
  advance(ms: number) {
    this.at += ms;
  }
}

const aws = { region: LOCAL_AWS.region, credentials: LOCAL_AWS.credentials };

export const { privateKey: playbackPrivateKey, publicKey: playbackPublicKey } = generateKeyPairSync('ec', {
  namedCurve: 'P-384',
});

export interface AllDeps extends LectureDeps, SeatDeps, StreamStateDeps {
  readonly sleeps: number[];
}

/** Dependencies as live-deps.ts builds them, with the test's tables, clock and a sleep that only records. */
export function depsFor(world: World, clock: Clock): AllDeps {
  const sleeps: number[] = [];
  return {
    ddb,
    accessTable: world.tables.access!,
    liveTable: world.tables.live!,
    ivs: new IvsClient(aws),
    chat: new IvschatClient(aws),
    eventBridge: new EventBridgeClient(aws),
    busName: 'lms-platform',
    sleep: async (ms: number) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    namePrefix: 'lms-test',
    recordingConfigurationArn: 'arn:aws:ivs:us-east-1:111122223333:recording-configuration/rec1',
    playbackOrigins: ['https://app.academy.example.com', 'https://academy.example.com'],
    playbackKey: async () => playbackPrivateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    now: clock.now,
    sleeps,
  };
}

let channels = 0;

/** What IVS answers to CreateChannel, with a fresh ARN each time. */
export function channelAnswer() {
  channels += 1;
  const id = `ch${channels}${randomUUID().slice(0, 8)}`;
  return {
    channel: {
      arn: `arn:aws:ivs:us-east-1:111122223333:channel/${id}`,
      playbackUrl: `https://abc.us-east-1.playback.live-video.net/api/video/v1/us-east-1.111122223333.channel.${id}.m3u8`,
      ingestEndpoint: 'abc.global-contribute.live-video.net',
    },
    streamKey: { arn: `arn:aws:ivs:us-east-1:111122223333:stream-key/${id}`, value: 'sk_secret' },
  };
}

export function roomAnswer() {
  return { arn: `arn:aws:ivschat:us-east-1:111122223333:room/${randomUUID().slice(0, 12)}` };
}

/** An SDK error as the IVS client throws it. */
export function awsError(name: string, status = 400) {
  return Object.assign(new Error(name), { name, $fault: 'client', $metadata: { httpStatusCode: status } });
}

/** Sets attributes of a lecture item directly, as another writer (an IVS event, a join) would have. */
export async function setLecture(tableName: string, lectureId: string, attrs: Record<string, unknown>) {
  const keys = Object.keys(attrs);
  await ddb.send(
    new UpdateCommand({
      TableName: tableName,
      Key: { pk: `lecture#${lectureId}`, sk: 'meta' },
      UpdateExpression: `SET ${keys.map((_, i) => `#a${i} = :v${i}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(keys.map((k, i) => [`#a${i}`, k])),
      ExpressionAttributeValues: Object.fromEntries(keys.map((k, i) => [`:v${i}`, attrs[k]])),
    }),
  );
}
