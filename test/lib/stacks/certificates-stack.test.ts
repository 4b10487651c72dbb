import { Match } from 'aws-cdk-lib/assertions';
import { CERTIFICATES } from '#contracts/certificates';
import { ENV, EVENTS } from '#contracts/resources';
import { platformFor, refIn, sameRef } from '../platform-fixture';

describe('certificates stack', () => {
  const dev = platformFor('default');
  const t = dev.template('certificates');
  const { certificates, data, auth, api, monitoring } = dev.platform;
  const { issuer } = certificates;
  const resolve = (value: unknown) => certificates.resolve(value);
  const queueArn = () => resolve(issuer.queue.queueArn);
  const deadLetterArn = () => resolve(issuer.deadLetterQueue.queueArn);
  const statements = () => {
    const roleRef = resolve(issuer.issuer.role.roleName);
    return Object.values(t.findResources('AWS::IAM::Policy'))
      .filter((p) => sameRef(p.Properties.Roles, [roleRef]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
  };

  it('comes after data, auth and the api, which never depend on it', () => {
    expect(certificates.dependencies).toEqual(expect.arrayContaining([auth, data, api]));
    for (const before of [auth, data, api]) expect(before.dependencies).not.toContain(certificates);
    t.resourceCountIs('AWS::DynamoDB::GlobalTable', 0);
    t.resourceCountIs('AWS::S3::Bucket', 0);
  });

  it('queues exactly the core’s completions, with a dead-letter queue', () => {
    const [[source, detailTypes]] = Object.entries(EVENTS.certificatesConsumes);
    t.hasResourceProperties('AWS::Events::Rule', {
      EventBusName: refIn(certificates, data.eventBus.eventBusName),
      EventPattern: { source: [source], 'detail-type': [...detailTypes!] },
      Targets: [Match.objectLike({ Arn: queueArn(), DeadLetterConfig: { Arn: deadLetterArn() } })],
    });
    t.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 360,
      RedrivePolicy: { deadLetterTargetArn: deadLetterArn(), maxReceiveCount: 5 },
    });
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: queueArn(),
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('renders with the memory it needs and points the QR codes at the api’s verification page', () => {
    t.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 512,
      Timeout: 60,
      Environment: {
        Variables: Match.objectLike({
          [ENV.certificatesTable]: Match.anyValue(),
          [ENV.userPoolId]: refIn(certificates, auth.userPool.userPoolId),
          [CERTIFICATES.env.bucket]: refIn(certificates, data.certificatesBucket.bucketName),
          [CERTIFICATES.env.verifyBaseUrl]: Match.anyValue(),
          [EVENTS.busNameEnv]: refIn(certificates, data.eventBus.eventBusName),
        }),
      },
    });
  });

  it('reads names from this pool, writes certificates/ only, and touches no index', () => {
    const all = statements();
    const text = (s: Record<string, unknown>) => JSON.stringify(s);
    expect(all.filter((s) => text(s).includes('cognito-idp:'))).toEqual([
      {
        Effect: 'Allow',
        Action: 'cognito-idp:AdminGetUser',
        Resource: refIn(certificates, auth.userPool.userPoolArn),
      },
    ]);
    expect(all.filter((s) => text(s).includes('s3:'))).toEqual([
      {
        Effect: 'Allow',
        Action: 's3:PutObject',
        Resource: {
          'Fn::Join': ['', [{ 'Fn::ImportValue': 'demo-data:CertificatesBucketArn' }, '/certificates/*']],
        },
      },
    ]);
    expect(all.some((s) => text(s).includes('/index/'))).toBe(false);
    expect(all.some((s) => text(s).includes('events:PutEvents'))).toBe(true);
  });

  it('alarms on the dead letters and watches the function', () => {
    const alarms = JSON.stringify(
      Object.values(dev.template('monitoring').findResources('AWS::CloudWatch::Alarm')),
    );
    expect(alarms).toContain(JSON.stringify(refIn(monitoring, issuer.deadLetterQueue.queueName)));
    expect(alarms).toContain(JSON.stringify(refIn(monitoring, issuer.issuer.function.functionName)));
  });

  it('matches the snapshot', () => {
    expect(t.toJSON()).toMatchSnapshot();
  });
});
