import { type Kysely, sql, type Transaction } from 'kysely';
import * as z from 'zod';
import { isUniqueViolation } from '../db/errors';
import type { Database } from '../db/schema';
import { emit } from '../events/outbox';
import { HttpError } from '../http/errors';
import { decodeCursor, encodeCursor } from '../http/page-cursor';
import { type Caller, notFound, requireRole } from '../http/identity';

export interface InstitutionInput {
  readonly name: string;
  readonly ownerName: string;
  readonly businessNumber: string;
  readonly certificationNumber: string;
  readonly contactEmail: string;
  readonly contactPhone: string;
}

const columns = [
  'id',
  'name',
  'owner_name as ownerName',
  'business_number as businessNumber',
  'certification_number as certificationNumber',
  'contact_email as contactEmail',
  'contact_phone as contactPhone',
  'created_at as createdAt',
  'updated_at as updatedAt',
] as const;

/**
 * An institution manager registers their institution and becomes its first manager. A platform admin
 * registers one for others: it has no member until the admin names its manager (PUT .../managers/{sub}).
 */
export async function registerInstitution(db: Kysely<Database>, caller: Caller, input: InstitutionInput) {
  requireRole(caller, 'institution-manager', 'platform-admin');
  const forOthers = caller.has('platform-admin');
  if (!forOthers && caller.institutionId) throw new HttpError(409, 'You already belong to an institution');
  try {
    return await db.transaction().execute(async (trx) => {
      const institution = await trx
        .insertInto('institutions')
        .values({
          name: input.name,
          owner_name: input.ownerName,
          business_number: input.businessNumber,
          certification_number: input.certificationNumber,
          contact_email: input.contactEmail,
          contact_phone: input.contactPhone,
          created_by: caller.sub,
        })
        .returning(columns)
        .executeTakeFirstOrThrow();
      if (forOthers) return institution;
      await trx
        .insertInto('institution_members')
        .values({ institution_id: institution.id, user_sub: caller.sub, role: 'institution-manager' })
        .execute();
      await emit(trx, 'institution.member-set', {
        institutionId: institution.id,
        userSub: caller.sub,
        role: 'institution-manager',
      });
      return institution;
    });
  } catch (e) {
    if (isUniqueViolation(e))
      throw new HttpError(
        409,
        'An institution with this business number exists, or you already belong to one',
      );
    throw e;
  }
}

/**
 * The platform's institutions for its admins, in name order a page at a time, each with its managers' user
 * ids (who the admin has named, or who registered it).
 */
export async function listInstitutions(
  db: Kysely<Database>,
  caller: Caller,
  query: { limit: number; cursor?: string | undefined },
) {
  requireRole(caller, 'platform-admin');
  const after = query.cursor ? decodeCursor(pageCursor, query.cursor) : undefined;
  let q = db
    .selectFrom('institutions as i')
    .select((eb) => [
      ...columns.map((c) => `i.${c}` as const),
      eb.fn
        .coalesce(
          eb
            .selectFrom('institution_members as m')
            .select(sql<string[]>`array_agg(m.user_sub order by m.created_at)`.as('subs'))
            .whereRef('m.institution_id', '=', 'i.id')
            .where('m.role', '=', 'institution-manager'),
          sql<string[]>`'{}'::text[]`,
        )
        .as('managerSubs'),
    ])
    .orderBy('i.name')
    .orderBy('i.id')
    .limit(query.limit + 1);
  if (after) q = q.where((eb) => eb(eb.refTuple('i.name', 'i.id'), '>', eb.tuple(after[0], after[1])));
  const rows = await q.execute();
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    institutions: page,
    ...(rows.length > query.limit && last ? { cursor: encodeCursor([last.name, last.id]) } : {}),
  };
}

// A name PostgreSQL's text can hold (no NUL), so a forged cursor is refused here, not by the database.
const pageCursor = z.tuple([
  z
    .string()
    .min(1)
    .max(200)
    .refine((name) => !name.includes('\u0000')),
  z.uuid(),
]);

/** Its own people and platform admins see an institution; for anyone else it does not exist. */
export async function getInstitution(db: Kysely<Database>, caller: Caller, id: string) {
  if (caller.institutionId !== id && !caller.has('platform-admin')) throw notFound('Institution');
  const institution = await db
    .selectFrom('institutions')
    .select(columns)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!institution) throw notFound('Institution');
  return institution;
}

export async function updateInstitution(
  db: Kysely<Database>,
  caller: Caller,
  id: string,
  patch: Partial<InstitutionInput>,
) {
  if (caller.institutionId !== id) throw notFound('Institution');
  if (caller.institutionRole !== 'institution-manager')
    throw new HttpError(403, 'Only the institution’s managers edit its profile');
  try {
    const updated = await db
      .updateTable('institutions')
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(patch.ownerName !== undefined ? { owner_name: patch.ownerName } : {}),
        ...(patch.businessNumber !== undefined ? { business_number: patch.businessNumber } : {}),
        ...(patch.certificationNumber !== undefined
          ? { certification_number: patch.certificationNumber }
          : {}),
        ...(patch.contactEmail !== undefined ? { contact_email: patch.contactEmail } : {}),
        ...(patch.contactPhone !== undefined ? { contact_phone: patch.contactPhone } : {}),
        updated_at: new Date(),
      })
      .where('id', '=', id)
      .returning(columns)
      .executeTakeFirst();
    if (!updated) throw notFound('Institution');
    return updated;
  } catch (e) {
    if (isUniqueViolation(e)) throw new HttpError(409, 'Another institution has this business number');
    throw e;
  }
}

/**
 * What the companies that buy an institution's courses see of it: who it is, how to reach it and what it
 * offers; not its owner, business number or records. Its own people and platform admins see it too.
 */
export async function getPublicProfile(db: Kysely<Database>, caller: Caller, id: string) {
  if (caller.institutionId !== id) requireRole(caller, 'company-manager', 'platform-admin');
  const profile = await db
    .selectFrom('institutions as i')
    .select((eb) => [
      'i.id',
      'i.name',
      'i.certification_number as certificationNumber',
      'i.contact_email as contactEmail',
      'i.contact_phone as contactPhone',
      eb
        .selectFrom('courses')
        .select(sql<number>`count(*)::int`.as('n'))
        .whereRef('courses.institution_id', '=', 'i.id')
        .where('courses.state', '=', 'published')
        .as('publishedCourseCount'),
    ])
    .where('i.id', '=', id)
    .executeTakeFirst();
  if (!profile) throw notFound('Institution');
  return { ...profile, publishedCourseCount: profile.publishedCourseCount ?? 0 };
}

const memberColumns = ['user_sub as userSub', 'role', 'created_at as createdAt'] as const;

/** Its own managers and instructors (and platform admins) see who teaches at an institution. */
export async function listMembers(db: Kysely<Database>, caller: Caller, id: string) {
  if (caller.institutionId !== id && !caller.has('platform-admin')) throw notFound('Institution');
  return db
    .selectFrom('institution_members')
    .select(memberColumns)
    .where('institution_id', '=', id)
    .orderBy('created_at')
    .execute();
}

function assertManagerOf(caller: Caller, id: string): void {
  if (caller.institutionId !== id) throw notFound('Institution');
  if (caller.institutionRole !== 'institution-manager')
    throw new HttpError(403, 'Only the institution’s managers change its members');
}

/**
 * Adds a person (by their user id, which they see on /me) as a manager or instructor, or changes their
 * role. A person belongs to one institution; the last manager cannot step down.
 */
export async function putMember(
  db: Kysely<Database>,
  caller: Caller,
  id: string,
  userSub: string,
  role: 'institution-manager' | 'instructor',
) {
  assertManagerOf(caller, id);
  try {
    return await db.transaction().execute(async (trx) => {
      await lockMembers(trx, id);
      if (role !== 'institution-manager') await assertAnotherManager(trx, id, userSub);
      const member = await trx
        .insertInto('institution_members')
        .values({ institution_id: id, user_sub: userSub, role })
        .onConflict((oc) => oc.columns(['institution_id', 'user_sub']).doUpdateSet({ role }))
        .returning(memberColumns)
        .executeTakeFirstOrThrow();
      // Also when the role did not change: the projection applies the same fact again to no effect, and
      // telling the cases apart would cost a read.
      await emit(trx, 'institution.member-set', { institutionId: id, userSub, role });
      return member;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new HttpError(409, 'This person belongs to another institution');
    throw e;
  }
}

/**
 * Makes a person an instructor unless they already belong to the institution: what an invitation does once
 * the users domain has found or made their account. A member invited again keeps their role (a manager is
 * not demoted by an invitation) and the fact is stated again, which repairs a group the users domain lost.
 */
export async function inviteInstructor(db: Kysely<Database>, caller: Caller, id: string, userSub: string) {
  assertManagerOf(caller, id);
  try {
    return await db.transaction().execute(async (trx) => {
      await lockMembers(trx, id);
      await trx
        .insertInto('institution_members')
        .values({ institution_id: id, user_sub: userSub, role: 'instructor' })
        .onConflict((oc) => oc.columns(['institution_id', 'user_sub']).doNothing())
        .execute();
      const member = await trx
        .selectFrom('institution_members')
        .select(memberColumns)
        .where('institution_id', '=', id)
        .where('user_sub', '=', userSub)
        .executeTakeFirstOrThrow();
      await emit(trx, 'institution.member-set', { institutionId: id, userSub, role: member.role });
      return member;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new HttpError(409, 'This person belongs to another institution');
    throw e;
  }
}

export async function removeMember(db: Kysely<Database>, caller: Caller, id: string, userSub: string) {
  assertManagerOf(caller, id);
  await db.transaction().execute(async (trx) => {
    await lockMembers(trx, id);
    await assertAnotherManager(trx, id, userSub);
    const removed = await trx
      .deleteFrom('institution_members')
      .where('institution_id', '=', id)
      .where('user_sub', '=', userSub)
      .executeTakeFirst();
    if (removed.numDeletedRows === 0n) throw notFound('Member');
    await emit(trx, 'institution.member-removed', { institutionId: id, userSub });
  });
}

/**
 * A platform admin makes a person a manager of an institution (an instructor of it is promoted). A person
 * belongs to one institution; setting a manager again changes nothing but states the fact again.
 */
export async function putInstitutionManager(
  db: Kysely<Database>,
  caller: Caller,
  id: string,
  userSub: string,
) {
  requireRole(caller, 'platform-admin');
  try {
    return await db.transaction().execute(async (trx) => {
      if (!(await lockMembers(trx, id))) throw notFound('Institution');
      const member = await trx
        .insertInto('institution_members')
        .values({ institution_id: id, user_sub: userSub, role: 'institution-manager' })
        .onConflict((oc) =>
          oc.columns(['institution_id', 'user_sub']).doUpdateSet({ role: 'institution-manager' }),
        )
        .returning(memberColumns)
        .executeTakeFirstOrThrow();
      await emit(trx, 'institution.member-set', { institutionId: id, userSub, role: 'institution-manager' });
      return member;
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new HttpError(409, 'This person belongs to another institution');
    throw e;
  }
}

/** A platform admin unassigns an institution's manager, who leaves it; an institution keeps one. */
export async function removeInstitutionManager(
  db: Kysely<Database>,
  caller: Caller,
  id: string,
  userSub: string,
) {
  requireRole(caller, 'platform-admin');
  await db.transaction().execute(async (trx) => {
    if (!(await lockMembers(trx, id))) throw notFound('Institution');
    await assertAnotherManager(trx, id, userSub);
    const removed = await trx
      .deleteFrom('institution_members')
      .where('institution_id', '=', id)
      .where('user_sub', '=', userSub)
      .where('role', '=', 'institution-manager')
      .executeTakeFirst();
    if (removed.numDeletedRows === 0n) throw notFound('Manager');
    await emit(trx, 'institution.member-removed', { institutionId: id, userSub });
  });
}

/** Serializes membership changes per institution, so two managers cannot demote each other at once. */
async function lockMembers(trx: Transaction<Database>, id: string) {
  return trx.selectFrom('institutions').select('id').where('id', '=', id).forUpdate().executeTakeFirst();
}

/** An institution always keeps a manager besides `userSub`, if `userSub` is one. */
async function assertAnotherManager(trx: Transaction<Database>, id: string, userSub: string) {
  const others = await trx
    .selectFrom('institution_members')
    .select('user_sub')
    .where('institution_id', '=', id)
    .where('role', '=', 'institution-manager')
    .where('user_sub', '!=', userSub)
    .executeTakeFirst();
  if (!others) {
    const self = await trx
      .selectFrom('institution_members')
      .select('role')
      .where('institution_id', '=', id)
      .where('user_sub', '=', userSub)
      .executeTakeFirst();
    if (self?.role === 'institution-manager')
      throw new HttpError(409, 'An institution needs at least one manager');
  }
}
