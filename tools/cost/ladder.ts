import { AUDIO, buildTranscodeJob, HLS_SEGMENT_SECONDS, LADDER } from '#lambda/vod/transcode-settings';
import type { Ladder } from './model';

/**
 * The ladder the pipeline transcodes to, its audio and segment length, and the quality tuning level read from
 * a job the pipeline would send (not restated here): a change to the job changes the estimate.
 */
export function transcodeLadder(): Ladder {
  const job = buildTranscodeJob({
    inputUri: 's3://uploads/source.mp4',
    outputBucket: 'renditions',
    contentId: 'content',
    roleArn: 'arn:aws:iam::000000000000:role/transcode',
    queueArn: 'arn:aws:mediaconvert:us-east-1:000000000000:queues/transcode',
    uploadBucket: 'uploads',
    sourceKey: 'source.mp4',
    clientRequestToken: 'token',
  });
  const levels = new Set(
    (job.Settings?.OutputGroups ?? [])
      .flatMap((group) => group.Outputs ?? [])
      .map((output) => output.VideoDescription?.CodecSettings?.H264Settings?.QualityTuningLevel)
      .filter((level): level is NonNullable<typeof level> => level !== undefined),
  );
  if (levels.size !== 1) {
    throw new Error(`the transcode job does not use one quality tuning level: ${[...levels].join(', ')}`);
  }
  return {
    rungs: LADDER,
    audioBitrate: AUDIO.bitrate,
    qualityTuningLevel: [...levels][0]!,
    segmentSeconds: HLS_SEGMENT_SECONDS,
  };
}
