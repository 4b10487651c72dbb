import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Vpc } from 'aws-cdk-lib/aws-ec2';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { LmsFunction } from '#lib/constructs/lms-function';

describe('LmsFunction', () => {
  // Bundles for real (the stack tests skip bundling): two handlers must get two different bundles.
  const outdir = mkdtempSync(join(tmpdir(), 'lms-fn-'));
  const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'Fns');
  const refresh = new LmsFunction(stack, 'Refresh', {
    handler: 'auth/refresh-session',
    serviceName: 'auth',
    logRetention: RetentionDays.ONE_WEEK,
  });
  const me = new LmsFunction(stack, 'Me', {
    handler: 'users/get-me',
    serviceName: 'users',
    logRetention: RetentionDays.ONE_WEEK,
  });
  const template = Template.fromStack(stack).toJSON();
  app.synth();
  const bundleOf = (fn: LmsFunction) => {
    const resource = template.Resources[stack.getLogicalId(fn.function.node.defaultChild as never)];
    return join(outdir, resource.Metadata['aws:asset:path']);
  };

  it('bundles each handler on its own, minified with a source map', () => {
    expect(bundleOf(refresh)).not.toBe(bundleOf(me));
    for (const [fn, route] of [
      [refresh, '"/auth/refresh"'],
      [me, '"/me"'],
    ] as const) {
      const code = readFileSync(join(bundleOf(fn), 'index.js'), 'utf8');
      expect(code).toContain(route);
      expect(code).toContain('sourceMappingURL=index.js.map');
      expect(code.length / code.split('\n').length).toBeGreaterThan(500); // minified: long lines
      expect(existsSync(join(bundleOf(fn), 'index.js.map'))).toBe(true);
    }
  });

  it('leaves the AWS SDK to the runtime and loads the handler module', async () => {
    const code = readFileSync(join(bundleOf(me), 'index.js'), 'utf8');
    expect(code).not.toMatch(/class DynamoDBClient/);
    const mod = (await import(join(bundleOf(me), 'index.js'))) as { handler: unknown };
    expect(typeof mod.handler).toBe('function');
  });

  it('runs on arm64 with the current Node.js runtime, traced, with its own role and log group', () => {
    const fn = template.Resources[stack.getLogicalId(me.function.node.defaultChild as never)];
    expect(fn.Properties).toMatchObject({
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Environment: { Variables: { POWERTOOLS_SERVICE_NAME: 'users', NODE_OPTIONS: '--enable-source-maps' } },
    });
    const roles = Object.values(template.Resources).filter(
      (r) => (r as { Type: string }).Type === 'AWS::IAM::Role',
    );
    for (const role of roles as { Properties: { ManagedPolicyArns?: unknown } }[]) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('lets a function in a VPC manage its network interfaces, without an AWS managed policy', () => {
    const vpcApp = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const vpcStack = new Stack(vpcApp, 'InVpc');
    const fn = new LmsFunction(vpcStack, 'Migrate', {
      handler: 'db/migrate-handler',
      codeRoot: 'service/src',
      serviceName: 'core',
      logRetention: RetentionDays.ONE_WEEK,
      vpc: new Vpc(vpcStack, 'Vpc'),
    });
    const t = Template.fromStack(vpcStack).toJSON();
    const role = t.Resources[vpcStack.getLogicalId(fn.role.node.defaultChild as never)];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    const statements = role.Properties.Policies.flatMap(
      (p: { PolicyDocument: { Statement: unknown[] } }) => p.PolicyDocument.Statement,
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Action: expect.arrayContaining([
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DeleteNetworkInterface',
        ]),
        Resource: '*',
      }),
    );
    expect(
      t.Resources[vpcStack.getLogicalId(fn.function.node.defaultChild as never)].Properties.VpcConfig,
    ).toBeDefined();
  });
});
