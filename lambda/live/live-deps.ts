import { setTimeout as delay } from 'node:timers/promises';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { IvsClient } from '@aws-sdk/client-ivs';
import { IvschatClient } from '@aws-sdk/client-ivschat';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { LIVE } from '#contracts/live';
import { documentClient } from '../shared/clients';
import { csv, readEnv, readVodEnv } from '../shared/env';
import { type BusDeps, busNameFromEnv } from '../shared/platform-bus';
import { tracer } from '../shared/tracer';
import type { ChatDeps } from './chat-token';
import type { IvsDeps } from './ivs-resources';
import type { LectureDeps, LectureReadDeps } from './lectures';
import type { LiveAccessDeps } from './live-access';
import type { RecordingDeps } from './recordings';
import type { ReleaseDeps } from './release-channels';
import { vodS3Client } from '../vod/upload-deps';
import type { SeatDeps } from './seats';
import type { StreamStateDeps } from './stream-state';

/*
 * The live handlers' clients and settings, built once per execution environment from LIVE.env (and the
 * access table's and bus's variables). Each builder reads only what its handlers use, so a function the
 * live stack gives fewer variables still starts. Locally the runner points the same SDK clients at its
 * stand-ins through AWS_ENDPOINT_URL_IVS, _IVSCHAT, _EVENTBRIDGE, _SECRETS_MANAGER and _DYNAMODB.
 */

/** How long a warm function keeps the playback key; a rotation adds the new public key to IVS first. */
const KEY_CACHE_SECONDS = 300;

type LiveEnvKey = keyof typeof LIVE.env;

/** A LIVE.env variable that must be set: its absence is a deployment bug, found at cold start. */
function required(key: LiveEnvKey): string {
  const value = process.env[LIVE.env[key]];
  if (!value) throw new Error(`Missing environment: ${LIVE.env[key]}`);
  return value;
}

const optional = (key: LiveEnvKey): string | undefined => process.env[LIVE.env[key]] || undefined;

/**
 * IVS clients make one attempt per call: withIvsRetry does the backing off (with more patience for
 * throttling than the SDK's three attempts), and two layers of retries would multiply.
 */
function ivsDeps(): IvsDeps {
  return {
    ivs: tracer.captureAWSv3Client(new IvsClient({ maxAttempts: 1 })),
    chat: tracer.captureAWSv3Client(new IvschatClient({ maxAttempts: 1 })),
    sleep: (ms) => delay(ms),
    random: Math.random,
  };
}

function accessDeps(): LiveAccessDeps {
  return {
    ddb: documentClient(),
    accessTable: readEnv('accessTable').accessTable,
    liveTable: required('table'),
  };
}

/** The create route: channel settings, and the bus its lecture.scheduled goes on (the route `publishes`). */
export function lectureDeps(): LectureDeps {
  return {
    ...accessDeps(),
    ...ivsDeps(),
    namePrefix: required('namePrefix'),
    recordingConfigurationArn: optional('recordingConfigurationArn'),
    ...busDeps(),
    now: () => new Date(),
  };
}

/** The lecture routes that neither create nor delete channels: no name prefix needed. */
export function readDeps(): LectureReadDeps {
  return { ...accessDeps(), ...ivsDeps(), now: () => new Date() };
}

/** Join, presence and leave: the seat routes, and the playback key for join's token. */
export function seatDeps(): SeatDeps {
  const secretArn = optional('playbackKeySecretArn');
  const secrets = new SecretsProvider({
    awsSdkV3Client: tracer.captureAWSv3Client(new SecretsManagerClient({})),
  });
  return {
    ...accessDeps(),
    sleep: (ms) => delay(ms),
    random: Math.random,
    now: () => new Date(),
    playbackOrigins: csv(optional('playbackOrigins')),
    // Only join signs: presence and leave run without the secret's variable.
    playbackKey: async () => {
      if (!secretArn) throw new Error(`Missing environment: ${LIVE.env.playbackKeySecretArn}`);
      const pem = await secrets.get(secretArn, { maxAge: KEY_CACHE_SECONDS });
      if (typeof pem !== 'string' || pem === '') throw new Error('The playback key secret holds no key');
      return pem;
    },
  };
}

export function chatDeps(): ChatDeps {
  return { ...accessDeps(), ...ivsDeps() };
}

/** The stream-state target and the sweep: no access table, the platform bus instead. */
export function streamStateDeps(): StreamStateDeps {
  const { ivs, sleep, random } = ivsDeps();
  return {
    ddb: documentClient(),
    liveTable: required('table'),
    ivs,
    sleep,
    random,
    ...busDeps(),
    now: () => new Date(),
  };
}

/** The hourly release of channels and rooms no lecture needs. */
export function releaseDeps(): ReleaseDeps {
  return {
    ddb: documentClient(),
    liveTable: required('table'),
    namePrefix: required('namePrefix'),
    ...ivsDeps(),
    now: () => new Date(),
  };
}

function busDeps(): BusDeps {
  return { eventBridge: tracer.captureAWSv3Client(new EventBridgeClient({})), busName: busNameFromEnv() };
}

/** The recording target: the live table, the recordings it reads and the playback bucket it copies into. */
export function recordingDeps(): RecordingDeps {
  return {
    ddb: documentClient(),
    liveTable: required('table'),
    s3: vodS3Client(),
    outputBucket: readVodEnv('outputBucket').outputBucket,
    ...busDeps(),
  };
}
