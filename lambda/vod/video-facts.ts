import * as z from 'zod';
import { EVENTS } from '#contracts/resources';
import { videoFailed, type VideoFailed, type VideoReady } from '#contracts/platform-events';
import { type BusDeps, busNameFromEnv, putOnBus } from '../shared/platform-bus';

/*
 * The vod domain's answers to an upload, as they leave for the platform bus: start-transcode refuses an
 * upload it will not transcode, publish-job-state reports how a job ended, and the local transcoder does
 * both on one machine. Builds no client and reads no environment when loaded.
 */

export type VideoFact =
  { type: 'video.ready'; detail: VideoReady } | { type: 'video.failed'; detail: VideoFailed };

/** Checks a detail against the bus contract before it leaves: a broken one is this code's bug. */
export function checkedDetail<T>(schema: z.ZodType<T>, type: VideoFact['type'], detail: T): T {
  const parsed = schema.safeParse(detail);
  if (!parsed.success)
    throw new Error(`The ${type} detail breaks the bus contract:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** `video.failed` for a content, its reason cut to what the contract allows. */
export function videoFailedFact(
  contentId: string,
  occurredAt: string,
  reason: string,
): Extract<VideoFact, { type: 'video.failed' }> {
  return {
    type: 'video.failed',
    detail: checkedDetail(videoFailed, 'video.failed', {
      contentId,
      occurredAt,
      reason: reason.slice(0, 2000),
    }),
  };
}

export type PublishDeps = BusDeps;

/** Puts one fact on the platform bus, timed when it happened. */
export const publishVideoFact = (deps: PublishDeps, fact: VideoFact): Promise<void> =>
  putOnBus(deps, {
    source: EVENTS.sources.vod,
    detailType: fact.type,
    detail: fact.detail,
    time: new Date(fact.detail.occurredAt),
  });

export { busNameFromEnv };
