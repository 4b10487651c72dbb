import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type * as z from 'zod';
import { enrollmentCreated, provisionDecided, provisionRequested } from '#contracts/platform-events';
import type { CoreEventType } from '#service/events/outbox';
import { businessNumberFrom, serviceFixture, type Person, type ServiceFixture } from '../service-fixture';

let f: ServiceFixture;
let institutionManager: Person;
let companyManager: Person;
let companyId: string;
let courseId: string;
let institutionId: string;

async function ok(res: Promise<{ statusCode: number; body: string; json(): unknown }>, status = 200) {
  const r = await res;
  if (r.statusCode !== status) throw new Error(`expected ${status}, got ${r.statusCode}: ${r.body}`);
  return r.json() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Approved employees straight into the table: joining is tested in the companies tests. */
async function employees(n: number): Promise<string[]> {
  const subs = Array.from({ length: n }, () => randomUUID());
  await f.database.db
    .insertInto('affiliations')
    .values(
      subs.map((s) => ({
        company_id: companyId,
        user_sub: s,
        role: 'employee' as const,
        state: 'approved' as const,
        email: `${s}@example.com`,
      })),
    )
    .execute();
  return subs;
}

async function acceptedProvision(attendeeCount: number): Promise<string> {
  const p = await ok(
    f.call(companyManager, {
      method: 'POST',
      url: '/provisions',
      payload: {
        companyId,
        courseId,
        startsOn: '2026-12-01',
        endsOn: '2027-02-28',
        attendeeCount,
        depositAmount: 1500000,
      },
    }),
    201,
  );
  await ok(
    f.call(institutionManager, {
      method: 'POST',
      url: `/provisions/${p.id}/decision`,
      payload: { decision: 'accepted' },
    }),
  );
  return p.id;
}

const count = async (table: 'enrollments' | 'outbox') =>
  Number(
    (
      await f.database.db
        .selectFrom(table)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

/**
 * One provision's facts of a type from the outbox, with the id and time the relay adds, each parsed by
 * its contract: equal to what it parsed, so the detail carries nothing the contract lacks either.
 */
async function facts<T extends z.ZodType>(type: CoreEventType, contract: T, provisionId: string) {
  const rows = await f.database.db
    .selectFrom('outbox')
    .select(['id', 'payload', 'created_at'])
    .where('type', '=', type)
    .where(sql<string>`payload->>'provisionId'`, '=', provisionId)
    .orderBy('id')
    .execute();
  return rows.map((r) => {
    const detail = { ...r.payload, eventId: `core-${r.id}`, occurredAt: r.created_at.toISOString() };
    const parsed = contract.parse(detail);
    expect(parsed).toEqual(detail);
    return parsed as z.output<T>;
  });
}

beforeAll(async () => {
  f = await serviceFixture('provisions');
  institutionManager = await f.person(['institution-manager']);
  ({ id: institutionId } = await ok(
    f.call(institutionManager, {
      method: 'POST',
      url: '/institutions',
      payload: {
        name: 'Academy',
        ownerName: 'Lee',
        businessNumber: businessNumberFrom('301810001'),
        certificationNumber: 'C-1',
        contactEmail: 'a@example.com',
        contactPhone: '02-111-2222',
      },
    }),
    201,
  ));
  companyManager = await f.person(['company-manager']);
  companyId = (
    await ok(
      f.call(companyManager, {
        method: 'POST',
        url: '/companies',
        payload: {
          name: 'Hanbit',
          ownerName: 'Park',
          businessNumber: businessNumberFrom('301810002'),
          email: 'hr@hanbit.example.com',
          phone: '031-555-0101',
        },
      }),
      201,
    )
  ).id;
  // An institution builds and publishes a course.
  courseId = (
    await ok(
      f.call(institutionManager, { method: 'POST', url: '/courses', payload: { title: 'Forklift safety' } }),
      201,
    )
  ).id;
  const chapter = await ok(
    f.call(institutionManager, {
      method: 'POST',
      url: `/courses/${courseId}/chapters`,
      payload: { title: 'Basics' },
    }),
    201,
  );
  await ok(
    f.call(institutionManager, {
      method: 'POST',
      url: `/courses/${courseId}/chapters/${chapter.id}/contents`,
      payload: { kind: 'video', title: 'Walkaround' },
    }),
    201,
  );
  await ok(f.call(institutionManager, { method: 'POST', url: `/courses/${courseId}/publish` }));
});
afterAll(() => f.close());

describe('provisions and enrollments', () => {
  it('takes a company’s request through acceptance to an enrolled employee who sees the course', async () => {
    const [learnerSub] = await employees(1);
    const provisionId = await acceptedProvision(5);
    const companySide = await ok(
      f.call(companyManager, { method: 'GET', url: '/provisions?state=accepted' }),
    );
    expect(companySide.map((p: { id: string }) => p.id)).toContain(provisionId);
    const institutionSide = await ok(
      f.call(institutionManager, { method: 'GET', url: '/provisions?state=accepted' }),
    );
    expect(institutionSide.map((p: { id: string }) => p.id)).toContain(provisionId);
    // Both sides read the request by its course's and company's names, the institution included.
    expect(institutionSide.find((p: { id: string }) => p.id === provisionId)).toMatchObject({
      courseTitle: 'Forklift safety',
      companyName: 'Hanbit',
    });
    expect(
      await ok(f.call(companyManager, { method: 'GET', url: `/provisions/${provisionId}` })),
    ).toMatchObject({ courseTitle: 'Forklift safety', companyName: 'Hanbit' });

    const res = await ok(
      f.call(companyManager, {
        method: 'POST',
        url: `/provisions/${provisionId}/attendees`,
        payload: { userSubs: [learnerSub] },
      }),
    );
    expect(res).toEqual({ enrolled: [learnerSub], alreadyEnrolled: [] });

    const learner = await f.person(['learner'], 'employee', learnerSub);
    const mine = await ok(f.call(learner, { method: 'GET', url: '/me/enrollments' }));
    expect(mine).toEqual([
      expect.objectContaining({
        provisionId,
        courseId,
        courseTitle: 'Forklift safety',
        startsOn: '2026-12-01',
        endsOn: '2027-02-28',
      }),
    ]);
    const course = await ok(f.call(learner, { method: 'GET', url: `/courses/${courseId}` }));
    expect(course.chapters[0].contents[0]).toMatchObject({
      kind: 'video',
      title: 'Walkaround',
      mediaState: 'pending',
    });
    // A learner not enrolled does not learn the course exists.
    expect(
      (await f.call(await f.person(['learner']), { method: 'GET', url: `/courses/${courseId}` })).statusCode,
    ).toBe(404);
  });

  it('records provision and enrollment events with their changes', async () => {
    const types = await f.database.db.selectFrom('outbox').select('type').execute();
    expect(new Set(types.map((t) => t.type))).toEqual(
      new Set([
        'institution.member-set',
        'company.member-set',
        'content.set',
        'provision.requested',
        'provision.set',
        'provision.accepted',
        'enrollment.created',
      ]),
    );
  });

  it('enrolls exactly 50 of 200 concurrent submissions against 50 seats', async () => {
    const subs = await employees(200);
    const provisionId = await acceptedProvision(50);
    const enrollmentsBefore = await count('enrollments');
    const results = await Promise.all(
      subs.map((sub) =>
        f.call(companyManager, {
          method: 'POST',
          url: `/provisions/${provisionId}/attendees`,
          payload: { userSubs: [sub] },
        }),
      ),
    );
    const statuses = results.map((r) => r.statusCode);
    expect(statuses.filter((s) => s === 200)).toHaveLength(50);
    expect(statuses.filter((s) => s === 409)).toHaveLength(150);
    expect((await count('enrollments')) - enrollmentsBefore).toBe(50);
    const provision = await ok(f.call(companyManager, { method: 'GET', url: `/provisions/${provisionId}` }));
    expect(provision).toMatchObject({ attendeeCount: 50, enrolledCount: 50 });
  });

  it('gives people already enrolled no second seat, and refuses a batch that does not fit whole', async () => {
    const [a, b, c] = await employees(3);
    const provisionId = await acceptedProvision(2);
    const url = `/provisions/${provisionId}/attendees`;
    await ok(f.call(companyManager, { method: 'POST', url, payload: { userSubs: [a] } }));
    expect(await ok(f.call(companyManager, { method: 'POST', url, payload: { userSubs: [a] } }))).toEqual({
      enrolled: [],
      alreadyEnrolled: [a],
    });
    const before = await count('enrollments');
    const tooMany = await f.call(companyManager, { method: 'POST', url, payload: { userSubs: [b, c] } });
    expect(tooMany.statusCode).toBe(409);
    expect(await count('enrollments')).toBe(before);
  });

  it('refuses attendees who are not approved employees, naming them, and changes nothing', async () => {
    const [employee] = await employees(1);
    const provisionId = await acceptedProvision(5);
    const before = await count('enrollments');
    const res = await f.call(companyManager, {
      method: 'POST',
      url: `/provisions/${provisionId}/attendees`,
      payload: { userSubs: [employee, 'someone-else'] },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().errors).toEqual([expect.objectContaining({ field: 'body.userSubs.1' })]);
    expect(await count('enrollments')).toBe(before);
  });

  it('lets only the owning institution’s managers decide, once, with a reason to reject', async () => {
    const p = await ok(
      f.call(companyManager, {
        method: 'POST',
        url: '/provisions',
        payload: {
          companyId,
          courseId,
          startsOn: '2027-01-01',
          endsOn: '2027-01-31',
          attendeeCount: 3,
          depositAmount: 0,
        },
      }),
      201,
    );
    const url = `/provisions/${p.id}/decision`;
    // Attendees cannot be submitted before acceptance.
    const early = await f.call(companyManager, {
      method: 'POST',
      url: `/provisions/${p.id}/attendees`,
      payload: { userSubs: ['x'] },
    });
    expect(early.statusCode).toBe(409);
    expect(
      (await f.call(companyManager, { method: 'POST', url, payload: { decision: 'accepted' } })).statusCode,
    ).toBe(403);
    expect(
      (
        await f.call(await f.person(['institution-manager']), {
          method: 'POST',
          url,
          payload: { decision: 'accepted' },
        })
      ).statusCode,
    ).toBe(404);
    const noReason = await f.call(institutionManager, {
      method: 'POST',
      url,
      payload: { decision: 'rejected' },
    });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().errors[0].field).toBe('body.reason');
    const rejected = await ok(
      f.call(institutionManager, {
        method: 'POST',
        url,
        payload: { decision: 'rejected', reason: 'Fully booked in January' },
      }),
    );
    expect(rejected).toMatchObject({ state: 'rejected', decisionReason: 'Fully booked in January' });
    expect(
      (await f.call(institutionManager, { method: 'POST', url, payload: { decision: 'accepted' } }))
        .statusCode,
    ).toBe(409);
  });

  it('tells each party what the other did, with the names, seats and period their notices need', async () => {
    const [learnerSub] = await employees(1);
    const provisionId = await acceptedProvision(3);
    await ok(
      f.call(companyManager, {
        method: 'POST',
        url: `/provisions/${provisionId}/attendees`,
        payload: { userSubs: [learnerSub] },
      }),
    );
    const sent = { eventId: expect.stringMatching(/^core-\d+$/), occurredAt: expect.any(String) };
    const provision = {
      provisionId,
      institutionId,
      companyId,
      courseId,
      courseTitle: 'Forklift safety',
      startsOn: '2026-12-01',
      endsOn: '2027-02-28',
    };
    expect(await facts('provision.requested', provisionRequested, provisionId)).toEqual([
      { ...provision, companyName: 'Hanbit', attendeeCount: 3, ...sent },
    ]);
    expect(await facts('provision.accepted', provisionDecided, provisionId)).toEqual([
      { ...provision, institutionName: 'Academy', decision: 'accepted', reason: null, ...sent },
    ]);
    expect(await facts('provision.rejected', provisionDecided, provisionId)).toEqual([]);
    expect(await facts('enrollment.created', enrollmentCreated, provisionId)).toEqual([
      {
        enrollmentId: expect.any(String),
        provisionId,
        courseId,
        userSub: learnerSub,
        courseTitle: 'Forklift safety',
        ...sent,
      },
    ]);

    const refused = await ok(
      f.call(companyManager, {
        method: 'POST',
        url: '/provisions',
        payload: {
          companyId,
          courseId,
          startsOn: '2027-03-01',
          endsOn: '2027-03-31',
          attendeeCount: 12,
          depositAmount: 0,
        },
      }),
      201,
    );
    await ok(
      f.call(institutionManager, {
        method: 'POST',
        url: `/provisions/${refused.id}/decision`,
        payload: { decision: 'rejected', reason: 'No trainer free in March' },
      }),
    );
    const march = { ...provision, provisionId: refused.id, startsOn: '2027-03-01', endsOn: '2027-03-31' };
    expect(await facts('provision.requested', provisionRequested, refused.id)).toEqual([
      { ...march, companyName: 'Hanbit', attendeeCount: 12, ...sent },
    ]);
    expect(await facts('provision.rejected', provisionDecided, refused.id)).toEqual([
      {
        ...march,
        institutionName: 'Academy',
        decision: 'rejected',
        reason: 'No trainer free in March',
        ...sent,
      },
    ]);
    expect(await facts('provision.accepted', provisionDecided, refused.id)).toEqual([]);
  });

  it('keeps provisions between their two parties', async () => {
    const provisionId = await acceptedProvision(1);
    const outsiders = [
      await f.person(['company-manager']),
      await f.person(['institution-manager']),
      await f.person(['learner']),
    ];
    for (const who of outsiders) {
      expect((await f.call(who, { method: 'GET', url: `/provisions/${provisionId}` })).statusCode).toBe(404);
      expect((await f.call(who, { method: 'GET', url: '/provisions' })).json()).toEqual([]);
    }
  });

  it.each([
    ['a period that ends before it starts', { endsOn: '2026-11-01' }, 'body.endsOn'],
    ['a zero attendee count', { attendeeCount: 0 }, 'body.attendeeCount'],
    ['a fractional deposit', { depositAmount: 10.5 }, 'body.depositAmount'],
    ['a date that is not a date', { startsOn: '2026-13-01' }, 'body.startsOn'],
  ])('refuses %s, naming the field', async (_what, change, field) => {
    const res = await f.call(companyManager, {
      method: 'POST',
      url: '/provisions',
      payload: {
        companyId,
        courseId,
        startsOn: '2026-12-01',
        endsOn: '2027-02-28',
        attendeeCount: 5,
        depositAmount: 100,
        ...change,
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
  });
});
