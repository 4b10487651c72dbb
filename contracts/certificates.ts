import * as z from 'zod';

/*
 * Certificates of completion: one per completed enrollment, a PDF kept in a private bucket, downloaded by a
 * presigned link, verified by anyone who holds its number, revoked by its institution with a reason.
 */

export const CERTIFICATES = {
  env: {
    /** The private bucket the documents are kept in. */
    bucket: 'CERTIFICATES_BUCKET_NAME',
    /** The page a certificate's QR code points to, without the number: `<base>/<number>`. */
    verifyBaseUrl: 'CERTIFICATE_VERIFY_BASE_URL',
  },
  /** How long a download link works, in seconds. */
  downloadSeconds: 300,
  /** The documents' keys: `certificates/<number>.pdf`. */
  keyPrefix: 'certificates/',
  /**
   * The public verification route's throttle (API Gateway's, per route, for every caller together): enough
   * for people checking a document, too little to try numbers at any useful pace against 100 bits.
   */
  verificationThrottle: { rate: 5, burst: 10 },
  /** Who a certificate's events are from. */
  source: 'lms.certificates',
  /**
   * The font documents are set in (Pretendard, SIL Open Font License, Hangul and Latin): in the repository
   * (`from`) and beside the rendering function's bundle (`to`), its licence travelling with it as the OFL asks.
   */
  fontFiles: {
    font: {
      from: 'node_modules/pretendard/dist/public/static/alternative/Pretendard-Regular.ttf',
      to: 'fonts/Pretendard-Regular.ttf',
    },
    licence: { from: 'node_modules/pretendard/dist/LICENSE.txt', to: 'fonts/Pretendard-LICENSE.txt' },
  },
} as const;

export const CERTIFICATE_INDEXES = {
  /** `learner#<sub>` / `<completedOn>#<number>`: a learner's certificates, newest first. */
  byLearner: 'byLearner',
  /** `institution#<id>` / `<completedOn>#<number>`: an institution's certificates, newest first. */
  byInstitution: 'byInstitution',
} as const;

/** Crockford's base32: no I, L, O or U, so a number read aloud or typed from paper is not misread. */
export const CERTIFICATE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * `LMS-XXXX-XXXX-XXXX-XXXX-XXXX`: twenty random base32 characters, 100 bits, so a number cannot be guessed;
 * lower case and missing hyphens are accepted and normalized, as people type them.
 */
export const certificateNumber = z
  .string()
  .trim()
  .max(40)
  .transform((s) => s.toUpperCase().replace(/-/g, ''))
  .pipe(z.string().regex(/^LMS[0-9A-HJKMNP-TV-Z]{20}$/, 'a certificate number: LMS- and 20 characters'))
  .transform((s) => `LMS-${s.slice(3).match(/.{4}/g)!.join('-')}`);

export const certificateNumberParams = z.object({ number: certificateNumber });

export const revokeCertificateBody = z.strictObject({
  reason: z.string().trim().min(1).max(500),
});

const pageLimit = z.coerce.number().int().min(1).max(100).default(20);
const cursor = z.string().min(1).max(1024).optional();

export const listCertificatesQuery = z.strictObject({ limit: pageLimit, cursor });

/** An institution's certificates: the institution named in the query, as other Lambda listings do. */
export const listInstitutionCertificatesQuery = listCertificatesQuery.extend({ institutionId: z.uuid() });

/** What the learner, and the people responsible for them, see of a certificate. */
export const certificateView = z.object({
  number: z.string(),
  enrollmentId: z.string(),
  provisionId: z.string(),
  courseId: z.string(),
  institutionId: z.string(),
  companyId: z.string().nullable(),
  userSub: z.string(),
  learnerName: z.string(),
  courseTitle: z.string(),
  institutionName: z.string(),
  hours: z.number(),
  periodStart: z.string(),
  periodEnd: z.string(),
  completedOn: z.string(),
  score: z.number().nullable(),
  issuedAt: z.string(),
  ready: z.boolean().describe('whether its document is kept: one still being made cannot be downloaded yet'),
  status: z.enum(['valid', 'revoked']),
  revokedAt: z.string().optional(),
  revocationReason: z.string().optional(),
});
export type CertificateView = z.infer<typeof certificateView>;

/** A page of certificates, newest completion first; the cursor asks for the next one. */
export const certificatePage = z.object({
  certificates: z.array(certificateView),
  cursor: z.string().optional(),
});

/** A short-lived link to a certificate's PDF. */
export const certificateDownload = z.object({
  url: z.string(),
  expiresAt: z.string(),
  certificate: certificateView,
});

/** What anyone holding the number learns: whether it is valid, for whom and what, and nothing more. */
export const certificateVerification = z.object({
  number: z.string(),
  status: z.enum(['valid', 'revoked']),
  learnerName: z.string(),
  courseTitle: z.string(),
  institutionName: z.string(),
  hours: z.number(),
  completedOn: z.string(),
  revokedAt: z.string().optional(),
  revocationReason: z.string().optional(),
});
export type CertificateVerification = z.infer<typeof certificateVerification>;

/** A certificate was issued and its document is kept: for notifications. */
export const certificateIssued = z.object({
  eventId: z.string().min(1),
  occurredAt: z.iso.datetime({ offset: true }),
  number: z.string(),
  enrollmentId: z.uuid(),
  userSub: z.string().min(1).max(128),
  institutionId: z.uuid(),
  companyId: z.uuid().nullable(),
  courseTitle: z.string(),
});

/** An institution revoked a certificate: for notifications. */
export const certificateRevoked = certificateIssued.extend({ reason: z.string() });
