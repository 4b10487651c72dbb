-- The institution's analytics read counts kept as the facts happen, so each route reads as many rows as its
-- answer has, not the history behind it (bench/analytics: 0.5-3 s at 500k enrollments when counted from the
-- facts on every dashboard load).
--
-- Kept by triggers, in the transaction that writes the fact, whichever code writes it. `rebuild_analytics()`
-- recomputes every table from the facts (npm run analytics:rebuild); the service's tests compare both after
-- randomized histories (test/service/analytics/aggregates.int.test.ts). Counters are upserted, so a row is
-- locked only by the transactions that change the same provision, course or institution-period, and each
-- transaction takes its rows in key order (no deadlock between two that share several).

-- Enrollments per course and calendar month of the compliance profile's zone (analytics_settings).
create table course_month_enrollments (
  course_id uuid not null references courses (id),
  month date not null,
  enrollments integer not null check (enrollments >= 0),
  primary key (course_id, month)
);

-- Each course's ratings by stars.
create table course_rating_counts (
  course_id uuid primary key references courses (id),
  stars integer[] not null default '{0,0,0,0,0}' check (cardinality(stars) = 5)
);

-- Who was enrolled in an accepted provision running in a month or quarter: a learner counts once per period
-- however many of its provisions they are in, so the set is kept with how many enrollments put them there,
-- and its size per period beside it. The set is the price of an exact distinct count; per learner it is a row
-- per period they were enrolled in (bench/analytics prints its bytes).
create table institution_period_learners (
  institution_id uuid not null references institutions (id),
  period text not null check (period in ('month', 'quarter')),
  starts date not null,
  user_sub text not null,
  enrollments integer not null check (enrollments >= 0),
  primary key (institution_id, period, starts, user_sub)
);
create table institution_period_counts (
  institution_id uuid not null references institutions (id),
  period text not null check (period in ('month', 'quarter')),
  starts date not null,
  learners integer not null check (learners >= 0),
  primary key (institution_id, period, starts)
);

-- Per company and course of an institution: the counts of its accepted provisions, which the completion route
-- pages through (an institution has as many of these as its answer has rows, fewer than its provisions).
create table company_course_counts (
  institution_id uuid not null references institutions (id),
  company_id uuid not null references companies (id),
  course_id uuid not null references courses (id),
  provisions integer not null default 0 check (provisions >= 0),
  enrolled integer not null default 0 check (enrolled >= 0),
  attended integer not null default 0 check (attended >= 0),
  completed integer not null default 0 check (completed >= 0),
  primary key (institution_id, company_id, course_id)
);

-- The accepted provisions running in a period, and their companies, each company once however many of its
-- provisions run then: kept like the learners, in a table of their own (a provision's acceptance takes the
-- learners' rows, then these; an enrollment only the learners').
create table institution_period_provisions (
  institution_id uuid not null references institutions (id),
  period text not null check (period in ('month', 'quarter')),
  starts date not null,
  provisions integer not null default 0 check (provisions >= 0),
  companies integer not null default 0 check (companies >= 0),
  primary key (institution_id, period, starts)
);
create table institution_period_companies (
  institution_id uuid not null references institutions (id),
  period text not null check (period in ('month', 'quarter')),
  starts date not null,
  company_id uuid not null references companies (id),
  provisions integer not null check (provisions >= 0),
  primary key (institution_id, period, starts, company_id)
);

-- The zone whose calendar months course_month_enrollments counts in. The service sets it to its compliance
-- profile's zone at start (analytics/time-zone.ts), recounting when it changed; until then, and for any other
-- zone asked for, the route counts from the facts.
create table analytics_settings (
  only_row boolean primary key default true check (only_row),
  time_zone text not null
);
insert into analytics_settings (time_zone) values ('UTC');

create function analytics_month(p_at timestamptz) returns date language sql stable as $$
  select date_trunc('month', p_at at time zone (select time_zone from analytics_settings))::date
$$;

-- The months and quarters from the one holding p_from to the one holding p_to, in key order.
create function analytics_periods(p_from date, p_to date)
returns table (period text, starts date) language sql immutable as $$
  select 'month', m::date from generate_series(date_trunc('month', p_from), date_trunc('month', p_to),
    interval '1 month') m
  union all
  select 'quarter', q::date from generate_series(date_trunc('quarter', p_from), date_trunc('quarter', p_to),
    interval '3 months') q
  order by 1, 2
$$;

-- Moves learners into (delta 1) or out of (-1) the periods of provisions, one entry per enrollment, set-wise.
create function analytics_learners(
  p_institutions uuid[], p_subs text[], p_from date[], p_to date[], p_deltas integer[]
) returns void language plpgsql as $$
declare
  k_institutions uuid[];
  k_periods text[];
  k_starts date[];
  k_subs text[];
  k_deltas integer[];
  c_institutions uuid[];
  c_periods text[];
  c_starts date[];
  c_deltas integer[];
begin
  select array_agg(i order by i, p, st, sub), array_agg(p order by i, p, st, sub),
    array_agg(st order by i, p, st, sub), array_agg(sub order by i, p, st, sub),
    array_agg(delta order by i, p, st, sub)
  into k_institutions, k_periods, k_starts, k_subs, k_deltas
  from (
    select u.i, p.period as p, p.starts as st, u.sub, sum(u.delta)::int as delta
    from unnest(p_institutions, p_subs, p_from, p_to, p_deltas) as u(i, sub, f, t, delta)
    cross join lateral analytics_periods(u.f, u.t) p
    group by 1, 2, 3, 4
    having sum(u.delta) <> 0) d;
  if k_institutions is null then
    return;
  end if;

  -- A learner enters a period when their count leaves 0, and leaves it when the count returns to 0. Rows
  -- are added by an upsert, which waits for and then sees a row another transaction is emptying and
  -- deleting; a row is only taken away from 1 by the enrollment that put it there, so a decrement finds it.
  with added as (
    insert into institution_period_learners as l (institution_id, period, starts, user_sub, enrollments)
    select i, p, st, sub, delta
    from unnest(k_institutions, k_periods, k_starts, k_subs, k_deltas) as d(i, p, st, sub, delta)
    where delta > 0
    order by 1, 2, 3, 4
    on conflict (institution_id, period, starts, user_sub)
      do update set enrollments = l.enrollments + excluded.enrollments
    returning l.institution_id, l.period, l.starts, l.user_sub, l.enrollments),
  locked as materialized (
    select l.institution_id, l.period, l.starts, l.user_sub from institution_period_learners l
    join unnest(k_institutions, k_periods, k_starts, k_subs, k_deltas) as d(i, p, st, sub, delta)
      on l.institution_id = d.i and l.period = d.p and l.starts = d.st and l.user_sub = d.sub
    where d.delta < 0
    order by 1, 2, 3, 4
    for update of l),
  removed as (
    update institution_period_learners l set enrollments = l.enrollments + d.delta
    from unnest(k_institutions, k_periods, k_starts, k_subs, k_deltas) as d(i, p, st, sub, delta)
    where l.institution_id = d.i and l.period = d.p and l.starts = d.st and l.user_sub = d.sub
      and d.delta < 0 and (select count(*) from locked) >= 0
    returning l.institution_id, l.period, l.starts, -(l.enrollments = 0)::int as entered)
  select array_agg(institution_id order by institution_id, period, starts),
    array_agg(period order by institution_id, period, starts),
    array_agg(starts order by institution_id, period, starts),
    array_agg(learners order by institution_id, period, starts)
  into c_institutions, c_periods, c_starts, c_deltas
  from (
    select institution_id, period, starts, sum(entered)::int as learners
    from (
      select a.institution_id, a.period, a.starts, (a.enrollments = d.delta)::int as entered
      from added a
      join unnest(k_institutions, k_periods, k_starts, k_subs, k_deltas) as d(i, p, st, sub, delta)
        on a.institution_id = d.i and a.period = d.p and a.starts = d.st and a.user_sub = d.sub
      union all
      select * from removed) x
    group by 1, 2, 3 having sum(entered) <> 0) c;
  delete from institution_period_learners l
  using unnest(k_institutions, k_periods, k_starts, k_subs, k_deltas) as d(i, p, st, sub, delta)
  where l.institution_id = d.i and l.period = d.p and l.starts = d.st and l.user_sub = d.sub
    and d.delta < 0 and l.enrollments = 0;
  if c_institutions is null then
    return;
  end if;

  insert into institution_period_counts (institution_id, period, starts, learners)
  select i, p, st, 0 from unnest(c_institutions, c_periods, c_starts) as d(i, p, st) order by 1, 2, 3
  on conflict do nothing;
  perform 1 from institution_period_counts c
  join unnest(c_institutions, c_periods, c_starts) as d(i, p, st)
    on c.institution_id = d.i and c.period = d.p and c.starts = d.st
  order by c.institution_id, c.period, c.starts
  for update of c;
  update institution_period_counts c set learners = c.learners + d.delta
  from unnest(c_institutions, c_periods, c_starts, c_deltas) as d(i, p, st, delta)
  where c.institution_id = d.i and c.period = d.p and c.starts = d.st;
end $$;

-- Adds changes of provisions' counts (enrolled, attended, completed, and provisions: 1 for one accepted, -1
-- for one no longer) to their institution, company and course, one entry per provision of a company.
create function analytics_pairs(
  p_institutions uuid[], p_companies uuid[], p_courses uuid[], p_counted integer[], p_enrolled integer[],
  p_attended integer[], p_completed integer[]
) returns void language plpgsql as $$
declare
  k_institutions uuid[];
  k_companies uuid[];
  k_courses uuid[];
  k_counted integer[];
  k_enrolled integer[];
  k_attended integer[];
  k_completed integer[];
begin
  select array_agg(i order by i, co, cu), array_agg(co order by i, co, cu), array_agg(cu order by i, co, cu),
    array_agg(n order by i, co, cu), array_agg(e order by i, co, cu), array_agg(a order by i, co, cu),
    array_agg(c order by i, co, cu)
  into k_institutions, k_companies, k_courses, k_counted, k_enrolled, k_attended, k_completed
  from (
    select i, co, cu, sum(n)::int as n, sum(e)::int as e, sum(a)::int as a, sum(c)::int as c
    from unnest(p_institutions, p_companies, p_courses, p_counted, p_enrolled, p_attended, p_completed)
      as d(i, co, cu, n, e, a, c)
    where co is not null
    group by 1, 2, 3) x
  where (n, e, a, c) <> (0, 0, 0, 0);
  if k_institutions is null then
    return;
  end if;
  insert into company_course_counts (institution_id, company_id, course_id)
  select * from unnest(k_institutions, k_companies, k_courses) order by 1, 2, 3
  on conflict do nothing;
  perform 1 from company_course_counts p
  join unnest(k_institutions, k_companies, k_courses) as d(i, co, cu)
    on p.institution_id = d.i and p.company_id = d.co and p.course_id = d.cu
  order by p.institution_id, p.company_id, p.course_id for update of p;
  update company_course_counts p set provisions = p.provisions + d.n, enrolled = p.enrolled + d.e,
    attended = p.attended + d.a, completed = p.completed + d.c
  from unnest(k_institutions, k_companies, k_courses, k_counted, k_enrolled, k_attended, k_completed)
    as d(i, co, cu, n, e, a, c)
  where p.institution_id = d.i and p.company_id = d.co and p.course_id = d.cu;
end $$;

-- Adds (p_delta 1) or removes (-1) one accepted provision over its periods: the running provisions, and its
-- company once however many of its provisions run then.
create function analytics_running(
  p_institution_id uuid, p_company_id uuid, p_from date, p_to date, p_delta integer
) returns void language plpgsql as $$
declare
  c_periods text[];
  c_starts date[];
  c_companies integer[];
begin
  select array_agg(period order by period, starts), array_agg(starts order by period, starts)
  into c_periods, c_starts
  from analytics_periods(p_from, p_to);
  if p_company_id is not null then
    -- A company enters a period when its count leaves 0 and leaves it when the count returns to 0.
    if p_delta > 0 then
      with added as (
        insert into institution_period_companies as m (institution_id, period, starts, company_id, provisions)
        select p_institution_id, p, st, p_company_id, 1 from unnest(c_periods, c_starts) as d(p, st)
        order by 2, 3
        on conflict (institution_id, period, starts, company_id) do update set provisions = m.provisions + 1
        returning m.period, m.starts, m.provisions)
      select array_agg((provisions = 1)::int order by period, starts) into c_companies from added;
    else
      perform 1 from institution_period_companies m
      join unnest(c_periods, c_starts) as d(p, st) on m.period = d.p and m.starts = d.st
      where m.institution_id = p_institution_id and m.company_id = p_company_id
      order by m.period, m.starts for update of m;
      with removed as (
        update institution_period_companies m set provisions = m.provisions - 1
        from unnest(c_periods, c_starts) as d(p, st)
        where m.institution_id = p_institution_id and m.company_id = p_company_id and m.period = d.p
          and m.starts = d.st
        returning m.period, m.starts, m.provisions)
      select array_agg(-(provisions = 0)::int order by period, starts) into c_companies from removed;
      delete from institution_period_companies
      where institution_id = p_institution_id and company_id = p_company_id and provisions = 0;
    end if;
  end if;
  insert into institution_period_provisions (institution_id, period, starts)
  select p_institution_id, p, st from unnest(c_periods, c_starts) as d(p, st) order by 2, 3
  on conflict do nothing;
  perform 1 from institution_period_provisions c
  join unnest(c_periods, c_starts) as d(p, st) on c.period = d.p and c.starts = d.st
  where c.institution_id = p_institution_id
  order by c.period, c.starts for update of c;
  update institution_period_provisions c set provisions = c.provisions + p_delta,
    companies = c.companies + coalesce(d.entered, 0)
  from unnest(c_periods, c_starts, coalesce(c_companies, array_fill(0, array[cardinality(c_periods)])))
    as d(p, st, entered)
  where c.institution_id = p_institution_id and c.period = d.p and c.starts = d.st;
end $$;

-- Counts enrollments in (p_signs 1) or out of (-1) every aggregate, set-wise: a statement's rows at once.
-- Each table's rows are first made to exist, then locked in key order, then changed, and every writer takes
-- the tables in one order (provisions, course_month_enrollments, institution_period_learners,
-- institution_period_counts, institution_period_companies, institution_period_provisions,
-- company_course_counts): two transactions sharing rows wait for each other rather than deadlock. The
-- provisions are read with a share lock: a concurrent change of their state or dates (provisions_analytics)
-- waits for these enrollments, or these wait for it and see each provision as it was left.
create function analytics_count(p_rows enrollments[], p_signs integer[]) returns void
language plpgsql as $$
declare
  pc_ids uuid[];
  pc_enrolled integer[];
  pc_attended integer[];
  pc_completed integer[];
  cm_courses uuid[];
  cm_months date[];
  cm_deltas integer[];
begin
  if p_rows is null then
    return;
  end if;
  -- The net change of each table's rows first: a learner taking part or completing moves one provision's
  -- counts and nothing else, and is spared the rest.
  select array_agg(id order by id), array_agg(e order by id), array_agg(a order by id), array_agg(c order by id)
  into pc_ids, pc_enrolled, pc_attended, pc_completed
  from (
    select r.provision_id as id, sum(s)::int as e, sum(s * (r.first_activity_at is not null)::int)::int as a,
      sum(s * (r.completed_at is not null)::int)::int as c
    from unnest(p_rows) with ordinality as r
      join unnest(p_signs) with ordinality as g(s, n) on g.n = r.ordinality
    group by 1) d
  where (e, a, c) <> (0, 0, 0);
  select array_agg(course_id order by course_id, month), array_agg(month order by course_id, month),
    array_agg(delta order by course_id, month)
  into cm_courses, cm_months, cm_deltas
  from (
    select r.course_id, analytics_month(r.created_at) as month, sum(s)::int as delta
    from unnest(p_rows) with ordinality as r
      join unnest(p_signs) with ordinality as g(s, n) on g.n = r.ordinality
    group by 1, 2) d
  where delta <> 0;

  if pc_ids is not null then
    perform 1 from provisions
    where id in (select r.provision_id from unnest(p_rows) r) order by id for share;
  end if;

  if cm_courses is not null then
    insert into course_month_enrollments (course_id, month, enrollments)
    select course_id, month, 0 from unnest(cm_courses, cm_months) as d(course_id, month) order by 1, 2
    on conflict (course_id, month) do nothing;
    perform 1 from course_month_enrollments m
    join unnest(cm_courses, cm_months) as d(course_id, month) using (course_id, month)
    order by m.course_id, m.month for update of m;
    update course_month_enrollments m set enrollments = m.enrollments + d.delta
    from unnest(cm_courses, cm_months, cm_deltas) as d(course_id, month, delta)
    where m.course_id = d.course_id and m.month = d.month;
  end if;

  perform analytics_learners(
    array_agg(v.institution_id), array_agg(x.user_sub), array_agg(v.starts_on), array_agg(v.ends_on),
    array_agg(x.delta))
  from (
    select r.provision_id, r.user_sub, sum(s)::int as delta
    from unnest(p_rows) with ordinality as r
      join unnest(p_signs) with ordinality as g(s, n) on g.n = r.ordinality
    group by 1, 2 having sum(s) <> 0) x
  join provisions v on v.id = x.provision_id and v.state = 'accepted';

  -- Last, as every writer takes the company and course's rows.
  perform analytics_pairs(array_agg(v.institution_id), array_agg(v.company_id), array_agg(v.course_id),
    array_agg(0), array_agg(d.e), array_agg(d.a), array_agg(d.c))
  from unnest(pc_ids, pc_enrolled, pc_attended, pc_completed) as d(id, e, a, c)
  join provisions v on v.id = d.id and v.state = 'accepted';
end $$;

create function enrollments_analytics_insert() returns trigger language plpgsql as $$
begin
  perform analytics_count(array_agg(row(n.*)::enrollments), array_agg(1)) from added n;
  return null;
end $$;
create trigger enrollments_analytics_insert after insert on enrollments
  referencing new table as added for each statement execute function enrollments_analytics_insert();

create function enrollments_analytics_delete() returns trigger language plpgsql as $$
begin
  perform analytics_count(array_agg(row(o.*)::enrollments), array_agg(-1)) from removed o;
  return null;
end $$;
create trigger enrollments_analytics_delete after delete on enrollments
  referencing old table as removed for each statement execute function enrollments_analytics_delete();

-- Taking part and completing move the counts of an accepted provision's company and course: a row trigger
-- that fires only then (each live report writes one such update per attendee, in its own statement: a
-- statement trigger's machinery on each was the cost of the whole report).
create function enrollments_analytics_progress() returns trigger language plpgsql as $$
declare
  v_attended integer := (new.first_activity_at is not null)::int - (old.first_activity_at is not null)::int;
  v_completed integer := (new.completed_at is not null)::int - (old.completed_at is not null)::int;
  v provisions;
begin
  -- Held until commit, so a concurrent acceptance or withdrawal of the provision counts this change in.
  select * into v from provisions where id = new.provision_id for share;
  if v.state = 'accepted' then
    perform analytics_pairs(array[v.institution_id], array[v.company_id], array[v.course_id], array[0],
      array[0], array[v_attended], array[v_completed]);
  end if;
  return null;
end $$;
create trigger enrollments_analytics_progress after update on enrollments
  for each row when (
    old.provision_id = new.provision_id and old.course_id = new.course_id and old.user_sub = new.user_sub
    and old.created_at = new.created_at and (
      (old.first_activity_at is null) <> (new.first_activity_at is null)
      or (old.completed_at is null) <> (new.completed_at is null)))
  execute function enrollments_analytics_progress();

-- The rest never changes in practice, and is counted out and in again if it does.
create function enrollments_analytics_move() returns trigger language plpgsql as $$
begin
  perform analytics_count(array[old, new], array[-1, 1]);
  return null;
end $$;
create trigger enrollments_analytics_move after update on enrollments
  for each row when (
    old.provision_id <> new.provision_id or old.course_id <> new.course_id or old.user_sub <> new.user_sub
    or old.created_at <> new.created_at)
  execute function enrollments_analytics_move();

-- A provision accepted, withdrawn from acceptance, moved in time or to another company or course moves its
-- counts, its running periods and its learners. Its enrollments are read after this statement took the
-- provision's row, so none being written is missed: an enrollment's statement holds a share lock on the
-- provision until it commits.
create function provisions_analytics() returns trigger language plpgsql as $$
declare
  v_old_accepted boolean := tg_op <> 'INSERT' and old.state = 'accepted';
  v_new_accepted boolean := tg_op <> 'DELETE' and new.state = 'accepted';
  v_id uuid := case when tg_op = 'DELETE' then old.id else new.id end;
begin
  -- The tables in the order every writer takes them: the learners' (as an enrollment does), the running
  -- provisions', then the company and course's.
  if tg_op = 'UPDATE' then
    perform analytics_learners(
      array_agg(x.institution_id), array_agg(x.user_sub), array_agg(x.starts_on), array_agg(x.ends_on),
      array_agg(x.delta))
    from (
      select old.institution_id, e.user_sub, old.starts_on, old.ends_on, -1 as delta
      from enrollments e where e.provision_id = old.id and v_old_accepted
      union all
      select new.institution_id, e.user_sub, new.starts_on, new.ends_on, 1
      from enrollments e where e.provision_id = new.id and v_new_accepted) x;
  end if;
  if v_old_accepted then
    perform analytics_running(old.institution_id, old.company_id, old.starts_on, old.ends_on, -1);
  end if;
  if v_new_accepted then
    perform analytics_running(new.institution_id, new.company_id, new.starts_on, new.ends_on, 1);
  end if;
  -- One call, so a provision moved between companies or courses takes their rows in key order.
  perform analytics_pairs(array_agg(x.i), array_agg(x.co), array_agg(x.cu), array_agg(x.sign),
    array_agg(x.sign * n.enrolled), array_agg(x.sign * n.attended), array_agg(x.sign * n.completed))
  from (
    select old.institution_id as i, old.company_id as co, old.course_id as cu, -1 as sign where v_old_accepted
    union all
    select new.institution_id, new.company_id, new.course_id, 1 where v_new_accepted) x
  -- The provision's own enrollments, counted as it changes (rarely): a lock on it is what every enrollment's
  -- trigger takes first, so none is counted twice or missed.
  cross join (
    select count(*)::int as enrolled, count(first_activity_at)::int as attended,
      count(completed_at)::int as completed
    from enrollments where provision_id = v_id) n;
  return null;
end $$;
create trigger provisions_analytics_insert after insert on provisions
  for each row when (new.state = 'accepted') execute function provisions_analytics();
create trigger provisions_analytics_delete after delete on provisions
  for each row when (old.state = 'accepted') execute function provisions_analytics();
create trigger provisions_analytics after update on provisions
  for each row when (
    (old.state = 'accepted' or new.state = 'accepted') and (
      old.state is distinct from new.state or old.starts_on is distinct from new.starts_on
      or old.ends_on is distinct from new.ends_on or old.institution_id is distinct from new.institution_id
      or old.company_id is distinct from new.company_id or old.course_id is distinct from new.course_id))
  execute function provisions_analytics();

-- Ratings counted set-wise per statement, like enrollments: a course's counters are one row, so a statement
-- rating many enrollments of a course changes it once.
create function analytics_rate(p_courses uuid[], p_stars integer[], p_signs integer[]) returns void
language plpgsql as $$
begin
  if p_courses is null then
    return;
  end if;
  insert into course_rating_counts (course_id) select distinct c from unnest(p_courses) c order by 1
  on conflict (course_id) do nothing;
  perform 1 from course_rating_counts where course_id = any (p_courses) order by course_id for update;
  -- coalesce: a star none of the statement's rows has sums to null.
  update course_rating_counts r set stars = array[
      r.stars[1] + d.s1, r.stars[2] + d.s2, r.stars[3] + d.s3, r.stars[4] + d.s4, r.stars[5] + d.s5]
  from (
    select c,
      coalesce(sum(sign) filter (where star = 1), 0)::int as s1,
      coalesce(sum(sign) filter (where star = 2), 0)::int as s2,
      coalesce(sum(sign) filter (where star = 3), 0)::int as s3,
      coalesce(sum(sign) filter (where star = 4), 0)::int as s4,
      coalesce(sum(sign) filter (where star = 5), 0)::int as s5
    from unnest(p_courses, p_stars, p_signs) as u(c, star, sign) group by c
  ) d
  where r.course_id = d.c;
end $$;

create function course_ratings_analytics_insert() returns trigger language plpgsql as $$
begin
  perform analytics_rate(array_agg(course_id), array_agg(stars), array_agg(1)) from added;
  return null;
end $$;
create trigger course_ratings_analytics_insert after insert on course_ratings
  referencing new table as added for each statement execute function course_ratings_analytics_insert();

create function course_ratings_analytics_delete() returns trigger language plpgsql as $$
begin
  perform analytics_rate(array_agg(course_id), array_agg(stars), array_agg(-1)) from removed;
  return null;
end $$;
create trigger course_ratings_analytics_delete after delete on course_ratings
  referencing old table as removed for each statement execute function course_ratings_analytics_delete();

-- A changed rating (a learner's second thought, sent again) is one row at a time.
create function course_ratings_analytics_update() returns trigger language plpgsql as $$
begin
  perform analytics_rate(array[old.course_id, new.course_id], array[old.stars, new.stars], array[-1, 1]);
  return null;
end $$;
create trigger course_ratings_analytics_update after update on course_ratings
  for each row when (old.stars <> new.stars or old.course_id <> new.course_id)
  execute function course_ratings_analytics_update();

-- Recounts every aggregate from the facts, with the facts' writers held off meanwhile; the settings' zone
-- stays. Returns each table's rows afterwards and how many rows the recount changed (added, removed or
-- altered; rows of zero count, which the counters leave behind, are no rows): 0 everywhere when the triggers
-- kept the aggregates right.
create function rebuild_analytics() returns table (aggregate text, row_count bigint, changed bigint)
language plpgsql as $$
begin
  lock table provisions, enrollments, course_ratings in share mode;
  create temporary table kept_course_month_enrollments on commit drop as
    select * from course_month_enrollments where enrollments <> 0;
  create temporary table kept_course_rating_counts on commit drop as
    select * from course_rating_counts where stars <> '{0,0,0,0,0}';
  create temporary table kept_institution_period_learners on commit drop as
    select * from institution_period_learners;
  create temporary table kept_institution_period_counts on commit drop as
    select * from institution_period_counts where learners <> 0;
  create temporary table kept_institution_period_provisions on commit drop as
    select * from institution_period_provisions where (provisions, companies) <> (0, 0);
  create temporary table kept_institution_period_companies on commit drop as
    select * from institution_period_companies;
  create temporary table kept_company_course_counts on commit drop as
    select * from company_course_counts where (provisions, enrolled, attended, completed) <> (0, 0, 0, 0);
  delete from course_month_enrollments;
  delete from course_rating_counts;
  delete from institution_period_counts;
  delete from institution_period_learners;
  delete from institution_period_companies;
  delete from institution_period_provisions;
  delete from company_course_counts;

  insert into course_month_enrollments (course_id, month, enrollments)
  select course_id, analytics_month(created_at), count(*) from enrollments group by 1, 2;

  insert into course_rating_counts (course_id, stars)
  select course_id, array[
      count(*) filter (where stars = 1), count(*) filter (where stars = 2), count(*) filter (where stars = 3),
      count(*) filter (where stars = 4), count(*) filter (where stars = 5)]::int[]
  from course_ratings group by course_id;

  insert into institution_period_learners (institution_id, period, starts, user_sub, enrollments)
  select v.institution_id, p.period, p.starts, e.user_sub, count(*)
  from provisions v
  join enrollments e on e.provision_id = v.id
  cross join lateral analytics_periods(v.starts_on, v.ends_on) p
  where v.state = 'accepted'
  group by 1, 2, 3, 4;

  insert into institution_period_companies (institution_id, period, starts, company_id, provisions)
  select v.institution_id, p.period, p.starts, v.company_id, count(*)
  from provisions v
  cross join lateral analytics_periods(v.starts_on, v.ends_on) p
  where v.state = 'accepted' and v.company_id is not null
  group by 1, 2, 3, 4;

  insert into institution_period_counts (institution_id, period, starts, learners)
  select institution_id, period, starts, count(*) from institution_period_learners group by 1, 2, 3;

  insert into institution_period_provisions (institution_id, period, starts, provisions, companies)
  select v.institution_id, p.period, p.starts, count(*), count(distinct v.company_id)
  from provisions v
  cross join lateral analytics_periods(v.starts_on, v.ends_on) p
  where v.state = 'accepted'
  group by 1, 2, 3;

  insert into company_course_counts (institution_id, company_id, course_id, provisions, enrolled, attended,
    completed)
  select v.institution_id, v.company_id, v.course_id, count(distinct v.id), count(e.id),
    count(e.first_activity_at), count(e.completed_at)
  from provisions v
  left join enrollments e on e.provision_id = v.id
  where v.state = 'accepted' and v.company_id is not null
  group by 1, 2, 3;

  return query
    select 'course_month_enrollments', (select count(*) from course_month_enrollments), (select count(*) from (
      (select * from course_month_enrollments except all select * from kept_course_month_enrollments)
      union all
      (select * from kept_course_month_enrollments except all select * from course_month_enrollments)) d)
    union all
    select 'course_rating_counts', (select count(*) from course_rating_counts), (select count(*) from (
      (select * from course_rating_counts except all select * from kept_course_rating_counts)
      union all (select * from kept_course_rating_counts except all select * from course_rating_counts)) d)
    union all
    select 'institution_period_learners', (select count(*) from institution_period_learners),
      (select count(*) from (
        (select * from institution_period_learners except all select * from kept_institution_period_learners)
        union all
        (select * from kept_institution_period_learners except all select * from institution_period_learners)
      ) d)
    union all
    select 'institution_period_companies', (select count(*) from institution_period_companies),
      (select count(*) from (
        (select * from institution_period_companies except all select * from kept_institution_period_companies)
        union all
        (select * from kept_institution_period_companies except all select * from institution_period_companies)
      ) d)
    union all
    select 'institution_period_provisions', (select count(*) from institution_period_provisions),
      (select count(*) from (
        (select * from institution_period_provisions
          except all select * from kept_institution_period_provisions)
        union all
        (select * from kept_institution_period_provisions
          except all select * from institution_period_provisions)
      ) d)
    union all
    select 'company_course_counts', (select count(*) from company_course_counts), (select count(*) from (
      (select * from company_course_counts except all select * from kept_company_course_counts)
      union all (select * from kept_company_course_counts except all select * from company_course_counts)) d)
    union all
    select 'institution_period_counts', (select count(*) from institution_period_counts),
      (select count(*) from (
        (select * from institution_period_counts except all select * from kept_institution_period_counts)
        union all
        (select * from kept_institution_period_counts except all select * from institution_period_counts)
      ) d);
end $$;

select rebuild_analytics();
