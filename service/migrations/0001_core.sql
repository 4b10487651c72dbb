-- The relational core: institutions, companies and their people, courses with their curriculum,
-- course provisions (a company's request for a course) and enrollments, and the event outbox.
-- Every list query of the service has an index below; ids are UUIDs so none can be guessed.

create table institutions (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(name) between 1 and 200),
  owner_name text not null,
  business_number char(10) not null unique,
  certification_number text not null,
  contact_email text not null,
  contact_phone text not null,
  created_by text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- Managers and instructors belong to exactly one institution.
create table institution_members (
  institution_id uuid not null references institutions (id),
  user_sub text not null unique,
  role text not null check (role in ('institution-manager', 'instructor')),
  created_at timestamptz not null default now(),
  primary key (institution_id, user_sub)
);

create table companies (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(name) between 1 and 200),
  owner_name text not null,
  business_number char(10) not null unique,
  email text not null unique,
  phone text not null,
  created_by text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

-- People of a company: its managers, and employees who asked to join and were approved (or removed).
create table affiliations (
  company_id uuid not null references companies (id),
  user_sub text not null,
  role text not null check (role in ('company-manager', 'employee')),
  state text not null check (state in ('requested', 'approved', 'removed')),
  email text,
  requested_at timestamptz not null default now(),
  decided_at timestamptz,
  primary key (company_id, user_sub)
);
create index affiliations_user on affiliations (user_sub);
create index affiliations_company_state on affiliations (company_id, state);

create table courses (
  id uuid primary key default gen_random_uuid(),
  institution_id uuid not null references institutions (id),
  title text not null check (length(title) between 1 and 200),
  introduction text not null default '',
  instructor_sub text,
  cover_image_url text,
  state text not null default 'draft' check (state in ('draft', 'published', 'archived')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index courses_institution_state on courses (institution_id, state, created_at desc);

-- Positions are contiguous from 0; the unique constraints are deferred so a move can shift a range.
create table chapters (
  id uuid primary key default gen_random_uuid(),
  course_id uuid not null references courses (id),
  title text not null check (length(title) between 1 and 200),
  position integer not null check (position >= 0),
  constraint chapters_position unique (course_id, position) deferrable initially deferred
);

create table contents (
  id uuid primary key default gen_random_uuid(),
  course_id uuid not null references courses (id),
  chapter_id uuid not null references chapters (id),
  kind text not null check (kind in ('video', 'material', 'exam')),
  title text not null check (length(title) between 1 and 200),
  position integer not null check (position >= 0),
  state text not null default 'active' check (state in ('active', 'archived')),
  -- Video contents: filled by the video pipeline's video.ready / video.failed events.
  media_state text check (media_state in ('pending', 'ready', 'failed')),
  duration_seconds integer check (duration_seconds >= 0),
  playback_path text,
  media_error text,
  created_at timestamptz not null default now(),
  constraint contents_position unique (chapter_id, position) deferrable initially deferred
);
create index contents_course on contents (course_id);

create table provisions (
  id uuid primary key default gen_random_uuid(),
  company_id uuid not null references companies (id),
  course_id uuid not null references courses (id),
  institution_id uuid not null references institutions (id),
  starts_on date not null,
  ends_on date not null,
  attendee_count integer not null check (attendee_count between 1 and 10000),
  -- Seats taken; the check makes overselling impossible whatever the isolation level.
  enrolled_count integer not null default 0,
  deposit_amount bigint not null check (deposit_amount >= 0),
  state text not null default 'requested' check (state in ('requested', 'accepted', 'rejected')),
  decision_reason text,
  requested_by text not null,
  decided_by text,
  created_at timestamptz not null default now(),
  decided_at timestamptz,
  check (ends_on >= starts_on),
  check (enrolled_count between 0 and attendee_count)
);
create index provisions_company_state on provisions (company_id, state, created_at desc);
create index provisions_institution_state on provisions (institution_id, state, created_at desc);

create table enrollments (
  id uuid primary key default gen_random_uuid(),
  provision_id uuid not null references provisions (id),
  course_id uuid not null references courses (id),
  user_sub text not null,
  created_at timestamptz not null default now(),
  unique (provision_id, user_sub)
);
create index enrollments_user on enrollments (user_sub, created_at desc);

-- Events leave in the same transaction as the change they describe; a relay publishes them.
create table outbox (
  id bigserial primary key,
  type text not null,
  payload jsonb not null,
  created_at timestamptz not null default now(),
  published_at timestamptz
);
create index outbox_unpublished on outbox (id) where published_at is null;

-- Events this service consumed, so a redelivered event changes nothing.
create table processed_events (
  event_id text primary key,
  processed_at timestamptz not null default now()
);
