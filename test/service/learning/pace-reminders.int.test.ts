import { randomUUID } from 'node:crypto';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { sql } from 'kysely';
import { COMPLIANCE_PROFILES } from '#contracts/compliance-profiles';
import { companyPaceDigestDue, paceReminderDue } from '#contracts/platform-events';
import { EVENTS } from '#contracts/resources';
import { coreEventHandlers } from '#service/events/handlers';
import { consumeBatch } from '#service/events/queue-consumer';
import { recordPaceReminders } from '#service/learning/pace-reminders';
import { seedProvision, seedVideoCourse } from '../seed';
import { testDatabase, type TestDatabase } from '../test-database';

const kr = COMPLIANCE_PROFILES['kr-employer-training'];
// Day 16 of a December period: 15 of 30 days elapsed. Ten lessons: the progress rule asks for 8, an even
// pace 4 by now.
const DAY = '2026-12-16';
let t: TestDatabase;
let institutionId: string;
let courseId: string;
let videos: string[];
let companyId: string;
/** Thirty lessons: 24 asked for, more than two days under the cap of 8 can credit. */
let bigCourseId: string;
const learners: Record<string, { enrollmentId: string; userSub: string; provisionId: string }> = {};

async function provision(
  startsOn: string,
  endsOn: string,
  options: { course?: string; state?: 'requested' | 'accepted'; openSession?: boolean } = {},
): Promise<string> {
  const p = await t.db
    .insertInto('provisions')
    .values({
      company_id: options.openSession ? null : companyId,
      kind: options.openSession ? 'open-session' : 'company',
      course_id: options.course ?? courseId,
      institution_id: institutionId,
      starts_on: startsOn,
      ends_on: endsOn,
      attendee_count: 100,
      deposit_amount: 0,
      state: options.state ?? 'accepted',
      requested_by: 'test',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return p.id;
}

/** A learner of `provisionId` with their first `lessons` lessons completed. */
async function learner(
  name: string,
  provisionId: string,
  lessons: number,
  options: { completed?: boolean; course?: string; lessonIds?: string[] } = {},
): Promise<void> {
  const userSub = randomUUID();
  const e = await t.db
    .insertInto('enrollments')
    .values({
      provision_id: provisionId,
      course_id: options.course ?? courseId,
      user_sub: userSub,
      completed_at: options.completed ? new Date('2026-12-12T03:00:00Z') : null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const ids = (options.lessonIds ?? videos).slice(0, lessons);
  if (ids.length > 0)
    await t.db
      .insertInto('content_progress')
      .values(
        ids.map((contentId) => ({
          enrollment_id: e.id,
          content_id: contentId,
          covered_seconds: 600,
          completed_at: new Date('2026-12-05T03:00:00Z'),
        })),
      )
      .execute();
  learners[name] = { enrollmentId: e.id, userSub, provisionId };
}

const reminderEvents = async () =>
  (
    await sql<{ payload: Record<string, unknown> }>`
      select payload from outbox where type = 'pace.reminder-due' order by id`.execute(t.db)
  ).rows.map((r) => paceReminderDue.omit({ eventId: true, occurredAt: true }).strict().parse(r.payload));

const digestEvents = async () =>
  (
    await sql<{ payload: Record<string, unknown> }>`
      select payload from outbox where type = 'company.pace-digest-due' order by id`.execute(t.db)
  ).rows.map((r) => companyPaceDigestDue.omit({ eventId: true, occurredAt: true }).strict().parse(r.payload));

beforeAll(async () => {
  t = await testDatabase('pace_reminders');
  const seeded = await seedVideoCourse(t.db, { videos: 10, ready: true });
  ({ institutionId, courseId } = seeded);
  videos = seeded.videoIds;
  const running = await seedProvision(t.db, {
    institutionId,
    courseId,
    startsOn: '2026-12-01',
    endsOn: '2026-12-30',
  });
  companyId = running.companyId;

  const big = await t.db
    .insertInto('courses')
    .values({ institution_id: institutionId, title: 'Big course', state: 'published' })
    .returning('id')
    .executeTakeFirstOrThrow();
  bigCourseId = big.id;
  const chapter = await t.db
    .insertInto('chapters')
    .values({ course_id: bigCourseId, title: 'One', position: 0 })
    .returning('id')
    .executeTakeFirstOrThrow();
  const bigVideos = await t.db
    .insertInto('contents')
    .values(
      Array.from({ length: 30 }, (_, i) => ({
        course_id: bigCourseId,
        chapter_id: chapter.id,
        kind: 'video' as const,
        title: `Lesson ${i + 1}`,
        position: i,
        media_state: 'ready' as const,
        duration_seconds: 600,
      })),
    )
    .returning('id')
    .execute();

  await learner('none', running.provisionId, 0);
  await learner('three', running.provisionId, 3);
  await learner('onPace', running.provisionId, 4);
  await learner('progressMet', running.provisionId, 8);
  await learner('completed', running.provisionId, 0, { completed: true });
  // Its last day: 8 needed, 8 creditable today, none after.
  const ending = await provision('2026-12-10', DAY);
  await learner('lastDay', ending, 0);
  await learner('lastDayOnPace', ending, 8);
  // Two days left, 24 needed, 16 creditable: past helping.
  const tight = await provision('2026-12-15', '2026-12-17', { course: bigCourseId });
  await learner('unreachable', tight, 0, {
    course: bigCourseId,
    lessonIds: bigVideos.map((v) => v.id),
  });
  await learner('notRunning', await provision('2027-01-01', '2027-01-31'), 0);
  await learner('ended', await provision('2026-11-01', '2026-12-15'), 0);
  await learner('requested', await provision('2026-12-01', '2026-12-30', { state: 'requested' }), 0);
  await learner('openSession', await provision('2026-12-01', '2026-12-30', { openSession: true }), 1);
});

afterAll(() => t.close());

describe('recordPaceReminders', () => {
  it('reminds exactly the learners behind or at their last chance, once, with the facts a notice needs', async () => {
    // Pages of two: the keyset walks every running enrollment.
    const scan = await recordPaceReminders(t.db, kr, DAY, 2);
    expect(scan).toEqual({ day: DAY, enrollments: 8, reminded: 4, behind: 3, lastChance: 1, digests: 1 });

    const events = await reminderEvents();
    const byLearner = (name: string) => events.find((e) => e.enrollmentId === learners[name]!.enrollmentId);
    expect(events.map((e) => e.enrollmentId).sort()).toEqual(
      ['none', 'three', 'lastDay', 'openSession'].map((n) => learners[n]!.enrollmentId).sort(),
    );
    expect(byLearner('none')).toEqual({
      enrollmentId: learners.none!.enrollmentId,
      provisionId: learners.none!.provisionId,
      courseId,
      userSub: learners.none!.userSub,
      companyId,
      day: DAY,
      verdict: 'behind',
      lessonsNeeded: 8,
      daysLeft: 15,
      courseTitle: 'Course',
    });
    expect(byLearner('three')).toMatchObject({ verdict: 'behind', lessonsNeeded: 5 });
    expect(byLearner('lastDay')).toMatchObject({ verdict: 'last-chance', lessonsNeeded: 8, daysLeft: 1 });
    expect(byLearner('openSession')).toMatchObject({ verdict: 'behind', companyId: null, lessonsNeeded: 7 });

    const rows = await t.db
      .selectFrom('pace_reminders')
      .select(['enrollment_id', sql<string>`day::text`.as('day'), 'verdict'])
      .execute();
    expect(rows).toHaveLength(4);
    expect(rows).toContainEqual({
      enrollment_id: learners.lastDay!.enrollmentId,
      day: DAY,
      verdict: 'last-chance',
    });
  });

  it('emits nothing new when run again the same day', async () => {
    const scan = await recordPaceReminders(t.db, kr, DAY);
    expect(scan).toEqual({ day: DAY, enrollments: 8, reminded: 0, behind: 0, lastChance: 0, digests: 0 });
    expect(await reminderEvents()).toHaveLength(4);
  });

  it('reminds again the next day, and no longer those whose period ended', async () => {
    const scan = await recordPaceReminders(t.db, kr, '2026-12-17');
    // Running on the 17th: the December provision's four uncompleted, the open session and the tight one.
    expect(scan.enrollments).toBe(6);
    const next = (await reminderEvents()).filter((e) => e.day === '2026-12-17');
    expect(next.map((e) => e.enrollmentId).sort()).toEqual(
      ['none', 'three', 'openSession'].map((n) => learners[n]!.enrollmentId).sort(),
    );
  });

  it('tells the company once a week who has not started, who is behind and who can no longer complete', async () => {
    // The 16th's scan: the company's seven running, uncompleted enrollments (the open session is no
    // company's). Each counts once: the unreachable one, then two with nothing watched (one of them at
    // their last chance), then one behind.
    expect(await digestEvents()).toEqual([
      { companyId, week: '2026-W51', day: DAY, enrollments: 7, notStarted: 2, behind: 1, unreachable: 1 },
    ]);
    // The 17th is the same week: nothing more.
    expect((await digestEvents()).filter((e) => e.day === '2026-12-17')).toEqual([]);
    // Monday the 21st begins week 52: 5 of 8 lessons expected by now, so the learner with 4 is behind.
    const scan = await recordPaceReminders(t.db, kr, '2026-12-21');
    expect(scan.digests).toBe(1);
    expect((await digestEvents()).at(-1)).toEqual({
      companyId,
      week: '2026-W52',
      day: '2026-12-21',
      enrollments: 4,
      notStarted: 1,
      behind: 2,
      unreachable: 0,
    });
    expect((await recordPaceReminders(t.db, kr, '2026-12-22')).digests).toBe(0);
  });
});

describe('pace.scan-due from the scheduler', () => {
  const QUEUE = 'https://sqs.ap-northeast-2.amazonaws.com/123456789012/core-events';
  const sqs = mockClient(SQSClient);
  const warnings: string[] = [];
  const log = { warn: (message: string) => void warnings.push(message) };
  afterAll(() => sqs.restore());

  /** Five past midnight on the 24th in Seoul, when the schedule fires: still the 23rd in UTC. */
  const FIRED = new Date('2026-12-23T15:05:00Z');
  const handlers = () => coreEventHandlers(t.db, log, { compliance: kr, clock: () => FIRED });
  const scanDue = (detail: unknown = {}) =>
    JSON.stringify({
      version: '0',
      id: randomUUID(),
      source: EVENTS.sources.scheduler,
      'detail-type': 'pace.scan-due',
      account: '123456789012',
      time: FIRED.toISOString(),
      region: 'ap-northeast-2',
      resources: [],
      detail,
    });

  /** One ReceiveMessage answer with these bodies, through the core's own handler map; what it deleted. */
  async function deliver(bodies: string[]) {
    sqs.reset();
    sqs.on(ReceiveMessageCommand).resolves({
      Messages: bodies.map((Body, i) => ({ MessageId: `m${i}`, ReceiptHandle: `r${i}`, Body })),
    });
    sqs.on(DeleteMessageBatchCommand).resolves({});
    await consumeBatch(new SQSClient({}), QUEUE, handlers(), log, { waitSeconds: 0 });
    expect(sqs.commandCalls(ReceiveMessageCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: QUEUE, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 },
    ]);
    return sqs.commandCalls(DeleteMessageBatchCommand).map((c) => c.args[0].input);
  }

  const dayOf = async (day: string) => ({
    reminders: (
      await t.db.selectFrom('pace_reminders').select('enrollment_id').where('day', '=', day).execute()
    )
      .map((r) => r.enrollment_id)
      .sort(),
    events: (await reminderEvents())
      .filter((e) => e.day === day)
      .map((e) => e.enrollmentId)
      .sort(),
  });

  it('has a handler for every type the core consumes, the scheduler’s included', () => {
    expect(EVENTS.coreConsumes[EVENTS.sources.scheduler]).toEqual(['pace.scan-due']);
    expect(Object.keys(handlers()).sort()).toEqual(Object.values(EVENTS.coreConsumes).flat().sort());
  });

  it('keeps a scan-due whose detail is not an object on the queue, and scans nothing', async () => {
    expect(await deliver([scanDue('now')])).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(await dayOf('2026-12-24')).toEqual({ reminders: [], events: [] });
  });

  it('scans the day it is in the profile’s time zone, and a second delivery reminds nobody twice', async () => {
    // The 24th: the December provision's learners below an even pace (about 6 of 8 lessons by now) and the
    // open session's; the others' periods have ended or met the rule.
    const behind = ['none', 'three', 'onPace', 'openSession'].map((n) => learners[n]!.enrollmentId).sort();
    const digestsBefore = (await digestEvents()).length;
    expect(await deliver([scanDue()])).toEqual([
      { QueueUrl: QUEUE, Entries: [{ Id: '0', ReceiptHandle: 'r0' }] },
    ]);
    expect(await dayOf('2026-12-24')).toEqual({ reminders: behind, events: behind });
    // Delivered again (SQS promises at least once), and twice in one batch: taken off the queue, no more.
    expect(await deliver([scanDue(), scanDue()])).toEqual([
      {
        QueueUrl: QUEUE,
        Entries: [
          { Id: '0', ReceiptHandle: 'r0' },
          { Id: '1', ReceiptHandle: 'r1' },
        ],
      },
    ]);
    expect(await dayOf('2026-12-24')).toEqual({ reminders: behind, events: behind });
    // Week 52's digest went out on the 21st.
    expect(await digestEvents()).toHaveLength(digestsBefore);
    // The UTC day was never scanned.
    expect(await dayOf('2026-12-23')).toEqual({ reminders: [], events: [] });
  });
});
