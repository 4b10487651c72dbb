import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema';

/**
 * Makes the per-course monthly counts (course_month_enrollments, migrations/0016) count in `timeZone`, the
 * compliance profile's: a month of the institution's calendar, not the server's. Run as the service starts;
 * when the zone is already the kept one it reads one row. When the zone changed (a fork's new profile) the
 * months are recounted from the enrollments, with their writers held off meanwhile; until then the route
 * counts from the facts (analytics.ts), so no answer is ever in the wrong calendar.
 */
export async function alignAnalyticsTimeZone(db: Kysely<Database>, timeZone: string): Promise<boolean> {
  const kept = async (trx: Kysely<Database>) => {
    const { rows } = await sql<{ timeZone: string }>`
      select time_zone as "timeZone" from analytics_settings`.execute(trx);
    return rows[0]!.timeZone;
  };
  if ((await kept(db)) === timeZone) return false;
  return db.transaction().execute(async (trx) => {
    // Enrollments first, as their writers take them: in-flight writers finish, later ones wait.
    await sql`lock table enrollments in share mode`.execute(trx);
    await sql`select 1 from analytics_settings for update`.execute(trx);
    // Two tasks starting at once: the second finds the work done.
    if ((await kept(trx)) === timeZone) return false;
    await sql`update analytics_settings set time_zone = ${timeZone}`.execute(trx);
    await sql`delete from course_month_enrollments`.execute(trx);
    await sql`
      insert into course_month_enrollments (course_id, month, enrollments)
      select course_id, analytics_month(created_at), count(*) from enrollments group by 1, 2`.execute(trx);
    return true;
  });
}
