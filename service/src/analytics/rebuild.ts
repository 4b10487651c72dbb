import { type Kysely, sql } from 'kysely';
import type { Database } from '../db/schema';

/*
 * enrollments.first_activity_at (migrations/0015) and the analytics' counts (migrations/0016) are kept by
 * triggers as each fact is written; these recompute them from the facts as they stand, for a repair (a fact
 * corrected by hand with the triggers off, a restore) or to check what was kept: what a rebuild changed is
 * the disagreement.
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
      -- The trail's archived months (migrations/0019) are in S3, not here: a kept time before the end of the
      -- last of them may be a credit of theirs, so it stands unless the facts here are earlier still.
      archived as (
        select (max(month) + interval '1 month') at time zone 'UTC' as through from learning_audit_archives),
      rebuilt as (
        select o.id, least(facts.at, case when o.first_activity_at < archived.through then o.first_activity_at end)
          as at
        from enrollments o cross join archived left join facts on facts.enrollment_id = o.id),
      changed as (
        update enrollments e set first_activity_at = rebuilt.at
        from rebuilt
        where rebuilt.id = e.id and e.first_activity_at is distinct from rebuilt.at
        returning 1)
      select count(*)::int as changed from changed`.execute(trx);
    return rows[0]!.changed;
  });
}

export interface AggregateRebuild {
  readonly aggregate: string;
  readonly rows: number;
  /** Rows the recount added, removed or altered: 0 when the triggers kept the table right. */
  readonly changed: number;
}

/**
 * First activity, then every count kept from it and the other facts (rebuild_analytics, migrations/0016, 0018),
 * each in its own transaction.
 */
export async function rebuildAnalytics(
  db: Kysely<Database>,
): Promise<{ firstActivityChanged: number; aggregates: AggregateRebuild[] }> {
  const firstActivityChanged = await rebuildFirstActivity(db);
  const aggregates = await db.transaction().execute(async (trx) => {
    const { rows } = await sql<AggregateRebuild>`
      select aggregate, row_count::int as rows, changed::int as changed from rebuild_analytics()`.execute(
      trx,
    );
    return rows;
  });
  return { firstActivityChanged, aggregates };
}
