-- The audit trail's credits as viewing runs (issue 22). One 'credit' row per credited beat grew the trail by
-- ~330 bytes a beat (3.35 MB a minute at 250 beats a second). A credit row is now one continuous viewing run
-- of an enrollment's content: opened by its first credited beat (`at`, so the first credit's time is still
-- min(at) of kind 'credit', as enrollment_first_activity and analytics:rebuild read it) and extended by every
-- later credited beat of the same content, the same day (of the compliance profile's zone, which the daily
-- lesson cap counts by) and within the heartbeat gap that crediting tolerates after the run's last credit.
-- A beat after a longer gap, or on another day, opens the next run: that closes the previous one for good.
--
-- A run's detail: seconds (credited, the sum of its beats' credits), beats (credited beats counted),
-- covered (the positions credited, as [from, to) pairs), endedAt (its last credited beat), day, sessionIds
-- and playbackRates (every tab and rate that earned in it) and maxBeatGapSeconds (the gap it was held to).
-- Per-beat rows written before this migration stay as they were (seconds, from, to, sessionId,
-- playbackRate); readers take both.

-- A credit row's positions, either shape.
create function learning_audit_covered(p_detail jsonb) returns int4multirange
language sql immutable as $$
  select case when p_detail ? 'covered' then (
      select coalesce(range_agg(int4range((r->>0)::integer, (r->>1)::integer)), '{}'::int4multirange)
      from jsonb_array_elements(p_detail->'covered') r)
    else int4multirange(int4range((p_detail->>'from')::integer, (p_detail->>'to')::integer)) end
$$;

create function learning_audit_pairs(p_covered int4multirange) returns jsonb
language sql immutable as $$
  select coalesce(jsonb_agg(jsonb_build_array(lower(r), upper(r)) order by lower(r)), '[]'::jsonb)
  from unnest(p_covered) r
$$;

-- Updates are refused, except a run's growth by the next credited beat: only seconds, beats, covered,
-- endedAt, sessionIds and playbackRates may change, and only upwards (more seconds and beats, a later end
-- (never earlier) within the run's gap, a superset of positions, tabs and rates), and only on the content's
-- latest run.
-- A per-beat row, a closed run and every other kind stay as written; deletes are refused.
create or replace function learning_audit_is_append_only() returns trigger language plpgsql as $$
declare
  v_growing constant text[] := array['seconds', 'beats', 'covered', 'endedAt', 'sessionIds', 'playbackRates'];
begin
  if tg_op = 'UPDATE' and old.kind = 'credit' and old.detail ? 'beats'
      and new.id = old.id and new.enrollment_id = old.enrollment_id and new.user_sub = old.user_sub
      and new.kind = old.kind and new.content_id = old.content_id and new.at = old.at
      and (new.detail - v_growing) = (old.detail - v_growing)
      and (new.detail->>'seconds')::integer > (old.detail->>'seconds')::integer
      and (new.detail->>'beats')::integer > (old.detail->>'beats')::integer
      and (new.detail->>'endedAt')::timestamptz >= (old.detail->>'endedAt')::timestamptz
      and (new.detail->>'endedAt')::timestamptz <= (old.detail->>'endedAt')::timestamptz
        + make_interval(secs => (old.detail->>'maxBeatGapSeconds')::float8)
      -- A run is of one day, whose zone's longest (a change of clocks) has 25 hours.
      and (new.detail->>'endedAt')::timestamptz < old.at + interval '26 hours'
      and learning_audit_covered(new.detail) @> learning_audit_covered(old.detail)
      and (new.detail->'sessionIds') @> (old.detail->'sessionIds')
      and (new.detail->'playbackRates') @> (old.detail->'playbackRates')
      and not exists (
        select from learning_audit later
        where later.enrollment_id = old.enrollment_id and later.id > old.id
          and later.content_id = old.content_id and later.kind = 'credit'
          -- A later run opens at most a race's moment before this one, and a run ends within 26 hours of
          -- its opening (above): these bounds keep the check to the partitions of those days.
          and later.at > old.at - interval '1 day' and later.at < old.at + interval '2 days') then
    return new;
  end if;
  raise exception 'learning_audit is append-only: only the latest viewing run may grow'
    using errcode = '42501';
end $$;

-- A credited beat's entry: extends the content's open run or opens the next. Security definer because the
-- service's role may not update the trail (app-role.ts): this is the one update it can make, and the trigger
-- above still holds it to growth. Beats of a learner are serialized by their viewing clock's lock, which
-- record_heartbeat holds, so two beats cannot both open a run or both extend one from the same state.
-- The latest run is the latest row (by id): the one the trigger lets grow.
create function learning_audit_credit(
  p_enrollment_id uuid,
  p_user_sub text,
  p_content_id uuid,
  p_session_id text,
  p_playback_rate float8,
  p_now timestamptz,
  p_today date,
  p_from integer,
  p_seconds integer,
  p_max_beat_gap_seconds float8
) returns void language plpgsql security definer set search_path = public, pg_temp as $$
declare
  v_run record;
  v_ended timestamptz;
begin
  -- The content's latest credit row, by the enrollment's index read backwards: a learner's latest entries
  -- are mostly of what they are watching, and an index of its own would cost more per run than its rows.
  -- A run never spans more than a day (of any zone), so only the partitions of the days around the beat
  -- are read; the hour after it covers a run opened by a racing beat timed a moment later.
  select id, at, detail into v_run from learning_audit
  where enrollment_id = p_enrollment_id and content_id = p_content_id and kind = 'credit'
    and at > p_now - interval '2 days' and at < p_now + interval '1 hour'
  order by id desc
  limit 1;
  if found and v_run.detail ? 'beats' then
    v_ended := (v_run.detail->>'endedAt')::timestamptz;
    -- A beat timed before the run's last credit (requests that raced for the clock's lock) still joins it
    -- and leaves its end where it was; one timed before the run's opening opens a run of its own, so that
    -- a run's `at` stays its first credit.
    if v_run.detail->>'day' = p_today::text and p_now >= v_run.at
        and p_now <= v_ended + make_interval(secs => (v_run.detail->>'maxBeatGapSeconds')::float8) then
      update learning_audit
      set detail = detail || jsonb_build_object(
        'seconds', (detail->>'seconds')::integer + p_seconds,
        'beats', (detail->>'beats')::integer + 1,
        'covered', learning_audit_pairs(
          learning_audit_covered(detail) + int4multirange(int4range(p_from, p_from + p_seconds))),
        'endedAt', greatest(v_ended, p_now),
        'sessionIds', case when detail->'sessionIds' ? p_session_id then detail->'sessionIds'
                      else detail->'sessionIds' || to_jsonb(p_session_id) end,
        'playbackRates', case when detail->'playbackRates' @> to_jsonb(array[p_playback_rate])
                         then detail->'playbackRates'
                         else detail->'playbackRates' || to_jsonb(p_playback_rate) end)
      where id = v_run.id and at = v_run.at;
      return;
    end if;
  end if;
  insert into learning_audit (enrollment_id, user_sub, kind, content_id, detail, at)
  values (p_enrollment_id, p_user_sub, 'credit', p_content_id,
          jsonb_build_object('seconds', p_seconds, 'beats', 1,
                             'covered', jsonb_build_array(jsonb_build_array(p_from, p_from + p_seconds)),
                             'endedAt', p_now, 'day', p_today,
                             'sessionIds', jsonb_build_array(p_session_id),
                             'playbackRates', jsonb_build_array(p_playback_rate),
                             'maxBeatGapSeconds', p_max_beat_gap_seconds),
          p_now);
end $$;

-- record_heartbeat as in 0008_live_recordings.sql, except that a credit extends or opens a viewing run
-- (learning_audit_credit) instead of appending a row of its own.
create or replace function record_heartbeat(
  p_enrollment_id uuid,
  p_user_sub text,
  p_content_id uuid,
  p_session_id text,
  p_sequence integer,
  p_position float8,
  p_playback_rate float8,
  p_now timestamptz,
  p_today date,
  p_daily_lesson_cap integer,
  p_content_complete_share float8,
  p_max_beat_gap_seconds float8,
  p_playhead_tolerance_seconds float8,
  out "creditedSeconds" integer,
  out "coveredSeconds" integer,
  out "durationSeconds" integer,
  out completed boolean,
  out gate text,
  -- The content became complete with this beat: the caller evaluates the course's completion.
  out "completedNow" boolean
) language plpgsql as $$
declare
  v_facts record;
  v_clock timestamptz;
  v_progress record;
  v_session playback_sessions%rowtype;
  v_position integer;
  v_run_position integer;
  v_run_started_at timestamptz;
  v_run_credited integer;
  v_gap float8;
  v_elapsed float8;
  v_spent_until timestamptz;
  v_credit integer := 0;
  v_counted integer;
  v_counted_this boolean;
  v_from integer;
  v_covered integer;
begin
  select e.user_sub, p.starts_on, p.ends_on, x.kind, x.state, x.media_state, x.duration_seconds
  into v_facts
  from enrollments e
  join provisions p on p.id = e.provision_id
  join contents x on x.course_id = e.course_id
    and (x.provision_id is null or x.provision_id = e.provision_id)
  where e.id = p_enrollment_id and x.id = p_content_id;
  -- Someone else's enrollment does not exist for this caller.
  if not found or v_facts.user_sub <> p_user_sub then
    raise exception 'Enrollment or content not found' using errcode = 'LM404';
  end if;
  if v_facts.kind <> 'video' or v_facts.state <> 'active' or v_facts.media_state is distinct from 'ready'
      or coalesce(v_facts.duration_seconds, 0) = 0 then
    raise exception 'This content has no playable video' using errcode = 'LM409';
  end if;
  "durationSeconds" := v_facts.duration_seconds;
  "creditedSeconds" := 0;
  gate := null;
  "completedNow" := false;

  -- The lock that serializes a learner's beats; the row exists from their first beat on.
  select credited_until into v_clock from viewing_clocks where user_sub = p_user_sub for update;
  if not found then
    insert into viewing_clocks (user_sub, credited_until) values (p_user_sub, p_now)
      on conflict (user_sub) do nothing;
    select credited_until into v_clock from viewing_clocks where user_sub = p_user_sub for update;
  end if;
  select covered_seconds, completed_at into v_progress
  from content_progress where enrollment_id = p_enrollment_id and content_id = p_content_id;
  if not found then
    insert into content_progress (enrollment_id, content_id) values (p_enrollment_id, p_content_id)
      on conflict (enrollment_id, content_id) do nothing;
    select covered_seconds, completed_at into v_progress
    from content_progress where enrollment_id = p_enrollment_id and content_id = p_content_id;
  end if;
  "coveredSeconds" := v_progress.covered_seconds;
  completed := v_progress.completed_at is not null;

  if p_today < v_facts.starts_on or p_today > v_facts.ends_on then
    gate := 'outside-period';
    insert into learning_audit (enrollment_id, user_sub, kind, content_id, detail, at)
    values (p_enrollment_id, p_user_sub, 'gate', p_content_id,
            jsonb_build_object('gate', gate, 'day', p_today), p_now);
    return;
  end if;

  select * into v_session from playback_sessions
  where enrollment_id = p_enrollment_id and content_id = p_content_id and session_id = p_session_id
  for update;
  if found and p_sequence <= v_session.last_sequence then
    return;
  end if;

  v_position := least(floor(p_position), v_facts.duration_seconds)::integer;
  if v_session.session_id is not null then
    v_gap := extract(epoch from p_now - v_session.last_beat_at)::float8;
    v_elapsed := extract(epoch from p_now - v_session.run_started_at)::float8;
    if v_gap < 0 or v_gap > p_max_beat_gap_seconds
        or v_position > v_session.run_position + v_elapsed * greatest(p_playback_rate, 1)
                        + p_playhead_tolerance_seconds
        or v_position < v_session.last_position then
      v_run_started_at := null;
    else
      v_run_position := v_session.run_position;
      v_run_started_at := v_session.run_started_at;
      v_run_credited := v_session.run_credited;
      v_credit := least(v_position - v_session.last_position,
                        greatest(0, floor(v_elapsed) - v_session.run_credited))::integer;
    end if;
  end if;
  -- A new run starts now and has earned nothing yet.
  if v_run_started_at is null then
    v_run_position := v_position;
    v_run_started_at := p_now;
    v_run_credited := 0;
  end if;
  -- The viewing clock is spent from the later of its mark and this run's start: time before the run was
  -- not spent watching in it, and time another tab already spent cannot be spent again.
  v_spent_until := greatest(v_clock, v_run_started_at);
  v_credit := greatest(0, least(v_credit, floor(extract(epoch from p_now - v_spent_until))))::integer;

  if v_credit > 0 and p_daily_lesson_cap is not null and not completed then
    select count(*), coalesce(bool_or(content_id = p_content_id), false)
    into v_counted, v_counted_this
    from daily_lessons where enrollment_id = p_enrollment_id and day = p_today;
    if not v_counted_this then
      if v_counted >= p_daily_lesson_cap then
        gate := 'daily-lesson-cap';
        v_credit := 0;
        insert into learning_audit (enrollment_id, user_sub, kind, content_id, detail, at)
        values (p_enrollment_id, p_user_sub, 'gate', p_content_id,
                jsonb_build_object('gate', gate, 'day', p_today, 'cap', p_daily_lesson_cap), p_now);
      else
        insert into daily_lessons (enrollment_id, day, content_id)
        values (p_enrollment_id, p_today, p_content_id);
      end if;
    end if;
  end if;

  v_from := coalesce(v_session.last_position, v_position);
  if v_credit > 0 then
    update content_progress
    set covered = covered + int4multirange(int4range(v_from, v_from + v_credit)),
        covered_seconds = (
          select coalesce(sum(upper(r) - lower(r)), 0)::integer
          from unnest(covered + int4multirange(int4range(v_from, v_from + v_credit))) r),
        updated_at = p_now
    where enrollment_id = p_enrollment_id and content_id = p_content_id
    returning covered_seconds into v_covered;
    "coveredSeconds" := v_covered;
    update viewing_clocks set credited_until = v_spent_until + make_interval(secs => v_credit)
    where user_sub = p_user_sub;
    perform learning_audit_credit(p_enrollment_id, p_user_sub, p_content_id, p_session_id, p_playback_rate,
                                  p_now, p_today, v_from, v_credit, p_max_beat_gap_seconds);
  end if;
  "creditedSeconds" := v_credit;

  if v_session.session_id is not null then
    update playback_sessions
    set last_sequence = p_sequence, last_position = v_position, last_beat_at = p_now,
        run_position = v_run_position, run_started_at = v_run_started_at,
        run_credited = v_run_credited + v_credit
    where enrollment_id = p_enrollment_id and content_id = p_content_id and session_id = p_session_id;
  else
    insert into playback_sessions (enrollment_id, content_id, session_id, last_sequence, last_position,
                                   last_beat_at, run_position, run_started_at, run_credited)
    values (p_enrollment_id, p_content_id, p_session_id, p_sequence, v_position,
            p_now, v_run_position, v_run_started_at, v_run_credited + v_credit);
  end if;

  if not completed and "coveredSeconds" >= ceil(p_content_complete_share * v_facts.duration_seconds) then
    completed := true;
    "completedNow" := true;
    update content_progress set completed_at = p_now
    where enrollment_id = p_enrollment_id and content_id = p_content_id;
    insert into learning_audit (enrollment_id, user_sub, kind, content_id, detail, at)
    values (p_enrollment_id, p_user_sub, 'completion', p_content_id,
            jsonb_build_object('coveredSeconds', "coveredSeconds",
                               'durationSeconds', v_facts.duration_seconds),
            p_now);
  end if;
end $$;

-- Monthly partitions of the trail by `at`, so that a month, once closed, can be exported and dropped whole
-- rather than deleted row by row (which the trigger refuses). The key includes `at`, as a partitioned table's
-- must; ids stay unique by their sequence. Months are made ahead of time (learning_audit_add_partitions, by this
-- migration and the service's audit-partitions worker); the default partition takes a row whose month is
-- missing, so an insert never fails.
alter table learning_audit rename to learning_audit_unpartitioned;
alter table learning_audit_unpartitioned rename constraint learning_audit_pkey to learning_audit_unpartitioned_pkey;
alter index learning_audit_enrollment rename to learning_audit_unpartitioned_enrollment;
alter sequence learning_audit_id_seq owned by none;

create table learning_audit (
  id bigint not null default nextval('learning_audit_id_seq'),
  enrollment_id uuid not null references enrollments (id),
  user_sub text not null,
  kind text not null check (kind in ('credit', 'gate', 'completion', 'grade')),
  content_id uuid,
  detail jsonb not null,
  at timestamptz not null default now(),
  primary key (id, at)
) partition by range (at);
alter sequence learning_audit_id_seq owned by learning_audit.id;
create index learning_audit_enrollment on learning_audit (enrollment_id, id);
create table learning_audit_default partition of learning_audit default;
create trigger learning_audit_append_only before update or delete on learning_audit
  for each row execute function learning_audit_is_append_only();

-- Makes the months from p_from's through p_through's that do not exist yet. A month whose rows already went
-- to the default partition is left there (still read through the parent): moving them would mean deleting.
-- Security definer so that the service's worker can keep months ahead without the right to create tables.
create function learning_audit_add_partitions(p_from date, p_through date) returns integer
language plpgsql security definer set search_path = public, pg_temp as $$
declare
  v_month date := date_trunc('month', p_from)::date;
  v_name text;
  v_start timestamptz;
  v_end timestamptz;
  v_made integer := 0;
begin
  while v_month <= p_through loop
    v_name := format('learning_audit_%s', to_char(v_month, 'YYYY_MM'));
    -- Months of UTC, whatever the session's time zone, so that every caller draws the same bounds.
    v_start := v_month::timestamp at time zone 'UTC';
    v_end := (v_month + interval '1 month')::timestamp at time zone 'UTC';
    if to_regclass(v_name) is null
        and not exists (select from learning_audit_default where at >= v_start and at < v_end) then
      execute format('create table %I partition of learning_audit for values from (%L) to (%L)',
                     v_name, v_start, v_end);
      v_made := v_made + 1;
    end if;
    v_month := (v_month + interval '1 month')::date;
  end loop;
  return v_made;
end $$;

select learning_audit_add_partitions(
  coalesce((select min(at) at time zone 'UTC' from learning_audit_unpartitioned)::date, current_date),
  (current_date + interval '12 months')::date);
insert into learning_audit (id, enrollment_id, user_sub, kind, content_id, detail, at)
select id, enrollment_id, user_sub, kind, content_id, detail, at from learning_audit_unpartitioned;
drop table learning_audit_unpartitioned;
