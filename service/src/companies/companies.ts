import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../db/errors';
import type { Database } from '../db/schema';
import { HttpError } from '../http/errors';
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

/** A company manager registers their company and becomes its first manager. */
export async function registerCompany(db: Kysely<Database>, caller: Caller, input: CompanyInput) {
  requireRole(caller, 'company-manager');
  if (caller.managedCompanyIds.length > 0) throw new HttpError(409, 'You already manage a company');
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
 * nothing; someone removed may ask again.
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
        .doUpdateSet({ state: 'requested', decided_at: null, email: caller.email ?? null })
        .where('affiliations.state', '=', 'removed')
        .where('affiliations.role', '=', 'employee'),
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

/** Decides an employee's affiliation; only an open request can be approved, only an employee removed. */
export async function decideEmployee(
  db: Kysely<Database>,
  caller: Caller,
  companyId: string,
  userSub: string,
  decision: 'approved' | 'removed',
) {
  assertManager(caller, companyId);
  const from = decision === 'approved' ? (['requested'] as const) : (['requested', 'approved'] as const);
  const row = await db
    .updateTable('affiliations')
    .set({ state: decision, decided_at: new Date() })
    .where('company_id', '=', companyId)
    .where('user_sub', '=', userSub)
    .where('role', '=', 'employee')
    .where('state', 'in', from)
    .returning(employeeColumns)
    .executeTakeFirst();
  if (row) return row;
  const current = await db
    .selectFrom('affiliations')
    .select(['state', 'role'])
    .where('company_id', '=', companyId)
    .where('user_sub', '=', userSub)
    .executeTakeFirst();
  if (!current || current.role !== 'employee') throw notFound('Employee');
  throw new HttpError(409, `The affiliation is ${current.state}; it cannot become ${decision}`);
}
