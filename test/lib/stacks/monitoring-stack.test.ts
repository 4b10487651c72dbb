import { App, Stack, Validations } from 'aws-cdk-lib';
import { Capture, Match, Template } from 'aws-cdk-lib/assertions';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { Cluster, ContainerImage, FargateService, FargateTaskDefinition } from 'aws-cdk-lib/aws-ecs';
import {
  ApplicationLoadBalancer,
  ApplicationProtocol,
  ApplicationTargetGroup,
  TargetType,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Code, Function, Runtime } from 'aws-cdk-lib/aws-lambda';
import { DatabaseInstance, DatabaseInstanceEngine, PostgresEngineVersion } from 'aws-cdk-lib/aws-rds';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Construct } from 'constructs';
import { type CoreServiceMonitoringTarget, MonitoringStack } from '#lib/stacks/monitoring-stack';

const ALARM_EMAIL = 'ops@example.com';
const NAME_PREFIX = 'example-academy';

// Findings the fixture's deliberately bare resources raise; none of them belong to the monitoring stack.
const FIXTURE_NAG_FINDINGS = [
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
  'AwsSolutions-L1',
  'AwsSolutions-APIG1',
  'AwsSolutions-APIG4',
  'AwsSolutions-VPC7',
  'AwsSolutions-SMG4',
  'AwsSolutions-RDS3',
  'AwsSolutions-RDS10',
  'AwsSolutions-RDS11',
];

interface Fixture {
  readonly fixtureStack: Stack;
  readonly httpApi: HttpApi;
  readonly database: DatabaseInstance;
  readonly monitoringStack: MonitoringStack;
}

function newHandler(scope: Construct, id: string): Function {
  return new Function(scope, id, {
    runtime: Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: Code.fromInline('exports.handler=async()=>({})'),
  });
}

/** A bare Fargate service behind an ALB, as the core-service stack exposes it. */
function newCoreService(scope: Construct, vpc: Vpc): CoreServiceMonitoringTarget {
  const taskDefinition = new FargateTaskDefinition(scope, 'TaskDefinition');
  taskDefinition.addContainer('app', {
    image: ContainerImage.fromRegistry('public.ecr.aws/docker/library/node:22-alpine'),
    portMappings: [{ containerPort: 8080 }],
  });
  const service = new FargateService(scope, 'Service', {
    cluster: new Cluster(scope, 'Cluster', { vpc }),
    taskDefinition,
  });
  const loadBalancer = new ApplicationLoadBalancer(scope, 'LoadBalancer', { vpc });
  const targetGroup = new ApplicationTargetGroup(scope, 'TargetGroup', {
    vpc,
    port: 8080,
    protocol: ApplicationProtocol.HTTP,
    targetType: TargetType.IP,
    targets: [service],
  });
  loadBalancer.addListener('Http', { port: 80, defaultTargetGroups: [targetGroup] });
  const eventsDeadLetterQueue = new Queue(scope, 'DeadLetters');
  const eventsQueue = new Queue(scope, 'Events', {
    deadLetterQueue: { queue: eventsDeadLetterQueue, maxReceiveCount: 5 },
  });
  return { service, loadBalancer, targetGroup, eventsQueue, eventsDeadLetterQueue };
}

function buildFixture(
  app: App = new App(),
  extraFunctionScopes: readonly string[] = [],
  withCoreService = false,
): Fixture {
  const fixtureStack = new Stack(app, 'Fixture');
  const handler = newHandler(fixtureStack, 'Handler');
  const httpApi = new HttpApi(fixtureStack, 'Api');
  httpApi.addRoutes({
    path: '/courses',
    methods: [HttpMethod.GET],
    integration: new HttpLambdaIntegration('CoursesIntegration', handler),
  });
  const vpc = new Vpc(fixtureStack, 'Vpc');
  const database = new DatabaseInstance(fixtureStack, 'Database', {
    engine: DatabaseInstanceEngine.postgres({ version: PostgresEngineVersion.VER_16 }),
    vpc,
    // Unencrypted storage would make CDK's built-in template validation print warnings about the fixture.
    storageEncrypted: true,
  });
  const extraFunctions = extraFunctionScopes.map((scopeId) =>
    newHandler(new Construct(fixtureStack, scopeId), 'Handler'),
  );

  const monitoringStack = new MonitoringStack(app, 'Monitoring', {
    namePrefix: NAME_PREFIX,
    alarmEmail: ALARM_EMAIL,
    httpApi,
    functions: [handler, ...extraFunctions],
    database,
    ...(withCoreService ? { coreService: newCoreService(fixtureStack, vpc) } : {}),
  });
  return { fixtureStack, httpApi, database, monitoringStack };
}

/** Matches an alarm whose metrics (plain or inside metric math) include the given CloudWatch metric. */
function alarmOn(
  namespace: string,
  metricName: string,
  props: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    ...props,
    Metrics: Match.arrayWith([
      Match.objectLike({
        MetricStat: Match.objectLike({
          Metric: Match.objectLike({ Namespace: namespace, MetricName: metricName }),
        }),
      }),
    ]),
  };
}

function alarmNamesOn(template: Template, namespace: string, metricName: string): string[] {
  const alarms = template.findResources('AWS::CloudWatch::Alarm', {
    Properties: alarmOn(namespace, metricName),
  });
  return Object.values(alarms).map((alarm): string => alarm.Properties.AlarmName);
}

describe('MonitoringStack', () => {
  let monitoringStack: MonitoringStack;
  let template: Template;
  let topicRef: unknown;

  beforeAll(() => {
    ({ monitoringStack } = buildFixture());
    template = Template.fromStack(monitoringStack);
    topicRef = monitoringStack.resolve(monitoringStack.alarmTopic.topicArn);
  });

  describe('alarm topic', () => {
    test('is encrypted with a rotating customer managed key that CloudWatch may use', () => {
      const keyId = new Capture();
      template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } });

      const key = template.toJSON().Resources[keyId.asString()];
      expect(key).toMatchObject({ Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } });
      expect(key.Properties.KeyPolicy.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: expect.arrayContaining(['kms:Decrypt', 'kms:GenerateDataKey*']),
          }),
        ]),
      );
    });

    test('denies publishing without TLS and lets only this account’s alarms publish', () => {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [topicRef],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Principal: '*',
              Action: 'sns:Publish',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Condition: Match.objectLike({
                StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              }),
            }),
          ]),
        },
      });
    });

    test('e-mails the alarm address', () => {
      template.resourceCountIs('AWS::SNS::Subscription', 1);
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'email',
        Endpoint: ALARM_EMAIL,
        TopicArn: topicRef,
      });
    });
  });

  test('creates one dashboard named after the prefix and outputs its name', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: NAME_PREFIX });
    template.hasOutput('*', { Value: monitoringStack.resolve(monitoringStack.dashboard.dashboardName) });
  });

  describe('alarms', () => {
    test('API 5xx: a rate alarm guarded by a minimum request count, and a count alarm', () => {
      // Average of the per-request 0/1 `5xx` metric is the share of failing requests.
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0.05,
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: Match.stringLikeRegexp('^IF\\(sampleCount > \\d+, metric\\)$') }),
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: Match.objectLike({ Namespace: 'AWS/ApiGateway', MetricName: '5xx' }),
              Stat: 'Average',
            }),
          }),
        ]),
      });
      template.hasResourceProperties(
        'AWS::CloudWatch::Alarm',
        alarmOn('AWS/ApiGateway', '5xx', { ComparisonOperator: 'GreaterThanThreshold', Threshold: 10 }),
      );
      expect(alarmNamesOn(template, 'AWS/ApiGateway', '5xx')).toHaveLength(2);
    });

    test('API 4xx rate', () => {
      template.hasResourceProperties(
        'AWS::CloudWatch::Alarm',
        alarmOn('AWS/ApiGateway', '4xx', { ComparisonOperator: 'GreaterThanThreshold', Threshold: 0.25 }),
      );
    });

    test('API p99 latency, in milliseconds', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 3000,
        Metrics: Match.arrayWith([
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: Match.objectLike({ Namespace: 'AWS/ApiGateway', MetricName: 'Latency' }),
              Stat: 'p99',
            }),
          }),
        ]),
      });
    });

    test('Lambda errors and throttles', () => {
      template.hasResourceProperties(
        'AWS::CloudWatch::Alarm',
        alarmOn('AWS/Lambda', 'Errors', { ComparisonOperator: 'GreaterThanThreshold', Threshold: 3 }),
      );
      template.hasResourceProperties(
        'AWS::CloudWatch::Alarm',
        alarmOn('AWS/Lambda', 'Throttles', { ComparisonOperator: 'GreaterThanThreshold', Threshold: 0 }),
      );
    });

    test('RDS CPU high, sustained for three periods', () => {
      template.hasResourceProperties(
        'AWS::CloudWatch::Alarm',
        alarmOn('AWS/RDS', 'CPUUtilization', {
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: 80,
          DatapointsToAlarm: 3,
          EvaluationPeriods: 3,
        }),
      );
    });

    test('RDS free storage low', () => {
      template.hasResourceProperties(
        'AWS::CloudWatch::Alarm',
        alarmOn('AWS/RDS', 'FreeStorageSpace', {
          ComparisonOperator: 'LessThanThreshold',
          Threshold: 5 * 1024 ** 3,
        }),
      );
    });

    test('exactly the alarms above: 4 for the API, 2 per function, 2 for the database', () => {
      template.resourceCountIs('AWS::CloudWatch::Alarm', 8);
    });

    test('every alarm notifies the topic on alarm and on recovery, with actions enabled', () => {
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
      expect(alarms.length).toBeGreaterThan(0);
      for (const alarm of alarms) {
        expect(alarm.Properties).toMatchObject({
          ActionsEnabled: true,
          AlarmActions: [topicRef],
          OKActions: [topicRef],
        });
      }
    });

    test('alarm names carry the prefix and no unresolved token text', () => {
      for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm'))) {
        expect(alarm.Properties.AlarmName).toMatch(new RegExp(`^${NAME_PREFIX}-[A-Za-z0-9_.-]+$`));
        expect(alarm.Properties.AlarmName).not.toMatch(/Token/);
      }
    });
  });

  test('monitors every function, even when their construct ids repeat', () => {
    const { monitoringStack: stack } = buildFixture(new App(), ['Courses', 'Users']);
    const multi = Template.fromStack(stack);

    const errorAlarmNames = alarmNamesOn(multi, 'AWS/Lambda', 'Errors');
    expect(errorAlarmNames).toHaveLength(3);
    expect(new Set(errorAlarmNames).size).toBe(3);
    expect(alarmNamesOn(multi, 'AWS/Lambda', 'Throttles')).toHaveLength(3);
  });

  test('rejects a name prefix CloudWatch would refuse', () => {
    const app = new App();
    const { httpApi, database } = buildFixture(app);
    expect(
      () =>
        new MonitoringStack(app, 'Invalid', {
          namePrefix: 'example academy',
          alarmEmail: ALARM_EMAIL,
          httpApi,
          functions: [],
          database,
        }),
    ).toThrow(/namePrefix/);
  });

  test('passes cdk-nag AwsSolutions checks', () => {
    const app = new App();
    const { fixtureStack, monitoringStack: stack } = buildFixture(app);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    // Scoped to the fixture stack, so these can never hide a finding in the monitoring stack.
    for (const id of FIXTURE_NAG_FINDINGS) {
      Validations.of(fixtureStack).acknowledge({
        id,
        reason: 'test fixture, not part of the stack under test',
      });
    }

    expect(new AwsSolutionsChecks().validateScope(stack).violations).toEqual([]);
    expect(() => app.synth()).not.toThrow();
  });

  describe('with the core service', () => {
    const statOf = (namespace: string, metricName: string, stat: string) =>
      Match.objectLike({
        MetricStat: Match.objectLike({
          Metric: Match.objectLike({ Namespace: namespace, MetricName: metricName }),
          Stat: stat,
        }),
      });
    let core: Template;
    let coreStack: MonitoringStack;

    beforeAll(() => {
      ({ monitoringStack: coreStack } = buildFixture(new App(), [], true));
      core = Template.fromStack(coreStack);
    });

    test('alarms on server errors from the service and from the load balancer itself, quiet without data', () => {
      for (const [metricName, threshold] of [
        ['HTTPCode_Target_5XX_Count', 10],
        ['HTTPCode_ELB_5XX_Count', 5],
      ] as const) {
        core.hasResourceProperties('AWS::CloudWatch::Alarm', {
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: threshold,
          TreatMissingData: 'notBreaching',
          Metrics: [statOf('AWS/ApplicationELB', metricName, 'Sum')],
        });
      }
    });

    test('alarms on p99 target response time, in seconds', () => {
      core.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 1,
        Metrics: [statOf('AWS/ApplicationELB', 'TargetResponseTime', 'p99')],
      });
    });

    test('alarms on task CPU and memory', () => {
      for (const metricName of ['CPUUtilization', 'MemoryUtilization']) {
        core.hasResourceProperties(
          'AWS::CloudWatch::Alarm',
          alarmOn('AWS/ECS', metricName, { ComparisonOperator: 'GreaterThanThreshold', Threshold: 85 }),
        );
      }
    });

    test('alarms on any unhealthy task behind the load balancer', () => {
      core.hasResourceProperties(
        'AWS::CloudWatch::Alarm',
        alarmOn('AWS/ApplicationELB', 'UnHealthyHostCount', {
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: 0,
        }),
      );
    });

    test('alarms on any dead-lettered event and on events waiting past 10 minutes', () => {
      core.hasResourceProperties(
        'AWS::CloudWatch::Alarm',
        alarmOn('AWS/SQS', 'ApproximateNumberOfMessagesVisible', {
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: 0,
        }),
      );
      core.hasResourceProperties(
        'AWS::CloudWatch::Alarm',
        alarmOn('AWS/SQS', 'ApproximateAgeOfOldestMessage', {
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: 600,
        }),
      );
    });

    test('adds exactly those 8 alarms, named with the prefix and without tokens, notifying the topic', () => {
      core.resourceCountIs('AWS::CloudWatch::Alarm', 8 + 8);
      const topic = coreStack.resolve(coreStack.alarmTopic.topicArn);
      for (const alarm of Object.values(core.findResources('AWS::CloudWatch::Alarm'))) {
        expect(alarm.Properties.AlarmName).toMatch(new RegExp(`^${NAME_PREFIX}-[A-Za-z0-9_.-]+$`));
        expect(alarm.Properties).toMatchObject({ AlarmActions: [topic], OKActions: [topic] });
      }
    });

    test('shows the service and its load balancer on the dashboard', () => {
      const body = JSON.stringify(Object.values(core.findResources('AWS::CloudWatch::Dashboard'))[0]);
      for (const text of [
        'Core service',
        'HTTPCode_Target_5XX_Count',
        'TargetResponseTime',
        'MemoryUtilization',
      ]) {
        expect(body).toContain(text);
      }
    });

    test('still passes cdk-nag AwsSolutions checks', () => {
      expect(new AwsSolutionsChecks().validateScope(coreStack).violations).toEqual([]);
    });
  });
});

describe('MonitoringStack with the access projection', () => {
  it('alarms on its oldest fact and on any fact it could not apply', () => {
    const app = new App();
    const fixture = new Stack(app, 'Fixture');
    const deadLetterQueue = new Queue(fixture, 'AccessDeadLetters');
    const queue = new Queue(fixture, 'AccessFacts', {
      deadLetterQueue: { queue: deadLetterQueue, maxReceiveCount: 5 },
    });
    const handler = newHandler(fixture, 'Handler');
    const httpApi = new HttpApi(fixture, 'Api');
    httpApi.addRoutes({
      path: '/courses',
      methods: [HttpMethod.GET],
      integration: new HttpLambdaIntegration('CoursesIntegration', handler),
    });
    const database = new DatabaseInstance(fixture, 'Database', {
      engine: DatabaseInstanceEngine.postgres({ version: PostgresEngineVersion.VER_16 }),
      vpc: new Vpc(fixture, 'Vpc'),
      storageEncrypted: true,
    });
    const stack = new MonitoringStack(app, 'Monitoring', {
      namePrefix: NAME_PREFIX,
      alarmEmail: ALARM_EMAIL,
      httpApi,
      functions: [handler],
      database,
      accessProjection: { queue, deadLetterQueue },
    });
    const template = Template.fromStack(stack);
    const names = [
      ...alarmNamesOn(template, 'AWS/SQS', 'ApproximateAgeOfOldestMessage'),
      ...alarmNamesOn(template, 'AWS/SQS', 'ApproximateNumberOfMessagesVisible'),
    ];
    expect(names.filter((n) => n.includes('AccessProjection'))).toHaveLength(2);
  });
});
