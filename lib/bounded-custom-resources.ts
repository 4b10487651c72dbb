import { CfnResource, Duration, type IAspect } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * How long CloudFormation waits for an answer from a custom resource of CDK's own singleton providers. Their
 * handlers may run for 15 minutes (CDK's default Lambda timeout for them: emptying a large bucket takes a
 * while), so the bound leaves them that and a margin; past it, the deploy fails after 20 minutes instead of
 * CloudFormation's default of an hour for a handler that crashed without answering.
 */
export const CDK_PROVIDER_SERVICE_TIMEOUT = Duration.minutes(20);

/**
 * Custom resources CDK adds on its own behalf, whose construct this app cannot pass a timeout to: emptying
 * a disposable bucket, copying the web app into its bucket, setting RDS log groups' retention, locking the
 * VPC's default security group, and the exports behind cross-region references. The platform's own custom
 * resources set theirs where they are made.
 */
const CDK_PROVIDER_TYPES: ReadonlySet<string> = new Set([
  'Custom::S3AutoDeleteObjects',
  'Custom::CDKBucketDeployment',
  'Custom::LogRetention',
  'Custom::VpcRestrictDefaultSG',
  'Custom::CrossRegionExportWriter',
  'Custom::CrossRegionExportReader',
]);

/** Bounds the wait for CDK's own custom resources (see CDK_PROVIDER_SERVICE_TIMEOUT). */
export class BoundedCustomResources implements IAspect {
  visit(node: IConstruct): void {
    if (node instanceof CfnResource && CDK_PROVIDER_TYPES.has(node.cfnResourceType)) {
      // A string of seconds, as CDK's CustomResource writes its own serviceTimeout.
      node.addPropertyOverride('ServiceTimeout', String(CDK_PROVIDER_SERVICE_TIMEOUT.toSeconds()));
    }
  }
}
