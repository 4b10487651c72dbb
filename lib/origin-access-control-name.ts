import { CfnOriginAccessControl, type Distribution } from 'aws-cdk-lib/aws-cloudfront';

/**
 * Names the origin access control `S3BucketOrigin.withOriginAccessControl` made for `distribution`. CDK names
 * it after its construct path, which is the same in every region, while CloudFront's names are account-wide:
 * one slug's platforms in two regions of an account would clash. The name is changed in place (same logical id),
 * which CloudFront does without interruption.
 */
export function nameOriginAccessControl(distribution: Distribution, name: string): void {
  const controls = distribution.node
    .findAll()
    .filter((c): c is CfnOriginAccessControl => c instanceof CfnOriginAccessControl);
  if (controls.length !== 1) {
    throw new Error(
      `${distribution.node.path}: expected one origin access control, found ${controls.length}`,
    );
  }
  controls[0]!.addPropertyOverride('OriginAccessControlConfig.Name', name);
}
