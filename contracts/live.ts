import * as z from 'zod';

/*
 * Live lectures' contract: the request schemas of the live routes, the live table's key layout, the names
 * the live stack, its handlers and the local IVS share, and IVS's own limits the platform designs around.
 * Like every contract it loads no AWS SDK.
 */

/** IVS's documented limits that the platform's behaviour depends on. */
export const IVS_LIMITS = {
  /** PutMetadata: the largest payload, in bytes (UTF-8). */
  metadataBytes: 1024,
  /** PutMetadata: calls per second per channel, for the whole account (not raisable). */
  metadataCallsPerSecond: 5,
  /** A playback token's longest useful life on this platform (IVS allows longer; we do not). */
  playbackTokenSeconds: 600,
  /** Chat tokens: how long a chat session may last, in minutes (IVS: 1 to 180). */
  chatSessionMinutes: 180,
  /** Chat token attributes: total size, in bytes. */
  chatAttributesBytes: 500,
} as const;

/** Environment variables of the live handlers. */
export const LIVE = {
  env: {
    /** The live table (lectures, seats, quizzes, answers). */
    table: 'LIVE_TABLE_NAME',
    /** The IVS recording configuration new channels record with; unset: no recording. */
    recordingConfigurationArn: 'LIVE_RECORDING_CONFIGURATION_ARN',
    /** The secret holding the playback key pair's private half (PKCS#8 PEM, P-384). */
    playbackKeySecretArn: 'LIVE_PLAYBACK_KEY_SECRET_ARN',
    /** Browser origins the playback token allows (`aws:access-control-allow-origin`). */
    playbackOrigins: 'LIVE_PLAYBACK_ORIGINS',
    /** Prefix of channel and room names, so one account's forks and stages tell theirs apart. */
    namePrefix: 'LIVE_NAME_PREFIX',
  },
  /** The platform bus's source for live events. */
  source: 'lms.live',
  /** The custom metrics the live handlers emit and the live stack alarms on (CloudWatch EMF). */
  metrics: {
    namespace: 'LMS/Live',
    /** The one dimension, `service`, Powertools Metrics adds. */
    service: 'live',
    /** A quiz that could not be put on its channel, after the handler's own retries. */
    quizSendFailures: 'QuizSendFailures',
    /** Lectures a sweep could not reconcile with IVS. */
    reconcileErrors: 'ReconcileErrors',
  },
  /** The table's secondary indexes, by name. */
  indexes: {
    /** A provision's lectures by planned start: `gsi1pk` = `provision#<id>`, `gsi1sk` = `<startsAt>#<lectureId>`. */
    byProvision: 'byProvision',
    /** The lecture of a channel: `channelArn`. */
    byChannel: 'byChannel',
    /** Lectures the sweep reconciles: `sweepState` (`scheduled` or `live` only), `startsAt`. */
    bySweepState: 'bySweepState',
  },
} as const;

/** A lecture's life: scheduled, then live and ended as IVS says (possibly several times), or cancelled. */
export const LECTURE_STATES = ['scheduled', 'live', 'ended', 'cancelled'] as const;
export type LectureState = (typeof LECTURE_STATES)[number];

const instant = z.iso.datetime({ offset: true });
const title = z.string().trim().min(1).max(200);

export const lectureIdParams = z.strictObject({ lectureId: z.uuid() });
export const quizIdParams = z.strictObject({ lectureId: z.uuid(), quizId: z.uuid() });

export const createLectureBody = z.strictObject({
  provisionId: z.uuid(),
  title,
  startsAt: instant,
  endsAt: instant,
  /** @default the provision's attendee count, which it may not exceed */
  capacity: z.number().int().min(1).max(100_000).optional(),
  /** Record the stream into a video of the course. @default true when the platform records */
  record: z.boolean().optional(),
});

export const updateLectureBody = z
  .strictObject({
    title: title.optional(),
    startsAt: instant.optional(),
    endsAt: instant.optional(),
    capacity: z.number().int().min(1).max(100_000).optional(),
  })
  .refine((b) => Object.keys(b).length > 0, { message: 'Name at least one field to change' });

export const listLecturesQuery = z.strictObject({
  provisionId: z.uuid(),
  /** Only lectures not yet ended or cancelled. */
  upcoming: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
  cursor: z.string().min(1).max(2048).optional(),
});

export const chatTokenBody = z.strictObject({
  /** Shown beside the caller's messages. @default the part of the e-mail address before the @ */
  displayName: z
    .string()
    .trim()
    .min(1)
    .max(40)
    .regex(/^[^\p{Cc}\p{Cf}]+$/u, 'no control or format characters')
    .optional(),
});

export const presenceBody = z.strictObject({}).optional();

/** A quiz as staff write it. Its compact form on the channel must fit IVS's 1 KB; see `quizMetadata`. */
export const createQuizBody = z.strictObject({
  question: z.string().trim().min(1).max(500),
  options: z.array(z.string().trim().min(1).max(200)).min(2).max(6),
  /** The correct option's index. */
  answer: z.number().int().min(0).max(5),
  explanation: z.string().trim().max(1000).optional(),
  timeLimitSeconds: z.number().int().min(5).max(600),
});
export type QuizInput = z.infer<typeof createQuizBody>;

export const answerQuizBody = z.strictObject({ option: z.number().int().min(0).max(5) });

/**
 * What a player receives as timed metadata when a quiz is sent: short keys, no answer, no explanation.
 * `v` versions the format, `t` says what it is, `d` is the deadline in epoch seconds by server time.
 */
export interface QuizMetadata {
  readonly v: 1;
  readonly t: 'quiz';
  readonly id: string;
  readonly q: string;
  readonly o: readonly string[];
  readonly d: number;
}

export function quizMetadata(quizId: string, quiz: Pick<QuizInput, 'question' | 'options'>, deadline: Date) {
  const payload: QuizMetadata = {
    v: 1,
    t: 'quiz',
    id: quizId,
    q: quiz.question,
    o: quiz.options,
    d: Math.floor(deadline.getTime() / 1000),
  };
  return JSON.stringify(payload);
}

/** The UTF-8 size of a quiz's metadata, with the longest possible deadline and id. */
export const quizMetadataBytes = (quiz: Pick<QuizInput, 'question' | 'options'>) =>
  new TextEncoder().encode(
    quizMetadata('00000000-0000-0000-0000-000000000000', quiz, new Date(9_999_999_999_000)),
  ).length;

/** A learner's part in an ended lecture, as `live.ended` reports it. */
export const liveAttendee = z.object({
  userSub: z.string().min(1).max(128),
  enrollmentId: z.uuid(),
  joinedAt: instant,
  presenceSeconds: z.number().int().min(0),
  /** Presence over the lecture's streamed time, 0 to 1. */
  attendanceRate: z.number().min(0).max(1),
  quizzesAnswered: z.number().int().min(0),
  quizzesCorrect: z.number().int().min(0),
});

/** The attendees one `live.ended` event carries at most. */
export const LIVE_ENDED_PART_SIZE = 500;

/** What both live facts say of their lecture: which it is, whose it is, and when the fact happened. */
const lectureFacts = z.object({
  lectureId: z.uuid(),
  provisionId: z.uuid(),
  courseId: z.uuid(),
  institutionId: z.uuid(),
  title,
  occurredAt: instant,
});

/**
 * A lecture ended (its stream stopped): everyone who joined, with presence and quiz scores. Sent again if
 * the stream restarts and ends again; the newest `occurredAt` wins. Large lectures come in parts of at most
 * `LIVE_ENDED_PART_SIZE` attendees (EventBridge takes 256 KB per event).
 */
export const liveEnded = lectureFacts.extend({
  startedAt: instant,
  endedAt: instant,
  quizzesSent: z.number().int().min(0),
  part: z.number().int().min(1),
  parts: z.number().int().min(1),
  attendees: z.array(liveAttendee).max(LIVE_ENDED_PART_SIZE),
});
export type LiveEnded = z.infer<typeof liveEnded>;

/**
 * A lecture's recording became a video of its course: the live domain copied IVS's HLS recording into the
 * playback bucket under `hls/<lectureId>/` (the video's content id is the lecture's), and the core makes it a
 * video content learners watch with credited progress. The newest `occurredAt` wins when a lecture's stream
 * restarted and was recorded again.
 */
export const liveRecorded = lectureFacts.extend({
  durationSeconds: z.number().int().min(0),
  /** The HLS master playlist, relative to the playback distribution (`hls/<lectureId>/index.m3u8`). */
  manifestPath: z.string().min(1).max(1024),
});
export type LiveRecorded = z.infer<typeof liveRecorded>;

/*
 * What the live routes answer (their `responses` in contracts/routes.ts): the OpenAPI document and the web
 * app's typed client are made from these, and the local runner holds every answer to them.
 */

const count = z.number().int().min(0);

/** A lecture: what its enrolled learners see, and what only its institution's staff see besides. */
export const lectureView = z.object({
  lectureId: z.string(),
  provisionId: z.string(),
  courseId: z.string(),
  title: z.string(),
  startsAt: z.string(),
  endsAt: z.string(),
  capacity: count,
  joinedCount: count,
  state: z.enum(LECTURE_STATES),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  institutionId: z.string().optional().describe('staff only'),
  companyId: z.string().optional().describe('staff only'),
  record: z.boolean().optional().describe('staff only'),
  channelArn: z.string().optional().describe('staff only'),
  roomArn: z.string().optional().describe('staff only'),
  playbackUrl: z.string().optional().describe('staff only: the channel’s, without a token'),
  ingestEndpoint: z.string().optional().describe('staff only: where the broadcaster’s encoder streams'),
  channelReleasedAt: z.string().optional().describe('staff only: the channel was given back to IVS'),
  createdBy: z.string().optional().describe('staff only'),
  createdAt: z.string().optional().describe('staff only'),
  updatedAt: z.string().optional().describe('staff only'),
});

export const lecturePage = z.object({
  lectures: z.array(lectureView).readonly(),
  cursor: z.string().optional().describe('Present when more lectures follow: send it for the next page'),
});

export const streamKeyView = z.object({
  ingestUrl: z.string().describe('the encoder’s server URL'),
  streamKey: z.string(),
});

export const joinedView = z.object({
  as: z.enum(['seat', 'watch']).describe('seat: a learner counted present; watch: staff, no seat'),
  playbackUrl: z.string().describe('the channel’s playback URL with a token for this viewer'),
  expiresAt: z.string(),
});

export const presenceView = z.object({
  presenceSeconds: count,
  counting: z.boolean().describe('whether this beat was credited (only while live)'),
  leftAt: z.string().optional(),
});

export const chatTokenView = z.object({
  token: z.string(),
  sessionExpiresAt: z.string().optional(),
  tokenExpiresAt: z.string().optional(),
  capabilities: z.array(z.string()).readonly(),
});

const quizState = z.enum(['prepared', 'open', 'closed']);

/** A quiz: staff see all of it; learners see sent ones, the answer once closed, and their own answer. */
export const quizView = z.object({
  quizId: z.string(),
  question: z.string(),
  options: z.array(z.string()).readonly(),
  timeLimitSeconds: z.number().int(),
  state: quizState,
  sentAt: z.string().optional(),
  deadline: z.string().optional(),
  answer: z.number().int().optional().describe('staff always; learners once closed'),
  explanation: z.string().optional(),
  createdBy: z.string().optional().describe('staff only'),
  createdAt: z.string().optional().describe('staff only'),
  yourAnswer: z
    .object({ option: z.number().int(), answeredAt: z.string(), correct: z.boolean().optional() })
    .optional()
    .describe('learners: their own answer; whether right once closed'),
});

export const createdQuizView = quizView.extend({
  metadataBytes: count.describe('the size of its payload on the channel, of IVS’s 1024'),
});

export const quizList = z.object({ quizzes: z.array(quizView).readonly() });

export const quizSentView = z.object({ quizId: z.string(), sentAt: z.string(), deadline: z.string() });

export const answerView = z.object({
  received: z.literal(true),
  quizId: z.string(),
  option: z.number().int(),
  answeredAt: z.string(),
});

export const quizResultsView = z.object({
  quizId: z.string(),
  state: quizState,
  sentAt: z.string().optional(),
  deadline: z.string().optional(),
  answer: z.number().int(),
  counts: z.array(count).readonly().describe('answers per option, by index'),
  total: count,
  correct: count,
  correctRate: z.number().min(0).max(1).nullable().describe('null before the first answer'),
});

export const attendanceView = z.object({
  lectureId: z.string(),
  state: z.enum(LECTURE_STATES),
  streamedSeconds: count,
  quizzesSent: count,
  attendees: z
    .array(liveAttendee.extend({ left: z.boolean().describe('left, and not joined again') }))
    .readonly(),
});
