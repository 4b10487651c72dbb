-- A pace reminder is due (pace.reminder-due) at most once per enrollment per day: the daily scan inserts
-- here and emits only for rows it inserted, so running it again the same day, or two runs at once, remind
-- nobody twice. The verdict is the one that called for it ('behind' or 'last-chance', see pace.ts). An
-- enrollment a learner gives up (a cancelled registration) takes its reminders with it.
create table pace_reminders (
  enrollment_id uuid not null references enrollments (id) on delete cascade,
  day date not null,
  verdict text not null check (verdict in ('behind', 'last-chance')),
  created_at timestamptz not null default now(),
  primary key (enrollment_id, day)
);

-- The scan walks uncompleted enrollments in id order, a page at a time; completed ones pile up over the
-- years and are never its business.
create index enrollments_incomplete on enrollments (id) where completed_at is null;

-- A company's weekly pace digest (company.pace-digest-due) at most once per ISO week (`2026-W51`), by the
-- same insert-then-emit as the reminders.
create table pace_digests (
  company_id uuid not null references companies (id),
  week text not null check (week ~ '^[0-9]{4}-W[0-9]{2}$'),
  created_at timestamptz not null default now(),
  primary key (company_id, week)
);
