import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema';

/*
 * enrollments.first_activity_at is kept by triggers as each fact is written (migrations/0015); this
 * recomputes it from the facts as they stand, for a repair (a fact corrected by hand with the triggers
 * off, a restore) or to check the kept column: the count of enrollments it changed is the disagreement.
 */

/** Sets every enrollment's first activity from its facts; returns how many enrollments changed. */
export async function rebuildFirstActivity(db: Kysely<Database>): Promise<number> {
  return db.transaction().execute(async (trx) => {
    // Every fact's trigger updates enrollments, which this mode excludes: writers in flight finish first,
    // and none slips a fact in between the recomputation and its write (they wait, then apply theirs).
    await sql`lock table enrollments in share row exclusive mode`.execute(trx);
    const { rows } = await sql<{ changed: number }>`
      with facts as (
        select enrollment_id, min(at) as at from (
          -- A content's first audited credit, where its progress shows what was credited, or its open viewing
          -- run's start (migration 0017), which is in no trail row yet.
          select p.enrollment_id, least(p.updated_at, p.run_started_at, c.at) as at from content_progress p
          left join (
            select enrollment_id, content_id, min(at) as at from learning_audit where kind = 'credit'
            group by enrollment_id, content_id
          ) c on c.enrollment_id = p.enrollment_id and c.content_id = p.content_id
          where p.covered_seconds > 0
          union all
          select enrollment_id, started_at from exam_attempts
          union all
          select enrollment_id, joined_at from live_attendance where presence_seconds > 0
        ) f group by enrollment_id),
      changed as (
        update enrollments e set first_activity_at = facts.at
        from enrollments o left join facts on facts.enrollment_id = o.id
        where o.id = e.id and e.first_activity_at is distinct from facts.at
        returning 1)
      select count(*)::int as changed from changed`.execute(trx);
    return rows[0]!.changed;
  });
}
