import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';

/** How long S3 access logs are kept. */
export const ACCESS_LOG_DAYS = 90;

/**
 * The props every platform bucket starts from: private, encrypted with S3-managed keys (which IVS and
 * MediaConvert can write to), TLS only, owner-enforced; retained, or emptied and deleted with the stack.
 */
export function privateBucket(removalPolicy: RemovalPolicy) {
  return {
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    encryption: BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy,
    // A bucket with objects cannot be deleted, so a disposable stack empties it first.
    autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
  } as const;
}

/**
 * The `AccessLogs` bucket of `scope`, receiving other buckets' server access logs. It has no access logging
 * of its own (cdk-nag exempts a bucket that receives other buckets' access logs).
 */
export function accessLogBucket(scope: Construct, removalPolicy: RemovalPolicy): Bucket {
  return new Bucket(scope, 'AccessLogs', {
    ...privateBucket(removalPolicy),
    // Left to CDK: log delivery writes either through the bucket policy (the feature flag in cdk.json) or,
    // without the flag, through an ACL that needs object-writer ownership.
    objectOwnership: undefined,
    lifecycleRules: [{ expiration: Duration.days(ACCESS_LOG_DAYS) }],
  });
}
