import { AUDIO, H264_QUALITY_TUNING, HLS_SEGMENT_SECONDS, LADDER } from '#lambda/vod/transcode-settings';
import type { Ladder } from './model';

/**
 * The ladder the pipeline transcodes to, its audio, segment length and quality tuning level, as the transcode
 * job reads them (not restated here): a change to the job's settings changes the estimate.
 */
export function transcodeLadder(): Ladder {
  return {
    rungs: LADDER,
    audioBitrate: AUDIO.bitrate,
    qualityTuningLevel: H264_QUALITY_TUNING,
    segmentSeconds: HLS_SEGMENT_SECONDS,
  };
}
