import { type Kysely, sql, type Transaction } from 'kysely';
import * as z from 'zod';
import { isUniqueViolation } from '../db/errors';
import type { Database } from '../db/schema';
import { emit } from '../events/outbox';
import { HttpError } from '../http/errors';
import { decodeCursor, encodeCursor } from '../http/page-cursor';
import { type Caller, notFound, requireRole } from '../http/identity';

export interface CompanyInput {
  readonly name: string;
  readonly ownerName: string;
  readonly businessNumber: string;
  readonly email: string;
  readonly phone: string;
}

const columns = [
  'id',
  'name',
  'owner_name as ownerName',
  'business_number as businessNumber',
  'email',
  'phone',
  'created_at as createdAt',
  'updated_at as updatedAt',
] as const;

const employeeColumns = [
  'user_sub as userSub',
  'email',
  'state',
  'requested_at as requestedAt',
  'decided_at as decidedAt',
] as const;

const manages = (caller: Caller, companyId: string) => caller.managedCompanyIds.includes(companyId);

/**
 * A company manager registers their company and becomes its first manager. A platform admin registers one
 * for others: it has no manager until the admin names one (PUT .../managers/{sub}).
 */
export async function registerCompany(db: Kysely<Database>, caller: Caller, input: CompanyInput) {
  requireRole(caller, 'company-manager', 'platform-admin');
  const forOthers = caller.has('platform-admin');
  if (!forOthers && caller.managedCompanyIds.length > 0)
    throw new HttpError(409, 'You already manage a company');
  try {
    return await db.transaction().execute(async (trx) => {
      const company = await trx
        .insertInto('companies')
        .values({
          name: input.name,
          owner_name: input.ownerName,
          business_number: input.businessNumber,
          email: input.email,
          phone: input.phone,
          created_by: caller.sub,
        })
        .returning(columns)
        .executeTakeFirstOrThrow();
      if (forOthers) return company;
      await trx
        .insertInto('affiliations')
        .values({
          company_id: company.id,
          user_sub: caller.sub,
          role: 'company-manager',
          state: 'approved',
          email: caller.email ?? null,
          decided_at: new Date(),
        })
        .execute();
      await emit(trx, 'company.member-set', {
        companyId: company.id,
        userSub: caller.sub,
        role: 'company-manager',
      });
      return company;
    });
  } catch (e) {
    if (isUniqueViolation(e))
      throw new HttpError(409, 'A company with this business number or e-mail exists');
    throw e;
  }
}

/** Its managers, its employees and platform admins see a company; for anyone else it does not exist. */
export async function getCompany(db: Kysely<Database>, caller: Caller, id: string) {
  const allowed =
    manages(caller, id) || caller.employerCompanyIds.includes(id) || caller.has('platform-admin');
  if (!allowed) throw notFound('Company');
  const company = await db.selectFrom('companies').select(columns).where('id', '=', id).executeTakeFirst();
  if (!company) throw notFound('Company');
  return company;
}

export async function updateCompany(
  db: Kysely<Database>,
  caller: Caller,
  id: string,
  patch: Partial<CompanyInput>,
) {
  if (!manages(caller, id)) {
    if (caller.employerCompanyIds.includes(id))
      throw new HttpError(403, 'Only the company’s managers edit it');
    throw notFound('Company');
  }
  try {
    const updated = await db
      .updateTable('companies')
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.ownerName !== undefined ? { owner_name: patch.ownerName } : {}),
        ...(patch.businessNumber !== undefined ? { business_number: patch.businessNumber } : {}),
        ...(patch.email !== undefined ? { email: patch.email } : {}),
        ...(patch.phone !== undefined ? { phone: patch.phone } : {}),
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .returning(columns)
      .executeTakeFirst();
    if (!updated) throw notFound('Company');
    return updated;
  } catch (e) {
    if (isUniqueViolation(e)) throw new HttpError(409, 'Another company has this business number or e-mail');
    throw e;
  }
}

/**
 * A learner asks to join a company. Asking again while a request is open, or once approved, changes
 * nothing; someone removed (an employee, or a manager a platform admin unassigned) may ask again.
 */
export async function requestToJoin(db: Kysely<Database>, caller: Caller, companyId: string) {
  requireRole(caller, 'learner');
  const company = await db
    .selectFrom('companies')
    .select('id')
    .where('id', '=', companyId)
    .executeTakeFirst();
  if (!company) throw notFound('Company');
  const row = await db
    .insertInto('affiliations')
    .values({
      company_id: companyId,
      user_sub: caller.sub,
      role: 'employee',
      state: 'requested',
      email: caller.email ?? null,
    })
    .onConflict((oc) =>
      oc
        .columns(['company_id', 'user_sub'])
        .doUpdateSet({ role: 'employee', state: 'requested', decided_at: null, email: caller.email ?? null })
        .where('affiliations.state', '=', 'removed'),
    )
    .returning(employeeColumns)
    .executeTakeFirst();
  if (row) return row;
  // The conflict left an open or approved affiliation as it was: report it.
  return db
    .selectFrom('affiliations')
    .select(employeeColumns)
    .where('company_id', '=', companyId)
    .where('user_sub', '=', caller.sub)
    .executeTakeFirstOrThrow();
}

function assertManager(caller: Caller, companyId: string) {
  if (manages(caller, companyId)) return;
  if (caller.employerCompanyIds.includes(companyId))
    throw new HttpError(403, 'Only the company’s managers manage employees');
  throw notFound('Company');
}

export async function listEmployees(
  db: Kysely<Database>,
  caller: Caller,
  companyId: string,
  query: { state?: 'requested' | 'approved' | 'removed' | undefined; limit: number },
) {
  assertManager(caller, companyId);
  let q = db
    .selectFrom('affiliations')
    .select(employeeColumns)
    .where('company_id', '=', companyId)
    .where('role', '=', 'employee')
    .orderBy('requested_at', 'desc')
    .limit(query.limit);
  if (query.state) q = q.where('state', '=', query.state);
  return q.execute();
}

/**
 * Decides an employee's affiliation; only an open request can be approved, only an employee removed. The
 * row is locked while its state is read, so the event says what this decision changed: refusing a request
 * removed nobody from the company, and emits nothing.
 */
export async function decideEmployee(
  db: Kysely<Database>,
  caller: Caller,
  companyId: string,
  userSub: string,
  decision: 'approved' | 'removed',
) {
  assertManager(caller, companyId);
  return db.transaction().execute(async (trx) => {
    const current = await lockAffiliation(trx, companyId, userSub);
    if (!current || current.role !== 'employee') throw notFound('Employee');
    const allowed = decision === 'approved' ? current.state === 'requested' : current.state !== 'removed';
    if (!allowed)
      throw new HttpError(409, `The affiliation is ${current.state}; it cannot become ${decision}`);
    const row = await trx
      .updateTable('affiliations')
      .set({ state: decision, decided_at: new Date() })
      .where('company_id', '=', companyId)
      .where('user_sub', '=', userSub)
      .returning(employeeColumns)
      .executeTakeFirstOrThrow();
    if (decision === 'approved')
      await emit(trx, 'company.member-set', { companyId, userSub, role: 'employee' });
    else if (current.state === 'approved') await emit(trx, 'company.member-removed', { companyId, userSub });
    return row;
  });
}

/**
 * Makes a person an approved employee at once: what an invitation does once the users domain has found or
 * made their account. Inviting an employee again leaves one affiliation, approved (its decision time kept),
 * and states the fact again, which repairs a group the users domain lost; someone removed or with an open
 * request is approved. The company's own managers are not made employees of it.
 */
export async function affiliateEmployee(
  db: Kysely<Database>,
  caller: Caller,
  companyId: string,
  userSub: string,
  email: string,
) {
  assertManager(caller, companyId);
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('affiliations')
      .values({
        company_id: companyId,
        user_sub: userSub,
        role: 'employee',
        state: 'approved',
        email,
        decided_at: new Date(),
      })
      .onConflict((oc) =>
        oc
          .columns(['company_id', 'user_sub'])
          .doUpdateSet((eb) => ({
            role: 'employee',
            state: 'approved',
            email: eb.ref('excluded.email'),
            decided_at: sql<Date>`case when affiliations.state = 'approved' then affiliations.decided_at
              else excluded.decided_at end`,
          }))
          .where((eb) =>
            eb.or([eb('affiliations.role', '=', 'employee'), eb('affiliations.state', '=', 'removed')]),
          ),
      )
      .returning(employeeColumns)
      .executeTakeFirst();
    if (!row) throw new HttpError(409, 'This person manages the company; they cannot be its employee too');
    await emit(trx, 'company.member-set', { companyId, userSub, role: 'employee' });
    return row;
  });
}

/** An employee leaves their company, or withdraws their request to join it. */
export async function leaveCompany(db: Kysely<Database>, caller: Caller, companyId: string) {
  await db.transaction().execute(async (trx) => {
    const current = await lockAffiliation(trx, companyId, caller.sub);
    if (!current || current.state === 'removed') throw notFound('Affiliation');
    if (current.role !== 'employee')
      throw new HttpError(409, 'A company’s managers are unassigned by a platform admin, not by leaving');
    await trx
      .updateTable('affiliations')
      .set({ state: 'removed', decided_at: new Date() })
      .where('company_id', '=', companyId)
      .where('user_sub', '=', caller.sub)
      .execute();
    if (current.state === 'approved')
      await emit(trx, 'company.member-removed', { companyId, userSub: caller.sub });
  });
}

const memberColumns = [
  'user_sub as userSub',
  'role',
  'email',
  'state',
  'requested_at as requestedAt',
  'decided_at as decidedAt',
] as const;

/** A company's managers, for platform admins, who name and unassign them: the first named first. */
export async function listCompanyManagers(db: Kysely<Database>, caller: Caller, companyId: string) {
  requireRole(caller, 'platform-admin');
  const company = await db
    .selectFrom('companies')
    .select('id')
    .where('id', '=', companyId)
    .executeTakeFirst();
  if (!company) throw notFound('Company');
  return db
    .selectFrom('affiliations')
    .select(memberColumns)
    .where('company_id', '=', companyId)
    .where('role', '=', 'company-manager')
    .where('state', '=', 'approved')
    .orderBy('decided_at')
    .orderBy('user_sub')
    .execute();
}

/**
 * A platform admin makes a person a manager of a company (an employee of it is promoted). Setting a manager
 * again changes nothing but states the fact again.
 */
export async function putCompanyManager(
  db: Kysely<Database>,
  caller: Caller,
  companyId: string,
  userSub: string,
) {
  requireRole(caller, 'platform-admin');
  return db.transaction().execute(async (trx) => {
    if (!(await lockCompany(trx, companyId))) throw notFound('Company');
    const row = await trx
      .insertInto('affiliations')
      .values({
        company_id: companyId,
        user_sub: userSub,
        role: 'company-manager',
        state: 'approved',
        decided_at: new Date(),
      })
      .onConflict((oc) =>
        oc.columns(['company_id', 'user_sub']).doUpdateSet({
          role: 'company-manager',
          state: 'approved',
          decided_at: sql<Date>`case when affiliations.state = 'approved'
            and affiliations.role = 'company-manager' then affiliations.decided_at else excluded.decided_at end`,
        }),
      )
      .returning(memberColumns)
      .executeTakeFirstOrThrow();
    await emit(trx, 'company.member-set', { companyId, userSub, role: 'company-manager' });
    return row;
  });
}

/** A platform admin unassigns a company's manager; a company keeps at least one. */
export async function removeCompanyManager(
  db: Kysely<Database>,
  caller: Caller,
  companyId: string,
  userSub: string,
) {
  requireRole(caller, 'platform-admin');
  await db.transaction().execute(async (trx) => {
    // Serializes manager changes per company, so two removals cannot each leave the other as the last one.
    if (!(await lockCompany(trx, companyId))) throw notFound('Company');
    const current = await lockAffiliation(trx, companyId, userSub);
    if (current?.role !== 'company-manager' || current.state !== 'approved') throw notFound('Manager');
    const another = await trx
      .selectFrom('affiliations')
      .select('user_sub')
      .where('company_id', '=', companyId)
      .where('role', '=', 'company-manager')
      .where('state', '=', 'approved')
      .where('user_sub', '!=', userSub)
      .executeTakeFirst();
    if (!another) throw new HttpError(409, 'A company needs at least one manager');
    await trx
      .updateTable('affiliations')
      .set({ state: 'removed', decided_at: new Date() })
      .where('company_id', '=', companyId)
      .where('user_sub', '=', userSub)
      .execute();
    await emit(trx, 'company.member-removed', { companyId, userSub });
  });
}

async function lockCompany(trx: Transaction<Database>, companyId: string) {
  return trx.selectFrom('companies').select('id').where('id', '=', companyId).forUpdate().executeTakeFirst();
}

async function lockAffiliation(trx: Transaction<Database>, companyId: string, userSub: string) {
  return trx
    .selectFrom('affiliations')
    .select(['state', 'role'])
    .where('company_id', '=', companyId)
    .where('user_sub', '=', userSub)
    .forUpdate()
    .executeTakeFirst();
}

/** A directory page's position: the last name and id it showed, which order the listing. */
const directoryCursor = z.tuple([
  z
    .string()
    .min(1)
    .max(200)
    .refine((name) => !name.includes('\u0000')),
  z.uuid(),
]);

/** LIKE's wildcards and its escape character, taken literally. */
const literalLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The directory's query for one page and one more row (whether another page follows). `search` matches any
 * part of a name, whatever its case: ILIKE, which the trigram index of migration 0009 serves; pages follow
 * the (name, id) index. test/service/companies/company-directory.int.test.ts holds the plans to it.
 */
export function directoryQuery(
  db: Kysely<Database>,
  query: { search?: string | undefined; limit: number; after?: readonly [string, string] | undefined },
) {
  let q = db
    .selectFrom('companies')
    .select(['id', 'name'])
    .orderBy('name')
    .orderBy('id')
    .limit(query.limit + 1);
  if (query.search) q = q.where('name', 'ilike', `%${literalLike(query.search)}%`);
  const after = query.after;
  if (after) q = q.where((eb) => eb(eb.refTuple('name', 'id'), '>', eb.tuple(after[0], after[1])));
  return q;
}

/**
 * The company directory, in which learners find their employer to ask to join it: names and ids only, in
 * name order, a page at a time.
 */
export async function searchCompanies(
  db: Kysely<Database>,
  query: { search?: string | undefined; limit: number; cursor?: string | undefined },
) {
  const after = query.cursor ? decodeCursor(directoryCursor, query.cursor) : undefined;
  const rows = await directoryQuery(db, { search: query.search, limit: query.limit, after }).execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    companies: page,
    ...(rows.length > query.limit && last ? { cursor: encodeCursor([last.name, last.id]) } : {}),
  };
}
