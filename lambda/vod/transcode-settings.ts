import type { CreateJobCommandInput, H264QualityTuningLevel, Output } from '@aws-sdk/client-mediaconvert';
import { VOD } from '#contracts/resources';

/** One rung of the adaptive bitrate ladder: the box a rendition fits into and its H.264 rate control. */
export interface Rung {
  /** Suffix of the rendition's playlist and segments (`index_720p.m3u8`), and its label in the player. */
  readonly name: string;
  readonly width: number;
  readonly height: number;
  /** QVBR ceiling in bits per second; the HLS master playlist advertises it as the rendition's BANDWIDTH. */
  readonly maxBitrate: number;
  /** QVBR target quality, 1 to 10. */
  readonly qvbrQuality: number;
}

/**
 * Highest first. Chosen from `npm run bench:ladder` (2026-12-06): x264 standing in for MediaConvert on two
 * generated lecture clips (slides with a speaker's camera, a scrolled screen recording), SSIM measured as a
 * learner on a 1080p screen sees each rung. A rung's QVBR level is the one from which one more level gains
 * under 1 dB of SSIM per doubling of bitrate on either clip (or SSIM is already ≥ 0.995): 1080p stays at 8
 * (the screen recording climbs 1.3 to 1.6 dB a level up to SSIM 0.996 there, the slides are at 0.996 from
 * level 5), 720p at 7, 540p drops from 7 to 6 (level 7 cost about 15% more bits for 0.13 to 0.14 dB), 360p
 * stays at 6. MaxBitrate is about twice the higher of the clips' 1 s peaks at that level (the screen
 * recording's scrolls: 3.22, 1.42, 0.84 and 0.44 Mbps), rounded up to 100 kbps, so neither clip comes near
 * it; the averages stay far below (720p: 0.23 and 0.54 Mbps). MaxBitrate is also the BANDWIDTH the
 * master playlist advertises, so a cap far above what lectures use would keep players on lower rungs.
 */
export const LADDER: readonly Rung[] = [
  { name: '1080p', width: 1920, height: 1080, maxBitrate: 6_500_000, qvbrQuality: 8 },
  { name: '720p', width: 1280, height: 720, maxBitrate: 2_900_000, qvbrQuality: 7 },
  { name: '540p', width: 960, height: 540, maxBitrate: 1_700_000, qvbrQuality: 6 },
  { name: '360p', width: 640, height: 360, maxBitrate: 900_000, qvbrQuality: 6 },
];

/**
 * MediaConvert's H.264 QualityTuningLevel for every rung. MULTI_PASS_HQ bills each output at the professional
 * tier (at least $4.32 against the basic tier's $2.70 per source hour for this ladder in us-east-1);
 * SINGLE_PASS_HQ keeps the outputs in the basic tier. In bench:ladder an analysis pass bought nothing on
 * lecture content: x264 two-pass against one constant-quality pass at the same bitrate, -0.03 to -1.17 dB
 * SSIM across rungs and clips (the threshold for keeping it was +0.1 dB).
 */
export const H264_QUALITY_TUNING: H264QualityTuningLevel = 'SINGLE_PASS_HQ';

/** Stereo AAC-LC muxed into every rendition: one audio setting keeps the ffmpeg mirror trivial. */
export const AUDIO = { codec: 'aac', bitrate: 128_000, sampleRate: 48_000, channels: 2 } as const;

/** Segment length in seconds; a 2 s GOP puts a segment boundary on every third keyframe. */
export const HLS_SEGMENT_SECONDS = 6;
export const GOP_SECONDS = 2;

/** The thumbnail is the first frame MediaConvert captures, written as `<base>.0000000.jpg`. */
export const THUMBNAIL = { baseName: 'thumbnail', width: 1280, height: 720, quality: 80 } as const;

/** The master playlist's base name: MediaConvert appends `.m3u8` to the destination's last segment. */
const MASTER_BASE = VOD.masterPlaylist.replace(/\.m3u8$/, '');

/** Where a content's renditions live in the output bucket, ending in a slash. */
export const outputPrefixFor = (contentId: string): string => `${VOD.outputPrefix}${contentId}/`;

export interface TranscodeJobParams {
  /** `s3://<upload bucket>/<key>` of the source, with the key exactly as stored (decoded). */
  readonly inputUri: string;
  readonly outputBucket: string;
  readonly contentId: string;
  /** The role MediaConvert assumes to read the upload and write the renditions. */
  readonly roleArn: string;
  /**
   * The platform's own queue. Without one, MediaConvert runs the job in the account's Default queue, which
   * every workload of the account shares: its error metrics would mix theirs in, and the role's trust
   * policy admits jobs of this queue only.
   */
  readonly queueArn: string;
  /** The upload's bucket and key, echoed back in the job's state-change events. */
  readonly uploadBucket: string;
  readonly sourceKey: string;
  /**
   * The upload's digest (bucket, key and etag): MediaConvert answers a repeat within a minute with the first
   * job, and the job's end finds the minutes it reserved by it. At most 64 ASCII characters.
   */
  readonly clientRequestToken: string;
}

function hlsOutput(rung: Rung): Output {
  return {
    NameModifier: `_${rung.name}`,
    ContainerSettings: { Container: 'M3U8', M3u8Settings: {} },
    VideoDescription: {
      Width: rung.width,
      Height: rung.height,
      // Fits the source into the rung's box keeping its aspect ratio, without padding, and never
      // upscales: a portrait or 4:3 upload keeps its shape, and a 720p upload is not blown up to 1080p.
      ScalingBehavior: 'FIT_NO_UPSCALE',
      CodecSettings: {
        Codec: 'H_264',
        H264Settings: {
          RateControlMode: 'QVBR',
          MaxBitrate: rung.maxBitrate,
          QvbrSettings: { QvbrQualityLevel: rung.qvbrQuality },
          QualityTuningLevel: H264_QUALITY_TUNING,
          CodecProfile: 'HIGH',
          CodecLevel: 'AUTO',
          GopSize: GOP_SECONDS,
          GopSizeUnits: 'SECONDS',
          GopClosedCadence: 1,
          // AWS recommends transition detection with QVBR: it spends bits on scene cuts and fades.
          SceneChangeDetect: 'TRANSITION_DETECTION',
          FramerateControl: 'INITIALIZE_FROM_SOURCE',
          ParControl: 'INITIALIZE_FROM_SOURCE',
        },
      },
    },
    AudioDescriptions: [
      {
        AudioSourceName: 'Audio Selector 1',
        CodecSettings: {
          Codec: 'AAC',
          AacSettings: {
            Bitrate: AUDIO.bitrate,
            SampleRate: AUDIO.sampleRate,
            CodingMode: 'CODING_MODE_2_0',
            CodecProfile: 'LC',
            RateControlMode: 'CBR',
          },
        },
      },
    ],
  };
}

/**
 * The complete CreateJob request for one upload: HLS renditions of the ladder under `hls/<contentId>/`
 * with the master playlist `index.m3u8`, and one JPEG thumbnail beside them. Pure, so tests can compare
 * it whole and the local transcoder can read the same numbers.
 */
export function buildTranscodeJob(p: TranscodeJobParams): CreateJobCommandInput {
  const destination = `s3://${p.outputBucket}/${outputPrefixFor(p.contentId)}`;
  return {
    Queue: p.queueArn,
    Role: p.roleArn,
    ClientRequestToken: p.clientRequestToken,
    // Echoed in every state-change event: the job-state handler reads the content id, and on ERROR releases
    // the minutes reserved under the upload's digest (MediaConvert bills only completed jobs); the vod stack's
    // rule matches the upload bucket and prefix, which tell this platform's jobs from any other's in the
    // account (an ERROR event names no bucket).
    UserMetadata: {
      contentId: p.contentId,
      sourceKey: p.sourceKey,
      uploadBucket: p.uploadBucket,
      uploadDigest: p.clientRequestToken,
    },
    Settings: {
      TimecodeConfig: { Source: 'ZEROBASED' },
      Inputs: [
        {
          FileInput: p.inputUri,
          TimecodeSource: 'ZEROBASED',
          VideoSelector: {},
          // Marked default so a silent screen recording still yields renditions (with silent audio).
          AudioSelectors: { 'Audio Selector 1': { DefaultSelection: 'DEFAULT' } },
        },
      ],
      OutputGroups: [
        {
          Name: 'HLS',
          OutputGroupSettings: {
            Type: 'HLS_GROUP_SETTINGS',
            HlsGroupSettings: {
              Destination: `${destination}${MASTER_BASE}`,
              SegmentLength: HLS_SEGMENT_SECONDS,
              SegmentLengthControl: 'GOP_MULTIPLE',
              MinSegmentLength: 0,
              SegmentControl: 'SEGMENTED_FILES',
              DirectoryStructure: 'SINGLE_DIRECTORY',
              ManifestDurationFormat: 'FLOATING_POINT',
              TargetDurationCompatibilityMode: 'SPEC_COMPLIANT',
              OutputSelection: 'MANIFESTS_AND_SEGMENTS',
              StreamInfResolution: 'INCLUDE',
              CodecSpecification: 'RFC_4281',
              ClientCache: 'ENABLED',
            },
          },
          Outputs: LADDER.map(hlsOutput),
        },
        {
          // MediaConvert has no frame-capture group type: a frame capture is an output of a file group.
          Name: 'Thumbnail',
          OutputGroupSettings: {
            Type: 'FILE_GROUP_SETTINGS',
            FileGroupSettings: { Destination: `${destination}${THUMBNAIL.baseName}` },
          },
          Outputs: [
            {
              ContainerSettings: { Container: 'RAW' },
              Extension: 'jpg',
              VideoDescription: {
                Width: THUMBNAIL.width,
                Height: THUMBNAIL.height,
                ScalingBehavior: 'FIT_NO_UPSCALE',
                CodecSettings: {
                  Codec: 'FRAME_CAPTURE',
                  FrameCaptureSettings: {
                    FramerateNumerator: 1,
                    FramerateDenominator: 1,
                    MaxCaptures: 1,
                    Quality: THUMBNAIL.quality,
                  },
                },
              },
            },
          ],
        },
      ],
    },
  };
}
