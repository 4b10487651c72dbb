-- The completion route's live figures kept per provision, like the other analytics counts (0016): how many
-- lectures ended, how many (enrollment, lecture) pairs are due (records.ts LIVE_LECTURES_DUE: the lecture
-- ended after the learner enrolled, or they attended it) and the sum of the attendance rates, an absence
-- counting 0. The route divides the sums over a page row's accepted provisions (bench/analytics: worked out
-- per page from the facts it read every enrollment and lecture of the page's provisions, 5x slower at 500k
-- enrollments than at 50k).
--
-- Per provision rather than per company and course: the figures do not depend on a provision's state, so
-- accepting or withdrawing one moves nothing here, and the route adds up the accepted ones (a page row has
-- a few). A pair (e, l) is counted by whichever fact came last: the lecture counts the enrollments that were
-- there before it ended, an enrollment the lectures that ended after it, an attendance row a pair that the
-- other two leave out (a learner enrolled late who attended anyway). Each trigger computes its fact's whole
-- contribution from the others as they stand, after taking the locks that order it against them.
--
-- Locks, in the order of 0016 (provisions first, then the counters): an enrollment's statement takes its
-- provisions with `for no key update` (the service's enrolling holds `for update` already), a lecture's end
-- and an attendance report take them `for share`. So an enrollment and a lecture of one provision never run
-- unseen by each other, while reports, heartbeats and exams (which share-lock provisions in 0016) do not
-- wait for each other. An attendance statement also share-locks its lectures, so a lecture's end moved by a
-- later report waits for, or is seen by, the attendance written beside it. A report takes its provision's
-- counters row with its lecture, before the attendees' enrollments: reports of one provision queue there.

create table provision_live_counts (
  provision_id uuid primary key references provisions (id) on delete cascade,
  lectures integer not null default 0 check (lectures >= 0),
  due integer not null default 0 check (due >= 0),
  rate_sum numeric not null default 0 check (rate_sum >= 0)
);

-- The completion route's page rows find their accepted provisions by company and course.
create index provisions_accepted_pair on provisions (company_id, course_id) where state = 'accepted';

-- Adds changes to provisions' counters, one entry per change, in key order.
create function live_counts_add(
  p_provisions uuid[], p_lectures integer[], p_due integer[], p_rates numeric[]
) returns void language plpgsql as $$
declare
  k_provisions uuid[];
  k_lectures integer[];
  k_due integer[];
  k_rates numeric[];
begin
  select array_agg(v order by v), array_agg(l order by v), array_agg(d order by v), array_agg(r order by v)
  into k_provisions, k_lectures, k_due, k_rates
  from (
    select v, sum(l)::int as l, sum(d)::int as d, sum(r) as r
    from unnest(p_provisions, p_lectures, p_due, p_rates) as u(v, l, d, r)
    group by v) x
  where (l, d, r) <> (0, 0, 0);
  if k_provisions is null then
    return;
  end if;
  insert into provision_live_counts (provision_id) select unnest(k_provisions) order by 1
  on conflict do nothing;
  perform 1 from provision_live_counts where provision_id = any (k_provisions)
  order by provision_id for update;
  update provision_live_counts k set lectures = k.lectures + d.l, due = k.due + d.d, rate_sum = k.rate_sum + d.r
  from unnest(k_provisions, k_lectures, k_due, k_rates) as d(v, l, d, r)
  where k.provision_id = d.v;
end $$;

-- A lecture's whole part in its provision's counters, as the enrollments and attendance stand: the pairs due
-- and their rates (attendance of another provision's learner is nobody's, as in the route).
create function live_lecture_part(p_lecture_id uuid, p_provision_id uuid, p_ended_at timestamptz)
returns table (due integer, rate_sum numeric) language sql stable as $$
  select count(*)::int, coalesce(sum(la.attendance_rate), 0)
  from enrollments e
  left join live_attendance la on la.lecture_id = p_lecture_id and la.enrollment_id = e.id
  where e.provision_id = p_provision_id and (e.created_at < p_ended_at or la.enrollment_id is not null)
$$;

create function live_lectures_counts() returns trigger language plpgsql as $$
declare
  v_old_due integer := 0;
  v_old_rates numeric := 0;
  v_new_due integer := 0;
  v_new_rates numeric := 0;
begin
  perform 1 from provisions
  where id in (
    select old.provision_id where tg_op <> 'INSERT' union select new.provision_id where tg_op <> 'DELETE')
  order by id for share;
  -- The provisions' counters are taken now, whether or not this changes them, so that reports of one
  -- provision queue here, before the attendees' enrollments they lock next (learning/live-attendance.ts),
  -- rather than one holding enrollments and waiting for the counters the other holds.
  insert into provision_live_counts (provision_id)
  select v from (select old.provision_id as v where tg_op <> 'INSERT' union select new.provision_id
    where tg_op <> 'DELETE') x order by 1
  on conflict do nothing;
  perform 1 from provision_live_counts
  where provision_id in (
    select old.provision_id where tg_op <> 'INSERT' union select new.provision_id where tg_op <> 'DELETE')
  order by provision_id for update;
  if tg_op = 'UPDATE' and old.ended_at = new.ended_at and old.provision_id = new.provision_id then
    return null;
  end if;
  if tg_op <> 'INSERT' then
    select due, rate_sum into v_old_due, v_old_rates
    from live_lecture_part(old.lecture_id, old.provision_id, old.ended_at);
  end if;
  if tg_op <> 'DELETE' then
    select due, rate_sum into v_new_due, v_new_rates
    from live_lecture_part(new.lecture_id, new.provision_id, new.ended_at);
  end if;
  perform live_counts_add(array_agg(x.v), array_agg(x.l), array_agg(x.d), array_agg(x.r))
  from (
    select old.provision_id as v, -1 as l, -v_old_due as d, -v_old_rates as r where tg_op <> 'INSERT'
    union all
    select new.provision_id, 1, v_new_due, v_new_rates where tg_op <> 'DELETE') x;
  return null;
end $$;
create trigger live_lectures_counts after insert or delete on live_lectures
  for each row execute function live_lectures_counts();
-- Every report's update too, its end moved or not: see the counters' lock above.
create trigger live_lectures_counts_update after update on live_lectures
  for each row execute function live_lectures_counts();

-- Attendance rows in (1) or out (-1), set-wise: a report writes its attendees in one statement. Each adds
-- its rate, and the pair itself where the lecture had not counted it (the learner enrolled after it ended).
create function live_attendance_count(p_rows live_attendance[], p_sign integer) returns void
language plpgsql as $$
begin
  if p_rows is null then
    return;
  end if;
  perform 1 from provisions
  where id in (select l.provision_id from live_lectures l join unnest(p_rows) r using (lecture_id))
  order by id for share;
  perform 1 from live_lectures where lecture_id in (select r.lecture_id from unnest(p_rows) r)
  order by lecture_id for share;
  perform live_counts_add(array_agg(l.provision_id), array_agg(0),
    array_agg(p_sign * (e.created_at >= l.ended_at)::int), array_agg(p_sign * r.attendance_rate))
  from unnest(p_rows) r
  join live_lectures l on l.lecture_id = r.lecture_id
  join enrollments e on e.id = r.enrollment_id and e.provision_id = l.provision_id;
end $$;

create function live_attendance_counts_insert() returns trigger language plpgsql as $$
begin
  perform live_attendance_count((select array_agg(row(n.*)::live_attendance) from added n), 1);
  return null;
end $$;
create trigger live_attendance_counts_insert after insert on live_attendance
  referencing new table as added for each statement execute function live_attendance_counts_insert();

create function live_attendance_counts_delete() returns trigger language plpgsql as $$
begin
  perform live_attendance_count((select array_agg(row(o.*)::live_attendance) from removed o), -1);
  return null;
end $$;
create trigger live_attendance_counts_delete after delete on live_attendance
  referencing old table as removed for each statement execute function live_attendance_counts_delete();

-- A report sent again rewrites its attendees' rows (an upsert): out as they were, in as they are.
create function live_attendance_counts_update() returns trigger language plpgsql as $$
begin
  perform live_attendance_count((select array_agg(row(o.*)::live_attendance) from removed o), -1);
  perform live_attendance_count((select array_agg(row(n.*)::live_attendance) from added n), 1);
  return null;
end $$;
create trigger live_attendance_counts_update after update on live_attendance
  referencing old table as removed new table as added
  for each statement execute function live_attendance_counts_update();

-- An enrollment's whole part: the lectures of its provision that ended after it was made or that it
-- attended, and its rates.
create function live_enrollment_count(p_rows enrollments[], p_signs integer[]) returns void
language plpgsql as $$
begin
  if p_rows is null then
    return;
  end if;
  perform 1 from provisions where id in (select r.provision_id from unnest(p_rows) r)
  order by id for no key update;
  perform live_counts_add(array_agg(x.provision_id), array_agg(0), array_agg(x.d), array_agg(x.r))
  from (
    select r.provision_id, g.s * count(l.lecture_id)::int as d, g.s * coalesce(sum(la.attendance_rate), 0) as r
    from unnest(p_rows) with ordinality as r
    join unnest(p_signs) with ordinality as g(s, n) on g.n = r.ordinality
    join live_lectures l on l.provision_id = r.provision_id
    left join live_attendance la on la.lecture_id = l.lecture_id and la.enrollment_id = r.id
    where l.ended_at > r.created_at or la.enrollment_id is not null
    group by r.ordinality, r.provision_id, g.s) x;
end $$;

-- Named to fire before 0016's enrollments_analytics_* (triggers of one event fire by name): the provisions'
-- lock is taken before any counter's, as every writer takes them.
create function enrollments_analytics_due_insert() returns trigger language plpgsql as $$
begin
  perform live_enrollment_count(array_agg(row(n.*)::enrollments), array_agg(1)) from added n;
  return null;
end $$;
create trigger enrollments_analytics_due_insert after insert on enrollments
  referencing new table as added for each statement execute function enrollments_analytics_due_insert();

create function enrollments_analytics_due_delete() returns trigger language plpgsql as $$
begin
  perform live_enrollment_count(array_agg(row(o.*)::enrollments), array_agg(-1)) from removed o;
  return null;
end $$;
create trigger enrollments_analytics_due_delete after delete on enrollments
  referencing old table as removed for each statement execute function enrollments_analytics_due_delete();

create function enrollments_analytics_due_move() returns trigger language plpgsql as $$
begin
  perform live_enrollment_count(array[old, new], array[-1, 1]);
  return null;
end $$;
create trigger enrollments_analytics_due_move after update on enrollments
  for each row when (old.provision_id <> new.provision_id or old.created_at <> new.created_at)
  execute function enrollments_analytics_due_move();

-- A live report's attendee moved their first activity (0015) by recomputing it from every fact, twice per
-- attendee, through a SQL function planned again at each call: 3.5 ms an attendee once the audit trail had a
-- year of monthly partitions to plan for (0017), most of a report. A fact added can only bring the time
-- forward; only a fact that was the earliest and is withdrawn or moved later needs the recount.
create or replace function enrollment_first_activity(p_enrollment_id uuid) returns timestamptz
language plpgsql stable as $$
begin
  -- As in 0017, in PL/pgSQL so that its plan is kept for the session rather than made at every call.
  return least(
    (select min(least(p.updated_at, p.run_started_at, (
        select min(au.at) from learning_audit au
        where au.enrollment_id = p.enrollment_id and au.content_id = p.content_id and au.kind = 'credit')))
      from content_progress p
      where p.enrollment_id = p_enrollment_id and p.covered_seconds > 0),
    (select min(a.started_at) from exam_attempts a where a.enrollment_id = p_enrollment_id),
    (select min(la.joined_at) from live_attendance la
      where la.enrollment_id = p_enrollment_id and la.presence_seconds > 0));
end $$;

create or replace function live_attendance_first_activity() returns trigger language plpgsql as $$
declare
  v_enrollment_id uuid := case when tg_op = 'DELETE' then old.enrollment_id else new.enrollment_id end;
  v_removed timestamptz;
  v_added timestamptz;
  v_recounted timestamptz;
begin
  if tg_op <> 'INSERT' and old.presence_seconds > 0 then
    v_removed := old.joined_at;
  end if;
  if tg_op <> 'DELETE' and new.presence_seconds > 0 then
    v_added := new.joined_at;
  end if;
  if v_removed is not null and (v_added is null or v_added > v_removed)
    and exists (select from enrollments where id = v_enrollment_id and first_activity_at = v_removed) then
    v_recounted := enrollment_first_activity(v_enrollment_id);
    update enrollments set first_activity_at = v_recounted
    where id = v_enrollment_id and first_activity_at is distinct from v_recounted;
  elsif v_added is not null then
    update enrollments set first_activity_at = v_added
    where id = v_enrollment_id and (first_activity_at is null or first_activity_at > v_added);
  end if;
  return null;
end $$;

-- The recount (0016's, renamed) with these counters besides.
alter function rebuild_analytics() rename to rebuild_enrollment_analytics;
create function rebuild_analytics() returns table (aggregate text, row_count bigint, changed bigint)
language plpgsql as $$
begin
  lock table provisions, enrollments, course_ratings, live_lectures, live_attendance in share mode;
  create temporary table kept_provision_live_counts on commit drop as
    select * from provision_live_counts where (lectures, due, rate_sum) <> (0, 0, 0);
  delete from provision_live_counts;
  insert into provision_live_counts (provision_id, lectures, due, rate_sum)
  select l.provision_id, count(*), sum(p.due), sum(p.rate_sum)
  from live_lectures l cross join lateral live_lecture_part(l.lecture_id, l.provision_id, l.ended_at) p
  group by l.provision_id;
  return query
    select * from rebuild_enrollment_analytics()
    union all
    select 'provision_live_counts', (select count(*) from provision_live_counts), (select count(*) from (
      (select * from provision_live_counts except all select * from kept_provision_live_counts)
      union all (select * from kept_provision_live_counts except all select * from provision_live_counts)) d);
end $$;

-- Counted once from the facts here, not by rebuild_analytics(): 0016's call made its temporary tables in
-- this same transaction, where they stay until its commit.
insert into provision_live_counts (provision_id, lectures, due, rate_sum)
select l.provision_id, count(*), sum(p.due), sum(p.rate_sum)
from live_lectures l cross join lateral live_lecture_part(l.lecture_id, l.provision_id, l.ended_at) p
group by l.provision_id;
