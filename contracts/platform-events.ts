import * as z from 'zod';

/*
 * The contracts of events that cross domains on the platform bus, shared by their publishers and
 * consumers. Each detail carries when its fact happened, so a consumer can drop one that arrives after a
 * newer one (EventBridge and SQS promise neither order nor a single delivery).
 */

const occurredAt = z.iso.datetime({ offset: true });

/** A video content's transcoding finished: the vod domain's answer to an upload for that content. */
export const videoReady = z.object({
  contentId: z.uuid(),
  occurredAt,
  durationSeconds: z.number().int().min(0),
  /** The HLS master playlist, relative to the playback distribution. */
  manifestPath: z.string().min(1).max(1024),
  thumbnailPath: z.string().min(1).max(1024).optional(),
  renditions: z
    .array(z.object({ height: z.number().int().positive(), bitrate: z.number().int().positive() }))
    .optional(),
});
export type VideoReady = z.infer<typeof videoReady>;

export const videoFailed = z.object({
  contentId: z.uuid(),
  occurredAt,
  reason: z.string().min(1).max(2000),
});
export type VideoFailed = z.infer<typeof videoFailed>;

/** An event as EventBridge delivers it to a target (an SQS message body holds this JSON). */
export const eventEnvelope = z.object({
  id: z.string().min(1),
  source: z.string().min(1),
  'detail-type': z.string().min(1),
  time: z.string(),
  detail: z.unknown(),
});
export type EventEnvelope = z.infer<typeof eventEnvelope>;

/*
 * Facts the core service publishes so that Lambdas can decide access without reaching the core database:
 * the access projection (a DynamoDB table) keeps the newest of each, by `occurredAt`. Every core event
 * also carries `eventId` and `occurredAt` (added by the outbox relay).
 */
const coreFact = z.object({ eventId: z.string().min(1), occurredAt });

/** Someone is a manager or instructor of an institution (added, or their role changed). */
export const institutionMemberSet = coreFact.extend({
  institutionId: z.uuid(),
  userSub: z.string().min(1).max(128),
  role: z.enum(['institution-manager', 'instructor']),
});
export type InstitutionMemberSet = z.infer<typeof institutionMemberSet>;

/** Someone no longer belongs to an institution. */
export const institutionMemberRemoved = coreFact.extend({
  institutionId: z.uuid(),
  userSub: z.string().min(1).max(128),
});
export type InstitutionMemberRemoved = z.infer<typeof institutionMemberRemoved>;

/**
 * Someone's place in a company is approved: an employee whose join request or invitation was approved, or a
 * company manager assigned by a platform admin (or their role there changed). The users domain keeps
 * Cognito groups in step with it.
 */
export const companyMemberSet = coreFact.extend({
  companyId: z.uuid(),
  userSub: z.string().min(1).max(128),
  role: z.enum(['company-manager', 'employee']),
});
export type CompanyMemberSet = z.infer<typeof companyMemberSet>;

/** Someone no longer belongs to a company: removed by its manager or a platform admin, or they left. */
export const companyMemberRemoved = coreFact.extend({
  companyId: z.uuid(),
  userSub: z.string().min(1).max(128),
});
export type CompanyMemberRemoved = z.infer<typeof companyMemberRemoved>;

/** A content exists in a course of an institution (created, or its state changed). */
export const contentSet = coreFact.extend({
  contentId: z.uuid(),
  courseId: z.uuid(),
  institutionId: z.uuid(),
  kind: z.enum(['video', 'material', 'exam']),
  state: z.enum(['active', 'archived']),
  /**
   * A live lecture's recording belongs to the one provision the lecture ran for: only that provision's
   * learners may watch it (the institution's people as any content). Absent: the course's curriculum.
   */
  provisionId: z.uuid().optional(),
});
export type ContentSet = z.infer<typeof contentSet>;

/** A learner was enrolled in a course through a provision. */
export const enrollmentCreated = coreFact.extend({
  enrollmentId: z.uuid(),
  provisionId: z.uuid(),
  courseId: z.uuid(),
  userSub: z.string().min(1).max(128),
  /** For the learner's notification. */
  courseTitle: z.string().min(1).max(200).optional(),
});
export type EnrollmentCreated = z.infer<typeof enrollmentCreated>;

/**
 * A learner completed a course (recorded once, never taken back), with everything a certificate of it says
 * as the core knows it at that moment, so the certificates domain needs nothing else of the core.
 */
export const enrollmentCompleted = coreFact.extend({
  enrollmentId: z.uuid(),
  provisionId: z.uuid(),
  courseId: z.uuid(),
  institutionId: z.uuid(),
  /** The company whose provision enrolled them; null for an open session's registration. */
  companyId: z.uuid().nullable(),
  userSub: z.string().min(1).max(128),
  completedAt: z.iso.datetime({ offset: true }),
  /** The completion day in the compliance profile's time zone: the certificate's date. */
  certificateOn: z.iso.date(),
  score: z.number().min(0).max(100).nullable(),
  courseTitle: z.string().min(1).max(200),
  institutionName: z.string().min(1).max(200),
  institutionCertificationNumber: z.string().min(1).max(100),
  /** The provision's period. */
  periodStart: z.iso.date(),
  periodEnd: z.iso.date(),
  /** Training hours: the course's active video lessons, in hours to one decimal. */
  hours: z.number().min(0),
});
export type EnrollmentCompleted = z.infer<typeof enrollmentCompleted>;

/**
 * A provision as live lectures need it: whose it is, for which course, how many attendees it was granted,
 * and whether it runs (created when requested, sent again when decided or changed).
 */
export const provisionSet = coreFact.extend({
  provisionId: z.uuid(),
  institutionId: z.uuid(),
  companyId: z.uuid(),
  courseId: z.uuid(),
  attendeeCount: z.number().int().min(0),
  state: z.enum(['requested', 'accepted', 'rejected']),
  startsOn: z.iso.date(),
  endsOn: z.iso.date(),
});
export type ProvisionSet = z.infer<typeof provisionSet>;

/*
 * Facts the users domain publishes (source EVENTS.sources.users). The users domain owns Cognito; the core owns
 * affiliations, so an invitation says who was invited where, and the core affiliates them.
 */
const invitation = z.object({
  /** The same for every invitation of one person into one place: a consumer may drop repeats by it. */
  eventId: z.string().min(1).max(128),
  occurredAt,
  /** The invitee's Cognito user (`sub`), made by the invitation or found by e-mail. */
  userSub: z.string().min(1).max(128),
  email: z.email().max(254),
  name: z.string().min(1).max(100),
  /** The manager who invited them. */
  invitedBy: z.string().min(1).max(128),
});

/**
 * Someone was invited by e-mail: an employee into a company by its manager, or an instructor into an
 * institution by its manager. Re-inviting sends it again; affiliating someone already affiliated changes
 * nothing.
 */
export const usersInvited = z.discriminatedUnion('role', [
  invitation.extend({ role: z.literal('employee'), companyId: z.uuid() }),
  invitation.extend({ role: z.literal('instructor'), institutionId: z.uuid() }),
]);
export type UsersInvited = z.infer<typeof usersInvited>;
/**
 * A learner took a seat in an open session, or a place in its waitlist (`waiting`, with their position at
 * that moment). A seat comes with its enrollment, announced as `enrollment.created` like a company's.
 */
export const registrationCreated = coreFact.extend({
  registrationId: z.uuid(),
  sessionId: z.uuid(),
  courseId: z.uuid(),
  institutionId: z.uuid(),
  userSub: z.string().min(1).max(128),
  state: z.enum(['registered', 'waiting']),
  position: z.number().int().min(1).nullable(),
});
export type RegistrationCreated = z.infer<typeof registrationCreated>;

/**
 * A learner gave up their seat or their place in line before the cancellation deadline. `enrollmentId`:
 * the enrollment the seat held, now removed; null for a place in line.
 */
export const registrationCancelled = coreFact.extend({
  registrationId: z.uuid(),
  sessionId: z.uuid(),
  courseId: z.uuid(),
  userSub: z.string().min(1).max(128),
  enrollmentId: z.uuid().nullable(),
});
export type RegistrationCancelled = z.infer<typeof registrationCancelled>;

/** The first learner in line got the seat a cancellation freed (for notification). */
export const waitlistPromoted = coreFact.extend({
  registrationId: z.uuid(),
  sessionId: z.uuid(),
  courseId: z.uuid(),
  userSub: z.string().min(1).max(128),
  enrollmentId: z.uuid(),
  /** For the learner's notification. */
  courseTitle: z.string().min(1).max(200).optional(),
});
export type WaitlistPromoted = z.infer<typeof waitlistPromoted>;

/**
 * A learner is behind the pace their provision's period needs while the gap can still be closed (for
 * notification): at most one per enrollment per day. `verdict` is `last-chance` when the gap closes only
 * if the learner does the daily cap today and every day left, `behind` when below an even pace with a day
 * to spare (service/src/learning/pace.ts).
 */
export const paceReminderDue = coreFact.extend({
  enrollmentId: z.uuid(),
  provisionId: z.uuid(),
  courseId: z.uuid(),
  userSub: z.string().min(1).max(128),
  /** The company whose provision enrolled them; null for an open session's registration. */
  companyId: z.uuid().nullable(),
  /** The day it is due, in the compliance profile's time zone. */
  day: z.iso.date(),
  verdict: z.enum(['behind', 'last-chance']),
  /** Lessons still to complete for the progress rule. */
  lessonsNeeded: z.number().int().positive(),
  /** Days of the period left, the due day included. */
  daysLeft: z.number().int().positive(),
  courseTitle: z.string().min(1).max(200),
});
export type PaceReminderDue = z.infer<typeof paceReminderDue>;

/**
 * A company's weekly pace digest for its managers (for notification): at most one per company per ISO
 * week, from the first daily scan of the week that finds someone to report. Each running, uncompleted
 * enrollment of the company's provisions counts once: unreachable first, then not started (nothing
 * watched yet), then behind (below an even pace, or at their last chance).
 */
export const companyPaceDigestDue = coreFact.extend({
  companyId: z.uuid(),
  /** The ISO week, `2026-W51`. */
  week: z.string().regex(/^\d{4}-W\d{2}$/),
  /** The scan's day, in the compliance profile's time zone. */
  day: z.iso.date(),
  /** Running, uncompleted enrollments of the company's provisions. */
  enrollments: z.number().int().positive(),
  notStarted: z.number().int().min(0),
  behind: z.number().int().min(0),
  unreachable: z.number().int().min(0),
});
export type CompanyPaceDigestDue = z.infer<typeof companyPaceDigestDue>;

/*
 * Facts for notifications: each carries what its message says, so the notifications domain needs nothing
 * else of its publisher (names and titles as they were when it happened).
 */

/** A company asked an institution for a course (for the institution's managers). */
export const provisionRequested = coreFact.extend({
  provisionId: z.uuid(),
  institutionId: z.uuid(),
  companyId: z.uuid(),
  courseId: z.uuid(),
  courseTitle: z.string().min(1).max(200),
  companyName: z.string().min(1).max(200),
  attendeeCount: z.number().int().min(0),
  startsOn: z.iso.date(),
  endsOn: z.iso.date(),
});
export type ProvisionRequested = z.infer<typeof provisionRequested>;

/**
 * The institution accepted or rejected a company's request (for the company's managers): detail-type
 * `provision.accepted` or `provision.rejected`, the same detail.
 */
export const provisionDecided = coreFact.extend({
  provisionId: z.uuid(),
  institutionId: z.uuid(),
  companyId: z.uuid(),
  courseId: z.uuid(),
  courseTitle: z.string().min(1).max(200),
  institutionName: z.string().min(1).max(200),
  decision: z.enum(['accepted', 'rejected']),
  /** The manager's reason, if they gave one. */
  reason: z.string().max(2000).nullable(),
  startsOn: z.iso.date(),
  endsOn: z.iso.date(),
});
export type ProvisionDecided = z.infer<typeof provisionDecided>;

/**
 * A learner's exam sitting has its score (for the learner): every answer graded, automatically at the
 * submission or by the institution's grader. Once per sitting.
 */
export const examGraded = coreFact.extend({
  sittingId: z.uuid(),
  /** The exam's content. */
  contentId: z.uuid(),
  enrollmentId: z.uuid(),
  courseId: z.uuid(),
  userSub: z.string().min(1).max(128),
  courseTitle: z.string().min(1).max(200),
  examTitle: z.string().min(1).max(200),
  /** Of 100. */
  score: z.number().min(0).max(100),
  /** Whether it reaches the profile's minimum; null when the profile sets none. */
  passed: z.boolean().nullable(),
});
export type ExamGraded = z.infer<typeof examGraded>;

/*
 * Facts the live domain publishes for notifications (source EVENTS.sources.live): lectures of one
 * provision, for that provision's learners.
 */
const lectureFact = z.object({
  /** The same for every delivery of one fact: `lecture-scheduled-<lectureId>`, `lecture-started-<…>`. */
  eventId: z.string().min(1).max(200),
  occurredAt,
  lectureId: z.string().min(1).max(128),
  provisionId: z.uuid(),
  institutionId: z.uuid(),
  courseId: z.uuid(),
  title: z.string().min(1).max(200),
  startsAt: z.iso.datetime({ offset: true }),
  endsAt: z.iso.datetime({ offset: true }),
});

/** A live lecture was scheduled (once per lecture). */
export const lectureScheduled = lectureFact;
export type LectureScheduled = z.infer<typeof lectureScheduled>;

/** A live lecture's stream went live for the first time (once per lecture). */
export const lectureStarted = lectureFact;
export type LectureStarted = z.infer<typeof lectureStarted>;

/**
 * The daily pace scan is due (source EVENTS.sources.scheduler; EventBridge Scheduler puts it on the bus at
 * 00:05 in the compliance profile's time zone). The core runs the scan for the day it is in that zone when
 * it receives it; a second delivery the same day finds every reminder recorded and emits nothing.
 */
export const paceScanDue = z.object({}).loose();
export type PaceScanDue = z.infer<typeof paceScanDue>;
