-- Open sessions: an institution offers a published course to individual learners, who register for
-- themselves inside a window, and wait in line when it is full.
--
-- A session owns a provision of its own (kind 'open-session', no company): its registrations are
-- enrollments of that provision, so the learning record, progress, exams, completion and the access
-- projection treat a registered learner exactly as a company's attendee. The provision's attendee_count is
-- the session's capacity and its enrolled_count the seats taken, so the existing check
-- (enrolled_count between 0 and attendee_count) holds capacity whatever the isolation level.

alter table provisions alter column company_id drop not null;
alter table provisions
  add column kind text not null default 'company' check (kind in ('company', 'open-session'));
alter table provisions
  add constraint provisions_company_of_kind check ((kind = 'company') = (company_id is not null));

-- One row per session, sharing its provision's id: the provision holds course, institution, dates and
-- seats; the session holds what only open registration has.
create table sessions (
  id uuid primary key references provisions (id),
  institution_id uuid not null references institutions (id),
  course_id uuid not null references courses (id),
  -- Times of day for classroom or live sessions; none for self-paced ones.
  starts_at_time time,
  ends_at_time time,
  opens_at timestamptz not null,
  closes_at timestamptz not null,
  cancel_deadline timestamptz not null,
  -- Members (approved employees) of these companies only; null: anyone signed in.
  eligible_company_ids uuid[] check (eligible_company_ids is null or cardinality(eligible_company_ids) > 0),
  -- Learners in line, kept under the seat row's lock (as every change to the line is): a place in line is
  -- this count when one joins, with no scan of the line while the lock is held.
  waiting_count integer not null default 0 check (waiting_count >= 0),
  created_by text not null,
  created_at timestamptz not null default now(),
  check (closes_at > opens_at),
  check ((starts_at_time is null) = (ends_at_time is null)),
  check (ends_at_time > starts_at_time)
);
create index sessions_course on sessions (course_id, opens_at);
create index sessions_institution on sessions (institution_id, created_at desc);
create index sessions_opens on sessions (opens_at);

-- A learner's place in a session: a seat (with its enrollment) or a place in line. Arrival is numbered
-- while the session's provision row is locked, so its order is the order in which seats were decided.
create table registrations (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references sessions (id),
  user_sub text not null,
  state text not null check (state in ('registered', 'waiting', 'cancelled')),
  arrival bigint generated always as identity,
  -- Kept while the seat is held; a cancelled registration's enrollment is removed.
  enrollment_id uuid references enrollments (id),
  created_at timestamptz not null default now(),
  registered_at timestamptz,
  cancelled_at timestamptz,
  check ((state = 'registered') = (enrollment_id is not null))
);
-- One live registration (seat or place in line) per learner and session, however many requests race.
create unique index registrations_one_live on registrations (session_id, user_sub) where state <> 'cancelled';
create index registrations_waiting on registrations (session_id, arrival) where state = 'waiting';
create index registrations_user on registrations (user_sub, created_at desc);

-- One registration in one statement: the seat decision runs beside the row it locks, so the seat row is
-- held for the server-side work and the commit, not for a client's round trips. The service checks the
-- window and eligibility first (its clock decides), then calls this. It returns the learner's registration;
-- `created` is false for one they already held.
--
-- Refusals carry their own SQLSTATEs, which the service maps:
--   LM409  the session is full and the learner did not ask to wait
--   LMDUP  a concurrent request of the same learner registered first (nothing was changed: read theirs)
--   LMOVL  the learner holds (or waits for) a session whose schedule overlaps this one; DETAIL is its id
--
-- Schedules overlap when both sessions meet at times of day (classroom or live), their periods share a day
-- and their hours intersect; self-paced sessions (no times) fit beside anything.
create function register_for_session(
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
    -- The same facts a company's enrollment emits (service/src/events/outbox.ts explains clock_timestamp).
    insert into outbox (type, payload, created_at) values
      ('enrollment.created', jsonb_build_object('enrollmentId', o_enrollment_id, 'provisionId', p_session_id,
        'courseId', p_course_id, 'userSub', p_user_sub), clock_timestamp());
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
