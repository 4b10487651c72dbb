import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { documentClient } from '../shared/clients';
import { readEnv, readOptionalEnv, readVodCount, readVodEnv } from '../shared/env';
import { tracer } from '../shared/tracer';
import type { DownloadDeps, PlaybackDeps } from './playback';
import { vodS3Client } from './upload-deps';

/**
 * How long a warm function keeps the signing key. A rotation (config `video.signingKeys`) trusts the next
 * key before anything signs with it and the old one until its cookies have expired, so a key cached for
 * minutes is still trusted while it is replaced.
 */
const KEY_CACHE_SECONDS = 300;

function watchDeps() {
  return {
    ddb: documentClient(),
    accessTable: readEnv('accessTable').accessTable,
    seconds: readVodCount('playbackSeconds'),
    now: () => new Date(),
  };
}

/**
 * The playback route's clients and settings, built once per execution environment. Locally the runner
 * points the Secrets Manager client at its stand-in through AWS_ENDPOINT_URL_SECRETS_MANAGER.
 */
export function playbackDeps(): PlaybackDeps {
  const env = readVodEnv('playbackOrigin', 'signingKeySecretArn', 'signingKeyPairId');
  const secrets = new SecretsProvider({
    awsSdkV3Client: tracer.captureAWSv3Client(new SecretsManagerClient({})),
  });
  return {
    ...watchDeps(),
    playbackOrigin: env.playbackOrigin,
    cookieDomain: readOptionalEnv('cookieDomain'),
    signingKey: async () => {
      const privateKey = await secrets.get(env.signingKeySecretArn, { maxAge: KEY_CACHE_SECONDS });
      if (typeof privateKey !== 'string' || privateKey === '') {
        throw new Error('The playback signing key secret holds no key');
      }
      return { keyPairId: env.signingKeyPairId, privateKey };
    },
  };
}

/** The material download route's: the upload bucket, where materials stay as uploaded. */
export function downloadDeps(): DownloadDeps {
  return {
    ...watchDeps(),
    s3: vodS3Client(),
    uploadBucket: readVodEnv('uploadBucket').uploadBucket,
  };
}
