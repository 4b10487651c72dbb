-- Live lectures in the learning record: each lecture as the live domain last reported its end (`live.ended`)
-- and every enrolled learner's part in it. The live domain owns lectures; these rows are its facts as of
-- `occurred_at`, replaced only by a report at least as new (a stream that restarts ends again, later).

create table live_lectures (
  lecture_id uuid primary key,
  provision_id uuid not null references provisions (id),
  course_id uuid not null references courses (id),
  institution_id uuid not null references institutions (id),
  title text not null check (length(title) between 1 and 200),
  started_at timestamptz not null,
  ended_at timestamptz not null,
  quizzes_sent integer not null check (quizzes_sent >= 0),
  occurred_at timestamptz not null,
  check (ended_at >= started_at)
);
-- The dashboard and analytics read a provision's ended lectures.
create index live_lectures_provision on live_lectures (provision_id, ended_at);

create table live_attendance (
  lecture_id uuid not null references live_lectures (lecture_id),
  enrollment_id uuid not null references enrollments (id),
  user_sub text not null,
  joined_at timestamptz not null,
  presence_seconds integer not null check (presence_seconds >= 0),
  -- Presence over the lecture's streamed time; six places keep a third as 0.333333, not 0.33.
  attendance_rate numeric(7, 6) not null check (attendance_rate between 0 and 1),
  quizzes_answered integer not null check (quizzes_answered >= 0),
  quizzes_correct integer not null check (quizzes_correct between 0 and quizzes_answered),
  occurred_at timestamptz not null,
  primary key (lecture_id, enrollment_id)
);
-- A learner's lectures, for the audit export and the dashboard.
create index live_attendance_enrollment on live_attendance (enrollment_id);
