import { Match } from 'aws-cdk-lib/assertions';
import { ENV, EVENTS } from '#contracts/resources';
import { platformFor, refIn, sameRef } from '../platform-fixture';

describe('access stack', () => {
  const dev = platformFor('default');
  const t = dev.template('access');
  const { access, data, monitoring } = dev.platform;
  const { projection } = access;
  const resolve = (value: unknown) => access.resolve(value);
  const queueArn = () => resolve(projection.queue.queueArn);
  const deadLetterArn = () => resolve(projection.deadLetterQueue.queueArn);
  const ruleArn = () => {
    const [[id]] = Object.entries(t.findResources('AWS::Events::Rule'));
    return { 'Fn::GetAtt': [id, 'Arn'] };
  };
  const functionRef = () => resolve(projection.projector.function.functionName);

  it('is its own stack, reading the data stack’s table and bus', () => {
    expect(access.stackName).toBe('demo-access');
    expect(access.table).toBe(data.tables.access);
    t.resourceCountIs('AWS::DynamoDB::Table', 0);
    t.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
  });

  it('routes exactly the core facts the projection consumes to its queue', () => {
    const [[source, detailTypes]] = Object.entries(EVENTS.accessConsumes);
    t.resourceCountIs('AWS::Events::Rule', 1);
    t.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: refIn(access, data.eventBus.eventBusName),
      EventPattern: { source: [source], 'detail-type': [...detailTypes!] },
      Targets: [Match.objectLike({ Arn: queueArn(), DeadLetterConfig: { Arn: deadLetterArn() } })],
    });
  });

  it('queues with a dead-letter queue, both encrypted and TLS-only', () => {
    t.resourceCountIs('AWS::SQS::Queue', 2);
    t.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 60,
      MessageRetentionPeriod: 14 * 24 * 3600,
      RedrivePolicy: { deadLetterTargetArn: deadLetterArn(), maxReceiveCount: 5 },
    });
    t.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
      RedrivePolicy: Match.absent(),
    });
    for (const queue of [projection.queue, projection.deadLetterQueue]) {
      const policies = Object.values(t.findResources('AWS::SQS::QueuePolicy')).filter((p) =>
        (p.Properties.Queues as unknown[]).some((q) => sameRef(q, resolve(queue.queueUrl))),
      );
      const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  it('lets EventBridge send to the queue, only for this rule', () => {
    t.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [resolve(projection.queue.queueUrl)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['sqs:SendMessage']),
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': ruleArn() } },
          }),
        ]),
      },
    });
  });

  it('feeds the projector from the queue, reporting failed messages one by one', () => {
    t.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: queueArn(),
      FunctionName: functionRef(),
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('runs the project-access handler with the table’s name and read-write access to it', () => {
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('access table'),
      Environment: {
        Variables: Match.objectLike({ [ENV.accessTable]: refIn(access, data.tables.access.tableName) }),
      },
    });
    const roleRef = resolve(projection.projector.role.roleName);
    const statements = Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p) => sameRef(p.Properties.Roles, [roleRef]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
    const tableArn = refIn(access, data.tables.access.tableArn);
    const onTable = statements.find((s) => JSON.stringify(s.Resource).includes(JSON.stringify(tableArn)));
    expect(onTable?.Action).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:GetItem']));
    // Receiving from its own queue, nothing else.
    const onQueue = statements.find((s) => sameRef(s.Resource, queueArn()));
    expect(onQueue?.Action).toEqual(expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage']));
  });

  it('is watched by the monitoring stack like every other function', () => {
    const name = refIn(monitoring, projection.projector.function.functionName);
    const alarms = Object.values(dev.template('monitoring').findResources('AWS::CloudWatch::Alarm'));
    expect(JSON.stringify(alarms)).toContain(JSON.stringify(name));
  });

  it('matches the snapshot', () => {
    expect(t.toJSON()).toMatchSnapshot();
  });
});
