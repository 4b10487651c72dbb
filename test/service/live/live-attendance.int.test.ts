import { randomUUID } from 'node:crypto';
import { DeleteMessageBatchCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { COMPLIANCE_PROFILES } from '#contracts/compliance-profiles';
import type { LiveEnded } from '#contracts/live';
import { EVENTS } from '#contracts/resources';
import { coreEventHandlers } from '#service/events/handlers';
import { consumeBatch } from '#service/events/queue-consumer';
import { serviceFixture, type Person, type ServiceFixture } from '../service-fixture';
import { buildWorld, expectStatus, snapshot, type World } from '../world';

/*
 * The story of one provision's live lectures, in order (each test builds on the last). The world's own
 * provision (companies[0] of institutions[0]) has two learners: its employee (E0) and an absentee (E1),
 * enrolled now (2026-12), so lectures in 2027-03 are due to both.
 *
 *   lecture  parts  E0                         E1
 *   A        1      0.75, then 0.8 (newer)     absent
 *   B        2      0.5 (part 1)               1.0 (part 2)
 *   C        1      0.25                       absent (reported, but with another learner's sub: skipped)
 *
 * E0: 3 of 3 attended, mean (0.8 + 0.5 + 0.25) / 3 = 0.5167. E1: 1 of 3, mean 1 / 3 = 0.3333.
 * The company and course: 3 lectures, mean over six learner-lectures 2.55 / 6 = 0.425.
 */

const QUEUE = 'https://sqs.eu-central-1.amazonaws.com/123456789012/core-events';
const sqs = mockClient(SQSClient);
const warnings: { message: string; fields: Record<string, unknown> }[] = [];
const log = {
  warn: (message: string, fields: Record<string, unknown>) => void warnings.push({ message, fields }),
};

let f: ServiceFixture;
let w: World;
let absentee: Person;
let e0: string;
let e1: string;
let otherEnrollment: string;
const lectures = { a: randomUUID(), b: randomUUID(), c: randomUUID() };

const db = () => f.database.db;
const own = () => w.institutions[0];
const ownCompany = () => w.companies[0];

beforeAll(async () => {
  f = await serviceFixture('live_attendance');
  w = await buildWorld(f);
  const enrollmentOf = async (provisionId: string, sub: string) =>
    (
      await db()
        .selectFrom('enrollments')
        .select('id')
        .where('provision_id', '=', provisionId)
        .where('user_sub', '=', sub)
        .executeTakeFirstOrThrow()
    ).id;
  e0 = await enrollmentOf(ownCompany().provisionId, ownCompany().employee.sub);
  otherEnrollment = await enrollmentOf(w.companies[1].provisionId, w.companies[1].employee.sub);
  absentee = await f.person(['learner'], 'absentee');
  e1 = (
    await db()
      .insertInto('enrollments')
      .values({ provision_id: ownCompany().provisionId, course_id: own().course.id, user_sub: absentee.sub })
      .returning('id')
      .executeTakeFirstOrThrow()
  ).id;
});
afterAll(() => f.close());
beforeEach(() => {
  sqs.reset();
  warnings.length = 0;
});

type Attendee = LiveEnded['attendees'][number];
const attendee = (enrollmentId: string, userSub: string, rate: number, quizzes = [0, 0]): Attendee => ({
  userSub,
  enrollmentId,
  joinedAt: '2027-03-02T10:01:00Z',
  presenceSeconds: Math.round(rate * 3600),
  attendanceRate: rate,
  quizzesAnswered: quizzes[0]!,
  quizzesCorrect: quizzes[1]!,
});
const report = (
  lectureId: string,
  attendees: Attendee[],
  over: Partial<Omit<LiveEnded, 'attendees'>> = {},
): LiveEnded => ({
  lectureId,
  provisionId: ownCompany().provisionId,
  courseId: own().course.id,
  institutionId: own().id,
  title: `Lecture ${lectureId.slice(0, 4)}`,
  occurredAt: '2027-03-02T11:00:00Z',
  startedAt: '2027-03-02T10:00:00Z',
  endedAt: '2027-03-02T11:00:00Z',
  quizzesSent: 3,
  part: 1,
  parts: 1,
  attendees,
  ...over,
});
const envelope = (detail: unknown, id: string = randomUUID()) => ({
  id,
  source: 'lms.live',
  'detail-type': 'live.ended',
  time: '2027-03-02T11:00:00Z',
  detail,
});

/** One ReceiveMessage answer with these bodies, through the core's own handler map. */
async function deliver(bodies: unknown[]) {
  sqs.on(ReceiveMessageCommand).resolves({
    Messages: bodies.map((b, i) => ({
      MessageId: `m${i}`,
      ReceiptHandle: `r${i}`,
      Body: typeof b === 'string' ? b : JSON.stringify(b),
    })),
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

const attendance = (lectureId: string) =>
  db()
    .selectFrom('live_attendance')
    .select([
      'enrollment_id as enrollmentId',
      'user_sub as userSub',
      'presence_seconds as presenceSeconds',
      (eb) => eb.cast<number>('attendance_rate', 'float8').as('attendanceRate'),
      'quizzes_answered as quizzesAnswered',
      'quizzes_correct as quizzesCorrect',
    ])
    .where('lecture_id', '=', lectureId)
    .orderBy('presence_seconds')
    .execute();
/** The live tables alone: the event ids a redelivery records are not what it must leave alone. */
const liveState = async () => {
  const all = await snapshot(db());
  return { lectures: all.live_lectures, attendance: all.live_attendance };
};

describe('live.ended from the queue', () => {
  it('has a handler for every type the core consumes, and for no other', () => {
    // The stack's rules, the queue consumer and the local bus all derive from EVENTS.coreConsumes.
    expect(
      Object.keys(coreEventHandlers(db(), log, { compliance: COMPLIANCE_PROFILES.standard })).sort(),
    ).toEqual(Object.values(EVENTS.coreConsumes).flat().sort());
  });

  it('records the lecture and its attendees, and takes the message off the queue', async () => {
    const detail = report(lectures.a, [attendee(e0, ownCompany().employee.sub, 0.75, [2, 1])]);
    const { handled, deleted } = await deliver([envelope(detail, 'ev-a1')]);
    expect([handled, deleted]).toEqual([1, ['r0']]);
    expect(
      await db()
        .selectFrom('live_lectures')
        .select(['provision_id', 'course_id', 'institution_id', 'title', 'quizzes_sent'])
        .where('lecture_id', '=', lectures.a)
        .executeTakeFirstOrThrow(),
    ).toEqual({
      provision_id: ownCompany().provisionId,
      course_id: own().course.id,
      institution_id: own().id,
      title: detail.title,
      quizzes_sent: 3,
    });
    expect(await attendance(lectures.a)).toEqual([
      {
        enrollmentId: e0,
        userSub: ownCompany().employee.sub,
        presenceSeconds: 2700,
        attendanceRate: 0.75,
        quizzesAnswered: 2,
        quizzesCorrect: 1,
      },
    ]);
    expect(warnings).toEqual([]);
  });

  it('changes nothing when the same event, or the same report under a new id, arrives again', async () => {
    const detail = report(lectures.a, [attendee(e0, ownCompany().employee.sub, 0.75, [2, 1])]);
    const before = await liveState();
    const { handled } = await deliver([envelope(detail, 'ev-a1'), envelope(detail, 'ev-a1-again')]);
    expect(handled).toBe(2);
    expect(await liveState()).toEqual(before);
  });

  it('lets a newer end replace the record, and never an older one after it', async () => {
    const employee = ownCompany().employee.sub;
    await deliver([
      envelope(
        report(lectures.a, [attendee(e0, employee, 0.8, [3, 2])], {
          occurredAt: '2027-03-02T12:30:00Z',
          endedAt: '2027-03-02T12:30:00Z',
          quizzesSent: 4,
        }),
      ),
    ]);
    const newer = await liveState();
    expect((await attendance(lectures.a))[0]).toMatchObject({ attendanceRate: 0.8, quizzesCorrect: 2 });
    sqs.reset();
    // The first end again, under a new id (its publisher retried), and an even older one.
    const { handled } = await deliver([
      envelope(report(lectures.a, [attendee(e0, employee, 0.75, [2, 1])])),
      envelope(report(lectures.a, [attendee(e0, employee, 0.1)], { occurredAt: '2027-03-02T10:30:00Z' })),
    ]);
    expect(handled).toBe(2);
    expect(await liveState()).toEqual(newer);
  });

  it('takes a big lecture’s parts one by one, each writing its own attendees', async () => {
    const parts = {
      occurredAt: '2027-03-09T11:00:00Z',
      startedAt: '2027-03-09T10:00:00Z',
      endedAt: '2027-03-09T11:00:00Z',
      parts: 2,
    };
    const { handled } = await deliver([
      envelope(report(lectures.b, [attendee(e1, absentee.sub, 1, [3, 3])], { ...parts, part: 2 })),
      envelope(report(lectures.b, [attendee(e0, ownCompany().employee.sub, 0.5)], { ...parts, part: 1 })),
    ]);
    expect(handled).toBe(2);
    expect((await attendance(lectures.b)).map((a) => [a.enrollmentId, a.attendanceRate])).toEqual([
      [e0, 0.5],
      [e1, 1],
    ]);
    const count = await db()
      .selectFrom('live_lectures')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('lecture_id', '=', lectures.b)
      .executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
  });

  it('skips and logs attendees with no enrollment of theirs in the lecture’s provision', async () => {
    const unknown = randomUUID();
    const { handled } = await deliver([
      envelope(
        report(
          lectures.c,
          [
            attendee(e0, ownCompany().employee.sub, 0.25),
            // Enrolled nowhere; enrolled in another company's provision; someone else's enrollment.
            attendee(unknown, 'ghost', 0.9),
            attendee(otherEnrollment, w.companies[1].employee.sub, 0.9),
            attendee(e1, ownCompany().employee.sub, 0.9),
          ],
          {
            occurredAt: '2027-03-16T11:00:00Z',
            startedAt: '2027-03-16T10:00:00Z',
            endedAt: '2027-03-16T11:00:00Z',
          },
        ),
      ),
    ]);
    expect(handled).toBe(1);
    expect((await attendance(lectures.c)).map((a) => a.enrollmentId)).toEqual([e0]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.fields).toMatchObject({
      lectureId: lectures.c,
      skipped: [
        { enrollmentId: unknown, reason: 'not-enrolled-here' },
        { enrollmentId: otherEnrollment, reason: 'not-enrolled-here' },
        { enrollmentId: e1, reason: 'other-learner' },
      ],
    });
    const foreign = await db()
      .selectFrom('live_attendance')
      .select('lecture_id')
      .where('enrollment_id', '=', otherEnrollment)
      .execute();
    expect(foreign).toEqual([]);
  });

  it('leaves malformed and cross-tenant reports on the queue, and handles the good one beside them', async () => {
    const before = await liveState();
    const good = report(lectures.c, [attendee(e0, ownCompany().employee.sub, 0.25)], {
      occurredAt: '2027-03-16T11:00:00Z',
      startedAt: '2027-03-16T10:00:00Z',
      endedAt: '2027-03-16T11:00:00Z',
    });
    const { received, handled, deleted } = await deliver([
      envelope({ lectureId: lectures.c }),
      envelope({ ...good, part: 3, parts: 2 }),
      envelope({ ...good, attendees: [{ ...good.attendees[0]!, quizzesAnswered: 0, quizzesCorrect: 1 }] }),
      envelope({ ...good, attendees: [{ ...good.attendees[0]!, attendanceRate: 1.5 }] }),
      // The other company's provision under this institution's course: no such pair here.
      envelope({ ...good, lectureId: randomUUID(), provisionId: w.companies[1].provisionId }),
      // A known lecture said to belong to another provision.
      envelope({
        ...good,
        provisionId: w.companies[1].provisionId,
        courseId: w.institutions[1].course.id,
        institutionId: w.institutions[1].id,
      }),
      envelope(good),
    ]);
    expect([received, handled, deleted]).toEqual([7, 1, ['r6']]);
    expect(warnings.map((x) => x.message)).toEqual(Array(6).fill('event not handled; it stays on the queue'));
    expect(await liveState()).toEqual(before);
  });
});

describe('the learning record shows live attendance', () => {
  const dashboard = (who: Person | undefined) =>
    f.call(who, { method: 'GET', url: `/provisions/${ownCompany().provisionId}/progress` });

  it('on the company’s dashboard: lectures attended of those ended, and the mean rate', async () => {
    const rows = await expectStatus(dashboard(ownCompany().manager), 200);
    expect(rows).toEqual([
      expect.objectContaining({
        enrollmentId: e0,
        liveLecturesAttended: 3,
        liveLecturesEnded: 3,
        liveAttendanceRate: 0.5167,
      }),
      expect.objectContaining({
        enrollmentId: e1,
        liveLecturesAttended: 1,
        liveLecturesEnded: 3,
        liveAttendanceRate: 0.3333,
      }),
    ]);
    // The other company's learners: enrolled, no lecture yet.
    const other = await expectStatus(
      f.call(w.companies[1].manager, {
        method: 'GET',
        url: `/provisions/${w.companies[1].provisionId}/progress`,
      }),
      200,
    );
    expect(other).toEqual([
      expect.objectContaining({ liveLecturesAttended: 0, liveLecturesEnded: 0, liveAttendanceRate: null }),
    ]);
  });

  it('to no manager of another company, nor an employee', async () => {
    for (const who of [w.companies[1].manager, ownCompany().employee, w.institutions[1].manager]) {
      const res = await dashboard(who);
      expect([res.statusCode, res.headers['content-type']]).toEqual([
        404,
        expect.stringMatching(/problem\+json/),
      ]);
    }
  });

  it('in the institution’s attendance per company and course', async () => {
    const page = await expectStatus(
      f.call(own().manager, { method: 'GET', url: `/institutions/${own().id}/analytics/completion` }),
      200,
    );
    expect(page.rows).toEqual([
      {
        companyId: ownCompany().id,
        companyName: 'Company 0',
        courseId: own().course.id,
        courseTitle: 'Course 0',
        enrolled: 2,
        // E1 did nothing but attend lecture B: live presence is taking part.
        attended: 2,
        completed: 0,
        attendanceRate: 1,
        completionRate: 0,
        liveLectures: 3,
        liveAttendanceRate: 0.425,
      },
    ]);
    const other = await f.call(w.institutions[1].manager, {
      method: 'GET',
      url: `/institutions/${own().id}/analytics/completion`,
    });
    expect(other.statusCode).toBe(404);
  });

  it('in the learner’s audit export, absences included, for the institution and the sending company only', async () => {
    const url = `/provisions/${ownCompany().provisionId}/enrollments/${e1}/audit`;
    const audit = await expectStatus(f.call(own().manager, { method: 'GET', url }), 200);
    expect(audit.userSub).toBe(absentee.sub);
    expect(
      audit.liveLectures.map((l: Record<string, unknown>) => [
        l.lectureId,
        l.attended,
        l.presenceSeconds,
        l.attendanceRate,
        l.quizzesAnswered,
        l.quizzesCorrect,
      ]),
    ).toEqual([
      [lectures.a, false, 0, 0, 0, 0],
      [lectures.b, true, 3600, 1, 3, 3],
      [lectures.c, false, 0, 0, 0, 0],
    ]);
    expect(audit.liveLectures[1]).toMatchObject({
      title: `Lecture ${lectures.b.slice(0, 4)}`,
      quizzesSent: 3,
      joinedAt: '2027-03-02T10:01:00.000Z',
      startedAt: '2027-03-09T10:00:00.000Z',
    });
    expect((await f.call(ownCompany().manager, { method: 'GET', url })).statusCode).toBe(200);
    for (const who of [w.companies[1].manager, w.institutions[1].manager])
      expect((await f.call(who, { method: 'GET', url })).statusCode).toBe(404);
  });

  it('leaves out lectures that ended before a learner enrolled', async () => {
    const late = await f.person(['learner'], 'late');
    const { id } = await db()
      .insertInto('enrollments')
      .values({ provision_id: ownCompany().provisionId, course_id: own().course.id, user_sub: late.sub })
      .returning('id')
      .executeTakeFirstOrThrow();
    // A lecture that ended yesterday, before this enrollment existed.
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    await deliver([
      envelope(
        report(randomUUID(), [attendee(e0, ownCompany().employee.sub, 1)], {
          occurredAt: yesterday,
          startedAt: yesterday,
          endedAt: yesterday,
        }),
      ),
    ]);
    const rows = await expectStatus(dashboard(ownCompany().manager), 200);
    expect(rows.find((r: { enrollmentId: string }) => r.enrollmentId === id)).toMatchObject({
      liveLecturesEnded: 3,
      liveLecturesAttended: 0,
      liveAttendanceRate: 0,
    });
    expect(rows.find((r: { enrollmentId: string }) => r.enrollmentId === e0)).toMatchObject({
      liveLecturesEnded: 4,
      liveLecturesAttended: 4,
    });
  });
});
