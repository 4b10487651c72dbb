import { Stack } from 'aws-cdk-lib';
import { ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IConstruct } from 'constructs';

/**
 * An AWS service as a role's trusted principal, limited to acting for this stack's account and for the
 * resources `sourceArn` matches (wildcards allowed): the cross-service confused-deputy guard. Without it,
 * the service would assume the role for any request naming the role's ARN, including one made on behalf of
 * another account's resource.
 */
export function servicePrincipalFor(scope: IConstruct, service: string, sourceArn: string): ServicePrincipal {
  return new ServicePrincipal(service, {
    conditions: {
      StringEquals: { 'aws:SourceAccount': Stack.of(scope).account },
      ArnLike: { 'aws:SourceArn': sourceArn },
    },
  });
}
