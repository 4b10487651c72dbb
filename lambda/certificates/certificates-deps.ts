import { setTimeout as delay } from 'node:timers/promises';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { CERTIFICATES } from '#contracts/certificates';
import { ENV, EVENTS } from '#contracts/resources';
import { documentClient } from '../shared/clients';
import { readEnv } from '../shared/env';
import { tracer } from '../shared/tracer';
import type { CertificateDeps } from './certificates';
import { loadCertificateFont, renderCertificate } from './render-certificate';

/** A setting only some of the domain's functions get (the stacks give each what it uses). */
const optional = (name: string) => process.env[name] ?? '';

/**
 * The certificates domain's clients and settings, built once per execution environment. Locally the runner
 * points the same clients at its stand-ins (AWS_ENDPOINT_URL_S3, _COGNITO_IDENTITY_PROVIDER, _EVENTBRIDGE).
 */
export function certificateDeps(): CertificateDeps {
  const { certificatesTable } = readEnv('certificatesTable');
  const s3 = tracer.captureAWSv3Client(
    new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) }),
  );
  let font: Uint8Array | undefined;
  return {
    ddb: documentClient(),
    s3,
    cognito: tracer.captureAWSv3Client(new CognitoIdentityProviderClient({})),
    eventBridge: tracer.captureAWSv3Client(new EventBridgeClient({})),
    busName: optional(EVENTS.busNameEnv),
    certificatesTable,
    // The issuer decides nothing about people, so it is given no projection.
    accessTable: optional(ENV.accessTable),
    userPoolId: optional(ENV.userPoolId),
    bucket: optional(CERTIFICATES.env.bucket),
    verifyBaseUrl: optional(CERTIFICATES.env.verifyBaseUrl),
    // Read on the first render only: the routes never render.
    render: (doc) => renderCertificate(doc, (font ??= loadCertificateFont())),
    presign: (command, seconds) => getSignedUrl(s3, command, { expiresIn: seconds }),
    now: () => new Date(),
    sleep: (ms) => delay(ms),
    random: Math.random,
  };
}
