import { Stack } from 'aws-cdk-lib';
import type { IBucket } from 'aws-cdk-lib/aws-s3';

const EXPORTS = new WeakMap<IBucket, Map<string, string>>();

/**
 * A bucket's ARN for another stack, through an export named `<stack>:<name>`: one export however many
 * stacks and functions read it, and a name cdk-nag shows in its findings (`Resource::<stack>:<name>/prefix*`),
 * so a grant on a prefix can be acknowledged by that name.
 */
export function exportedBucketArn(
  bucket: IBucket,
  name: string,
): { readonly arn: string; readonly exportName: string } {
  const exportName = `${Stack.of(bucket).stackName}:${name}`;
  const known = EXPORTS.get(bucket) ?? new Map<string, string>();
  EXPORTS.set(bucket, known);
  let arn = known.get(exportName);
  if (!arn) {
    arn = Stack.of(bucket).exportValue(bucket.bucketArn, { name: exportName }) as string;
    known.set(exportName, arn);
  }
  return { arn, exportName };
}
