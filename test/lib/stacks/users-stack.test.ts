import { Match } from 'aws-cdk-lib/assertions';
import { ENV, EVENTS } from '#contracts/resources';
import { platformFor, refIn, sameRef } from '../platform-fixture';

describe('users stack', () => {
  const dev = platformFor('default');
  const t = dev.template('users');
  const { users, data, auth, monitoring } = dev.platform;
  const { groupSync } = users;
  const resolve = (value: unknown) => users.resolve(value);
  const queueArn = () => resolve(groupSync.queue.queueArn);
  const deadLetterArn = () => resolve(groupSync.deadLetterQueue.queueArn);
  const statementsOfSyncer = () => {
    const roleRef = resolve(groupSync.syncer.role.roleName);
    return Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p) => sameRef(p.Properties.Roles, [roleRef]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
  };

  it('is its own stack after auth and data, which never depend on it', () => {
    expect(users.stackName).toBe('demo-users');
    expect(users.dependencies).toEqual(expect.arrayContaining([auth, data]));
    expect(auth.dependencies).not.toContain(users);
    expect(data.dependencies).not.toContain(users);
    t.resourceCountIs('AWS::DynamoDB::Table', 0);
    t.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
  });

  it('routes exactly the core’s member facts to its queue', () => {
    const [[source, detailTypes]] = Object.entries(EVENTS.usersConsumes);
    t.resourceCountIs('AWS::Events::Rule', 1);
    t.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: refIn(users, data.eventBus.eventBusName),
      EventPattern: { source: [source], 'detail-type': [...detailTypes!] },
      Targets: [Match.objectLike({ Arn: queueArn(), DeadLetterConfig: { Arn: deadLetterArn() } })],
    });
  });

  it('queues with a dead-letter queue, both encrypted, a visibility six times the function’s timeout', () => {
    t.resourceCountIs('AWS::SQS::Queue', 2);
    t.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 180,
      RedrivePolicy: { deadLetterTargetArn: deadLetterArn(), maxReceiveCount: 5 },
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 30,
      Environment: {
        Variables: Match.objectLike({
          [ENV.usersTable]: refIn(users, data.tables.users.tableName),
          [ENV.userPoolId]: refIn(users, auth.userPool.userPoolId),
        }),
      },
    });
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: queueArn(),
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('may change groups and end sessions of this pool only, and nothing else of Cognito', () => {
    const onCognito = statementsOfSyncer().filter((s) => JSON.stringify(s.Action).includes('cognito-idp:'));
    expect(onCognito).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: [
          'cognito-idp:AdminAddUserToGroup',
          'cognito-idp:AdminRemoveUserFromGroup',
          'cognito-idp:AdminUserGlobalSignOut',
        ],
        Resource: refIn(users, auth.userPool.userPoolArn),
      }),
    ]);
    const tableArn = refIn(users, data.tables.users.tableArn);
    const onTable = statementsOfSyncer().find((s) =>
      JSON.stringify(s.Resource).includes(JSON.stringify(tableArn)),
    );
    expect(onTable?.Action).toEqual(
      expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:Query']),
    );
  });

  it('alarms on the dead letters and watches the function', () => {
    const alarms = JSON.stringify(
      Object.values(dev.template('monitoring').findResources('AWS::CloudWatch::Alarm')),
    );
    expect(alarms).toContain(JSON.stringify(refIn(monitoring, groupSync.deadLetterQueue.queueName)));
    expect(alarms).toContain(JSON.stringify(refIn(monitoring, groupSync.syncer.function.functionName)));
  });

  it('matches the snapshot', () => {
    expect(t.toJSON()).toMatchSnapshot();
  });
});
