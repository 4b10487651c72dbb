import type { Kysely } from 'kysely';
import type { Database } from '../db/schema';
import { HttpError } from '../http/errors';
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

const isUniqueViolation = (e: unknown) => (e as { code?: string }).code === '23505';

/** An institution manager registers their institution and becomes its first manager. */
export async function registerInstitution(db: Kysely<Database>, caller: Caller, input: InstitutionInput) {
  requireRole(caller, 'institution-manager');
  if (caller.institutionId) throw new HttpError(409, 'You already belong to an institution');
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
      await trx
        .insertInto('institution_members')
        .values({ institution_id: institution.id, user_sub: caller.sub, role: 'institution-manager' })
        .execute();
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
