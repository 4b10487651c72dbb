import { type Expression, type Kysely, type SqlBool, sql } from 'kysely';
import type { Database } from '../db/schema';
import { type Caller, notFound, requireRole } from '../http/identity';
import { HttpError } from '../http/errors';
import { fillFreeSeats } from './seats';
import { RegistrationRefused } from './refusals';

export interface SessionOffer {
  readonly courseId: string;
  readonly capacity: number;
  readonly startsOn: string;
  readonly endsOn: string;
  /** 'HH:MM', both or neither. */
  readonly startTime?: string | undefined;
  readonly endTime?: string | undefined;
  readonly opensAt: string;
  readonly closesAt: string;
  readonly cancelDeadline: string;
  /** Approved employees of these companies only; absent: anyone signed in. */
  readonly eligibleCompanyIds?: readonly string[] | undefined;
}

export interface SessionQuery {
  readonly courseId?: string | undefined;
  readonly institutionId?: string | undefined;
  /** Words of the course's title, in any case and any order. */
  readonly q?: string | undefined;
  /** Sessions starting on or after this day. */
  readonly from?: string | undefined;
  /** Sessions starting on or before this day. */
  readonly to?: string | undefined;
  /** Only sessions with a seat left. */
  readonly seatsLeft?: boolean | undefined;
  readonly limit: number;
}

/** A session as everyone reads it: its provision holds course, dates and seats. */
const sessionQuery = (db: Kysely<Database>) =>
  db
    .selectFrom('sessions as s')
    .innerJoin('provisions as p', 'p.id', 's.id')
    .innerJoin('courses as c', 'c.id', 's.course_id')
    .select([
      's.id',
      's.course_id as courseId',
      'c.title as courseTitle',
      's.institution_id as institutionId',
      'p.attendee_count as capacity',
      'p.enrolled_count as seatsTaken',
      sql<number>`p.attendee_count - p.enrolled_count`.as('seatsLeft'),
      's.waiting_count as waiting',
      sql<string>`p.starts_on::text`.as('startsOn'),
      sql<string>`p.ends_on::text`.as('endsOn'),
      // 'HH:MM': sessions are scheduled to the minute.
      sql<string | null>`to_char(s.starts_at_time, 'HH24:MI')`.as('startTime'),
      sql<string | null>`to_char(s.ends_at_time, 'HH24:MI')`.as('endTime'),
      's.opens_at as opensAt',
      's.closes_at as closesAt',
      's.cancel_deadline as cancelDeadline',
      's.eligible_company_ids as eligibleCompanyIds',
      's.created_at as createdAt',
    ]);

export type Session = Awaited<ReturnType<ReturnType<typeof sessionQuery>['executeTakeFirstOrThrow']>>;

/**
 * Who sees a session: its institution's people, platform admins, and learners it is open to (anyone, or
 * employees of a listed company). A learner of another company does not learn a restricted session exists.
 */
function visibleTo(caller: Caller): Expression<SqlBool> {
  if (caller.has('platform-admin')) return sql<SqlBool>`true`;
  const ors = [sql`s.eligible_company_ids is null`];
  if (caller.institutionId) ors.push(sql`s.institution_id = ${caller.institutionId}`);
  if (caller.employerCompanyIds.length > 0)
    ors.push(sql`s.eligible_company_ids && ${sql.val([...caller.employerCompanyIds])}::uuid[]`);
  return sql<SqlBool>`(${sql.join(ors, sql` or `)})`;
}

export async function sessionFor(db: Kysely<Database>, caller: Caller, id: string): Promise<Session> {
  const s = await sessionQuery(db).where('s.id', '=', id).where(visibleTo(caller)).executeTakeFirst();
  if (!s) throw notFound('Session');
  return s;
}

/**
 * An institution's manager offers a published course of theirs as an open session. The session's own
 * provision (no company, accepted at once) is what its registrations enroll in.
 */
export async function offerSession(
  db: Kysely<Database>,
  caller: Caller,
  offer: SessionOffer,
): Promise<Session> {
  requireRole(caller, 'institution-manager');
  const course = await db
    .selectFrom('courses')
    .select(['id', 'institution_id', 'state'])
    .where('id', '=', offer.courseId)
    .executeTakeFirst();
  if (!course || course.institution_id !== caller.institutionId) throw notFound('Course');
  if (caller.institutionRole !== 'institution-manager')
    throw new HttpError(403, 'Only the institution’s managers offer sessions');
  if (course.state !== 'published')
    throw new HttpError(409, `The course is ${course.state}; only a published course is offered`);
  const companyIds = offer.eligibleCompanyIds ?? null;
  if (companyIds) {
    const found = await db
      .selectFrom('companies')
      .select('id')
      .where('id', 'in', [...companyIds])
      .execute();
    const known = new Set(found.map((c) => c.id));
    const unknown = companyIds.flatMap((id, i) =>
      known.has(id) ? [] : [{ field: `body.eligibleCompanyIds.${i}`, message: 'no such company' }],
    );
    if (unknown.length > 0) throw new RegistrationRefused('unknown-companies', 'Unknown companies', unknown);
  }
  const id = await db.transaction().execute(async (trx) => {
    const provision = await trx
      .insertInto('provisions')
      .values({
        kind: 'open-session',
        company_id: null,
        course_id: course.id,
        institution_id: course.institution_id,
        starts_on: offer.startsOn,
        ends_on: offer.endsOn,
        attendee_count: offer.capacity,
        deposit_amount: 0,
        state: 'accepted',
        requested_by: caller.sub,
        decided_by: caller.sub,
        decided_at: new Date(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('sessions')
      .values({
        id: provision.id,
        institution_id: course.institution_id,
        course_id: course.id,
        starts_at_time: offer.startTime ?? null,
        ends_at_time: offer.endTime ?? null,
        opens_at: offer.opensAt,
        closes_at: offer.closesAt,
        cancel_deadline: offer.cancelDeadline,
        eligible_company_ids: companyIds ? [...companyIds] : null,
        created_by: caller.sub,
      })
      .execute();
    return provision.id;
  });
  return sessionQuery(db).where('s.id', '=', id).executeTakeFirstOrThrow();
}

export const getSession = sessionFor;

/** Sessions the caller may see, by opening time, with filters a learner browses by. */
export async function listSessions(db: Kysely<Database>, caller: Caller, query: SessionQuery) {
  let q = sessionQuery(db).where(visibleTo(caller));
  if (query.courseId) q = q.where('s.course_id', '=', query.courseId);
  if (query.institutionId) q = q.where('s.institution_id', '=', query.institutionId);
  // Each word must appear in the title; LIKE's wildcards in what the learner typed are literal.
  for (const word of query.q?.split(/\s+/).filter(Boolean) ?? [])
    q = q.where('c.title', 'ilike', `%${word.replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
  if (query.from) q = q.where('p.starts_on', '>=', query.from);
  if (query.to) q = q.where('p.starts_on', '<=', query.to);
  if (query.seatsLeft) q = q.whereRef('p.enrolled_count', '<', 'p.attendee_count');
  return q.orderBy('s.opens_at').orderBy('s.id').limit(query.limit).execute();
}

export interface SessionChange {
  readonly capacity?: number | undefined;
  readonly opensAt?: string | undefined;
  readonly closesAt?: string | undefined;
  readonly cancelDeadline?: string | undefined;
}

/**
 * The institution's manager changes a session's capacity, registration window or cancellation deadline.
 * Everything is decided under the seat row's lock, as registrations and cancellations are: a capacity
 * below the seats taken at that moment is refused, and seats a raise adds go to the first in line in the
 * same transaction (fill_free_seats, as a cancellation's seat does).
 */
export async function changeSession(
  db: Kysely<Database>,
  caller: Caller,
  id: string,
  change: SessionChange,
): Promise<Session> {
  const session = await sessionFor(db, caller, id);
  if (caller.institutionId !== session.institutionId || caller.institutionRole !== 'institution-manager')
    throw new HttpError(403, 'Only the session’s institution’s managers change it');
  await db.transaction().execute(async (trx) => {
    const seats = await trx
      .selectFrom('provisions as p')
      .innerJoin('sessions as s', 's.id', 'p.id')
      .select(['p.attendee_count', 'p.enrolled_count', 's.opens_at', 's.closes_at', 's.cancel_deadline'])
      .where('p.id', '=', id)
      .forUpdate('p')
      .executeTakeFirstOrThrow();
    assertWindow(change, seats);
    if (change.capacity !== undefined && change.capacity < seats.enrolled_count)
      throw new RegistrationRefused(
        'capacity-below-taken',
        `${seats.enrolled_count} seats are taken; the capacity cannot go below them`,
        [{ field: 'body.capacity', message: `must be at least the ${seats.enrolled_count} seats taken` }],
      );
    if (change.capacity !== undefined && change.capacity !== seats.attendee_count)
      await trx
        .updateTable('provisions')
        .set({ attendee_count: change.capacity })
        .where('id', '=', id)
        .execute();
    const window = {
      ...(change.opensAt !== undefined ? { opens_at: change.opensAt } : {}),
      ...(change.closesAt !== undefined ? { closes_at: change.closesAt } : {}),
      ...(change.cancelDeadline !== undefined ? { cancel_deadline: change.cancelDeadline } : {}),
    };
    if (Object.keys(window).length > 0)
      await trx.updateTable('sessions').set(window).where('id', '=', id).execute();
    if (change.capacity !== undefined && change.capacity > seats.attendee_count)
      await fillFreeSeats(trx, session);
  });
  return sessionQuery(db).where('s.id', '=', id).executeTakeFirstOrThrow();
}

/**
 * The window as it will be, given the stored one: the rules POST /sessions holds a whole body to, here
 * for a change of part of it. The field named is one the change gave, so the caller knows what to fix.
 */
function assertWindow(
  change: SessionChange,
  stored: { opens_at: Date; closes_at: Date; cancel_deadline: Date },
) {
  const opens = change.opensAt !== undefined ? Date.parse(change.opensAt) : stored.opens_at.getTime();
  const closes = change.closesAt !== undefined ? Date.parse(change.closesAt) : stored.closes_at.getTime();
  const deadline =
    change.cancelDeadline !== undefined
      ? Date.parse(change.cancelDeadline)
      : stored.cancel_deadline.getTime();
  const problems: { field: string; message: string }[] = [];
  if (closes <= opens)
    problems.push(
      change.closesAt !== undefined
        ? { field: 'body.closesAt', message: 'must be after opensAt' }
        : {
            field: 'body.opensAt',
            message: `must be before the session’s closesAt, ${stored.closes_at.toISOString()}`,
          },
    );
  if (deadline < opens)
    problems.push(
      change.cancelDeadline !== undefined
        ? { field: 'body.cancelDeadline', message: 'must not be before opensAt' }
        : {
            field: 'body.opensAt',
            message: `must not be after the session’s cancelDeadline, ${stored.cancel_deadline.toISOString()}`,
          },
    );
  if (problems.length > 0)
    throw new RegistrationRefused(
      'window-inconsistent',
      `Invalid ${[...new Set(problems.map((p) => p.field))].join(', ')}`,
      problems,
    );
}
