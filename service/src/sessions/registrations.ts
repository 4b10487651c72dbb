import { type Kysely, sql, type Transaction } from 'kysely';
import type { Database } from '../db/schema';
import { emit } from '../events/outbox';
import { type Caller, notFound, requireRole } from '../http/identity';
import { HttpError } from '../http/errors';
import { type RefusalReason, RegistrationRefused } from './refusals';
import { fillFreeSeats } from './seats';
import { type Session, sessionFor } from './sessions';

/*
 * Registration for open sessions. Seats are counted on the session's own provision row
 * (enrolled_count < attendee_count), and every decision about a seat or a place in line is taken while
 * holding that row's lock, from the conditional update to the commit: one statement's server-side work.
 * Arrival numbers are drawn under the same lock, so the waitlist's order is the order in which the server
 * decided, and a seat a cancellation frees goes to the first in line in the cancelling transaction.
 */

const FOREIGN_KEY_VIOLATION = '23503';

export interface Registration {
  readonly id: string;
  readonly sessionId: string;
  readonly state: 'registered' | 'waiting' | 'cancelled';
  /** 1 for the first in line; null when not waiting. */
  readonly position: number | null;
  readonly enrollmentId: string | null;
  readonly createdAt: Date;
  readonly registeredAt: Date | null;
  readonly cancelledAt: Date | null;
}

const registrationColumns = [
  'r.id',
  'r.session_id as sessionId',
  'r.state',
  'r.enrollment_id as enrollmentId',
  'r.created_at as createdAt',
  'r.registered_at as registeredAt',
  'r.cancelled_at as cancelledAt',
  sql<number | null>`case when r.state = 'waiting' then (select count(*)::int from registrations w
    where w.session_id = r.session_id and w.state = 'waiting' and w.arrival <= r.arrival) end`.as('position'),
] as const;

/** The caller's live registration (seat or place in line) for a session, if any. */
const liveRegistration = (db: Kysely<Database> | Transaction<Database>, sessionId: string, sub: string) =>
  db
    .selectFrom('registrations as r')
    .select(registrationColumns)
    .where('r.session_id', '=', sessionId)
    .where('r.user_sub', '=', sub)
    .where('r.state', '<>', 'cancelled')
    .executeTakeFirst();

/**
 * A learner registers for a session inside its window, by the server's clock (opensAt inclusive, closesAt
 * exclusive). A full session refuses unless the learner asked to wait. A second request of the same learner,
 * concurrent or not, answers the registration they hold (`created: false`). The seat decision itself is one
 * statement (register_for_session, migration 0010), so the seat row is locked for no client round trip.
 */
export async function register(
  db: Kysely<Database>,
  caller: Caller,
  sessionId: string,
  options: { waitlist: boolean },
  now: Date,
): Promise<{ registration: Registration; created: boolean }> {
  requireRole(caller, 'learner');
  const session = await sessionFor(db, caller, sessionId);
  assertEligible(session, caller);
  if (now < session.opensAt)
    throw new RegistrationRefused('not-open-yet', `Registration opens at ${session.opensAt.toISOString()}`);
  if (now >= session.closesAt)
    throw new RegistrationRefused('closed', `Registration closed at ${session.closesAt.toISOString()}`);
  try {
    const { rows } = await sql<{
      id: string;
      state: 'registered' | 'waiting';
      enrollmentId: string | null;
      position: number | null;
      createdAt: Date;
      registeredAt: Date | null;
      created: boolean;
    }>`
      select o_registration_id as id, o_state as state, o_enrollment_id as "enrollmentId",
        o_position as position, o_created_at as "createdAt", o_registered_at as "registeredAt",
        o_created as created
      from register_for_session(${session.id}, ${session.courseId}, ${session.institutionId},
        ${caller.sub}, ${options.waitlist})`.execute(db);
    // The statement's own answer: no second read of the row the burst is writing.
    const { created, ...row } = rows[0]!;
    return { registration: { ...row, sessionId: session.id, cancelledAt: null }, created };
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'LM409')
      throw new RegistrationRefused(
        'full',
        'The session is full; ask to join its waitlist to wait for a seat',
      );
    if (code === 'LMOVL')
      throw new RegistrationRefused(
        'schedule-overlap',
        `The session’s times overlap session ${(e as { detail?: string }).detail}, which you hold or wait for`,
      );
    if (code !== 'LMDUP') throw e;
    // A concurrent request of the same learner registered first: theirs is the answer.
    const existing = await liveRegistration(db, sessionId, caller.sub);
    // Only a cancellation racing the duplicate could have removed it in between.
    if (!existing) throw notFound('Registration');
    return { registration: existing, created: false };
  }
}

export type CartOutcome =
  | {
      readonly sessionId: string;
      readonly ok: true;
      readonly created: boolean;
      readonly registration: Registration;
    }
  | {
      readonly sessionId: string;
      readonly ok: false;
      readonly reason: RefusalReason | 'not-found';
      readonly detail: string;
    };

/**
 * Several sessions at once: each item succeeds or fails on its own, in the order given (so of two items
 * whose hours overlap, the first is taken and the second refused), and the answer says which and why.
 */
export async function registerCart(
  db: Kysely<Database>,
  caller: Caller,
  items: readonly { sessionId: string; waitlist: boolean }[],
  now: Date,
): Promise<CartOutcome[]> {
  requireRole(caller, 'learner');
  const outcomes: CartOutcome[] = [];
  for (const item of items) {
    try {
      const { registration, created } = await register(db, caller, item.sessionId, item, now);
      outcomes.push({ sessionId: item.sessionId, ok: true, created, registration });
    } catch (e) {
      if (e instanceof RegistrationRefused)
        outcomes.push({ sessionId: item.sessionId, ok: false, reason: e.reason, detail: e.message });
      else if (e instanceof HttpError && e.status === 404)
        outcomes.push({ sessionId: item.sessionId, ok: false, reason: 'not-found', detail: e.detail });
      else throw e;
    }
  }
  return outcomes;
}

function assertEligible(session: Session, caller: Caller) {
  const companies = session.eligibleCompanyIds;
  if (companies && !companies.some((c) => caller.employerCompanyIds.includes(c)))
    throw new RegistrationRefused('not-eligible', 'This session is for employees of the companies it names');
}

/**
 * The learner gives up their seat or place before the cancellation deadline (exclusive). A freed seat goes
 * to the first in line in the same transaction; a seat whose learning has begun (progress, exams) is kept,
 * since the learning record is evidence and is never removed.
 */
export async function cancel(
  db: Kysely<Database>,
  caller: Caller,
  sessionId: string,
  now: Date,
): Promise<Registration> {
  const session = await sessionFor(db, caller, sessionId);
  const held = await liveRegistration(db, sessionId, caller.sub);
  if (!held) throw notFound('Registration');
  if (now >= session.cancelDeadline)
    throw new RegistrationRefused(
      'cancel-deadline-passed',
      `Cancellations closed at ${session.cancelDeadline.toISOString()}`,
    );
  let id: string;
  try {
    id = await db.transaction().execute(async (trx) => {
      // The seat row first, as registration takes it: one lock order, no deadlock with the same learner's
      // concurrent registration.
      await trx.selectFrom('provisions').select('id').where('id', '=', sessionId).forUpdate().execute();
      // Read again under the lock: a concurrent cancellation may have promoted this learner meanwhile.
      const before = await trx
        .selectFrom('registrations')
        .select(['id', 'state', 'enrollment_id'])
        .where('session_id', '=', sessionId)
        .where('user_sub', '=', caller.sub)
        .where('state', '<>', 'cancelled')
        .executeTakeFirst();
      if (!before) throw notFound('Registration');
      await trx
        .updateTable('registrations')
        .set({ state: 'cancelled', cancelled_at: sql`clock_timestamp()`, enrollment_id: null })
        .where('id', '=', before.id)
        .execute();
      const enrollmentId = before.enrollment_id;
      if (!enrollmentId)
        await trx
          .updateTable('sessions')
          .set({ waiting_count: sql`waiting_count - 1` })
          .where('id', '=', sessionId)
          .execute();
      else {
        await trx.deleteFrom('enrollments').where('id', '=', enrollmentId).execute();
        await fillFreeSeats(trx, session, 1);
      }
      await emit(trx, 'registration.cancelled', {
        registrationId: before.id,
        sessionId,
        courseId: session.courseId,
        userSub: caller.sub,
        enrollmentId,
      });
      return before.id;
    });
  } catch (e) {
    if ((e as { code?: string }).code === FOREIGN_KEY_VIOLATION)
      throw new RegistrationRefused(
        'learning-started',
        'Learning has begun in this seat: its record is kept, so the seat cannot be cancelled',
      );
    throw e;
  }
  return db
    .selectFrom('registrations as r')
    .select(registrationColumns)
    .where('r.id', '=', id)
    .executeTakeFirstOrThrow();
}

/** The caller's registrations, newest first, with their place in line while waiting. */
export async function myRegistrations(
  db: Kysely<Database>,
  caller: Caller,
  query: { state?: 'registered' | 'waiting' | 'cancelled' | undefined; limit: number },
) {
  let q = db
    .selectFrom('registrations as r')
    .innerJoin('sessions as s', 's.id', 'r.session_id')
    .innerJoin('courses as c', 'c.id', 's.course_id')
    .select([...registrationColumns, 's.course_id as courseId', 'c.title as courseTitle'])
    .where('r.user_sub', '=', caller.sub)
    .orderBy('r.created_at', 'desc')
    .orderBy('r.arrival', 'desc')
    .limit(query.limit);
  if (query.state) q = q.where('r.state', '=', query.state);
  return q.execute();
}

/** Where a roster page ends: the last arrival number it showed, as an opaque token. */
export const rosterCursor = {
  encode: (arrival: string) => Buffer.from(`a${arrival}`).toString('base64url'),
  /** The arrival a cursor names; undefined for anything this listing did not give out. */
  decode(cursor: string): string | undefined {
    const m = /^a(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
    return m?.[1];
  },
};

export interface RosterEntry {
  readonly id: string;
  readonly userSub: string;
  /** The learner's address as the core knows it: from an approved company affiliation; null otherwise. */
  readonly email: string | null;
  readonly state: 'registered' | 'waiting';
  /** 1 for the first in line; null unless waiting. */
  readonly position: number | null;
  readonly enrollmentId: string | null;
  readonly createdAt: Date;
  readonly registeredAt: Date | null;
}

/**
 * Who holds a seat in a session and who waits, for the session's institution (its managers and
 * instructors) and platform admins, in arrival order (the order the server decided them), a page at a
 * time. Positions are counted in the same statement as the page, so a page is one consistent picture.
 */
export async function sessionRoster(
  db: Kysely<Database>,
  caller: Caller,
  sessionId: string,
  query: { state?: 'registered' | 'waiting' | undefined; limit: number; after?: string | undefined },
): Promise<{ registrations: RosterEntry[]; cursor?: string }> {
  const session = await sessionFor(db, caller, sessionId);
  // A learner the session is open to knows it exists; who else registered is not theirs to learn.
  if (!caller.has('platform-admin') && caller.institutionId !== session.institutionId)
    throw new HttpError(403, 'Only the session’s institution sees who registered');
  const states = query.state ? [query.state] : ['registered', 'waiting'];
  const after = query.after ?? '0';
  const { rows } = await sql<RosterEntry & { arrival: string }>`
    select r.id, r.user_sub as "userSub", r.state, r.enrollment_id as "enrollmentId",
      r.created_at as "createdAt", r.registered_at as "registeredAt", r.arrival::text as arrival,
      (select a.email from affiliations a
        where a.user_sub = r.user_sub and a.state = 'approved' and a.email is not null
        order by a.decided_at desc nulls last limit 1) as email,
      case when r.state = 'waiting' then
        (select count(*)::int from registrations w
          where w.session_id = ${sessionId} and w.state = 'waiting' and w.arrival <= ${after}::bigint)
        + (count(*) filter (where r.state = 'waiting') over (order by r.arrival))::int
      end as position
    from registrations r
    where r.session_id = ${sessionId} and r.state = any(${states}::text[]) and r.arrival > ${after}::bigint
    order by r.arrival
    limit ${query.limit + 1}`.execute(db);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    registrations: page.map(({ arrival: _, ...entry }) => entry),
    ...(rows.length > query.limit && last ? { cursor: rosterCursor.encode(last.arrival) } : {}),
  };
}
