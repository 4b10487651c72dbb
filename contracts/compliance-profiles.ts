import * as z from 'zod';

/**
 * A compliance profile: the rules of one training regime, as data. The institution config chooses one
 * (and may override its numbers); the core service enforces what it says.
 */
function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const complianceProfile = z.strictObject({
  contentCompleteShare: z
    .number()
    .gt(0)
    .max(1)
    .describe('A content is complete once this share of its length has been watched.'),
  courseCompletion: z
    .strictObject({
      minProgressShare: z.number().gt(0).max(1).describe('Share of the course’s contents to complete.'),
      minScore: z
        .number()
        .int('a whole number')
        .min(0)
        .max(100)
        .nullable()
        .describe('The evaluation score (of 100) to reach; null: none.'),
    })
    .describe(
      "Share of the course's contents to complete, and the evaluation score (of 100), to complete a course.",
    ),
  dailyLessonCap: z
    .number()
    .int('a whole number')
    .positive()
    .nullable()
    .describe('At most this many lessons (contents) credited per learner per course per day, by `timeZone`.'),
  timeZone: z
    .string()
    .refine(isTimeZone, 'an IANA time zone such as Asia/Seoul')
    .describe("Where the provision period's days and the daily cap's days begin (an IANA time zone)."),
  examGates: z
    .strictObject({
      mid: z.number().min(0).max(1).describe('Progress share at which the mid exam opens.'),
      final: z.number().min(0).max(1).describe('Progress share at which the final exam opens.'),
    })
    .nullable()
    .describe(
      'Course progress share at which the mid and the final exam open; null opens them from the start.',
    ),
  examAttempts: z
    .number()
    .int('a whole number')
    .positive()
    .nullable()
    .describe('Attempts per exam; null is unlimited.'),
  examMinutes: z
    .number()
    .int('a whole number')
    .positive()
    .nullable()
    .describe("Minutes from an exam's start to its automatic submission; null is untimed."),
});
export type ComplianceProfile = z.infer<typeof complianceProfile>;

export const COMPLIANCE_PROFILES = {
  standard: {
    contentCompleteShare: 0.8,
    courseCompletion: { minProgressShare: 0.8, minScore: null },
    dailyLessonCap: null,
    timeZone: 'UTC',
    examGates: null,
    examAttempts: null,
    examMinutes: null,
  },
  // Korean employer-funded remote training (사업주 직업능력개발훈련, 원격훈련).
  'kr-employer-training': {
    contentCompleteShare: 0.8,
    courseCompletion: { minProgressShare: 0.8, minScore: 60 },
    dailyLessonCap: 8,
    timeZone: 'Asia/Seoul',
    examGates: { mid: 0.5, final: 0.8 },
    examAttempts: 1,
    examMinutes: 60,
  },
} as const satisfies Record<string, ComplianceProfile>;
export type ComplianceProfileName = keyof typeof COMPLIANCE_PROFILES;

/** Environment variable carrying the resolved profile (JSON) to the core service. */
export const COMPLIANCE_PROFILE_ENV = 'COMPLIANCE_PROFILE';
