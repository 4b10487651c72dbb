import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { CORE_SERVICE, ENV, EVENTS } from '#contracts/resources';
import { COMPLIANCE_PROFILE_ENV, COMPLIANCE_PROFILES } from '#contracts/compliance-profiles';
import { loadConfig } from '#lib/config/load-config';
import { platformFor, refIn, sameRef } from '../platform-fixture';
import { FIXTURE_CONFIG_DIR } from '../fixture-configs';

describe('core-service stack', () => {
  const dev = platformFor('default');
  const prod = platformFor('example-academy');
  const t = dev.template('coreService');
  const { coreService, data, network } = dev.platform;
  const resolve = (value: unknown) => coreService.resolve(value);
  const privateSubnetIds = () => resolve(network.vpc.privateSubnets.map((s) => s.subnetId));
  const groupIdOf = (c: { connections: { securityGroups: { securityGroupId: string }[] } }) =>
    resolve(c.connections.securityGroups[0]!.securityGroupId);
  const resourcesOf = (type: string) => Object.entries(t.findResources(type));

  describe('task definition', () => {
    it('runs on Fargate arm64 Linux, sized from the config', () => {
      t.hasResourceProperties('AWS::ECS::TaskDefinition', {
        RequiresCompatibilities: ['FARGATE'],
        NetworkMode: 'awsvpc',
        RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
        Cpu: '256',
        Memory: '512',
      });
      prod.template('coreService').hasResourceProperties('AWS::ECS::TaskDefinition', {
        Cpu: '1024',
        Memory: '2048',
      });
    });

    it('runs one hardened container on the service port, logging to its own group', () => {
      const [[, taskDef]] = resourcesOf('AWS::ECS::TaskDefinition') as [[string, { Properties: never }]];
      const containers = (taskDef.Properties as { ContainerDefinitions: Record<string, unknown>[] })
        .ContainerDefinitions;
      expect(containers).toHaveLength(1);
      expect(containers[0]).toMatchObject({
        Essential: true,
        ReadonlyRootFilesystem: true,
        User: expect.not.stringMatching(/^(root|0)(:|$)/),
        PortMappings: [{ ContainerPort: CORE_SERVICE.port, Protocol: 'tcp' }],
        LogConfiguration: {
          LogDriver: 'awslogs',
          Options: expect.objectContaining({ 'awslogs-group': { Ref: expect.any(String) } }),
        },
        // A scratch volume, since the root filesystem is read-only.
        MountPoints: [{ ContainerPath: '/tmp', ReadOnly: false, SourceVolume: 'tmp' }],
      });
      expect(containers[0]!.User).toBeDefined();
    });

    it('sets the token issuer and its JWKS from the user pool, and source maps', () => {
      const issuer = {
        'Fn::Join': ['', ['https://', resolve(dev.platform.auth.userPool.userPoolProviderName)]],
      };
      t.hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: [
          Match.objectLike({
            Environment: Match.arrayWith([
              { Name: ENV.tokenIssuer, Value: issuer },
              {
                Name: ENV.tokenJwksUri,
                Value: {
                  'Fn::Join': [
                    '',
                    [
                      'https://',
                      resolve(dev.platform.auth.userPool.userPoolProviderName),
                      '/.well-known/jwks.json',
                    ],
                  ],
                },
              },
              { Name: 'NODE_OPTIONS', Value: '--enable-source-maps' },
            ]),
          }),
        ],
      });
    });

    it('injects four connection settings from the service’s own login secret, never as plain environment', () => {
      const secretArn = resolve(data.appSecret.secretArn);
      const fromSecret = (field: string) => ({ 'Fn::Join': ['', [secretArn, `:${field}::`]] });
      const { env } = CORE_SERVICE;
      t.hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: [
          Match.objectLike({
            Secrets: [
              { Name: env.databaseHost, ValueFrom: fromSecret('host') },
              { Name: env.databasePort, ValueFrom: fromSecret('port') },
              { Name: env.databaseName, ValueFrom: fromSecret('dbname') },
              { Name: env.databaseUser, ValueFrom: fromSecret('username') },
            ],
          }),
        ],
      });
      const plain = JSON.stringify(
        resourcesOf('AWS::ECS::TaskDefinition').map(
          ([, r]) => r.Properties.ContainerDefinitions[0].Environment,
        ),
      );
      expect(plain).not.toMatch(/DATABASE_(HOST|PORT|NAME|USER|PASSWORD)/);
    });

    it('lets the task read the rotating password from its own secret, named by ARN', () => {
      t.hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: [
          Match.objectLike({
            Environment: Match.arrayWith([
              { Name: CORE_SERVICE.env.databaseSecretArn, Value: resolve(data.appSecret.secretArn) },
            ]),
          }),
        ],
      });
      t.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: Match.arrayWith(['secretsmanager:GetSecretValue']),
              Resource: resolve(data.appSecret.secretArn),
            }),
          ]),
        },
        Roles: [resolve(coreService.service.taskDefinition.taskRole.roleName)],
      });
    });

    it('lets the execution role read the service’s secret to inject it', () => {
      t.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: Match.arrayWith(['secretsmanager:GetSecretValue']),
              Resource: resolve(data.appSecret.secretArn),
            }),
          ]),
        },
        Roles: [resolve(coreService.service.taskDefinition.executionRole!.roleName)],
      });
    });

    it('gives neither the task nor its execution role the master user’s secret', () => {
      const master = JSON.stringify(resolve(data.database.secret!.secretArn));
      const taskRoles = [
        coreService.service.taskDefinition.taskRole.roleName,
        coreService.service.taskDefinition.executionRole!.roleName,
      ].map((name) => JSON.stringify(resolve(name)));
      const policies = resourcesOf('AWS::IAM::Policy').filter(([, p]) =>
        (p.Properties.Roles as unknown[]).some((r) => taskRoles.includes(JSON.stringify(r))),
      );
      expect(policies.length).toBeGreaterThan(0);
      for (const [, p] of policies) expect(JSON.stringify(p.Properties.PolicyDocument)).not.toContain(master);
      expect(JSON.stringify(resourcesOf('AWS::ECS::TaskDefinition'))).not.toContain(master);
    });
  });

  it('tells the container its compliance profile, from the institution config', () => {
    for (const [fixture, name] of [
      [dev, 'standard'],
      [prod, 'kr-employer-training'],
    ] as const)
      fixture.template('coreService').hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: [
          Match.objectLike({
            Environment: Match.arrayWith([
              { Name: COMPLIANCE_PROFILE_ENV, Value: JSON.stringify(COMPLIANCE_PROFILES[name]) },
            ]),
          }),
        ],
      });
  });

  describe('events', () => {
    const queueArn = () => resolve(coreService.eventsQueue.queueArn);
    const deadLetterArn = () => resolve(coreService.eventsDeadLetterQueue.queueArn);

    it('queues the vod domain’s video events, live.ended and live.recorded from the platform bus, dead letters after five tries', () => {
      for (const [source, types] of [
        ['lms.vod', ['video.ready', 'video.failed']],
        ['lms.live', ['live.ended', 'live.recorded']],
      ] as const)
        t.hasResourceProperties('AWS::Events::Rule', {
          EventBusName: resolve(data.eventBus.eventBusName),
          EventPattern: { source: [source], 'detail-type': types },
          Targets: [Match.objectLike({ Arn: queueArn(), DeadLetterConfig: { Arn: deadLetterArn() } })],
        });
      t.hasResourceProperties('AWS::SQS::Queue', {
        SqsManagedSseEnabled: true,
        VisibilityTimeout: 60,
        MessageRetentionPeriod: 14 * 24 * 3600,
        RedrivePolicy: { deadLetterTargetArn: deadLetterArn(), maxReceiveCount: 5 },
      });
      for (const [, queue] of resourcesOf('AWS::SQS::Queue'))
        expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    });

    it('refuses plain HTTP to both queues', () => {
      for (const arn of [queueArn(), deadLetterArn()])
        t.hasResourceProperties('AWS::SQS::QueuePolicy', {
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Action: 'sqs:*',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
                Resource: arn,
              }),
            ]),
          },
        });
    });

    it('lets the task publish to the bus and consume its queue, and nothing wider', () => {
      const taskRole = resolve(coreService.service.taskDefinition.taskRole.roleName);
      const statements = resourcesOf('AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([taskRole]))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
      expect(statements).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Action: 'events:PutEvents',
            Resource: resolve(data.eventBus.eventBusArn),
          }),
          expect.objectContaining({
            Action: expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage']),
            Resource: queueArn(),
          }),
        ]),
      );
      expect(JSON.stringify(statements)).not.toMatch(/"Resource":"\*"/);
    });

    it('puts pace.scan-due on the bus daily at 00:05 in the profile’s time zone, and queues it for the service', () => {
      for (const [fixture, timeZone] of [
        [dev, COMPLIANCE_PROFILES.standard.timeZone],
        [prod, COMPLIANCE_PROFILES['kr-employer-training'].timeZone],
      ] as const) {
        const template = fixture.template('coreService');
        const stack = fixture.platform.coreService;
        template.resourceCountIs('AWS::Scheduler::Schedule', 1);
        template.hasResourceProperties('AWS::Scheduler::Schedule', {
          ScheduleExpression: 'cron(5 0 * * ? *)',
          ScheduleExpressionTimezone: timeZone,
          FlexibleTimeWindow: { Mode: 'OFF' },
          State: 'ENABLED',
          Target: {
            Arn: stack.resolve(fixture.platform.data.eventBus.eventBusArn),
            RoleArn: Match.anyValue(),
            Input: '{}',
            EventBridgeParameters: { Source: EVENTS.sources.scheduler, DetailType: 'pace.scan-due' },
            // A put the scheduler gives up on lands where the alarm on the service's dead letters sees it.
            DeadLetterConfig: { Arn: stack.resolve(stack.eventsDeadLetterQueue.queueArn) },
            RetryPolicy: Match.anyValue(),
          },
        });
      }
      expect(EVENTS.coreConsumes[EVENTS.sources.scheduler]).toEqual(['pace.scan-due']);
      t.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: resolve(data.eventBus.eventBusName),
        EventPattern: { source: [EVENTS.sources.scheduler], 'detail-type': ['pace.scan-due'] },
        Targets: [Match.objectLike({ Arn: queueArn(), DeadLetterConfig: { Arn: deadLetterArn() } })],
      });
    });

    it('lets the scheduler, for this account’s schedules only, put events on the bus and dead-letter, nothing more', () => {
      const roleId = coreService.getLogicalId(
        coreService.paceSchedule.role.node.defaultChild as unknown as CfnElement,
      );
      t.hasResourceProperties('AWS::Scheduler::Schedule', {
        Target: Match.objectLike({ RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] } }),
      });
      expect(
        t.findResources('AWS::IAM::Role')[roleId]!.Properties.AssumeRolePolicyDocument.Statement,
      ).toEqual([
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRole',
          Principal: { Service: 'scheduler.amazonaws.com' },
          Condition: {
            StringEquals: { 'aws:SourceAccount': resolve(coreService.account) },
            ArnLike: {
              'aws:SourceArn': resolve(
                coreService.formatArn({
                  service: 'scheduler',
                  resource: 'schedule-group',
                  resourceName: 'default',
                }),
              ),
            },
          },
        },
      ]);
      const statements = resourcesOf('AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
      expect(statements).toEqual([
        { Effect: 'Allow', Action: 'events:PutEvents', Resource: resolve(data.eventBus.eventBusArn) },
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: deadLetterArn() },
      ]);
    });

    it('lets the task put and get the audit archive’s objects and list it, nothing more of S3', () => {
      const taskRole = resolve(coreService.service.taskDefinition.taskRole.roleName);
      const statements = resourcesOf('AWS::IAM::Policy')
        .filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([taskRole]))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
      const s3 = statements.filter((st) => JSON.stringify(st.Action).includes('"s3:'));
      const bucketArn = { 'Fn::ImportValue': expect.stringContaining('AuditArchive') };
      expect(s3).toEqual([
        {
          Effect: 'Allow',
          Action: ['s3:PutObject', 's3:GetObject'],
          Resource: { 'Fn::Join': ['', [bucketArn, `/${CORE_SERVICE.auditArchivePrefix}*`]] },
        },
        {
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: bucketArn,
        },
      ]);
    });

    it('tells the container the archive bucket and the months kept, from the config', () => {
      for (const [fixture, months] of [
        [dev, '24'],
        [prod, '24'],
      ] as const) {
        fixture.template('coreService').hasResourceProperties('AWS::ECS::TaskDefinition', {
          ContainerDefinitions: [
            Match.objectLike({
              Environment: Match.arrayWith([
                {
                  Name: CORE_SERVICE.env.auditArchiveBucket,
                  Value: { 'Fn::ImportValue': Match.stringLikeRegexp('AuditArchive') },
                },
                { Name: CORE_SERVICE.env.auditArchiveKeepMonths, Value: months },
              ]),
            }),
          ],
        });
      }
    });

    it('tells the container the bus and the queue', () => {
      t.hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: [
          Match.objectLike({
            Environment: Match.arrayWith([
              { Name: EVENTS.busNameEnv, Value: resolve(data.eventBus.eventBusName) },
              { Name: CORE_SERVICE.env.eventsQueueUrl, Value: resolve(coreService.eventsQueue.queueUrl) },
            ]),
          }),
        ],
      });
    });
  });

  describe('service', () => {
    it('runs in the private subnets without a public IP, rolling without dropping capacity', () => {
      t.hasResourceProperties('AWS::ECS::Service', {
        LaunchType: 'FARGATE',
        NetworkConfiguration: {
          AwsvpcConfiguration: {
            AssignPublicIp: 'DISABLED',
            Subnets: privateSubnetIds(),
            SecurityGroups: [groupIdOf(coreService.service)],
          },
        },
        DeploymentConfiguration: {
          MinimumHealthyPercent: 100,
          MaximumPercent: 200,
          DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        },
      });
    });

    it('leaves the running task count to auto scaling, so a deploy never scales a busy service in', () => {
      // With DesiredCount in the template, every deploy would set it again: a service scaled out to 8
      // tasks in a peak would drop to the floor. Without it, CloudFormation keeps the running count.
      for (const template of [t, prod.template('coreService')]) {
        template.hasResourceProperties('AWS::ECS::Service', { DesiredCount: Match.absent() });
      }
      // The floor still holds: registering the scalable target raises a new service to MinCapacity.
      const [[serviceId]] = resourcesOf('AWS::ECS::Service');
      t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
        ResourceId: Match.objectLike({
          'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [serviceId, 'Name'] }])],
        }),
        MinCapacity: 1,
      });
    });

    it('scales on CPU between the configured task counts', () => {
      t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
        ServiceNamespace: 'ecs',
        ScalableDimension: 'ecs:service:DesiredCount',
        MinCapacity: 1,
        MaxCapacity: 2,
      });
      prod.template('coreService').hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
        MinCapacity: 2,
        MaxCapacity: 10,
      });
      t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: Match.objectLike({
          PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
          TargetValue: 60,
        }),
      });
    });

    it('takes the CPU target and the task ceiling from the config', () => {
      const config = loadConfig('example-academy', FIXTURE_CONFIG_DIR);
      const tuned = platformFor({
        ...config,
        sizing: {
          ...config.sizing,
          service: { ...config.sizing.service, maxTasks: 6, targetCpuPercent: 75 },
        },
      }).template('coreService');
      tuned.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
        MinCapacity: 2,
        MaxCapacity: 6,
      });
      tuned.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
        TargetTrackingScalingPolicyConfiguration: Match.objectLike({ TargetValue: 75 }),
      });
    });

    it('runs in a cluster with Container Insights', () => {
      t.hasResourceProperties('AWS::ECS::Cluster', {
        ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
      });
    });

    it('accepts traffic only from the load balancer, on the service port', () => {
      const ingress = resourcesOf('AWS::EC2::SecurityGroupIngress')
        .map(([, r]) => r.Properties)
        .filter((p) => JSON.stringify(p.GroupId) === JSON.stringify(groupIdOf(coreService.service)));
      expect(ingress).toEqual([
        expect.objectContaining({
          IpProtocol: 'tcp',
          FromPort: CORE_SERVICE.port,
          ToPort: CORE_SERVICE.port,
          SourceSecurityGroupId: resolve(coreService.albSecurityGroup.securityGroupId),
        }),
      ]);
      // Inline ingress (e.g. from 0.0.0.0/0) would not show up above.
      t.hasResourceProperties('AWS::EC2::SecurityGroup', {
        GroupDescription: Match.stringLikeRegexp('Core service tasks'),
        SecurityGroupIngress: Match.absent(),
      });
    });
  });

  describe('load balancer', () => {
    it('is internal, in the private subnets, and drops invalid headers', () => {
      t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
        Type: 'application',
        Scheme: 'internal',
        Subnets: privateSubnetIds(),
        SecurityGroups: [resolve(coreService.albSecurityGroup.securityGroupId)],
        LoadBalancerAttributes: Match.arrayWith([
          { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        ]),
      });
    });

    it('listens on HTTP port 80 and forwards to the service', () => {
      t.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
      t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
        Protocol: 'HTTP',
        Port: 80,
        DefaultActions: [
          { Type: 'forward', TargetGroupArn: resolve(coreService.targetGroup.targetGroupArn) },
        ],
      });
    });

    it('health-checks the service’s health path and drains quickly', () => {
      t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
        TargetType: 'ip',
        Protocol: 'HTTP',
        Port: CORE_SERVICE.port,
        HealthCheckPath: CORE_SERVICE.livenessPath,
        TargetGroupAttributes: Match.arrayWith([
          { Key: 'deregistration_delay.timeout_seconds', Value: '15' },
        ]),
      });
      t.hasResourceProperties('AWS::ECS::Service', {
        LoadBalancers: [
          {
            ContainerName: Match.anyValue(),
            ContainerPort: CORE_SERVICE.port,
            TargetGroupArn: resolve(coreService.targetGroup.targetGroupArn),
          },
        ],
      });
    });

    it('admits only the API’s VPC link, on port 80, by a rule the api stack holds', () => {
      const alb = coreService.albSecurityGroup.securityGroupId;
      const link = dev.platform.api.coreServiceLinkSecurityGroup.securityGroupId;
      const ingress = dev
        .resourcesAnywhere('AWS::EC2::SecurityGroupIngress')
        .filter(({ stack, properties }) => sameRef(refIn(stack, alb), properties.GroupId));
      expect(ingress).toEqual([
        expect.objectContaining({
          stack: dev.platform.api,
          properties: expect.objectContaining({
            IpProtocol: 'tcp',
            FromPort: 80,
            ToPort: 80,
            SourceSecurityGroupId: refIn(dev.platform.api, link),
          }),
        }),
      ]);
      // Inline ingress (e.g. from 0.0.0.0/0) would not show up above.
      t.hasResourceProperties('AWS::EC2::SecurityGroup', {
        GroupDescription: Match.stringLikeRegexp('load balancer'),
        SecurityGroupIngress: Match.absent(),
      });
    });

    it('writes access logs to a private, TLS-only, expiring bucket where the region is known', () => {
      t.resourceCountIs('AWS::S3::Bucket', 0);
      const p = prod.template('coreService');
      p.hasResource('AWS::S3::Bucket', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
            ],
          },
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
          LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 90, Status: 'Enabled' })] },
        }),
      });
      p.hasResourceProperties('AWS::S3::BucketPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
      p.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
        LoadBalancerAttributes: Match.arrayWith([{ Key: 'access_logs.s3.enabled', Value: 'true' }]),
      });
    });
  });

  describe('database access', () => {
    const dbGroup = () => groupIdOf(data.database);

    it('opens PostgreSQL to the service and the migration step, and to nothing else from here', () => {
      const rules = resourcesOf('AWS::EC2::SecurityGroupIngress')
        .map(([, r]) => r.Properties)
        .filter((p) => JSON.stringify(p.GroupId) === JSON.stringify(dbGroup()));
      expect(rules).toHaveLength(2);
      for (const source of [coreService.service, coreService.migration.function]) {
        expect(rules).toContainEqual(
          expect.objectContaining({
            IpProtocol: 'tcp',
            FromPort: 5432,
            ToPort: 5432,
            SourceSecurityGroupId: groupIdOf(source),
          }),
        );
      }
    });

    it('keeps the ingress rules in this stack, so the data stack never depends on it', () => {
      const dataTemplate = JSON.stringify(dev.template('data').toJSON());
      expect(dataTemplate).not.toMatch(/core-service/);
      expect(coreService.dependencies).toContain(data);
    });
  });

  describe('migrations at deploy', () => {
    const fn = () =>
      t.toJSON().Resources[
        coreService.getLogicalId(coreService.migration.function.node.defaultChild as CfnFunction)
      ];

    it('runs the migration handler in the private subnets, with the SQL files and both secrets’ ARNs', () => {
      expect(fn().Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Timeout: 300,
        VpcConfig: {
          SubnetIds: privateSubnetIds(),
          SecurityGroupIds: [groupIdOf(coreService.migration.function)],
        },
        Environment: {
          Variables: expect.objectContaining({
            [CORE_SERVICE.env.databaseSecretArn]: resolve(data.database.secret!.secretArn),
            [CORE_SERVICE.env.appSecretArn]: resolve(data.appSecret.secretArn),
            NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
          }),
        },
      });
      t.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: Match.arrayWith(['secretsmanager:GetSecretValue']),
              Resource: resolve(data.database.secret!.secretArn),
            }),
          ]),
        },
        Roles: [resolve(coreService.migration.role.roleName)],
      });
      t.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: Match.arrayWith(['secretsmanager:GetSecretValue']),
              Resource: resolve(data.appSecret.secretArn),
            }),
          ]),
        },
        Roles: [resolve(coreService.migration.role.roleName)],
      });
    });

    it('triggers the migration whenever its bundle changes, before the service updates', () => {
      const triggers = resourcesOf('Custom::Trigger');
      expect(triggers).toHaveLength(1);
      const [[triggerId, trigger]] = triggers as [[string, { Properties: Record<string, unknown> }]];
      expect(trigger.Properties).toMatchObject({
        ExecuteOnHandlerChange: true,
        InvocationType: 'RequestResponse',
        Timeout: String(5 * 60 * 1000),
        // A version ARN: a changed bundle is a new version, which is what re-runs the trigger.
        HandlerArn: { Ref: expect.any(String) },
      });
      const version = t.toJSON().Resources[(trigger.Properties.HandlerArn as { Ref: string }).Ref];
      expect(version.Type).toBe('AWS::Lambda::Version');
      expect(version.Properties.FunctionName).toEqual({
        Ref: coreService.getLogicalId(coreService.migration.function.node.defaultChild as CfnFunction),
      });

      const [[, service]] = resourcesOf('AWS::ECS::Service') as [[string, { DependsOn: string[] }]];
      expect(service.DependsOn).toContain(triggerId);
    });

    it('runs the migration only once its network path to the database exists', () => {
      const [[, trigger]] = resourcesOf('Custom::Trigger') as [[string, { DependsOn: string[] }]];
      const ingressIds = resourcesOf('AWS::EC2::SecurityGroupIngress')
        .filter(
          ([, r]) =>
            JSON.stringify(r.Properties.SourceSecurityGroupId) ===
            JSON.stringify(groupIdOf(coreService.migration.function)),
        )
        .map(([id]) => id);
      expect(ingressIds).toHaveLength(1);
      expect(trigger.DependsOn).toEqual(expect.arrayContaining(ingressIds));
      expect(coreService.dependencies).toContain(data);
    });
  });

  it('keeps logs for the configured days, and keeps them in prod', () => {
    t.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    t.resourceCountIs('AWS::Logs::LogGroup', 2); // the service and the migration step
    for (const [, group] of Object.entries(
      prod.template('coreService').findResources('AWS::Logs::LogGroup'),
    )) {
      expect(group).toMatchObject({ DeletionPolicy: 'Retain', Properties: { RetentionInDays: 365 } });
    }
    for (const [, group] of resourcesOf('AWS::Logs::LogGroup')) {
      expect(group.DeletionPolicy).toBe('Delete');
    }
  });

  it('names its cluster and service in its outputs, for the deploy workflow to wait on', () => {
    const outputs = t.toJSON().Outputs;
    expect(outputs.ClusterName.Value).toEqual(resolve(coreService.cluster.clusterName));
    expect(outputs.ServiceName.Value).toEqual(resolve(coreService.service.serviceName));
    expect([outputs.ClusterName.Value, outputs.ServiceName.Value]).toEqual([
      { Ref: expect.any(String) },
      { 'Fn::GetAtt': [expect.any(String), 'Name'] },
    ]);
  });

  it('matches the snapshot', () => {
    const json = t.toJSON();
    expect(JSON.stringify(json)).toMatch(
      /container-assets-\$\{AWS::AccountId\}-\$\{AWS::Region\}:[a-f0-9]{64}"/,
    );
    expect(json).toMatchSnapshot();
  });
});
