import { Match } from 'aws-cdk-lib/assertions';
import { NOTIFICATIONS } from '#contracts/notifications';
import { ENV, EVENTS } from '#contracts/resources';
import { platformFor, refIn, sameRef } from '../platform-fixture';

describe('notifications stack', () => {
  describe('with a sender (example-academy: auth.email)', () => {
    const prod = platformFor('example-academy');
    const t = prod.template('notifications');
    const { notifications, data, auth, api } = prod.platform;
    const { notifier } = notifications;
    const resolve = (value: unknown) => notifications.resolve(value);
    const statementsOf = (roleName: string) =>
      Object.values(t.findResources('AWS::IAM::Policy'))
        .filter((p) => sameRef(p.Properties.Roles, [resolve(roleName)]))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[]);

    it('comes after data and auth; nothing before it depends on it', () => {
      // With a domain, the api's URL is known without the api stack: no dependency on it is needed.
      expect(notifications.dependencies).toEqual(expect.arrayContaining([auth, data]));
      for (const before of [auth, data, api]) expect(before.dependencies).not.toContain(notifications);
      t.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
    });

    it('queues exactly the facts people are told of, with a dead-letter queue', () => {
      for (const [source, detailTypes] of Object.entries(EVENTS.notificationsConsumes)) {
        t.hasResourceProperties('AWS::Events::Rule', {
          EventBusName: refIn(notifications, data.eventBus.eventBusName),
          EventPattern: { source: [source], 'detail-type': [...detailTypes] },
          Targets: [
            Match.objectLike({
              Arn: resolve(notifier.queue.queueArn),
              DeadLetterConfig: { Arn: resolve(notifier.deadLetterQueue.queueArn) },
            }),
          ],
        });
      }
      t.hasResourceProperties('AWS::SQS::Queue', {
        VisibilityTimeout: 1800,
        RedrivePolicy: {
          deadLetterTargetArn: resolve(notifier.deadLetterQueue.queueArn),
          maxReceiveCount: 5,
        },
      });
    });

    it('sends as the configured sender through its own configuration set, which suppresses and reports', () => {
      t.hasResourceProperties('AWS::SES::ConfigurationSet', {
        Name: 'lms-example-academy-prod-notifications',
        SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
      });
      t.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
        EventDestination: Match.objectLike({
          Enabled: true,
          MatchingEventTypes: ['bounce', 'complaint'],
          SnsDestination: Match.anyValue(),
        }),
      });
      t.hasResourceProperties('AWS::Lambda::Function', {
        Timeout: 300,
        Environment: {
          Variables: Match.objectLike({
            [ENV.notificationsTable]: Match.anyValue(),
            [ENV.accessTable]: Match.anyValue(),
            [ENV.userPoolId]: refIn(notifications, auth.userPool.userPoolId),
            [NOTIFICATIONS.env.sender]: '"Example Academy" <no-reply@academy.example.com>',
            [NOTIFICATIONS.env.replyTo]: 'support@academy.example.com',
            [NOTIFICATIONS.env.configurationSet]: 'lms-example-academy-prod-notifications',
            [NOTIFICATIONS.env.unsubscribeBaseUrl]: 'https://api.academy.example.com/unsubscribe',
            // The web app at app.<domain>, which the platform puts first among the allowed origins.
            [NOTIFICATIONS.env.appUrl]: 'https://app.academy.example.com',
            [NOTIFICATIONS.env.timeZone]: 'Asia/Seoul',
            [NOTIFICATIONS.env.defaultLocale]: 'ko',
            [NOTIFICATIONS.env.unsubscribeSecretArn]: refIn(notifications, data.unsubscribeSecret.secretArn),
          }),
        },
      });
      const ses = statementsOf(notifier.notifier.role.roleName).filter((s) =>
        JSON.stringify(s).includes('ses:'),
      );
      expect(ses).toHaveLength(1);
      expect(ses[0]).toMatchObject({
        Effect: 'Allow',
        Action: 'ses:SendEmail',
        Condition: { StringEquals: { 'ses:FromAddress': 'no-reply@academy.example.com' } },
      });
      const resources = JSON.stringify(ses[0]!.Resource);
      expect(resources).toContain(':ses:ap-northeast-2:123456789012:identity/academy.example.com');
      expect(resources).toContain(':ses:ap-northeast-2:123456789012:configuration-set/');
    });

    it('reads addresses from this pool only, and the unsubscribe key', () => {
      const all = statementsOf(notifier.notifier.role.roleName);
      const text = (s: Record<string, unknown>) => JSON.stringify(s);
      expect(all.filter((s) => text(s).includes('cognito-idp:'))).toEqual([
        {
          Effect: 'Allow',
          Action: 'cognito-idp:AdminGetUser',
          Resource: refIn(notifications, auth.userPool.userPoolArn),
        },
      ]);
      expect(all.some((s) => text(s).includes('secretsmanager:GetSecretValue'))).toBe(true);
    });
  });

  describe('without a sender (default)', () => {
    const dev = platformFor('default');
    const t = dev.template('notifications');

    it('keeps notifications in the inbox: no SES at all', () => {
      t.resourceCountIs('AWS::SES::ConfigurationSet', 0);
      t.resourceCountIs('AWS::SNS::Topic', 0);
      const vars = Object.values(t.findResources('AWS::Lambda::Function')).map(
        (f) => f.Properties.Environment?.Variables ?? {},
      );
      expect(vars.some((v) => NOTIFICATIONS.env.sender in v)).toBe(false);
      expect(dev.platform.notifications.notifier.feedback).toBeUndefined();
    });
  });
});
