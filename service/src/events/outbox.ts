import { sql, type Transaction } from 'kysely';
import type * as z from 'zod';
import type {
  companyMemberRemoved,
  companyPaceDigestDue,
  companyMemberSet,
  contentSet,
  enrollmentCompleted,
  enrollmentCreated,
  examGraded,
  institutionMemberRemoved,
  institutionMemberSet,
  paceReminderDue,
  provisionDecided,
  provisionRequested,
  provisionSet,
  registrationCancelled,
  registrationCreated,
  waitlistPromoted,
} from '#contracts/platform-events';
import type { Database } from '../db/schema';

/** A contract's detail as the core writes it: the relay adds `eventId` and `occurredAt` on publishing. */
type Fact<Contract extends z.ZodType> = Omit<z.input<Contract>, 'eventId' | 'occurredAt'>;

/**
 * Every event the core service publishes (`<domain>.<what happened>`) with its payload, each derived from
 * the contract its consumers parse, so a payload cannot drift from its schema unnoticed. `provision.set` is
 * the whole provision as the access projection keeps it; `provision.requested|accepted|rejected` say what
 * the other party is told, with the names and title as they were then.
 */
export interface CorePayloads {
  'provision.requested': Fact<typeof provisionRequested>;
  'provision.accepted': Fact<typeof provisionDecided> & { decision: 'accepted' };
  'provision.rejected': Fact<typeof provisionDecided> & { decision: 'rejected' };
  'enrollment.created': Fact<typeof enrollmentCreated>;
  'enrollment.completed': Fact<typeof enrollmentCompleted>;
  'institution.member-set': Fact<typeof institutionMemberSet>;
  'institution.member-removed': Fact<typeof institutionMemberRemoved>;
  'company.member-set': Fact<typeof companyMemberSet>;
  'company.member-removed': Fact<typeof companyMemberRemoved>;
  'content.set': Fact<typeof contentSet>;
  'provision.set': Fact<typeof provisionSet>;
  'registration.created': Fact<typeof registrationCreated>;
  'registration.cancelled': Fact<typeof registrationCancelled>;
  'waitlist.promoted': Fact<typeof waitlistPromoted>;
  'pace.reminder-due': Fact<typeof paceReminderDue>;
  'company.pace-digest-due': Fact<typeof companyPaceDigestDue>;
  'exam.graded': Fact<typeof examGraded>;
}

export type CoreEventType = keyof CorePayloads;

/**
 * Records an event in the same transaction as the change it describes, so an event exists exactly when
 * its change committed; a relay publishes the outbox to the platform's event bus.
 */
export async function emit<T extends CoreEventType>(
  trx: Transaction<Database>,
  type: T,
  payload: CorePayloads[T],
): Promise<void> {
  // Consumers keep the newest fact by `occurredAt`, which is this row's created_at. Its default, now(), is
  // when the transaction began, before it waited for the row locks that order changes of one thing, so a
  // change that committed later could look older; the clock at the insert, after those locks, follows the
  // commit order. Raw SQL because the schema lets no query write created_at: this is still the database's
  // own time.
  await sql`insert into outbox (type, payload, created_at)
    values (${type}, ${JSON.stringify(payload)}::jsonb, clock_timestamp())`.execute(trx);
}

/**
 * Records many events of one type in one statement, for jobs that state facts in bulk (a page of them per
 * round trip instead of one). Each row still takes the clock at its insert, as `emit` explains.
 */
export async function emitAll<T extends CoreEventType>(
  trx: Transaction<Database>,
  type: T,
  payloads: readonly CorePayloads[T][],
): Promise<void> {
  if (payloads.length === 0) return;
  const rows = payloads.map((p) => sql`(${type}, ${JSON.stringify(p)}::jsonb, clock_timestamp())`);
  await sql`insert into outbox (type, payload, created_at) values ${sql.join(rows)}`.execute(trx);
}
