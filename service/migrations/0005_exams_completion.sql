-- Exams, course completion and ratings: what a learner is graded on, and when they completed.

-- An exam is a content of kind 'exam' in the curriculum, so it has a place among the lessons; this row
-- holds what only exams have. Its stage decides its gate (mid or final) under the compliance profile.
create table exams (
  content_id uuid primary key references contents (id) on delete cascade,
  stage text not null check (stage in ('mid', 'final')),
  -- The exam's share of the course's evaluation score, relative to the course's other exams.
  weight integer not null check (weight between 1 and 100),
  updated_at timestamptz not null default now()
);

create table exam_questions (
  id uuid primary key default gen_random_uuid(),
  exam_id uuid not null references exams (content_id) on delete cascade,
  position integer not null check (position >= 0),
  kind text not null check (kind in ('choice', 'short')),
  prompt text not null,
  -- Multiple choice: the options (a JSON array of text) and the index of the right one.
  choices jsonb,
  answer integer,
  points integer not null check (points between 1 and 100),
  unique (exam_id, position),
  check ((kind = 'choice') = (choices is not null and answer is not null))
);

-- One sitting of an exam. The deadline is the server's: the timer runs whether or not the learner is
-- connected, and a sitting past its deadline is submitted with the answers saved until then.
create table exam_attempts (
  id uuid primary key default gen_random_uuid(),
  exam_id uuid not null references exams (content_id),
  enrollment_id uuid not null references enrollments (id),
  attempt_no integer not null check (attempt_no >= 1),
  started_at timestamptz not null,
  deadline_at timestamptz,
  submitted_at timestamptz,
  submitted_by text check (submitted_by in ('learner', 'timer')),
  max_points integer not null check (max_points > 0),
  -- Of 100; set once every answer is graded.
  score integer check (score between 0 and 100),
  graded_at timestamptz,
  unique (exam_id, enrollment_id, attempt_no),
  check ((submitted_at is null) = (submitted_by is null))
);
-- At most one sitting open per learner and exam, whatever two tabs do at once.
create unique index exam_attempts_open on exam_attempts (exam_id, enrollment_id) where submitted_at is null;
create index exam_attempts_due on exam_attempts (deadline_at) where submitted_at is null;
create index exam_attempts_enrollment on exam_attempts (enrollment_id);

create table exam_answers (
  attempt_id uuid not null references exam_attempts (id),
  question_id uuid not null references exam_questions (id),
  choice integer,
  text text,
  saved_at timestamptz not null,
  -- Multiple choice is graded at submission; short answers by the institution.
  points integer check (points >= 0),
  graded_by text,
  graded_at timestamptz,
  primary key (attempt_id, question_id)
);

-- A further attempt, granted by the institution with the reason it recorded.
create table exam_retakes (
  id uuid primary key default gen_random_uuid(),
  exam_id uuid not null references exams (content_id),
  enrollment_id uuid not null references enrollments (id),
  reason text not null,
  granted_by text not null,
  granted_at timestamptz not null default now()
);
create index exam_retakes_enrollment on exam_retakes (enrollment_id, exam_id);

-- Completion: set once the provision's rule is met, never unset. The certificate date is the day of
-- completion in the compliance profile's time zone.
alter table enrollments
  add column completed_at timestamptz,
  add column certificate_on date,
  add column score integer check (score between 0 and 100);

-- A learner rates a course once, after completing it.
create table course_ratings (
  enrollment_id uuid primary key references enrollments (id),
  course_id uuid not null references courses (id),
  stars integer not null check (stars between 1 and 5),
  created_at timestamptz not null default now()
);
create index course_ratings_course on course_ratings (course_id);
