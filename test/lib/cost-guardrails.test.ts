import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  apiThrottleFor,
  DEV_MONTHLY_BUDGET_USD,
  DEV_SIZING,
  monthlyTranscodeMinutesFor,
} from '#lib/config/institution-config';
import { parseConfig } from '#lib/config/load-config';
import { fixtureConfig, rawFixture, refusalOf } from './fixture-configs';
import { platformFor } from './platform-fixture';

describe('limits derived from the expected concurrent viewers', () => {
  it('sizes the API throttle from the heartbeats: 2 × viewers / 15 s, burst twice that, with floors and caps', () => {
    expect(apiThrottleFor(1)).toEqual({ rateLimit: 100, burstLimit: 200 });
    expect(apiThrottleFor(250)).toEqual({ rateLimit: 100, burstLimit: 200 });
    // 5,000 viewers beat 333 times a second: the old fixed 100 would have refused two thirds of them.
    expect(apiThrottleFor(5000)).toEqual({ rateLimit: 667, burstLimit: 1334 });
    expect(apiThrottleFor(75_000)).toEqual({ rateLimit: 10_000, burstLimit: 5000 });
  });

  it('sizes the transcoding budget at two hours of new video per 30 active learners (10 per viewer)', () => {
    expect(monthlyTranscodeMinutesFor(1)).toBe(6000);
    expect(monthlyTranscodeMinutesFor(250)).toBe(10_000);
    expect(monthlyTranscodeMinutesFor(1500)).toBe(60_000);
    expect(monthlyTranscodeMinutesFor(5000)).toBe(200_000);
  });

  it('applies the derived values unless the config sets its own', () => {
    const derived = parseConfig(
      { ...rawFixture('default'), scale: { concurrentViewers: 5000 } },
      'test.json',
    );
    expect(derived.sizing.api).toEqual({ rateLimit: 667, burstLimit: 1334 });
    expect(derived.video.monthlyTranscodeMinutes).toBe(200_000);

    const own = parseConfig(
      {
        ...rawFixture('default'),
        scale: { concurrentViewers: 5000 },
        sizing: { ...DEV_SIZING, api: { rateLimit: 50, burstLimit: 60 } },
        video: { monthlyTranscodeMinutes: 1200 },
      },
      'test.json',
    );
    expect(own.sizing.api).toEqual({ rateLimit: 50, burstLimit: 60 });
    expect(own.video.monthlyTranscodeMinutes).toBe(1200);
    expect(fixtureConfig('default').scale).toEqual({ concurrentViewers: 250 });
  });

  it('refuses more viewers than API Gateway’s regional quota serves, naming the field and the way out', () => {
    const message = refusalOf({ ...rawFixture('default'), scale: { concurrentViewers: 75_001 } });
    expect(message).toContain('scale.concurrentViewers: at most 75000');
    expect(message).toContain('set sizing.api');
  });
});

describe('the dev preset and what prod must say', () => {
  it('runs a dev config without sizing on one NAT gateway, a single-AZ t4g.micro and one small task', () => {
    const dev = parseConfig(rawFixture('default'), 'test.json');
    expect(dev.sizing).toEqual({ ...DEV_SIZING, api: { rateLimit: 100, burstLimit: 200 } });
    expect(dev.sizing.network.natGateways).toBe(1);
    expect(dev.sizing.database).toMatchObject({ instanceType: 't4g.micro', multiAz: false });
    expect(dev.sizing.service).toMatchObject({ cpu: 256, memoryMiB: 512, minTasks: 1 });
    expect(dev.cost.monthlyBudgetUsd).toBe(DEV_MONTHLY_BUDGET_USD);
  });

  it('refuses a prod config without its sizing or its budget, naming each', () => {
    const prod = rawFixture('example-academy');
    delete prod.sizing;
    delete prod.cost;
    const message = refusalOf(prod);
    expect(message).toContain('sizing: required in prod');
    expect(message).toContain('cost.monthlyBudgetUsd: required in prod');
    // One reason per mistake: the dev preset's single NAT gateway is not blamed on a prod config lacking sizing.
    expect(message).not.toContain('sizing.network');
  });
});

describe.each([
  ['default', 'demo', 'dev', DEV_MONTHLY_BUDGET_USD, 'platform-alarms@example.com'],
  ['example-academy', 'example-academy', 'prod', 4000, 'ops@academy.example.com'],
])('config/%s.json', (config, slug, stage, budgetUsd, alarmEmail) => {
  const { app, platform, template } = platformFor(config);

  it('tags every stack and every taggable resource with its institution, stage and stack', () => {
    const assembly = app.synth();
    const stacks = Object.entries(platform);
    expect(stacks.length).toBeGreaterThanOrEqual(13);
    for (const [, stack] of stacks) {
      const short = stack.node.id.slice(slug.length + 1);
      const expected = { 'lms:institution': slug, 'lms:stage': stage, 'lms:stack': short };
      expect(assembly.getStackArtifact(stack.artifactId).tags).toEqual(expected);
      const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Properties?: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
      let tagged = 0;
      for (const [id, resource] of Object.entries(resources)) {
        const tags = resource.Properties?.Tags;
        if (!Array.isArray(tags)) continue;
        tagged += 1;
        const asMap = Object.fromEntries(tags.map((t: { Key: string; Value: string }) => [t.Key, t.Value]));
        expect({ id, ...asMap }).toMatchObject({ id, ...expected });
      }
      // Every stack but the certificates-only edge stack holds something taggable: the check above ran.
      if (short !== 'edge') expect(tagged).toBeGreaterThan(0);
    }
  });

  it('has a monthly budget over the platform’s tags that e-mails at 80% and 100% and on the forecast', () => {
    template('monitoring').resourceCountIs('AWS::Budgets::Budget', 1);
    const subscriber = [{ SubscriptionType: 'EMAIL', Address: alarmEmail }];
    template('monitoring').hasResourceProperties('AWS::Budgets::Budget', {
      Budget: {
        BudgetType: 'COST',
        TimeUnit: 'MONTHLY',
        BudgetLimit: { Amount: budgetUsd, Unit: 'USD' },
        BudgetName: Match.anyValue(),
        FilterExpression: {
          And: [
            { Tags: { Key: 'lms:institution', Values: [slug], MatchOptions: ['EQUALS'] } },
            { Tags: { Key: 'lms:stage', Values: [stage], MatchOptions: ['EQUALS'] } },
          ],
        },
      },
      NotificationsWithSubscribers: [
        {
          Notification: Match.objectLike({ NotificationType: 'ACTUAL', Threshold: 80 }),
          Subscribers: subscriber,
        },
        {
          Notification: Match.objectLike({ NotificationType: 'ACTUAL', Threshold: 100 }),
          Subscribers: subscriber,
        },
        {
          Notification: Match.objectLike({ NotificationType: 'FORECASTED', Threshold: 100 }),
          Subscribers: subscriber,
        },
      ],
    });
  });

  it('throttles the API stage at the rate derived from the config’s viewers', () => {
    const { rateLimit, burstLimit } = apiThrottleFor(fixtureConfig(config).scale.concurrentViewers);
    template('api').hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: Match.objectLike({
        ThrottlingRateLimit: rateLimit,
        ThrottlingBurstLimit: burstLimit,
      }),
    });
  });

  it('moves source videos, and only them, to Glacier Instant Retrieval after 30 days', () => {
    const vod = Template.fromStack(platform.vod!);
    vod.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          {
            Id: 'archive-source-videos',
            Prefix: 'videos/',
            Status: 'Enabled',
            Transitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }],
          },
        ]),
      },
    });
  });
});

describe('a list of alarm addresses', () => {
  const addresses = ['ops@academy.example.com', 'oncall@academy.example.com'];
  const config = rawFixture('example-academy');
  config.alarmEmail = addresses;
  const { platform, template } = platformFor(parseConfig(config, 'test.json'));

  it('reaches every address: the alarm topics in both regions and the budget', () => {
    const emailed = (t: Template) =>
      Object.values(t.findResources('AWS::SNS::Subscription'))
        .filter((s) => s.Properties.Protocol === 'email')
        .map((s) => s.Properties.Endpoint as string)
        .sort();
    expect(emailed(template('monitoring'))).toEqual([...addresses].sort());
    // CloudFront's metrics are in us-east-1, where the playback alarm notifies a topic of its own.
    expect(emailed(Template.fromStack(platform.playbackAlarm!))).toEqual([...addresses].sort());
    const budget = Object.values(template('monitoring').findResources('AWS::Budgets::Budget'))[0]!;
    for (const n of budget.Properties.NotificationsWithSubscribers) {
      expect(n.Subscribers).toEqual(addresses.map((Address) => ({ SubscriptionType: 'EMAIL', Address })));
    }
  });
});
