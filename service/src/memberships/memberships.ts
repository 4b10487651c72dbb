import type { Kysely } from 'kysely';
import type { Identity } from '#contracts/access-token';
import type { Database } from '../db/schema';

/**
 * Where the caller belongs: their institution (one at most) and the companies they manage, work for, asked
 * to join or left, by name. Each person reads only their own.
 */
export async function myMemberships(db: Kysely<Database>, caller: Identity) {
  const [institution, companies] = await Promise.all([
    db
      .selectFrom('institution_members as m')
      .innerJoin('institutions as i', 'i.id', 'm.institution_id')
      .select(['i.id', 'i.name', 'm.role'])
      .where('m.user_sub', '=', caller.sub)
      .executeTakeFirst(),
    db
      .selectFrom('affiliations as a')
      .innerJoin('companies as c', 'c.id', 'a.company_id')
      .select(['c.id', 'c.name', 'a.role', 'a.state'])
      .where('a.user_sub', '=', caller.sub)
      .orderBy('c.name')
      .orderBy('c.id')
      .execute(),
  ]);
  return { institution: institution ?? null, companies };
}
