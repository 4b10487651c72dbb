import type * as z from 'zod';
import {
  companyMemberRemoved,
  companyMemberSet,
  contentSet,
  enrollmentCreated,
  institutionMemberRemoved,
  institutionMemberSet,
  provisionSet,
  registrationCancelled,
} from '#contracts/platform-events';
import { EVENTS } from '#contracts/resources';
import type { CoreEventType } from '#service/events/outbox';
import type { OutgoingEvent } from '#service/events/publisher';
import { relayOutbox } from '#service/events/relay';
import { businessNumberFrom, serviceFixture, type Person, type ServiceFixture } from '../service-fixture';
import { expectStatus, joinAndApprove, type Json } from '../world';

/*
 * The facts the access projection and the users domain are built from: each change that decides who may
 * upload to or watch a content, or who belongs where, writes its event in its own transaction, a refused
 * change writes none, and what the relay publishes satisfies the contract its consumers parse.
 */

type Consumed =
  (typeof EVENTS.accessConsumes)['lms.core'][number] | (typeof EVENTS.usersConsumes)['lms.core'][number];
const contracts: Record<Consumed, z.ZodType> = {
  'institution.member-set': institutionMemberSet,
  'institution.member-removed': institutionMemberRemoved,
  'company.member-set': companyMemberSet,
  'company.member-removed': companyMemberRemoved,
  'content.set': contentSet,
  'enrollment.created': enrollmentCreated,
  'provision.set': provisionSet,
  'registration.cancelled': registrationCancelled,
};

let f: ServiceFixture;
let manager: Person;
let instructor: Person;
let institutionId: string;
let courseId: string;
let chapterId: string;
/** Outbox ids up to this one were looked at already. */
let seen = '0';
const published: OutgoingEvent[] = [];

beforeAll(async () => {
  f = await serviceFixture('access-facts');
  manager = await f.person(['institution-manager'], 'manager');
  instructor = await f.person(['instructor'], 'instructor');
});
afterAll(() => f.close());

/** The events written since the last look, oldest first. */
async function newEvents(): Promise<{ type: string; payload: Json }[]> {
  const rows = await f.database.db
    .selectFrom('outbox')
    .select(['id', 'type', 'payload'])
    .where('id', '>', seen)
    .orderBy('id')
    .execute();
  if (rows.length > 0) seen = rows.at(-1)!.id;
  return rows.map(({ type, payload }) => ({ type, payload }));
}

const event = (type: CoreEventType, payload: Json) => ({ type, payload });

const as = (who: Person, method: 'POST' | 'PUT' | 'DELETE', url: string, status: number, payload?: unknown) =>
  expectStatus(f.call(who, { method, url, ...(payload !== undefined ? { payload } : {}) }), status);

const exam = (title: string) => ({
  chapterId,
  title,
  stage: 'mid',
  weight: 50,
  questions: [
    { kind: 'choice', prompt: 'Which knot?', choices: ['Bowline', 'Granny'], answer: 0, points: 10 },
  ],
});

describe('access facts in the outbox', () => {
  it('makes the creator of an institution its manager', async () => {
    ({ id: institutionId } = await as(manager, 'POST', '/institutions', 201, {
      name: 'Academy',
      ownerName: 'Lee',
      businessNumber: businessNumberFrom('401810001'),
      certificationNumber: 'CERT-1',
      contactEmail: 'office@academy.example.com',
      contactPhone: '02-100-0001',
    }));
    expect(await newEvents()).toEqual([
      event('institution.member-set', { institutionId, userSub: manager.sub, role: 'institution-manager' }),
    ]);
  });

  it('sets a member when added and whenever their role is put, and removes them', async () => {
    const members = `/institutions/${institutionId}/members`;
    await as(manager, 'PUT', `${members}/${instructor.sub}`, 200, { role: 'institution-manager' });
    await as(manager, 'PUT', `${members}/${instructor.sub}`, 200, { role: 'instructor' });
    const passing = await f.person(['instructor'], 'passing');
    await as(manager, 'PUT', `${members}/${passing.sub}`, 200, { role: 'instructor' });
    await as(manager, 'DELETE', `${members}/${passing.sub}`, 204);
    expect(await newEvents()).toEqual([
      event('institution.member-set', {
        institutionId,
        userSub: instructor.sub,
        role: 'institution-manager',
      }),
      event('institution.member-set', { institutionId, userSub: instructor.sub, role: 'instructor' }),
      event('institution.member-set', { institutionId, userSub: passing.sub, role: 'instructor' }),
      event('institution.member-removed', { institutionId, userSub: passing.sub }),
    ]);
  });

  it('writes nothing for a membership change that was refused', async () => {
    const members = `/institutions/${institutionId}/members`;
    await as(manager, 'DELETE', `${members}/${manager.sub}`, 409);
    await as(manager, 'PUT', `${members}/${manager.sub}`, 409, { role: 'instructor' });
    await as(manager, 'DELETE', `${members}/nobody`, 404);
    // A person belongs to one institution: the insert fails after the lock, inside the transaction.
    const elsewhere = await f.person(['institution-manager'], 'elsewhere');
    await as(elsewhere, 'POST', '/institutions', 201, {
      name: 'Elsewhere',
      ownerName: 'Kim',
      businessNumber: businessNumberFrom('401810002'),
      certificationNumber: 'CERT-2',
      contactEmail: 'office@elsewhere.example.com',
      contactPhone: '02-100-0002',
    });
    await newEvents();
    await as(manager, 'PUT', `${members}/${elsewhere.sub}`, 409, { role: 'instructor' });
    expect(await newEvents()).toEqual([]);
  });

  it('sets each content when created, archived or removed, exams included', async () => {
    ({ id: courseId } = await as(instructor, 'POST', '/courses', 201, {
      title: 'Rigging',
      instructorSub: instructor.sub,
    }));
    ({ id: chapterId } = await as(instructor, 'POST', `/courses/${courseId}/chapters`, 201, {
      title: 'Basics',
    }));
    expect(await newEvents()).toEqual([]);

    const contents = `/courses/${courseId}/chapters/${chapterId}/contents`;
    const video = await as(instructor, 'POST', contents, 201, { kind: 'video', title: 'Walkaround' });
    const material = await as(instructor, 'POST', contents, 201, { kind: 'material', title: 'Checklist' });
    const spare = await as(instructor, 'POST', contents, 201, { kind: 'video', title: 'Spare' });
    const mid = await as(instructor, 'POST', `/courses/${courseId}/exams`, 201, exam('Mid'));
    const draft = await as(instructor, 'POST', `/courses/${courseId}/exams`, 201, exam('Draft'));
    await as(instructor, 'POST', `/courses/${courseId}/contents/${material.id}/archive`, 200);
    await as(instructor, 'DELETE', `/courses/${courseId}/contents/${spare.id}`, 204);
    await as(instructor, 'DELETE', `/courses/${courseId}/exams/${draft.id}`, 204);
    // Renaming and moving change nothing the projection holds.
    for (const payload of [{ title: 'Walkaround, again' }, { position: 1 }])
      await expectStatus(
        f.call(instructor, { method: 'PATCH', url: `/courses/${courseId}/contents/${video.id}`, payload }),
        200,
      );

    const content = (contentId: string, kind: string, state: string) =>
      event('content.set', { contentId, courseId, institutionId, kind, state });
    expect(await newEvents()).toEqual([
      content(video.id, 'video', 'active'),
      content(material.id, 'material', 'active'),
      content(spare.id, 'video', 'active'),
      content(mid.id, 'exam', 'active'),
      content(draft.id, 'exam', 'active'),
      content(material.id, 'material', 'archived'),
      content(spare.id, 'video', 'archived'),
      content(draft.id, 'exam', 'archived'),
    ]);

    // Refused: archiving twice, removing what is gone.
    await as(instructor, 'POST', `/courses/${courseId}/contents/${material.id}/archive`, 409);
    await as(instructor, 'DELETE', `/courses/${courseId}/contents/${spare.id}`, 404);
    expect(await newEvents()).toEqual([]);
  });

  it('enrolls a learner with the enrollment’s own fact, after the company’s own facts', async () => {
    await as(manager, 'POST', `/courses/${courseId}/publish`, 200);
    const company = await f.person(['company-manager'], 'company');
    const { id: companyId } = await as(company, 'POST', '/companies', 201, {
      name: 'Cranes Inc',
      ownerName: 'Park',
      businessNumber: businessNumberFrom('501810001'),
      email: 'hr@cranes.example.com',
      phone: '031-200-0001',
    });
    const employee = await f.person(['learner'], 'employee');
    await joinAndApprove(f, companyId, company, employee);
    const { id: provisionId } = await as(company, 'POST', '/provisions', 201, {
      companyId,
      courseId,
      startsOn: '2027-03-01',
      endsOn: '2027-05-31',
      attendeeCount: 5,
      depositAmount: 500000,
    });
    await as(manager, 'POST', `/provisions/${provisionId}/decision`, 200, { decision: 'accepted' });
    await as(company, 'POST', `/provisions/${provisionId}/attendees`, 200, { userSubs: [employee.sub] });
    const { id: enrollmentId } = await f.database.db
      .selectFrom('enrollments')
      .select('id')
      .where('user_sub', '=', employee.sub)
      .executeTakeFirstOrThrow();

    // An employee who leaves is removed from the company; enrolled already, they keep their enrollment.
    const leaving = await f.person(['learner'], 'leaving');
    await joinAndApprove(f, companyId, company, leaving);
    await as(leaving, 'DELETE', `/me/memberships/companies/${companyId}`, 204);

    const provision = { provisionId, institutionId, companyId, courseId, attendeeCount: 5 };
    const period = { startsOn: '2027-03-01', endsOn: '2027-05-31' };
    expect(await newEvents()).toEqual([
      event('company.member-set', { companyId, userSub: company.sub, role: 'company-manager' }),
      event('company.member-set', { companyId, userSub: employee.sub, role: 'employee' }),
      event('provision.requested', {
        ...provision,
        courseTitle: 'Rigging',
        companyName: 'Cranes Inc',
        ...period,
      }),
      event('provision.set', { ...provision, state: 'requested', ...period }),
      event('provision.accepted', {
        provisionId,
        institutionId,
        companyId,
        courseId,
        courseTitle: 'Rigging',
        institutionName: 'Academy',
        decision: 'accepted',
        reason: null,
        ...period,
      }),
      event('provision.set', { ...provision, state: 'accepted', ...period }),
      event('enrollment.created', {
        enrollmentId,
        provisionId,
        courseId,
        userSub: employee.sub,
        courseTitle: 'Rigging',
      }),
      event('company.member-set', { companyId, userSub: leaving.sub, role: 'employee' }),
      event('company.member-removed', { companyId, userSub: leaving.sub }),
    ]);
  });

  it('ends a cancelled seat’s enrollment with the cancellation, and enrolls the learner it promotes', async () => {
    // The fixture runs on the real clock: a window open now.
    const hour = 3_600_000;
    const { id: sessionId } = await as(manager, 'POST', '/sessions', 201, {
      courseId,
      capacity: 1,
      startsOn: '2027-06-01',
      endsOn: '2027-06-30',
      opensAt: new Date(Date.now() - hour).toISOString(),
      closesAt: new Date(Date.now() + 24 * hour).toISOString(),
      cancelDeadline: new Date(Date.now() + 24 * hour).toISOString(),
    });
    const [first, second] = [await f.person(['learner'], 'first'), await f.person(['learner'], 'second')];
    const seat = await as(first, 'POST', `/sessions/${sessionId}/registrations`, 201, {});
    const line = await as(second, 'POST', `/sessions/${sessionId}/registrations`, 201, { waitlist: true });
    await newEvents();
    await as(first, 'DELETE', `/me/registrations/${sessionId}`, 200);
    const { enrollmentId: promotedId } = await f.database.db
      .selectFrom('enrollments')
      .select('id as enrollmentId')
      .where('user_sub', '=', second.sub)
      .executeTakeFirstOrThrow();

    const session = { sessionId, courseId };
    expect(await newEvents()).toEqual([
      event('enrollment.created', {
        enrollmentId: promotedId,
        provisionId: sessionId,
        courseId,
        userSub: second.sub,
        courseTitle: 'Rigging',
      }),
      event('waitlist.promoted', {
        registrationId: line.id,
        ...session,
        userSub: second.sub,
        enrollmentId: promotedId,
        courseTitle: 'Rigging',
      }),
      event('registration.cancelled', {
        registrationId: seat.id,
        ...session,
        userSub: first.sub,
        enrollmentId: seat.enrollmentId,
      }),
    ]);
  });

  it('publishes every fact with its id and time, valid against the contract its consumers parse', async () => {
    const rows = await f.database.db
      .selectFrom('outbox')
      .select(['id', 'type', 'payload', 'created_at'])
      .orderBy('id')
      .execute();
    const publish = async (events: readonly OutgoingEvent[]) => {
      published.push(...events);
      return events.map((_, i) => i);
    };
    while ((await relayOutbox(f.database.db, publish)) > 0);

    expect(published).toEqual(
      rows.map((r) => ({
        source: EVENTS.sources.core,
        detailType: r.type,
        detail: { ...r.payload, eventId: `core-${r.id}`, occurredAt: r.created_at.toISOString() },
        time: r.created_at,
      })),
    );
    const facts = published.filter((e) => e.detailType in contracts);
    expect(new Set(facts.map((e) => e.detailType))).toEqual(new Set(Object.keys(contracts)));
    for (const e of facts) {
      // Parsing strips unknown keys: equality also shows the detail carries nothing the contract lacks.
      expect(contracts[e.detailType as keyof typeof contracts].parse(e.detail)).toEqual(e.detail);
    }
    // The projection keeps the newest fact by occurredAt: facts in commit order never go back in time.
    const times = published.map((e) => e.time.getTime());
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});
