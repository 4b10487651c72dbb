-- When each learner first took part in their enrollment: credited watching, an exam sitting, or presence at
-- a live lecture. Completion analytics count participants by this column rather than probing three tables
-- once per enrollment of the institution (bench/analytics: ~500k probes at 500k enrollments).
--
-- Kept by triggers on the three facts, so it changes in the transaction that writes the fact, whichever
-- code writes it (the heartbeat function, an exam start, a live attendance report, a fixture). Watching and
-- sittings first take the enrollment row's key-share lock, which the facts' foreign keys take anyway; a
-- live report, which may lower presence and so recomputes, holds the row's update lock: it waits for a
-- credit in flight and then sees it, or the credit waits and then moves the recomputed time earlier.
alter table enrollments add column first_activity_at timestamptz;

-- The definition, from the facts as they stand. Watching: of each content with covered seconds, its first
-- credit's time in the audit trail (content_progress keeps only its last change), or the progress row's
-- time where no credit was audited. Credits count only where progress shows them, as the probes did.
create function enrollment_first_activity(p_enrollment_id uuid) returns timestamptz
language sql stable as $$
  select least(
    (select min(least(p.updated_at, (
        select min(au.at) from learning_audit au
        where au.enrollment_id = p.enrollment_id and au.content_id = p.content_id and au.kind = 'credit')))
      from content_progress p
      where p.enrollment_id = p_enrollment_id and p.covered_seconds > 0),
    (select min(a.started_at) from exam_attempts a where a.enrollment_id = p_enrollment_id),
    (select min(la.joined_at) from live_attendance la
      where la.enrollment_id = p_enrollment_id and la.presence_seconds > 0))
$$;

-- Watching and sittings only ever add: the earliest time stands, so a repeated write changes nothing.
create function enrollment_took_part(p_enrollment_id uuid, p_at timestamptz) returns void
language plpgsql as $$
begin
  perform 1 from enrollments where id = p_enrollment_id for key share;
  update enrollments set first_activity_at = least(first_activity_at, p_at)
  where id = p_enrollment_id and (first_activity_at is null or first_activity_at > p_at);
end $$;

create function content_progress_first_activity() returns trigger language plpgsql as $$
begin
  perform enrollment_took_part(new.enrollment_id, new.updated_at);
  return null;
end $$;
create trigger content_progress_first_activity_insert after insert on content_progress
  for each row when (new.covered_seconds > 0) execute function content_progress_first_activity();
create trigger content_progress_first_activity_update after update of covered_seconds on content_progress
  for each row when (new.covered_seconds > old.covered_seconds)
  execute function content_progress_first_activity();

create function exam_attempts_first_activity() returns trigger language plpgsql as $$
begin
  perform enrollment_took_part(new.enrollment_id, new.started_at);
  return null;
end $$;
create trigger exam_attempts_first_activity after insert on exam_attempts
  for each row execute function exam_attempts_first_activity();

-- A later report of a lecture replaces the earlier one and may lower presence to none or move the join
-- time: the enrollment's time is recomputed from every fact. Its row is locked for update before the
-- attendance row is written, ahead of the key-share lock the foreign key takes: two reports upgrading
-- their key-share locks at once would deadlock each other. Reports write their attendees in enrollment
-- order (learning/live-attendance.ts), so two reports lock common enrollments in one order.
create function live_attendance_lock_enrollment() returns trigger language plpgsql as $$
begin
  perform 1 from enrollments
  where id = case when tg_op = 'DELETE' then old.enrollment_id else new.enrollment_id end
  for update;
  return case when tg_op = 'DELETE' then old else new end;
end $$;
create trigger live_attendance_lock_enrollment before insert or update or delete on live_attendance
  for each row execute function live_attendance_lock_enrollment();

create function live_attendance_first_activity() returns trigger language plpgsql as $$
declare
  v_enrollment_id uuid := case when tg_op = 'DELETE' then old.enrollment_id else new.enrollment_id end;
begin
  update enrollments set first_activity_at = enrollment_first_activity(id)
  where id = v_enrollment_id and first_activity_at is distinct from enrollment_first_activity(id);
  return null;
end $$;
create trigger live_attendance_first_activity_insert after insert on live_attendance
  for each row when (new.presence_seconds > 0) execute function live_attendance_first_activity();
create trigger live_attendance_first_activity_update after update on live_attendance
  for each row when (old.presence_seconds > 0 or new.presence_seconds > 0)
  execute function live_attendance_first_activity();
create trigger live_attendance_first_activity_delete after delete on live_attendance
  for each row when (old.presence_seconds > 0) execute function live_attendance_first_activity();

-- The history so far, one pass per source rather than one function call per enrollment.
update enrollments e set first_activity_at = f.at
from (
  select enrollment_id, min(at) as at from (
    select p.enrollment_id, least(p.updated_at, c.at) as at from content_progress p
    left join (
      select enrollment_id, content_id, min(at) as at from learning_audit where kind = 'credit'
      group by enrollment_id, content_id
    ) c on c.enrollment_id = p.enrollment_id and c.content_id = p.content_id
    where p.covered_seconds > 0
    union all
    select enrollment_id, started_at from exam_attempts
    union all
    select enrollment_id, joined_at from live_attendance where presence_seconds > 0
  ) facts group by enrollment_id
) f
where f.enrollment_id = e.id;
