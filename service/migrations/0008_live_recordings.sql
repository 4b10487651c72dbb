-- Live lecture recordings as video contents (the live domain's `live.recorded`). A lecture ran for one
-- provision, one company's employees, but contents belong to the course that every company's provision
-- shares: a recording names its provision, and only that provision's learners (and the institution's
-- people) see, play and are credited for it. Contents of no provision are the curriculum, as before.
alter table contents add column provision_id uuid references provisions (id);
create index contents_provision on contents (provision_id) where provision_id is not null;

-- The chapter recordings are appended to, found by its purpose rather than its title, which its
-- institution may rename; one per course.
alter table chapters add column purpose text check (purpose in ('live-recordings'));
create unique index chapters_live_recordings on chapters (course_id) where purpose = 'live-recordings';

-- record_heartbeat as in 0006_heartbeat_function.sql, except that a recording of another provision than
-- the enrollment's does not exist for the learner (LM404), as someone else's enrollment does not.
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
    insert into learning_audit (enrollment_id, user_sub, kind, content_id, detail, at)
    values (p_enrollment_id, p_user_sub, 'credit', p_content_id,
            jsonb_build_object('seconds', v_credit, 'from', v_from, 'to', v_from + v_credit,
                               'sessionId', p_session_id, 'playbackRate', p_playback_rate),
            p_now);
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
