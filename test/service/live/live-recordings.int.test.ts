import { randomUUID } from 'node:crypto';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { COMPLIANCE_PROFILES } from '#contracts/compliance-profiles';
import type { LiveRecorded } from '#contracts/live';
import { coreEventHandlers } from '#service/events/handlers';
import { consumeBatch } from '#service/events/queue-consumer';
import { standingOf } from '#service/learning/completion';
import { serviceFixture, type Person, type ServiceFixture } from '../service-fixture';
import { buildWorld, expectStatus, snapshot, type Json, type World } from '../world';

/*
 * A lecture of the own provision (companies[0] of institutions[0]'s course) is recorded, in order (each
 * test builds on the last). The same course has a second provision, of companies[1], whose employee
 * (`outsider`) must not learn the recording exists. The service's clock stands in both provisions' period.
 */

const QUEUE = 'https://sqs.eu-central-1.amazonaws.com/123456789012/core-events';
const sqs = mockClient(SQSClient);
const warnings: { message: string; fields: Record<string, unknown> }[] = [];
const log = {
  warn: (message: string, fields: Record<string, unknown>) => void warnings.push({ message, fields }),
};
let now = new Date('2027-03-10T01:00:00Z');

let f: ServiceFixture;
let w: World;
let outsider: Person;
let ownEnrollment: string;
let outsiderEnrollment: string;
let outsiderProvision: string;
const lectureId = randomUUID();

const db = () => f.database.db;
const own = () => w.institutions[0];
const ownCompany = () => w.companies[0];

beforeAll(async () => {
  f = await serviceFixture('live_recordings', { clock: () => now });
  w = await buildWorld(f);
  ownEnrollment = (
    await db()
      .selectFrom('enrollments')
      .select('id')
      .where('provision_id', '=', ownCompany().provisionId)
      .where('user_sub', '=', ownCompany().employee.sub)
      .executeTakeFirstOrThrow()
  ).id;
  // The other company's provision of the own course: the privacy the recording needs is between them.
  const [, other] = w.companies;
  outsiderProvision = (
    await db()
      .insertInto('provisions')
      .values({
        company_id: other.id,
        course_id: own().course.id,
        institution_id: own().id,
        starts_on: '2027-03-01',
        ends_on: '2027-05-31',
        attendee_count: 1,
        enrolled_count: 1,
        deposit_amount: 0,
        state: 'accepted',
        requested_by: other.manager.sub,
      })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
  outsider = await f.person(['learner'], 'outsider');
  outsiderEnrollment = (
    await db()
      .insertInto('enrollments')
      .values({ provision_id: outsiderProvision, course_id: own().course.id, user_sub: outsider.sub })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
});
afterAll(() => f.close());
beforeEach(() => {
  sqs.reset();
  warnings.length = 0;
});

const recorded = (over: Partial<LiveRecorded> = {}): LiveRecorded => ({
  lectureId,
  provisionId: ownCompany().provisionId,
  courseId: own().course.id,
  institutionId: own().id,
  title: 'Forklift inspection, live',
  occurredAt: '2027-03-02T11:05:00Z',
  durationSeconds: 3600,
  manifestPath: `hls/${lectureId}/index.m3u8`,
  ...over,
});
const envelope = (detail: unknown, id: string = randomUUID()) => ({
  id,
  source: 'lms.live',
  'detail-type': 'live.recorded',
  time: '2027-03-02T11:05:00Z',
  detail,
});

/** One ReceiveMessage answer with these bodies, through the core's own handler map. */
async function deliver(bodies: unknown[]) {
  sqs.on(ReceiveMessageCommand).resolves({
    Messages: bodies.map((b, i) => ({ MessageId: `m${i}`, ReceiptHandle: `r${i}`, Body: JSON.stringify(b) })),
  });
  sqs.on(DeleteMessageBatchCommand).resolves({});
  const result = await consumeBatch(
    new SQSClient({}),
    QUEUE,
    coreEventHandlers(db(), log, { compliance: COMPLIANCE_PROFILES.standard }),
    log,
    {
      waitSeconds: 0,
    },
  );
  const deleted = sqs
    .commandCalls(DeleteMessageBatchCommand)
    .flatMap((c) => c.args[0].input.Entries!.map((e) => e.ReceiptHandle));
  return { ...result, deleted };
}

const recording = () =>
  db()
    .selectFrom('contents as x')
    .innerJoin('chapters as ch', 'ch.id', 'x.chapter_id')
    .select([
      'x.course_id',
      'x.provision_id',
      'x.kind',
      'x.title',
      'x.state',
      'x.media_state',
      'x.duration_seconds',
      'x.playback_path',
      'x.media_event_at',
      'ch.title as chapter',
      'ch.purpose',
      'ch.position as chapterPosition',
    ])
    .where('x.id', '=', lectureId)
    .executeTakeFirst();
/** The curriculum and its facts alone: event ids a redelivery records are not what it must leave alone. */
const curriculumState = async () => {
  const all = await snapshot(db());
  return { chapters: all.chapters, contents: all.contents, outbox: all.outbox };
};
const page = async (who: Person): Promise<Json> =>
  expectStatus(f.call(who, { method: 'GET', url: `/courses/${own().course.id}` }), 200);
const pageContentIds = (p: Json): string[] =>
  p.chapters.flatMap((ch: Json) => ch.contents.map((x: Json) => x.id));
const beat = (who: Person, enrollmentId: string, sequence: number, position: number) =>
  f.call(who, {
    method: 'POST',
    url: `/me/enrollments/${enrollmentId}/heartbeats`,
    payload: { contentId: lectureId, sessionId: `tab-${enrollmentId}`, sequence, position, playbackRate: 1 },
  });

describe('live.recorded from the queue', () => {
  let lessonsBefore: Json;

  it('makes the recording a ready video of the course under the lecture’s id, in a recordings chapter', async () => {
    lessonsBefore = await standingOf(db(), ownEnrollment);
    const { handled, deleted } = await deliver([envelope(recorded(), 'rec-1')]);
    expect([handled, deleted]).toEqual([1, ['r0']]);
    expect(await recording()).toEqual({
      course_id: own().course.id,
      provision_id: ownCompany().provisionId,
      kind: 'video',
      title: 'Forklift inspection, live (recording)',
      state: 'active',
      media_state: 'ready',
      duration_seconds: 3600,
      playback_path: `hls/${lectureId}/index.m3u8`,
      media_event_at: new Date('2027-03-02T11:05:00Z'),
      chapter: 'Live lecture recordings',
      purpose: 'live-recordings',
      // After the world's one chapter.
      chapterPosition: 1,
    });
    const facts = await db()
      .selectFrom('outbox')
      .select('payload')
      .where('type', '=', 'content.set')
      .where((eb) => eb(eb.ref('payload', '->>').key('contentId'), '=', lectureId))
      .execute();
    expect(facts.map((x) => x.payload)).toEqual([
      {
        contentId: lectureId,
        courseId: own().course.id,
        institutionId: own().id,
        kind: 'video',
        state: 'active',
        provisionId: ownCompany().provisionId,
      },
    ]);
  });

  it('changes nothing when the same event, or the same recording under a new id, arrives again', async () => {
    const before = await curriculumState();
    const { handled } = await deliver([envelope(recorded(), 'rec-1'), envelope(recorded(), 'rec-1-again')]);
    expect(handled).toBe(2);
    expect(await curriculumState()).toEqual(before);
  });

  it('lets a newer recording replace duration and playlist, and never an older one after it', async () => {
    const newer = recorded({
      occurredAt: '2027-03-02T12:40:00Z',
      durationSeconds: 5400,
      manifestPath: `hls/${lectureId}/index.m3u8?v=2`,
      title: 'Renamed by the live domain',
    });
    await deliver([envelope(newer)]);
    expect(await recording()).toMatchObject({
      duration_seconds: 5400,
      playback_path: `hls/${lectureId}/index.m3u8?v=2`,
      media_event_at: new Date('2027-03-02T12:40:00Z'),
      // The title, place and state are the institution's once the content exists.
      title: 'Forklift inspection, live (recording)',
      chapter: 'Live lecture recordings',
    });
    const after = await curriculumState();
    await deliver([envelope(recorded({ occurredAt: '2027-03-02T11:30:00Z', durationSeconds: 60 }))]);
    expect(await curriculumState()).toEqual(after);
  });

  it('appends a second lecture’s recording to the same chapter, found by its purpose when renamed', async () => {
    const chapter = await db()
      .selectFrom('chapters')
      .select('id')
      .where('course_id', '=', own().course.id)
      .where('purpose', '=', 'live-recordings')
      .executeTakeFirstOrThrow();
    await expectStatus(
      f.call(own().manager, {
        method: 'PATCH',
        url: `/courses/${own().course.id}/chapters/${chapter.id}`,
        payload: { title: 'Catch up' },
      }),
      200,
    );
    const second = randomUUID();
    await deliver([
      envelope(recorded({ lectureId: second, manifestPath: `hls/${second}/index.m3u8`, title: 'Second' })),
    ]);
    const rows = await db()
      .selectFrom('contents')
      .select(['id', 'position', 'chapter_id'])
      .where('provision_id', '=', ownCompany().provisionId)
      .orderBy('position')
      .execute();
    expect(rows).toEqual([
      { id: lectureId, position: 0, chapter_id: chapter.id },
      { id: second, position: 1, chapter_id: chapter.id },
    ]);
    const chapters = await db()
      .selectFrom('chapters')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('course_id', '=', own().course.id)
      .executeTakeFirstOrThrow();
    expect(Number(chapters.n)).toBe(2);
  });

  it('leaves malformed and mismatched reports on the queue, writing nothing', async () => {
    const before = await curriculumState();
    const other = randomUUID();
    const fresh = { lectureId: other, manifestPath: `hls/${other}/index.m3u8` };
    const { received, handled, deleted } = await deliver([
      envelope({ lectureId: other }),
      // Files elsewhere than the lecture's place: a content would play someone else's.
      envelope(recorded({ ...fresh, manifestPath: `hls/${lectureId}/index.m3u8` })),
      // The other company's provision is of this course, but the other institution's is not.
      envelope(recorded({ ...fresh, provisionId: w.companies[1].provisionId })),
      envelope(recorded({ ...fresh, institutionId: w.institutions[1].id })),
      envelope(recorded({ ...fresh, courseId: w.institutions[1].course.id })),
      // A known recording said to belong to another provision (of the same course), newer.
      envelope(recorded({ provisionId: outsiderProvision, occurredAt: '2027-03-03T00:00:00Z' })),
      // A curriculum content's id is not a lecture's.
      envelope(
        recorded({
          lectureId: own().course.contentIds[0]!,
          manifestPath: `hls/${own().course.contentIds[0]!}/index.m3u8`,
        }),
      ),
    ]);
    expect([received, handled, deleted]).toEqual([7, 0, []]);
    expect(warnings.map((x) => x.message)).toEqual(Array(7).fill('event not handled; it stays on the queue'));
    expect(await curriculumState()).toEqual(before);
  });

  it('adds no lesson: completion counts only the curriculum', async () => {
    expect(await standingOf(db(), ownEnrollment)).toEqual(lessonsBefore);
    const mine = await expectStatus(
      f.call(ownCompany().employee, { method: 'GET', url: '/me/enrollments' }),
      200,
    );
    expect(mine).toEqual([expect.objectContaining({ lessonsTotal: 1 })]);
    const dashboard = await expectStatus(
      f.call(ownCompany().manager, {
        method: 'GET',
        url: `/provisions/${ownCompany().provisionId}/progress`,
      }),
      200,
    );
    expect(dashboard).toEqual([expect.objectContaining({ lessonsTotal: 1 })]);
  });
});

describe('a recording is its provision’s', () => {
  it('shows on the course page of the provision’s learner, and of the institution’s people', async () => {
    const mine = await page(ownCompany().employee);
    const chapter = mine.chapters.find((ch: Json) => ch.purpose === 'live-recordings');
    expect(chapter.contents[0]).toMatchObject({
      id: lectureId,
      kind: 'video',
      mediaState: 'ready',
      durationSeconds: 5400,
      provisionId: ownCompany().provisionId,
    });
    expect(pageContentIds(await page(own().instructor))).toContain(lectureId);
    expect(pageContentIds(await page(w.admin))).toContain(lectureId);
  });

  it('does not show on another company’s learner’s page, nor to a company manager, not even its chapter', async () => {
    for (const who of [outsider, ownCompany().manager]) {
      const p = await page(who);
      expect(pageContentIds(p)).toEqual(own().course.contentIds);
      expect(p.chapters.map((ch: Json) => ch.purpose)).toEqual([null]);
    }
  });

  it('credits the provision’s learner for watching it', async () => {
    expect((await expectStatus(beat(ownCompany().employee, ownEnrollment, 1, 0), 200)).creditedSeconds).toBe(
      0,
    );
    now = new Date(now.getTime() + 10_000);
    expect(await expectStatus(beat(ownCompany().employee, ownEnrollment, 2, 10), 200)).toEqual({
      creditedSeconds: 10,
      coveredSeconds: 10,
      durationSeconds: 5400,
      completed: false,
      gate: null,
    });
    const progress = await expectStatus(
      f.call(ownCompany().employee, { method: 'GET', url: `/me/enrollments/${ownEnrollment}/progress` }),
      200,
    );
    expect(progress).toEqual(
      expect.arrayContaining([expect.objectContaining({ contentId: lectureId, coveredSeconds: 10 })]),
    );
    const dashboard = await expectStatus(
      f.call(ownCompany().manager, {
        method: 'GET',
        url: `/provisions/${ownCompany().provisionId}/progress`,
      }),
      200,
    );
    expect(dashboard).toEqual([expect.objectContaining({ watchedSeconds: 10, lessonsTotal: 1 })]);
  });

  it('refuses another company’s learner’s heartbeats with 404, and lists it nowhere in their progress', async () => {
    const before = await snapshot(db());
    const res = await beat(outsider, outsiderEnrollment, 1, 0);
    expect(res.statusCode).toBe(404);
    expect(await snapshot(db())).toEqual(before);
    const progress = await expectStatus(
      f.call(outsider, { method: 'GET', url: `/me/enrollments/${outsiderEnrollment}/progress` }),
      200,
    );
    expect(progress.map((x: Json) => x.contentId)).toEqual(own().course.contentIds);
  });

  it('keeps its provision when its institution archives it', async () => {
    await expectStatus(
      f.call(own().manager, {
        method: 'POST',
        url: `/courses/${own().course.id}/contents/${lectureId}/archive`,
      }),
      200,
    );
    const facts = await db()
      .selectFrom('outbox')
      .select('payload')
      .where('type', '=', 'content.set')
      .where((eb) => eb(eb.ref('payload', '->>').key('contentId'), '=', lectureId))
      .orderBy('id')
      .execute();
    expect(facts.at(-1)!.payload).toMatchObject({ state: 'archived', provisionId: ownCompany().provisionId });
  });
});
