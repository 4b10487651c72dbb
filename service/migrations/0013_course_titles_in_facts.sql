-- A learner's notification of a seat names the course: `enrollment.created` and `waitlist.promoted` carry
-- the course's title as it is when the seat is taken (contracts/platform-events.ts), as a company's
-- enrollment does. The two functions that take seats (0010, 0011) are the same otherwise; their
-- signatures are unchanged, so tasks of the previous release keep calling them during a rollout.

create or replace function register_for_session(
  p_session_id uuid,
  p_course_id uuid,
  p_institution_id uuid,
  p_user_sub text,
  p_waitlist boolean,
  out o_registration_id uuid,
  out o_state text,
  out o_enrollment_id uuid,
  out o_position integer,
  out o_created_at timestamptz,
  out o_registered_at timestamptz,
  out o_created boolean
) language plpgsql as $$
declare
  v_seat boolean;
  v_arrival bigint;
  v_clash uuid;
  v_title text;
begin
  select r.id, r.state, r.enrollment_id, r.arrival, r.created_at, r.registered_at
    into o_registration_id, o_state, o_enrollment_id, v_arrival, o_created_at, o_registered_at
    from registrations r
    where r.session_id = p_session_id and r.user_sub = p_user_sub and r.state <> 'cancelled';
  if found then
    o_created := false;
    if o_state = 'waiting' then
      select count(*)::int into o_position from registrations w
        where w.session_id = p_session_id and w.state = 'waiting' and w.arrival <= v_arrival;
    end if;
    return;
  end if;

  -- One learner's registrations one at a time (a lock of their own, no one else waits on it): two
  -- concurrent requests for overlapping sessions cannot both pass the check below.
  perform pg_advisory_xact_lock(hashtextextended('registration:' || p_user_sub, 0));
  select o.id into v_clash
    from sessions me
    join provisions mp on mp.id = me.id
    join registrations r on r.user_sub = p_user_sub and r.state <> 'cancelled' and r.session_id <> me.id
    join sessions o on o.id = r.session_id
    join provisions op on op.id = o.id
    where me.id = p_session_id
      and me.starts_at_time is not null and o.starts_at_time is not null
      and op.starts_on <= mp.ends_on and mp.starts_on <= op.ends_on
      and o.starts_at_time < me.ends_at_time and me.starts_at_time < o.ends_at_time
    limit 1;
  if v_clash is not null then
    raise exception 'the schedule overlaps a session the learner holds' using errcode = 'LMOVL', detail = v_clash;
  end if;

  update provisions set enrolled_count = enrolled_count + 1
    where id = p_session_id and enrolled_count < attendee_count;
  v_seat := found;
  if not v_seat then
    if not p_waitlist then
      raise exception 'the session is full' using errcode = 'LM409';
    end if;
    -- The line is joined under the lock a cancellation takes too, so no seat can be freed unseen between
    -- this check and the commit (a learner waiting beside a free seat).
    perform 1 from provisions where id = p_session_id for update;
    update provisions set enrolled_count = enrolled_count + 1
      where id = p_session_id and enrolled_count < attendee_count;
    v_seat := found;
  end if;

  if v_seat then
    insert into enrollments (provision_id, course_id, user_sub)
      values (p_session_id, p_course_id, p_user_sub)
      on conflict (provision_id, user_sub) do nothing
      returning id into o_enrollment_id;
    if o_enrollment_id is null then
      raise exception 'already registered' using errcode = 'LMDUP';
    end if;
    insert into registrations (session_id, user_sub, state, enrollment_id, registered_at)
      values (p_session_id, p_user_sub, 'registered', o_enrollment_id, clock_timestamp())
      on conflict (session_id, user_sub) where state <> 'cancelled' do nothing
      returning id, created_at, registered_at into o_registration_id, o_created_at, o_registered_at;
    if o_registration_id is null then
      raise exception 'already registered' using errcode = 'LMDUP';
    end if;
    o_state := 'registered';
    select title into v_title from courses where id = p_course_id;
    -- The same facts a company's enrollment emits (service/src/events/outbox.ts explains clock_timestamp).
    insert into outbox (type, payload, created_at) values
      ('enrollment.created', jsonb_build_object('enrollmentId', o_enrollment_id, 'provisionId', p_session_id,
        'courseId', p_course_id, 'userSub', p_user_sub, 'courseTitle', v_title), clock_timestamp());
  else
    insert into registrations (session_id, user_sub, state)
      values (p_session_id, p_user_sub, 'waiting')
      on conflict (session_id, user_sub) where state <> 'cancelled' do nothing
      returning id, created_at into o_registration_id, o_created_at;
    if o_registration_id is null then
      raise exception 'already registered' using errcode = 'LMDUP';
    end if;
    o_state := 'waiting';
    update sessions set waiting_count = waiting_count + 1 where id = p_session_id
      returning waiting_count into o_position;
  end if;
  insert into outbox (type, payload, created_at) values
    ('registration.created', jsonb_build_object('registrationId', o_registration_id, 'sessionId', p_session_id,
      'courseId', p_course_id, 'institutionId', p_institution_id, 'userSub', p_user_sub, 'state', o_state,
      'position', o_position), clock_timestamp());
  o_created := true;
end $$;

create or replace function fill_free_seats(p_session_id uuid, p_course_id uuid, p_freed integer) returns integer
language plpgsql as $$
declare
  v_free integer;
  v_enrollment uuid;
  v_promoted integer := 0;
  v_waiting record;
  v_title text;
begin
  -- The seat row's lock: callers take it first (one lock order with register_for_session), and taking it
  -- here again costs nothing and keeps a caller that forgot from promoting beside a concurrent change.
  select attendee_count - enrolled_count + p_freed into v_free
    from provisions where id = p_session_id for update;
  if not found or v_free <= 0 then
    return 0;
  end if;
  select title into v_title from courses where id = p_course_id;
  -- No LIMIT: a cached plan cannot know its value and may sort the whole line; a loop that stops once the
  -- seats are filled reads the line's index from its head, a few rows at a time.
  for v_waiting in
    select id, user_sub from registrations
      where session_id = p_session_id and state = 'waiting'
      order by arrival
  loop
    exit when v_promoted >= v_free;
    insert into enrollments (provision_id, course_id, user_sub)
      values (p_session_id, p_course_id, v_waiting.user_sub)
      returning id into v_enrollment;
    update registrations
      set state = 'registered', enrollment_id = v_enrollment, registered_at = clock_timestamp()
      where id = v_waiting.id;
    -- The same facts service/src/events/outbox.ts emit() writes (it explains clock_timestamp).
    insert into outbox (type, payload, created_at) values
      ('enrollment.created', jsonb_build_object('enrollmentId', v_enrollment, 'provisionId', p_session_id,
        'courseId', p_course_id, 'userSub', v_waiting.user_sub, 'courseTitle', v_title), clock_timestamp());
    insert into outbox (type, payload, created_at) values
      ('waitlist.promoted', jsonb_build_object('registrationId', v_waiting.id, 'sessionId', p_session_id,
        'courseId', p_course_id, 'userSub', v_waiting.user_sub, 'enrollmentId', v_enrollment,
        'courseTitle', v_title), clock_timestamp());
    v_promoted := v_promoted + 1;
  end loop;
  if v_promoted <> p_freed then
    update provisions set enrolled_count = enrolled_count + v_promoted - p_freed where id = p_session_id;
  end if;
  if v_promoted > 0 then
    update sessions set waiting_count = waiting_count - v_promoted where id = p_session_id;
  end if;
  return v_promoted;
end $$;
