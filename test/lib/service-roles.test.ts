import { synthesizedTemplates } from './platform-fixture';

/*
 * The cross-service confused-deputy guard: a role an AWS service assumes on the platform's behalf names the
 * account and the resources it may be assumed for (aws:SourceAccount, aws:SourceArn), so the service cannot
 * be made to use it for a request on another account's resource that names this role's ARN.
 */

/**
 * Principals left out, with why. Lambda (lambda.amazonaws.com) assumes an execution role only to run the
 * function the role is configured on, and naming a role on a function takes iam:PassRole in this account;
 * Lambda's confused-deputy guidance is about its resource policies (the invoke permissions, which carry
 * aws:SourceArn here), and it documents no source keys for this assumption. ECS tasks
 * (ecs-tasks.amazonaws.com): the task definition's roles are likewise bound by iam:PassRole, and the
 * execution role is assumed by the ECS agent and Fargate to pull the image and inject secrets; a condition
 * ECS does not meet would stop every task from starting, which nothing here can try without an AWS account.
 */
const EXEMPT = new Set(['lambda.amazonaws.com', 'ecs-tasks.amazonaws.com']);

interface TrustStatement {
  Principal?: { Service?: string | string[] };
  Action?: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

function serviceTrusts(configName: string) {
  return synthesizedTemplates(configName).flatMap(({ stackName, resources }) =>
    Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Role')
      .flatMap(([logicalId, r]) =>
        ((r.Properties!.AssumeRolePolicyDocument as { Statement: TrustStatement[] }).Statement ?? []).flatMap(
          (statement) =>
            [statement.Principal?.Service ?? []].flat().map((service) => ({
              role: `${stackName}/${logicalId}`,
              service,
              condition: statement.Condition,
            })),
        ),
      ),
  );
}

describe.each(['default', 'example-academy'])('service roles with config %s', (configName) => {
  const trusts = serviceTrusts(configName);
  const guarded = trusts.filter((t) => !EXEMPT.has(t.service));

  it('finds the platform’s service roles: MediaConvert’s, the flow log’s, enhanced monitoring’s and the scheduler’s', () => {
    expect(new Set(guarded.map((t) => t.service))).toEqual(
      new Set([
        'mediaconvert.amazonaws.com',
        'vpc-flow-logs.amazonaws.com',
        'monitoring.rds.amazonaws.com',
        'scheduler.amazonaws.com',
      ]),
    );
  });

  it('lets every service assume its role only for this account and its own resources', () => {
    const account = configName === 'default' ? { Ref: 'AWS::AccountId' } : '123456789012';
    for (const { role, service, condition } of guarded) {
      expect({ role, service, condition }).toEqual({
        role,
        service,
        condition: {
          StringEquals: { 'aws:SourceAccount': account },
          ArnLike: { 'aws:SourceArn': expect.anything() },
        },
      });
    }
  });

  it('scopes each source ARN to the service’s own resource type', () => {
    const sourceArn = (service: string) =>
      JSON.stringify(guarded.find((t) => t.service === service)!.condition!.ArnLike!['aws:SourceArn']);
    // MediaConvert's is the pipeline's queue itself; the others are ARN patterns, since the flow log and
    // the database instance name the role and cannot be named by it.
    expect(sourceArn('mediaconvert.amazonaws.com')).toMatch(/TranscodeQueue.*"Arn"/);
    expect(sourceArn('vpc-flow-logs.amazonaws.com')).toMatch(/:ec2:.*:vpc-flow-log\/\*/);
    expect(sourceArn('monitoring.rds.amazonaws.com')).toMatch(/:rds:.*:db:\*/);
    // The scheduler names the schedule group of the schedule it runs.
    expect(sourceArn('scheduler.amazonaws.com')).toMatch(/:scheduler:.*:schedule-group\/default"/);
  });
});
