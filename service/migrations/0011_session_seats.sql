-- Seats a session gains go to the first in line: one freed by a cancellation, or several added when the
-- institution raises the capacity. One function does both beside the rows it changes, so a raise of
-- hundreds of seats holds the seat row for the server-side work only, never for a client's round trips,
-- and both paths promote in the same order and announce each promotion the same way.
--
-- It fills every free seat from the waitlist in arrival order and returns how many it promoted. Free seats
-- are attendee_count - enrolled_count plus `p_freed`, the seats the caller gave up in this transaction
-- without counting them yet: a cancellation whose seat passes straight to the next in line then leaves the
-- seat counter as it was, and the hot seat row is written only when the count really changes. Each
-- promotion is an enrollment of the session's provision and two events, `enrollment.created` (as a
-- company's enrollment) then `waitlist.promoted`, in the caller's transaction.
create function fill_free_seats(p_session_id uuid, p_course_id uuid, p_freed integer) returns integer
language plpgsql as $$
declare
  v_free integer;
  v_enrollment uuid;
  v_promoted integer := 0;
  v_waiting record;
begin
  -- The seat row's lock: callers take it first (one lock order with register_for_session), and taking it
  -- here again costs nothing and keeps a caller that forgot from promoting beside a concurrent change.
  select attendee_count - enrolled_count + p_freed into v_free
    from provisions where id = p_session_id for update;
  if not found or v_free <= 0 then
    return 0;
  end if;
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
        'courseId', p_course_id, 'userSub', v_waiting.user_sub), clock_timestamp());
    insert into outbox (type, payload, created_at) values
      ('waitlist.promoted', jsonb_build_object('registrationId', v_waiting.id, 'sessionId', p_session_id,
        'courseId', p_course_id, 'userSub', v_waiting.user_sub, 'enrollmentId', v_enrollment),
        clock_timestamp());
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
