import { LOCAL_AWS } from './dynamodb-local';
import { type SignatureVerdict, type SignedRequest, verifySignatureV4 } from './s3-signature';

/**
 * A call to a stand-in as the handlers' SDK clients sign it: with the local keys, for the local region,
 * against the machine's clock, as AWS checks against its own (never the business clock tests move).
 */
export function verifyLocalSignature(req: SignedRequest, service: string, body: Buffer): SignatureVerdict {
  return verifySignatureV4(
    req,
    (key) => (key === LOCAL_AWS.credentials.accessKeyId ? LOCAL_AWS.credentials.secretAccessKey : undefined),
    LOCAL_AWS.region,
    new Date(),
    { service, body },
  );
}
