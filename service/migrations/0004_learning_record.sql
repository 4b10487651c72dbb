-- The learning record: what each enrolled learner really watched, credited by the server.

-- Watched seconds of a content as a set of intervals, so re-watching a minute never counts twice.
create table content_progress (
  enrollment_id uuid not null references enrollments (id),
  content_id uuid not null references contents (id),
  covered int4multirange not null default '{}',
  covered_seconds integer not null default 0 check (covered_seconds >= 0),
  completed_at timestamptz,
  updated_at timestamptz not null default now(),
  primary key (enrollment_id, content_id)
);

-- One row per player (tab): the continuous run of playback its beats describe.
create table playback_sessions (
  enrollment_id uuid not null references enrollments (id),
  content_id uuid not null references contents (id),
  session_id text not null,
  last_sequence integer not null,
  last_position integer not null,
  last_beat_at timestamptz not null,
  run_position integer not null,
  run_started_at timestamptz not null,
  run_credited integer not null default 0,
  primary key (enrollment_id, content_id, session_id)
);

-- A learner's viewing clock: credit across every tab and content never runs ahead of wall time.
create table viewing_clocks (
  user_sub text primary key,
  credited_until timestamptz not null
);

-- Lessons credited per enrollment per day (in the compliance profile's time zone), for a daily cap.
create table daily_lessons (
  enrollment_id uuid not null references enrollments (id),
  day date not null,
  content_id uuid not null references contents (id),
  primary key (enrollment_id, day, content_id)
);

-- Every credit, gate decision, completion and grade, for auditors; rows are never changed or removed.
create table learning_audit (
  id bigserial primary key,
  enrollment_id uuid not null references enrollments (id),
  user_sub text not null,
  kind text not null check (kind in ('credit', 'gate', 'completion', 'grade')),
  content_id uuid,
  detail jsonb not null,
  at timestamptz not null default now()
);
create index learning_audit_enrollment on learning_audit (enrollment_id, id);

create function learning_audit_is_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'learning_audit is append-only';
end $$;
create trigger learning_audit_append_only before update or delete on learning_audit
  for each row execute function learning_audit_is_append_only();
