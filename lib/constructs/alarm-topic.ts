import { Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';

/**
 * The topic a stack's alarms notify, e-mailing each address of `alarmEmail`: encrypted, TLS only, publishable by this
 * account's CloudWatch alarms in this region only. A function rather than a construct, so the resources keep
 * their ids (`AlarmTopicKey`, `AlarmTopic`) directly under `scope`. An alarm can only notify a topic of its
 * own region, hence one per region that has alarms.
 */
export function createAlarmTopic(scope: Construct, alarmEmail: string | readonly string[]): Topic {
  const stack = Stack.of(scope);
  // A customer managed key, not alias/aws/sns: CloudWatch cannot use the AWS managed key, so alarm
  // notifications to a topic encrypted with it are silently dropped.
  const key = new Key(scope, 'AlarmTopicKey', {
    description: 'Encrypts the alarm notification topic',
    enableKeyRotation: true,
  });
  key.addToResourcePolicy(
    new PolicyStatement({
      principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
    }),
  );

  const topic = new Topic(scope, 'AlarmTopic', { masterKey: key, enforceSSL: true });
  // Any topic policy replaces SNS's default one, so CloudWatch needs an explicit grant, limited to
  // this account's alarms to avoid acting as a confused deputy for other accounts.
  topic.addToResourcePolicy(
    new PolicyStatement({
      principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: {
          'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`,
        },
      },
    }),
  );
  for (const address of typeof alarmEmail === 'string' ? [alarmEmail] : alarmEmail) {
    topic.addSubscription(new EmailSubscription(address));
  }
  return topic;
}
