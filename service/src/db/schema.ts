import type { ColumnType, Generated } from 'kysely';

/** Timestamps come back as Date and go in as Date or ISO text. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type CreatedAt = ColumnType<Date, never, never>;

export interface InstitutionsTable {
  id: Generated<string>;
  name: string;
  owner_name: string;
  business_number: string;
  certification_number: string;
  contact_email: string;
  contact_phone: string;
  created_by: string;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface InstitutionMembersTable {
  institution_id: string;
  user_sub: string;
  role: 'institution-manager' | 'instructor';
  created_at: CreatedAt;
}

export interface CompaniesTable {
  id: Generated<string>;
  name: string;
  owner_name: string;
  business_number: string;
  email: string;
  phone: string;
  created_by: string;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface AffiliationsTable {
  company_id: string;
  user_sub: string;
  role: 'company-manager' | 'employee';
  state: 'requested' | 'approved' | 'removed';
  email: string | null;
  requested_at: CreatedAt;
  decided_at: Timestamp | null;
}

export interface CoursesTable {
  id: Generated<string>;
  institution_id: string;
  title: string;
  introduction: Generated<string>;
  instructor_sub: string | null;
  cover_image_url: string | null;
  state: Generated<'draft' | 'published' | 'archived'>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface ChaptersTable {
  id: Generated<string>;
  course_id: string;
  title: string;
  position: number;
  /** 'live-recordings': the chapter live lecture recordings are appended to; null: an ordinary chapter. */
  purpose: ColumnType<
    'live-recordings' | null,
    'live-recordings' | null | undefined,
    'live-recordings' | null
  >;
}

export interface ContentsTable {
  id: Generated<string>;
  course_id: string;
  chapter_id: string;
  kind: 'video' | 'material' | 'exam';
  title: string;
  position: number;
  state: Generated<'active' | 'archived'>;
  media_state: 'pending' | 'ready' | 'failed' | null;
  duration_seconds: number | null;
  playback_path: string | null;
  media_error: string | null;
  media_event_at: Date | null;
  /** Set on a live lecture's recording: only this provision's learners see it (migration 0008). */
  provision_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: CreatedAt;
}

export interface ProvisionsTable {
  id: Generated<string>;
  /** Null for an open session's own provision (migration 0010). */
  company_id: string | null;
  kind: Generated<'company' | 'open-session'>;
  course_id: string;
  institution_id: string;
  starts_on: ColumnType<string, string, string>;
  ends_on: ColumnType<string, string, string>;
  attendee_count: number;
  enrolled_count: Generated<number>;
  /** bigint: pg returns it as text to keep every digit. */
  deposit_amount: ColumnType<string, number | string, number | string>;
  state: Generated<'requested' | 'accepted' | 'rejected'>;
  decision_reason: string | null;
  requested_by: string;
  decided_by: string | null;
  created_at: CreatedAt;
  decided_at: Timestamp | null;
}

export interface EnrollmentsTable {
  id: Generated<string>;
  provision_id: string;
  course_id: string;
  user_sub: string;
  created_at: CreatedAt;
  completed_at: Date | null;
  /** A date, written as `YYYY-MM-DD`; read it as `certificate_on::text` (PGlite would return a Date). */
  certificate_on: ColumnType<string | null, string | null, string | null>;
  score: number | null;
  /** When the learner first took part; kept by triggers (migrations/0015_enrollment_first_activity.sql). */
  first_activity_at: ColumnType<Date | null, never, Date | null>;
}

export interface OutboxTable {
  id: Generated<string>;
  type: string;
  /** jsonb: written as JSON text, read back parsed (pg and PGlite both parse it). */
  payload: ColumnType<Record<string, unknown>, string, string>;
  created_at: CreatedAt;
  published_at: Timestamp | null;
}

export interface ProcessedEventsTable {
  event_id: string;
  processed_at: CreatedAt;
}

export interface ContentProgressTable {
  enrollment_id: string;
  content_id: string;
  /** int4multirange of watched seconds, as PostgreSQL writes it: `{[0,30),[45,60)}`. */
  covered: Generated<string>;
  covered_seconds: Generated<number>;
  completed_at: Date | null;
  updated_at: Generated<Date>;
  /**
   * The content's open viewing run (migration 0017), all set or all null: what its 'credit' entry in
   * learning_audit will hold once it is over (learning_audit_open_runs shows it meanwhile). Written by
   * record_heartbeat and close_idle_viewing_runs only.
   */
  run_id: ColumnType<string | null, never, never>;
  run_started_at: ColumnType<Date | null, never, never>;
  run_ended_at: ColumnType<Date | null, never, never>;
  run_day: ColumnType<string | null, never, never>;
  run_seconds: ColumnType<number | null, never, never>;
  run_beats: ColumnType<number | null, never, never>;
  run_covered: ColumnType<string | null, never, never>;
  run_session_ids: ColumnType<string[] | null, never, never>;
  run_playback_rates: ColumnType<number[] | null, never, never>;
  run_max_gap_seconds: ColumnType<number | null, never, never>;
}

export interface PlaybackSessionsTable {
  enrollment_id: string;
  content_id: string;
  session_id: string;
  last_sequence: number;
  last_position: number;
  last_beat_at: Date;
  run_position: number;
  run_started_at: Date;
  run_credited: Generated<number>;
}

export interface ViewingClocksTable {
  user_sub: string;
  credited_until: Date;
}

export interface DailyLessonsTable {
  enrollment_id: string;
  day: string;
  content_id: string;
}

/** One pace reminder per enrollment per day (migration 0012). */
export interface PaceRemindersTable {
  enrollment_id: string;
  /** A date, `YYYY-MM-DD` in the profile's time zone; read it as `day::text`. */
  day: string;
  verdict: 'behind' | 'last-chance';
  created_at: CreatedAt;
}

/** One pace digest per company per ISO week (migration 0012). */
export interface PaceDigestsTable {
  company_id: string;
  /** `YYYY-Www`. */
  week: string;
  created_at: CreatedAt;
}

/**
 * Append-only. A 'credit' row is a viewing run (migration 0017), written once it is over: `at` is its first
 * credit. Its detail is 0020's dense shape (seconds, beats, c covered, e end, d day, s sessions, r rates;
 * records.ts exportedDetail reads it back), or 0017's for runs written before (seconds, beats, covered,
 * endedAt, day, sessionIds, playbackRates); credits before 0017 are one row per beat (seconds, from, to,
 * sessionId, playbackRate). Months past `audit.archive.keepMonths` are in S3 (migration 0019).
 * The runs still open are in learning_audit_open_runs.
 */
export interface LearningAuditTable {
  id: Generated<string>;
  enrollment_id: string;
  user_sub: string;
  kind: 'credit' | 'gate' | 'completion' | 'grade';
  content_id: string | null;
  detail: ColumnType<Record<string, unknown>, string, never>;
  at: Generated<Date>;
}

/** An archived month of the trail (migration 0019): its rows are in the object, its partition is gone. */
export interface LearningAuditArchivesTable {
  /** The month's first day, YYYY-MM-DD. */
  month: string;
  object_key: string;
  row_count: ColumnType<string, string | number, never>;
  object_sha256: string;
  content_sha256: string;
  object_bytes: ColumnType<string, string | number, never>;
  min_id: string | null;
  max_id: string | null;
  archived_at: Generated<Date>;
}

export interface ExamsTable {
  content_id: string;
  stage: 'mid' | 'final';
  weight: number;
  updated_at: Generated<Date>;
}

export interface ExamQuestionsTable {
  id: Generated<string>;
  exam_id: string;
  position: number;
  kind: 'choice' | 'short';
  prompt: string;
  /** jsonb: the options, written as JSON text. */
  choices: ColumnType<string[] | null, string | null, string | null>;
  answer: number | null;
  points: number;
}

export interface ExamAttemptsTable {
  id: Generated<string>;
  exam_id: string;
  enrollment_id: string;
  attempt_no: number;
  started_at: Date;
  deadline_at: Date | null;
  submitted_at: Date | null;
  submitted_by: 'learner' | 'timer' | null;
  max_points: number;
  score: number | null;
  graded_at: Date | null;
}

export interface ExamAnswersTable {
  attempt_id: string;
  question_id: string;
  choice: number | null;
  text: string | null;
  saved_at: Date;
  points: number | null;
  graded_by: string | null;
  graded_at: Date | null;
}

export interface ExamRetakesTable {
  id: Generated<string>;
  exam_id: string;
  enrollment_id: string;
  reason: string;
  granted_by: string;
  granted_at: Generated<Date>;
}

export interface CourseRatingsTable {
  enrollment_id: string;
  course_id: string;
  stars: number;
  created_at: CreatedAt;
}

/** A live lecture as the live domain last reported its end. */
export interface LiveLecturesTable {
  lecture_id: string;
  provision_id: string;
  course_id: string;
  institution_id: string;
  title: string;
  started_at: Timestamp;
  ended_at: Timestamp;
  quizzes_sent: number;
  occurred_at: Timestamp;
}

export interface LiveAttendanceTable {
  lecture_id: string;
  enrollment_id: string;
  user_sub: string;
  joined_at: Timestamp;
  presence_seconds: number;
  /** numeric: pg returns it as text; read it as `attendance_rate::float8`. */
  attendance_rate: ColumnType<string, number | string, number | string>;
  quizzes_answered: number;
  quizzes_correct: number;
  occurred_at: Timestamp;
}

/** An open session; its id is its own provision's (migration 0010). */
export interface SessionsTable {
  id: string;
  institution_id: string;
  course_id: string;
  /** time: 'HH:MM:SS'; read as `starts_at_time::text`. */
  starts_at_time: string | null;
  ends_at_time: string | null;
  opens_at: Timestamp;
  closes_at: Timestamp;
  cancel_deadline: Timestamp;
  eligible_company_ids: string[] | null;
  /** Learners in line: changed only under the seat row's lock. */
  waiting_count: Generated<number>;
  created_by: string;
  created_at: CreatedAt;
}

export interface RegistrationsTable {
  id: Generated<string>;
  session_id: string;
  user_sub: string;
  state: 'registered' | 'waiting' | 'cancelled';
  /** bigint identity: pg returns it as text. */
  arrival: ColumnType<string, never, never>;
  enrollment_id: string | null;
  created_at: CreatedAt;
  registered_at: Timestamp | null;
  cancelled_at: Timestamp | null;
}

export interface Database {
  institutions: InstitutionsTable;
  institution_members: InstitutionMembersTable;
  companies: CompaniesTable;
  affiliations: AffiliationsTable;
  courses: CoursesTable;
  chapters: ChaptersTable;
  contents: ContentsTable;
  provisions: ProvisionsTable;
  enrollments: EnrollmentsTable;
  outbox: OutboxTable;
  processed_events: ProcessedEventsTable;
  content_progress: ContentProgressTable;
  playback_sessions: PlaybackSessionsTable;
  viewing_clocks: ViewingClocksTable;
  daily_lessons: DailyLessonsTable;
  learning_audit: LearningAuditTable;
  /** A view: the viewing runs not over yet, as the trail will hold them, detail marked `open: true`. */
  learning_audit_open_runs: LearningAuditTable;
  learning_audit_archives: LearningAuditArchivesTable;
  exams: ExamsTable;
  exam_questions: ExamQuestionsTable;
  exam_attempts: ExamAttemptsTable;
  exam_answers: ExamAnswersTable;
  exam_retakes: ExamRetakesTable;
  course_ratings: CourseRatingsTable;
  live_lectures: LiveLecturesTable;
  live_attendance: LiveAttendanceTable;
  sessions: SessionsTable;
  registrations: RegistrationsTable;
  pace_reminders: PaceRemindersTable;
  pace_digests: PaceDigestsTable;
}
