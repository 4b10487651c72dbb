import * as z from 'zod';
import { VOD } from '#contracts/resources';

/*
 * What the video pipeline's handlers and the local transcoder agree on about uploads and renditions, in a
 * module that builds no client and reads no environment when loaded, so the local runner can import it.
 */

/**
 * S3 writes keys into its events form-encoded (a space arrives as `+`, a plus as `%2B`); MediaConvert and
 * the key layout need the key as stored.
 */
const s3Key = z
  .string()
  .min(1)
  .transform((raw, ctx) => {
    try {
      return decodeURIComponent(raw.replace(/\+/g, ' '));
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not a URL-encoded S3 key' });
      return z.NEVER;
    }
  });

/** The fields this handler uses of S3's EventBridge `Object Created` event. */
const objectCreated = z.object({
  source: z.literal('aws.s3'),
  'detail-type': z.literal('Object Created'),
  detail: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({ key: s3Key, etag: z.string().min(1) }),
  }),
});

/** One stored version of an object: S3 may announce it more than once, each time with a new event id. */
export interface Upload {
  readonly bucket: string;
  readonly key: string;
  readonly etag: string;
}

/** Refuses what is not an S3 `Object Created` event: a misrouted rule, not a video to skip quietly. */
export function parseObjectCreated(event: unknown): Upload {
  const parsed = objectCreated.safeParse(event);
  if (!parsed.success) {
    throw new Error(`Not an S3 Object Created event:\n${z.prettifyError(parsed.error)}`);
  }
  const { bucket, object } = parsed.data.detail;
  return { bucket: bucket.name, key: object.key, etag: object.etag };
}

const contentIdSchema = z.uuid();

/**
 * The content a video upload is for, and its institution, from `videos/<institutionId>/<contentId>/<file
 * name>`; a reason instead when the key does not follow that layout, since no job could report back to a
 * content. The upload route wrote the key, so the institution is the content's own.
 */
export function contentIdOf(key: string): { contentId: string; institutionId: string } | { ignored: string } {
  if (!key.startsWith(VOD.uploadPrefixes.video)) return { ignored: 'not under the video upload prefix' };
  const [institutionId, contentId, ...fileName] = key.slice(VOD.uploadPrefixes.video.length).split('/');
  if (!institutionId || !contentId || fileName.join('/') === '') {
    return { ignored: 'not <prefix><institutionId>/<contentId>/<file name>' };
  }
  if (!contentIdSchema.safeParse(contentId).success) return { ignored: 'the content id is not a UUID' };
  return { contentId, institutionId };
}

/**
 * Whole seconds, rounded down (but at least 1 for a non-empty video): the core credits progress in whole
 * seconds of the player's position capped at this duration, so a learner who watches to the end always
 * reaches it; rounding up could leave the last second out of reach, and 0 marks a video untrackable.
 */
export const durationSecondsOf = (ms: number): number => (ms > 0 ? Math.max(1, Math.floor(ms / 1000)) : 0);
