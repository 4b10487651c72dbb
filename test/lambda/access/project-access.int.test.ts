import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import {
  canManageContent,
  canWatchContent,
  companyMemberKey,
  contentKey,
  endedEnrollmentKey,
  learnerKey,
  memberKey,
  projectAccessEvent,
} from '#lambda/access/access';
import type * as ProjectAccess from '#lambda/access/project-access';
import { ENV } from '#contracts/resources';
import { logger } from '#lambda/shared/observability';
import { createTables, LOCAL_AWS } from '#local/dynamodb-local';
import { overrideEnv } from '../env';

/*
 * The projector as deployed (its module reads the environment at load) against a table of its own in
 * DynamoDB Local, created as the data stack defines it.
 */

const endpoint = process.env.DYNAMODB_ENDPOINT!;
let tables: Record<string, string>;
let tableName: string;
const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS });
const ddb = DynamoDBDocumentClient.from(client);
let projector: typeof ProjectAccess;
let restoreEnv: () => void;

beforeAll(async () => {
  tables = await createTables(endpoint, `access-${randomUUID()}-`);
  tableName = tables.access!;
  restoreEnv = overrideEnv({
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    [ENV.accessTable]: tableName,
  });
  // Loaded after the environment is set, as at a cold start.
  projector = (await import(
    join(__dirname, '../../../lambda/access/project-access')
  )) as typeof ProjectAccess;
});

afterAll(async () => {
  restoreEnv();
  for (const name of Object.values(tables)) await client.send(new DeleteTableCommand({ TableName: name }));
  client.destroy();
});

// --- Events as the core publishes them and EventBridge hands them to SQS.

const T0 = Date.parse('2026-12-01T09:00:00Z');
/** A time `minutes` after T0, in the contract's ISO form. */
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function envelope<D extends Record<string, unknown>>(type: string, detail: D) {
  return {
    version: '0',
    id: randomUUID(),
    source: 'lms.core',
    'detail-type': type,
    account: '111122223333',
    time: new Date().toISOString(),
    region: LOCAL_AWS.region,
    resources: [],
    detail: { eventId: randomUUID() as string, ...detail },
  };
}

const memberSet = (institutionId: string, userSub: string, role: string, minutes: number) =>
  envelope('institution.member-set', { institutionId, userSub, role, occurredAt: at(minutes) });
const memberRemoved = (institutionId: string, userSub: string, minutes: number) =>
  envelope('institution.member-removed', { institutionId, userSub, occurredAt: at(minutes) });
const contentSet = (
  c: { contentId: string; courseId: string; institutionId: string },
  state: 'active' | 'archived',
  minutes: number,
) => envelope('content.set', { ...c, kind: 'video', state, occurredAt: at(minutes) });
const enrolled = (courseId: string, userSub: string, minutes: number) =>
  envelope('enrollment.created', {
    enrollmentId: randomUUID(),
    provisionId: randomUUID(),
    courseId,
    userSub,
    occurredAt: at(minutes),
  });

const record = (body: unknown): SQSRecord =>
  ({
    messageId: randomUUID(),
    receiptHandle: 'handle',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {},
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:111122223333:access',
    awsRegion: LOCAL_AWS.region,
  }) as SQSRecord;

/** Delivers the events as one SQS batch, in the given order. */
const deliver = (...bodies: unknown[]) => {
  const event: SQSEvent = { Records: bodies.map(record) };
  return projector.handler(event).then((response) => ({ event, response }));
};

const item = async (key: { pk: string; sk: string }) =>
  (await ddb.send(new GetCommand({ TableName: tableName, Key: key }))).Item;

const sub = () => `sub-${randomUUID()}`;

describe('project-access handler', () => {
  it('applies each kind of fact, keeping its time and event id', async () => {
    const institutionId = randomUUID();
    const content = { contentId: randomUUID(), courseId: randomUUID(), institutionId };
    const instructor = sub();
    const learner = sub();
    const gone = sub();
    const enrollment = enrolled(content.courseId, learner, 3);
    const { response } = await deliver(
      memberSet(institutionId, instructor, 'instructor', 1),
      contentSet(content, 'active', 2),
      enrollment,
      memberSet(institutionId, gone, 'institution-manager', 1),
    );
    expect(response.batchItemFailures).toEqual([]);
    await deliver(memberRemoved(institutionId, gone, 4));

    expect(await item(memberKey(institutionId, instructor))).toEqual({
      ...memberKey(institutionId, instructor),
      role: 'instructor',
      occurredAt: at(1),
      eventId: expect.any(String),
      order: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z#/),
    });
    expect(await item(contentKey(content.contentId))).toMatchObject({
      courseId: content.courseId,
      institutionId,
      kind: 'video',
      state: 'active',
      occurredAt: at(2),
    });
    expect(await item(learnerKey(content.courseId, learner))).toMatchObject({
      enrollmentId: enrollment.detail.enrollmentId,
      provisionId: enrollment.detail.provisionId,
      occurredAt: at(3),
      eventId: enrollment.detail.eventId,
    });
    // A tombstone, not a delete; and no role left on it to be read by mistake.
    const tombstone = await item(memberKey(institutionId, gone));
    expect(tombstone).toMatchObject({ removed: true, occurredAt: at(4) });
    expect(tombstone).not.toHaveProperty('role');
  });

  it('keeps company managers and employees, and a company removal against a late set', async () => {
    const companyId = randomUUID();
    const boss = sub();
    const employee = sub();
    const companyFact = (type: string, userSub: string, minutes: number, role?: string) =>
      envelope(type, { companyId, userSub, ...(role ? { role } : {}), occurredAt: at(minutes) });
    const { response } = await deliver(
      companyFact('company.member-set', boss, 1, 'company-manager'),
      companyFact('company.member-set', employee, 1, 'employee'),
      companyFact('company.member-removed', boss, 3),
    );
    expect(response.batchItemFailures).toEqual([]);
    // Older than the removal: the manager stays removed.
    await deliver(companyFact('company.member-set', boss, 2, 'company-manager'));
    expect(await item(companyMemberKey(companyId, boss))).toMatchObject({ removed: true, occurredAt: at(3) });
    expect(await item(companyMemberKey(companyId, employee))).toMatchObject({ role: 'employee' });
  });

  it('treats a redelivered fact as success without changing the item', async () => {
    const institutionId = randomUUID();
    const who = sub();
    const fact = memberSet(institutionId, who, 'instructor', 5);
    await deliver(fact);
    const first = await item(memberKey(institutionId, who));
    const { response } = await deliver(fact, fact);
    expect(response.batchItemFailures).toEqual([]);
    expect(await item(memberKey(institutionId, who))).toEqual(first);
  });

  it('keeps a member removed when an older member-set arrives after the removal', async () => {
    const institutionId = randomUUID();
    const who = sub();
    await deliver(memberRemoved(institutionId, who, 10));
    const { response } = await deliver(memberSet(institutionId, who, 'instructor', 9));
    expect(response.batchItemFailures).toEqual([]);
    expect(await item(memberKey(institutionId, who))).toMatchObject({ removed: true, occurredAt: at(10) });
  });

  it('re-adds a removed member on a newer member-set', async () => {
    const institutionId = randomUUID();
    const who = sub();
    await deliver(memberSet(institutionId, who, 'instructor', 1), memberRemoved(institutionId, who, 2));
    await deliver(memberSet(institutionId, who, 'institution-manager', 3));
    const stored = await item(memberKey(institutionId, who));
    expect(stored).toMatchObject({ role: 'institution-manager', occurredAt: at(3) });
    expect(stored).not.toHaveProperty('removed');
  });

  it('ends in the same state whichever order two facts arrive in', async () => {
    const content = { contentId: randomUUID(), courseId: randomUUID(), institutionId: randomUUID() };
    const older = contentSet(content, 'active', 1);
    const newer = contentSet(content, 'archived', 2);
    await deliver(newer);
    await deliver(older);
    const reversed = { ...content, contentId: randomUUID() };
    await deliver(contentSet(reversed, 'active', 1));
    await deliver(contentSet(reversed, 'archived', 2));
    expect(await item(contentKey(content.contentId))).toMatchObject({ state: 'archived', occurredAt: at(2) });
    expect(await item(contentKey(reversed.contentId))).toMatchObject({
      state: 'archived',
      occurredAt: at(2),
    });
  });

  it('compares times across offsets, not as the strings the publisher wrote', async () => {
    const institutionId = randomUUID();
    const who = sub();
    // 10:30+02:00 is 08:30Z: older than the 09:00Z removal, though it sorts after it as written.
    await deliver(memberRemoved(institutionId, who, 0));
    const late = memberSet(institutionId, who, 'instructor', 0);
    late.detail.occurredAt = '2026-12-01T10:30:00+02:00';
    await deliver(late);
    expect(await item(memberKey(institutionId, who))).toMatchObject({ removed: true });
  });

  it('orders two facts of the same instant by event id, in both orders of arrival', async () => {
    // The outbox's sequence: as text core-10 sorts before core-9, as a sequence after it.
    const [a, b] = ['core-9', 'core-10'];
    const outcomes: unknown[] = [];
    for (const order of [
      ['set', 'removed'],
      ['removed', 'set'],
    ]) {
      const institutionId = randomUUID();
      const who = sub();
      const set = memberSet(institutionId, who, 'instructor', 7);
      const removed = memberRemoved(institutionId, who, 7);
      set.detail.eventId = a!;
      removed.detail.eventId = b!;
      for (const name of order) await deliver(name === 'set' ? set : removed);
      const stored = await item(memberKey(institutionId, who));
      outcomes.push({ removed: stored!.removed, role: stored!.role });
    }
    expect(outcomes[0]).toEqual(outcomes[1]);
    expect(outcomes[0]).toEqual({ removed: true, role: undefined });
  });

  it('reports malformed messages in batchItemFailures while applying the others', async () => {
    const institutionId = randomUUID();
    const who = sub();
    const good = memberSet(institutionId, who, 'instructor', 1);
    const badDetail = memberSet(institutionId, sub(), 'platform-admin', 1);
    const otherSource = { ...memberSet(institutionId, sub(), 'instructor', 1), source: 'lms.vod' };
    const unknownType = envelope('institution.renamed', { occurredAt: at(1) });
    const { event, response } = await deliver('not json {', badDetail, good, otherSource, unknownType, {
      detail: {},
    });
    const ids = event.Records.map((r) => r.messageId);
    expect(response.batchItemFailures).toEqual([0, 1, 3, 4, 5].map((i) => ({ itemIdentifier: ids[i] })));
    expect(await item(memberKey(institutionId, who))).toMatchObject({ role: 'instructor' });
    expect(await item(memberKey(institutionId, badDetail.detail.userSub))).toBeUndefined();
  });

  it('logs a malformed message by its id and the broken fields, never its body', async () => {
    const error = jest.spyOn(logger, 'error');
    try {
      const userSub = `personal-${randomUUID()}`;
      const bad = memberSet('not-a-uuid', userSub, 'instructor', 1);
      const { event } = await deliver(bad, `{"detail": "${userSub}"`);
      const logged = JSON.stringify(error.mock.calls);
      expect(logged).not.toContain(userSub);
      for (const r of event.Records) expect(logged).toContain(r.messageId);
      expect(error.mock.calls[0]![1]).toMatchObject({
        issues: [{ path: 'institutionId', code: 'invalid_format' }],
      });
    } finally {
      error.mockRestore();
    }
  });

  it('reports a message whose write fails for another reason, so SQS retries it', async () => {
    const broken = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint, ...LOCAL_AWS, maxAttempts: 1 }),
    );
    const event: SQSEvent = { Records: [record(memberSet(randomUUID(), sub(), 'instructor', 1))] };
    // A table that does not exist: the write fails with ResourceNotFoundException, not a condition.
    const response = await projector.projectBatch(broken, `missing-${randomUUID()}`, event);
    broken.destroy();
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]!.messageId }]);
  });
});

describe('canManageContent and canWatchContent', () => {
  const institutionId = randomUUID();
  const otherInstitutionId = randomUUID();
  const active = { contentId: randomUUID(), courseId: randomUUID(), institutionId };
  const archived = { contentId: randomUUID(), courseId: active.courseId, institutionId };
  const otherCourse = { contentId: randomUUID(), courseId: randomUUID(), institutionId };
  const people = {
    manager: sub(),
    instructor: sub(),
    removed: sub(),
    otherInstitutionManager: sub(),
    learner: sub(),
    otherCourseLearner: sub(),
    stranger: sub(),
  };

  beforeAll(async () => {
    // Through the same path the local runner uses.
    for (const e of [
      memberSet(institutionId, people.manager, 'institution-manager', 1),
      memberSet(institutionId, people.instructor, 'instructor', 1),
      memberSet(institutionId, people.removed, 'instructor', 1),
      memberRemoved(institutionId, people.removed, 2),
      memberSet(otherInstitutionId, people.otherInstitutionManager, 'institution-manager', 1),
      contentSet(active, 'active', 1),
      contentSet(archived, 'archived', 1),
      contentSet(otherCourse, 'active', 1),
      enrolled(active.courseId, people.learner, 1),
      enrolled(otherCourse.courseId, people.otherCourseLearner, 1),
    ]) {
      await projectAccessEvent(ddb, tableName, e);
    }
  });

  type Person = keyof typeof people;
  const cases: [Person, { manage: boolean; watch: boolean; watchArchived: boolean }][] = [
    ['manager', { manage: true, watch: true, watchArchived: true }],
    ['instructor', { manage: true, watch: true, watchArchived: true }],
    ['removed', { manage: false, watch: false, watchArchived: false }],
    ['otherInstitutionManager', { manage: false, watch: false, watchArchived: false }],
    ['learner', { manage: false, watch: true, watchArchived: false }],
    ['otherCourseLearner', { manage: false, watch: false, watchArchived: false }],
    ['stranger', { manage: false, watch: false, watchArchived: false }],
  ];

  it.each(cases)('%s', async (person, expected) => {
    const who = people[person];
    expect({
      manage: await canManageContent(ddb, tableName, who, active.contentId),
      watch: await canWatchContent(ddb, tableName, who, active.contentId),
      watchArchived: await canWatchContent(ddb, tableName, who, archived.contentId),
    }).toEqual(expected);
    // Nothing is uploaded to archived content, by anyone.
    expect(await canManageContent(ddb, tableName, who, archived.contentId)).toBe(false);
  });

  it('answers false for a content the projection has not heard of', async () => {
    const unknown = randomUUID();
    expect(await canManageContent(ddb, tableName, people.manager, unknown)).toBe(false);
    expect(await canWatchContent(ddb, tableName, people.learner, unknown)).toBe(false);
  });

  it('lets a learner of the other course watch only that course', async () => {
    expect(await canWatchContent(ddb, tableName, people.otherCourseLearner, otherCourse.contentId)).toBe(
      true,
    );
    expect(await canWatchContent(ddb, tableName, people.learner, otherCourse.contentId)).toBe(false);
  });
});

describe('a live lecture’s recording', () => {
  const institutionId = randomUUID();
  const courseId = randomUUID();
  const provisionId = randomUUID();
  const otherProvisionId = randomUUID();
  const recording = { contentId: randomUUID(), courseId, institutionId };
  const lesson = { contentId: randomUUID(), courseId, institutionId };
  const people = { instructor: sub(), learner: sub(), otherCompanyLearner: sub() };
  const enrolledThrough = (userSub: string, provision: string) =>
    envelope('enrollment.created', {
      enrollmentId: randomUUID(),
      provisionId: provision,
      courseId,
      userSub,
      occurredAt: at(1),
    });
  const recordingSet = (state: 'active' | 'archived', minutes: number) =>
    envelope('content.set', { ...recording, kind: 'video', state, provisionId, occurredAt: at(minutes) });

  beforeAll(async () => {
    for (const e of [
      memberSet(institutionId, people.instructor, 'instructor', 1),
      contentSet(lesson, 'active', 1),
      recordingSet('active', 1),
      enrolledThrough(people.learner, provisionId),
      enrolledThrough(people.otherCompanyLearner, otherProvisionId),
    ]) {
      await projectAccessEvent(ddb, tableName, e);
    }
  });

  it('keeps the provision it belongs to, and none on the course’s other contents', async () => {
    expect(await item(contentKey(recording.contentId))).toMatchObject({ state: 'active', provisionId });
    expect(await item(contentKey(lesson.contentId))).not.toHaveProperty('provisionId');
  });

  it('plays to the learners of its provision and the institution’s people, not to another company’s', async () => {
    const watch = (who: string, contentId: string) => canWatchContent(ddb, tableName, who, contentId);
    expect({
      instructor: await watch(people.instructor, recording.contentId),
      learner: await watch(people.learner, recording.contentId),
      otherCompanyLearner: await watch(people.otherCompanyLearner, recording.contentId),
    }).toEqual({ instructor: true, learner: true, otherCompanyLearner: false });
    // The course's own lessons are every provision's.
    expect(await watch(people.otherCompanyLearner, lesson.contentId)).toBe(true);
  });

  it('stays its provision’s when archived, and an older active fact brings nothing back', async () => {
    await projectAccessEvent(ddb, tableName, recordingSet('archived', 3));
    expect(await item(contentKey(recording.contentId))).toMatchObject({ state: 'archived', provisionId });
    expect((await projectAccessEvent(ddb, tableName, recordingSet('active', 2))).outcome).toBe('stale');
    expect(await canWatchContent(ddb, tableName, people.learner, recording.contentId)).toBe(false);
    expect(await canWatchContent(ddb, tableName, people.instructor, recording.contentId)).toBe(true);
  });
});

describe('an enrollment that ends (a registration cancelled)', () => {
  const institutionId = randomUUID();
  const content = { contentId: randomUUID(), courseId: randomUUID(), institutionId };

  beforeAll(async () => {
    await projectAccessEvent(ddb, tableName, contentSet(content, 'active', 0));
  });

  /** A seat's enrollment in an open session (its provision is the session's) and its cancellation. */
  const seat = (userSub: string, minutes: number, provisionId = randomUUID()) => {
    const enrollmentId = randomUUID();
    const created = envelope('enrollment.created', {
      enrollmentId,
      provisionId,
      courseId: content.courseId,
      userSub,
      occurredAt: at(minutes),
    });
    const cancelled = (later: number) =>
      envelope('registration.cancelled', {
        registrationId: randomUUID(),
        sessionId: provisionId,
        courseId: content.courseId,
        userSub,
        enrollmentId,
        occurredAt: at(later),
      });
    return { enrollmentId, created, cancelled };
  };
  const watches = (who: string) => canWatchContent(ddb, tableName, who, content.contentId);
  const outcome = async (e: unknown) => (await projectAccessEvent(ddb, tableName, e)).outcome;

  it('takes the learner’s access away, and a late or redelivered enrollment brings nothing back', async () => {
    const learner = sub();
    const s = seat(learner, 1);
    await deliver(s.created);
    expect(await watches(learner)).toBe(true);
    const cancelled = s.cancelled(2);
    const { response } = await deliver(cancelled);
    expect(response.batchItemFailures).toEqual([]);
    expect(await watches(learner)).toBe(false);
    expect(await item(learnerKey(content.courseId, learner))).toBeUndefined();
    expect(await item(endedEnrollmentKey(s.enrollmentId))).toMatchObject({
      courseId: content.courseId,
      userSub: learner,
      occurredAt: at(2),
      eventId: cancelled.detail.eventId,
    });
    expect(await outcome(s.created)).toBe('stale');
    expect(await outcome(cancelled)).toBe('applied');
    expect(await watches(learner)).toBe(false);
  });

  it('keeps the enrollment out when its cancellation arrives first, alone or in the same batch', async () => {
    const first = sub();
    const a = seat(first, 1);
    await deliver(a.cancelled(2));
    expect(await outcome(a.created)).toBe('stale');
    expect(await watches(first)).toBe(false);
    // Applied at the same moment: the tombstone is written before the item goes, so either order ends out.
    for (const order of ['created first', 'cancelled first']) {
      const learner = sub();
      const b = seat(learner, 1);
      const pair = order === 'created first' ? [b.created, b.cancelled(2)] : [b.cancelled(2), b.created];
      const { response } = await deliver(...pair);
      expect(response.batchItemFailures).toEqual([]);
      expect([order, await watches(learner)]).toEqual([order, false]);
    }
  });

  it('leaves the learner’s other enrollment in the course, whichever arrives first', async () => {
    // A company's provision of the same course, enrolled after the seat and before the cancellation.
    const inOrder = sub();
    const s = seat(inOrder, 1);
    const company = enrolled(content.courseId, inOrder, 2);
    await deliver(s.created);
    await deliver(company);
    await deliver(s.cancelled(3));
    expect(await item(learnerKey(content.courseId, inOrder))).toMatchObject({
      enrollmentId: company.detail.enrollmentId,
    });
    // The cancellation first, then the seat, then the other enrollment older than the cancellation.
    const reversed = sub();
    const r = seat(reversed, 1);
    await deliver(r.cancelled(3));
    await deliver(r.created);
    await deliver(enrolled(content.courseId, reversed, 2));
    expect(await watches(reversed)).toBe(true);
  });

  it('lets the learner register again: the new seat stays whichever of the two facts comes first', async () => {
    const learner = sub();
    const sessionId = randomUUID();
    const before = seat(learner, 1, sessionId);
    const again = seat(learner, 3, sessionId);
    await deliver(before.created);
    await deliver(again.created);
    await deliver(before.cancelled(2));
    expect(await item(learnerKey(content.courseId, learner))).toMatchObject({
      enrollmentId: again.enrollmentId,
    });
    expect(await watches(learner)).toBe(true);
  });

  it('ignores a place in line given up: it held no enrollment', async () => {
    const learner = sub();
    const s = seat(learner, 1);
    await deliver(s.created);
    const line = envelope('registration.cancelled', {
      registrationId: randomUUID(),
      sessionId: randomUUID(),
      courseId: content.courseId,
      userSub: learner,
      enrollmentId: null,
      occurredAt: at(2),
    });
    expect(await outcome(line)).toBe('ignored');
    expect(await watches(learner)).toBe(true);
  });
});
