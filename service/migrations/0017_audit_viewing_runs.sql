-- The audit trail's credits as viewing runs (issue 22). One 'credit' row per credited beat grew the trail by
-- ~330 bytes a beat (3.35 MB a minute at 250 beats a second). A credit row is now one continuous viewing run
-- of an enrollment's content: from its first credited beat (`at`, so the first credit's time is still
-- min(at) of kind 'credit') through every later credited beat of the same content, the same day (of the
-- compliance profile's zone, which the daily lesson cap counts by) and within the heartbeat gap that
-- crediting tolerates after the run's last credit.
--
-- The trail stays append-only: a run is written once, when it is over. While it is open it grows in its
-- content_progress row, which every credited beat rewrites anyway (so a beat writes no row more than it did),
-- and it is closed - inserted into the trail, its columns cleared - by the next credited beat that cannot
-- continue it (a longer gap, another day), or by close_idle_viewing_runs once it has been idle for longer than
-- its gap (the service's viewing-runs worker). Meanwhile learning_audit_open_runs shows it as the trail will,
-- under the id it will have there, so the audit export holds every credited second at once.
--
-- A run's detail: seconds (credited, the sum of its beats' credits), beats (credited beats counted),
-- covered (the positions credited, as [from, to) pairs), endedAt (its last credited beat), day, sessionIds
-- and playbackRates (every tab and rate that earned in it). The gap a run is held to is the platform's
-- (MAX_BEAT_GAP_SECONDS, progress.ts), as it was for the per-beat rows: content_progress keeps it for the
-- closer, the trail does not repeat it in every row (~33 bytes of a run's ~400).
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

-- The content's open run, all set or all null. run_id is taken from the trail's sequence when the run opens:
-- the export shows an open run under the id its row will have, in the order of the trail's other entries.
alter table content_progress
  add column run_id bigint,
  add column run_started_at timestamptz,
  add column run_ended_at timestamptz,
  add column run_day date,
  add column run_seconds integer,
  add column run_beats integer,
  add column run_covered int4multirange,
  add column run_session_ids text[],
  add column run_playback_rates float8[],
  add column run_max_gap_seconds float8,
  add constraint content_progress_run check (
    num_nulls(run_id, run_started_at, run_ended_at, run_day, run_seconds, run_beats, run_covered,
              run_session_ids, run_playback_rates, run_max_gap_seconds) in (0, 10));
-- The open runs, for the closer. Its columns change only when a run opens or closes, never with a beat that
-- extends one, so such a beat's update can stay a heap-only one (no index entries written).
create index content_progress_open_runs on content_progress (run_started_at) where run_id is not null;

-- An open run's entry as the trail will hold it.
create function content_progress_run_detail(p content_progress) returns jsonb
language sql stable as $$
  select jsonb_build_object(
    'seconds', p.run_seconds, 'beats', p.run_beats, 'covered', learning_audit_pairs(p.run_covered),
    'endedAt', p.run_ended_at, 'day', p.run_day, 'sessionIds', to_jsonb(p.run_session_ids),
    'playbackRates', to_jsonb(p.run_playback_rates))
$$;

-- Writes a run, over, to the trail. The caller holds its content_progress row locked and clears the run's
-- columns in the same transaction; were the run written twice, its id and `at` would collide.
create function learning_audit_close_run(p_user_sub text, p content_progress) returns void
language sql as $$
  insert into learning_audit (id, enrollment_id, user_sub, kind, content_id, detail, at)
  values (p.run_id, p.enrollment_id, p_user_sub, 'credit', p.content_id, content_progress_run_detail(p),
          p.run_started_at)
$$;

-- The runs not over yet, as trail entries marked open: the audit export reads the trail and these.
create view learning_audit_open_runs as
  select p.run_id as id, p.enrollment_id, e.user_sub, 'credit'::text as kind, p.content_id,
    content_progress_run_detail(p) || '{"open": true}'::jsonb as detail, p.run_started_at as at
  from content_progress p
  join enrollments e on e.id = p.enrollment_id
  where p.run_id is not null;

-- Closes, at most p_limit at a time, the runs idle for longer than their gap at p_now: no beat can continue
-- them any more (a beat timed later than that opens a run of its own). Returns how many it closed. A row a
-- beat holds is skipped (that beat continues or closes the run itself); one a beat changed after this
-- statement's snapshot is locked in its latest version and checked again. Safe to repeat and to run from
-- several tasks: a closed run has no columns left to close.
create function close_idle_viewing_runs(p_now timestamptz, p_limit integer default 500) returns integer
language plpgsql as $$
declare
  v_run content_progress%rowtype;
  v_closed integer := 0;
begin
  for v_run in
    select * from content_progress
    where run_id is not null and run_ended_at + make_interval(secs => run_max_gap_seconds) < p_now
    order by run_started_at
    limit p_limit
    for update skip locked
  loop
    perform learning_audit_close_run((select user_sub from enrollments where id = v_run.enrollment_id), v_run);
    update content_progress
    set run_id = null, run_started_at = null, run_ended_at = null, run_day = null, run_seconds = null,
        run_beats = null, run_covered = null, run_session_ids = null, run_playback_rates = null,
        run_max_gap_seconds = null
    where enrollment_id = v_run.enrollment_id and content_id = v_run.content_id;
    v_closed := v_closed + 1;
  end loop;
  return v_closed;
end $$;

-- As in 0015, and an open run's start counts: that credit is in no trail row yet.
create or replace function enrollment_first_activity(p_enrollment_id uuid) returns timestamptz
language sql stable as $$
  select least(
    (select min(least(p.updated_at, p.run_started_at, (
        select min(au.at) from learning_audit au
        where au.enrollment_id = p.enrollment_id and au.content_id = p.content_id and au.kind = 'credit')))
      from content_progress p
      where p.enrollment_id = p_enrollment_id and p.covered_seconds > 0),
    (select min(a.started_at) from exam_attempts a where a.enrollment_id = p_enrollment_id),
    (select min(la.joined_at) from live_attendance la
      where la.enrollment_id = p_enrollment_id and la.presence_seconds > 0))
$$;

-- record_heartbeat as in 0008_live_recordings.sql, except that a credit extends the content's open viewing
-- run, or closes it into the trail and opens the next, in the content_progress row it updates anyway, instead
-- of appending a row of its own. That row is locked from the start, against close_idle_viewing_runs.
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
  v_progress content_progress%rowtype;
  v_continues boolean;
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
  select * into v_progress
  from content_progress where enrollment_id = p_enrollment_id and content_id = p_content_id for update;
  if not found then
    insert into content_progress (enrollment_id, content_id) values (p_enrollment_id, p_content_id)
      on conflict (enrollment_id, content_id) do nothing;
    select * into v_progress
    from content_progress where enrollment_id = p_enrollment_id and content_id = p_content_id for update;
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
    -- A beat timed before the run's last credit (requests that raced for the clock's lock) still joins it
    -- and leaves its end where it was; one timed before the run's opening opens a run of its own, so that a
    -- run's `at` stays its first credit.
    v_continues := coalesce(v_progress.run_day = p_today and p_now >= v_progress.run_started_at
      and p_now <= v_progress.run_ended_at + make_interval(secs => v_progress.run_max_gap_seconds), false);
    if v_progress.run_id is not null and not v_continues then
      perform learning_audit_close_run(p_user_sub, v_progress);
    end if;
    update content_progress
    set covered = covered + int4multirange(int4range(v_from, v_from + v_credit)),
        covered_seconds = (
          select coalesce(sum(upper(r) - lower(r)), 0)::integer
          from unnest(covered + int4multirange(int4range(v_from, v_from + v_credit))) r),
        updated_at = p_now,
        run_id = case when v_continues then run_id else nextval('learning_audit_id_seq') end,
        run_started_at = case when v_continues then run_started_at else p_now end,
        run_ended_at = case when v_continues then greatest(run_ended_at, p_now) else p_now end,
        run_day = p_today,
        run_seconds = case when v_continues then run_seconds + v_credit else v_credit end,
        run_beats = case when v_continues then run_beats + 1 else 1 end,
        run_covered = case when v_continues then run_covered else '{}' end
                      + int4multirange(int4range(v_from, v_from + v_credit)),
        run_session_ids = case when not v_continues then array[p_session_id]
                          when p_session_id = any(run_session_ids) then run_session_ids
                          else run_session_ids || p_session_id end,
        run_playback_rates = case when not v_continues then array[p_playback_rate]
                             when p_playback_rate = any(run_playback_rates) then run_playback_rates
                             else run_playback_rates || p_playback_rate end,
        run_max_gap_seconds = case when v_continues then run_max_gap_seconds else p_max_beat_gap_seconds end
    where enrollment_id = p_enrollment_id and content_id = p_content_id
    returning covered_seconds into v_covered;
    "coveredSeconds" := v_covered;
    update viewing_clocks set credited_until = v_spent_until + make_interval(secs => v_credit)
    where user_sub = p_user_sub;
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
