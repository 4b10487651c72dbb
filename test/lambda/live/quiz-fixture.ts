import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IvsClient } from '@aws-sdk/client-ivs';
import { DynamoDBDocumentClient, PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { LectureState } from '#contracts/live';
import { learnerKey, memberKey, provisionKey } from '#lambda/access/access';
import { type Lecture, lectureKey } from '#lambda/live/lecture-records';
import type { QuizDeps } from '#lambda/live/quizzes';
import { createTables, LOCAL_AWS } from '#local/dynamodb-local';

/*
 * A world for the quiz tests, written straight into the tables in the shapes the live table and the access
 * projection keep (lecture-records.ts, access.ts), not through the lecture lifecycle's code.
 */

export const dynamo = () => new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT!, ...LOCAL_AWS });
export const documentClient = (client: DynamoDBClient) =>
  DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
/** Reaches no AWS: mockClient(IvsClient) answers every instance's calls. */
export const ivsClient = () => new IvsClient({ ...LOCAL_AWS, maxAttempts: 1 });

export async function quizTables(prefix: string) {
  const { access, live } = await createTables(process.env.DYNAMODB_ENDPOINT!, `${prefix}-${randomUUID()}-`);
  return { accessTable: access, liveTable: live };
}

/** Two institutions, each with a provision of its course to a company, and the people around them. */
export function people() {
  const tag = randomUUID().slice(0, 8);
  return {
    staff: `staff-${tag}`,
    manager: `manager-${tag}`,
    /** Staff of another institution. */
    otherStaff: `other-staff-${tag}`,
    learner: `learner-${tag}`,
    learner2: `learner2-${tag}`,
    /** Enrolled in the same course through another company's provision. */
    foreignLearner: `foreign-${tag}`,
    stranger: `stranger-${tag}`,
  };
}
export type People = ReturnType<typeof people>;

export interface World {
  readonly institutionId: string;
  readonly otherInstitutionId: string;
  readonly courseId: string;
  readonly provisionId: string;
  readonly otherProvisionId: string;
  readonly people: People;
  readonly enrollments: Record<string, string>;
}

export async function seedWorld(ddb: DynamoDBDocumentClient, accessTable: string): Promise<World> {
  const w = {
    institutionId: randomUUID(),
    otherInstitutionId: randomUUID(),
    courseId: randomUUID(),
    provisionId: randomUUID(),
    otherProvisionId: randomUUID(),
    people: people(),
    enrollments: {} as Record<string, string>,
  };
  const put = (Item: Record<string, unknown>) => ddb.send(new PutCommand({ TableName: accessTable, Item }));
  const p = w.people;
  await put({ ...memberKey(w.institutionId, p.staff), role: 'instructor' });
  await put({ ...memberKey(w.institutionId, p.manager), role: 'institution-manager' });
  await put({ ...memberKey(w.otherInstitutionId, p.otherStaff), role: 'institution-manager' });
  for (const [sub, provisionId] of [
    [p.learner, w.provisionId],
    [p.learner2, w.provisionId],
    [p.foreignLearner, w.otherProvisionId],
  ] as const) {
    const enrollmentId = randomUUID();
    w.enrollments[sub] = enrollmentId;
    await put({ ...learnerKey(w.courseId, sub), enrollmentId, provisionId });
  }
  await put({
    ...provisionKey(w.provisionId),
    institutionId: w.institutionId,
    companyId: randomUUID(),
    courseId: w.courseId,
    attendeeCount: 300,
    state: 'accepted',
    startsOn: '2026-12-01',
    endsOn: '2026-12-31',
  });
  return w;
}

/** Enrolls learners in the world's provision (for the many-answers cases). */
export async function enroll(ddb: DynamoDBDocumentClient, accessTable: string, w: World, subs: string[]) {
  for (let i = 0; i < subs.length; i += 25) {
    await Promise.all(
      subs.slice(i, i + 25).map((sub) => {
        const enrollmentId = randomUUID();
        w.enrollments[sub] = enrollmentId;
        return ddb.send(
          new PutCommand({
            TableName: accessTable,
            Item: { ...learnerKey(w.courseId, sub), enrollmentId, provisionId: w.provisionId },
          }),
        );
      }),
    );
  }
}

/** A lecture of the world's provision, in the given state, with a channel of its own. */
export async function putLecture(
  ddb: DynamoDBDocumentClient,
  liveTable: string,
  w: World,
  state: LectureState,
  overrides: Partial<Lecture> = {},
): Promise<Lecture> {
  const lectureId = randomUUID();
  const channel = randomUUID().slice(0, 12);
  const lecture: Lecture = {
    lectureId,
    provisionId: w.provisionId,
    institutionId: w.institutionId,
    companyId: randomUUID(),
    courseId: w.courseId,
    title: 'Forklift safety, live',
    startsAt: '2026-12-07T09:00:00.000Z',
    endsAt: '2026-12-07T10:00:00.000Z',
    capacity: 300,
    joinedCount: 0,
    state,
    record: false,
    channelArn: `arn:aws:ivs:us-east-1:111122223333:channel/${channel}`,
    roomArn: `arn:aws:ivschat:us-east-1:111122223333:room/${channel}`,
    playbackUrl: `https://a1b2c3.us-east-1.playback.live-video.net/api/video/v1/${channel}.m3u8`,
    ingestEndpoint: 'a1b2c3.global-contribute.live-video.net',
    createdBy: w.people.staff,
    createdAt: '2026-12-01T08:00:00.000Z',
    updatedAt: '2026-12-01T08:00:00.000Z',
    ...overrides,
  };
  await ddb.send(new PutCommand({ TableName: liveTable, Item: { ...lectureKey(lectureId), ...lecture } }));
  return lecture;
}

/** Every item of a table, sorted by key, to compare a table before and after a refused request. */
export async function snapshot(ddb: DynamoDBDocumentClient, tableName: string) {
  const items: Record<string, unknown>[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await ddb.send(
      new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey }),
    );
    items.push(...(page.Items ?? []));
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  const key = (i: Record<string, unknown>) => `${String(i.pk)}|${String(i.sk)}`;
  return items.sort((a, b) => key(a).localeCompare(key(b)));
}

/**
 * Virtual time for concurrent senders: it stands still while any of them works (a DynamoDB call, an IVS
 * call), and when all of them wait, it moves to the earliest wake-up and wakes that one sender. So each
 * sender resumes exactly at the time it asked for, in order, however the event loop interleaves them, and
 * the recorded times are the ones the senders would have had with instant I/O.
 */
export class VirtualClock {
  private t: number;
  private readonly sleepers: { wake: number; resolve: () => void }[] = [];
  private active = 0;

  constructor(start: Date) {
    this.t = start.getTime();
  }

  readonly now = () => new Date(this.t);

  readonly sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      this.sleepers.push({ wake: this.t + ms, resolve });
      this.advance();
    });

  /** Moves time by hand (nobody may be waiting). */
  set(at: Date) {
    this.t = at.getTime();
  }

  /** Runs one participant: time waits for it while it works. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    this.active += 1;
    try {
      return await work();
    } finally {
      this.active -= 1;
      this.advance();
    }
  }

  private advance() {
    if (this.sleepers.length === 0 || this.sleepers.length < this.active) return;
    this.sleepers.sort((a, b) => a.wake - b.wake);
    const next = this.sleepers.shift()!;
    this.t = Math.max(this.t, next.wake);
    next.resolve();
  }
}

/** Deps for the domain functions over this file's tables, with the clock the test controls. */
export function quizDepsFor(
  ddb: DynamoDBDocumentClient,
  tables: { accessTable: string; liveTable: string },
  clock: Pick<VirtualClock, 'now' | 'sleep'>,
): QuizDeps {
  return { ddb, ...tables, ivs: ivsClient(), now: clock.now, sleep: clock.sleep };
}
