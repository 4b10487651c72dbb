import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema';
import { emitAll } from '../events/outbox';
import { type Caller, requireRole } from '../http/identity';

/** Memberships per page: one short transaction, one outbox insert, bounded memory however large the tables. */
export const REPLAY_PAGE_SIZE = 1000;

export interface ReplayCounts {
  readonly institutionMembers: number;
  readonly companyMembers: number;
}

/** A platform admin states every current membership again (see replayMembershipFacts). */
export async function replayMembershipFactsAs(db: Kysely<Database>, caller: Caller): Promise<ReplayCounts> {
  requireRole(caller, 'platform-admin');
  return replayMembershipFacts(db);
}

/**
 * Emits one `institution.member-set` per institution member and one `company.member-set` per approved
 * company member (managers and employees; open requests and removed people are no members, and the normal
 * code emitted nothing, or a removal, for them), with the detail the changes themselves emit. A consumer
 * deployed after the memberships were made (the users domain, the access projection) learns them this way.
 * The events get fresh ids and the time of this run, so running it again emits everything again, and each
 * consumer applies the same fact once more to no effect.
 *
 * Pages, not one snapshot: each page is its own transaction that reads up to `pageSize` memberships by
 * primary key after the previous page's last one and locks them (FOR SHARE) until its events are in the
 * outbox. One transaction over everything would hold every lock, and every event unpublished, for the
 * whole run, and would load a table at a time; pages keep memory and lock time bounded. What a global
 * snapshot would add is not needed: the locks make each emitted fact true when its event is recorded, and
 * a change that comes after waits for the page and records its own event later, so consumers, which keep
 * the newest fact by `occurredAt`, end with the change, never with the replay's older view (a member
 * removed meanwhile stays removed). A membership made after its page was read emits its own event.
 */
export async function replayMembershipFacts(
  db: Kysely<Database>,
  pageSize = REPLAY_PAGE_SIZE,
): Promise<ReplayCounts> {
  const institutionMembers = await inPages(db, async (trx, after) => {
    let q = trx
      .selectFrom('institution_members')
      .select(['institution_id', 'user_sub', 'role'])
      .orderBy('institution_id')
      .orderBy('user_sub')
      .limit(pageSize)
      .forShare();
    if (after)
      q = q.where((eb) => eb(eb.refTuple('institution_id', 'user_sub'), '>', eb.tuple(after[0], after[1])));
    const rows = await q.execute();
    await emitAll(
      trx,
      'institution.member-set',
      rows.map((r) => ({ institutionId: r.institution_id, userSub: r.user_sub, role: r.role })),
    );
    return rows.map((r) => [r.institution_id, r.user_sub] as const);
  });
  const companyMembers = await inPages(db, async (trx, after) => {
    let q = trx
      .selectFrom('affiliations')
      .select(['company_id', 'user_sub', 'role'])
      .where('state', '=', 'approved')
      .orderBy('company_id')
      .orderBy('user_sub')
      .limit(pageSize)
      .forShare();
    if (after)
      q = q.where((eb) => eb(eb.refTuple('company_id', 'user_sub'), '>', eb.tuple(after[0], after[1])));
    const rows = await q.execute();
    await emitAll(
      trx,
      'company.member-set',
      rows.map((r) => ({ companyId: r.company_id, userSub: r.user_sub, role: r.role })),
    );
    return rows.map((r) => [r.company_id, r.user_sub] as const);
  });
  return { institutionMembers, companyMembers };
}

type Key = readonly [string, string];

/**
 * Runs `page` in one transaction per page until one comes back empty; returns how many rows it saw. A short
 * page is no end: a row a concurrent change took out of the filter (an employee removed) is dropped from a
 * locked page after the LIMIT counted it.
 */
async function inPages(
  db: Kysely<Database>,
  page: (trx: Transaction<Database>, after: Key | undefined) => Promise<readonly Key[]>,
): Promise<number> {
  let after: Key | undefined;
  let total = 0;
  for (;;) {
    const keys = await db.transaction().execute((trx) => page(trx, after));
    if (keys.length === 0) return total;
    total += keys.length;
    after = keys[keys.length - 1];
  }
}
