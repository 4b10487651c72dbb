import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '#lib/config/load-config';
import { transcodeLadder } from '#tools/cost/ladder';
import { estimateCost, UnpricedResourceError, type Breakdown, type Features } from '#tools/cost/model';
import { loadPriceTable, parsePriceTable } from '#tools/cost/prices';
import { stackTemplate, synthesizePlatform, type StackTemplate } from '#tools/cost/templates';
import { FIXTURE_CONFIG_DIR } from '../lib/fixture-configs';

const ROOT = join(__dirname, '..', '..');
const table = loadPriceTable();
const allFeatures: Features = { video: true, liveLectures: true };

function fixture(extra: Record<string, unknown> = {}): StackTemplate {
  const template = JSON.parse(
    readFileSync(join(ROOT, 'test', 'fixtures', 'cost', 'small-platform.template.json'), 'utf8'),
  ) as { Resources: Record<string, unknown> };
  return stackTemplate('small', 'us-east-1', { Resources: { ...template.Resources, ...extra } });
}

describe('the fixed baseline of the hand-written platform (us-east-1)', () => {
  const us = table.regions['us-east-1']!.prices;
  const hours = table.assumptions.hoursPerMonth.value;
  const input = {
    stacks: [fixture()],
    table,
    region: 'us-east-1',
    features: allFeatures,
    ladder: transcodeLadder(),
  };
  const estimate = estimateCost(input);
  const item = (logicalId: string) => estimate.stacks[0]!.items.find((i) => i.logicalId === logicalId);

  it('prices the Multi-AZ database by its hours and its 50 GB of gp3', () => {
    const expected =
      us.rdsInstanceHour['db.t4g.small']!.multiAz.usd * 730 + 50 * us.rdsStorageGbMonth.gp3.multiAz.usd;
    expect(hours).toBe(730);
    expect(item('Database')?.monthlyUsd).toBeCloseTo(expected, 6);
    expect(item('Database')?.what).toBe('PostgreSQL db.t4g.small Multi-AZ, 50 GB gp3');
  });

  it('runs the scaling target’s minimum of two ARM tasks of 0.5 vCPU and 1 GB', () => {
    const perTaskHour = 0.5 * us.fargateVcpuHour.ARM64.usd + 1 * us.fargateGbHour.ARM64.usd;
    expect(item('Service')?.monthlyUsd).toBeCloseTo(2 * perTaskHour * 730, 6);
  });

  it('adds the NAT gateway, its public address and the load balancer by the hour', () => {
    expect(item('Nat')?.monthlyUsd).toBeCloseTo(us.natGatewayHour.usd * 730, 6);
    expect(item('NatAddress')?.monthlyUsd).toBeCloseTo(us.publicIpv4Hour.usd * 730, 6);
    expect(item('LoadBalancer')?.monthlyUsd).toBeCloseTo(us.albHour.usd * 730, 6);
  });

  it('totals those five and nothing for the role, the task definition, the scaling target or the custom resource', () => {
    const expected =
      730 * us.rdsInstanceHour['db.t4g.small']!.multiAz.usd +
      50 * us.rdsStorageGbMonth.gp3.multiAz.usd +
      730 * us.natGatewayHour.usd +
      730 * us.publicIpv4Hour.usd +
      730 * 2 * (0.5 * us.fargateVcpuHour.ARM64.usd + us.fargateGbHour.ARM64.usd) +
      730 * us.albHour.usd;
    expect(estimate.fixedMonthlyUsd).toBeCloseTo(expected, 6);
    expect(estimate.stacks[0]!.items).toHaveLength(5);
    expect(Object.fromEntries(estimate.noFixedCost)).toEqual({
      'AWS::IAM::Role': 1,
      'AWS::ECS::TaskDefinition': 1,
      'AWS::ApplicationAutoScaling::ScalableTarget': 1,
      'Custom::SeedData': 1,
    });
  });

  it('prices an hour watched as the delivered bytes and the segment requests', () => {
    const gb = (table.assumptions.deliveredBitrateMbps.value * 1e6 * 3600) / 8 / 1e9;
    const requests = 3600 / 6 + table.assumptions.manifestRequestsPerHourWatched.value;
    expect(estimate.unitCosts.perHourWatched?.usd).toBeCloseTo(
      gb * us.cloudfrontGb.usd + (requests / 10_000) * us.cloudfrontHttps10k.usd,
      9,
    );
  });

  it('prices a source hour at the basic tier the single-pass ladder keeps: two HD and two SD renditions of 60 minutes', () => {
    const basic = us.mediaconvertMinute.basic;
    expect(estimate.unitCosts.perSourceHourTranscoded?.usd).toBeCloseTo(
      60 * (2 * basic.hd.usd + 2 * basic.sd.usd),
      9,
    );
  });

  it('prices a multi-pass ladder at the professional tier', () => {
    const pro = us.mediaconvertMinute.professional;
    const multiPass = estimateCost({
      ...input,
      ladder: { ...input.ladder, qualityTuningLevel: 'MULTI_PASS_HQ' },
    });
    expect(multiPass.unitCosts.perSourceHourTranscoded?.usd).toBeCloseTo(
      60 * (2 * pro.hd.usd + 2 * pro.sd.usd),
      9,
    );
  });
});

describe('classification', () => {
  it('fails on a resource type that has no price and no noFixedCost entry, naming it and its stack', () => {
    const run = () =>
      estimateCost({
        stacks: [
          fixture({ Warehouse: { Type: 'AWS::Redshift::Cluster', Properties: { NodeType: 'ra3.large' } } }),
        ],
        table,
        region: 'us-east-1',
        features: allFeatures,
        ladder: transcodeLadder(),
      });
    expect(run).toThrow(UnpricedResourceError);
    expect(run).toThrow(/^small: AWS::Redshift::Cluster \(Warehouse\)/);
  });

  it('counts the platform budget as free (a budget that only alerts costs nothing)', () => {
    const estimate = estimateCost({
      stacks: [
        fixture({ Budget: { Type: 'AWS::Budgets::Budget', Properties: { Budget: { BudgetType: 'COST' } } } }),
      ],
      table,
      region: 'us-east-1',
      features: allFeatures,
      ladder: transcodeLadder(),
    });
    expect(estimate.noFixedCost.get('AWS::Budgets::Budget')).toBe(1);
  });

  it('has no video or live unit costs for a platform with both features off', () => {
    const estimate = estimateCost({
      stacks: [fixture()],
      table,
      region: 'us-east-1',
      features: { video: false, liveLectures: false },
      ladder: transcodeLadder(),
    });
    expect(Object.keys(estimate.unitCosts)).toEqual(['perActiveLearnerMonth']);
  });

  it('fails on a database class the table has no price for', () => {
    const run = () =>
      estimateCost({
        stacks: [
          fixture({
            Database: {
              Type: 'AWS::RDS::DBInstance',
              Properties: { Engine: 'postgres', DBInstanceClass: 'db.r7g.16xlarge', AllocatedStorage: '20' },
            },
          }),
        ],
        table,
        region: 'us-east-1',
        features: allFeatures,
        ladder: transcodeLadder(),
      });
    expect(run).toThrow(/db\.r7g\.16xlarge has no price/);
  });

  it('rejects a price table whose entry lacks its source, naming the field', () => {
    const raw = JSON.parse(readFileSync(join(ROOT, 'tools', 'cost', 'prices.json'), 'utf8')) as {
      regions: Record<string, { prices: { natGatewayHour: Record<string, unknown> } }>;
    };
    delete raw.regions['us-east-1']!.prices.natGatewayHour.source;
    expect(() => parsePriceTable(raw)).toThrow(/regions\.us-east-1\.prices\.natGatewayHour\.source/);
  });
});

describe('npm run cost flags', () => {
  it.each([
    [['--learners=-3'], /--learners: zero or more/],
    [['--viewers', '2.5'], /--viewers: a whole number/],
    [['--watch-hours', 'ten'], /--watch-hours/],
    [['--bogus'], /Unknown option '--bogus'/],
  ])(
    '%j exits 2 with a message naming the flag',
    (args, message) => {
      const run = spawnSync(
        join(ROOT, 'node_modules', '.bin', 'tsx'),
        [join(ROOT, 'tools', 'cost', 'cli.ts'), ...args],
        {
          cwd: ROOT,
          encoding: 'utf8',
        },
      );
      expect(run.status).toBe(2);
      expect(run.stderr).toMatch(message);
    },
    60_000,
  );
});

describe('example-academy, synthesized as the CLI does', () => {
  let stacks: StackTemplate[];
  let estimate: Breakdown;
  beforeAll(() => {
    const config = loadConfig('example-academy', FIXTURE_CONFIG_DIR);
    stacks = synthesizePlatform(config);
    estimate = estimateCost({
      stacks,
      table,
      region: config.region!,
      features: { video: config.features.video, liveLectures: config.features.liveLectures },
      ladder: transcodeLadder(),
      scenario: { learners: 3000, watchHoursPerLearner: 10, newVideoHours: 100, liveHours: 40, viewers: 200 },
    });
  }, 300_000);

  it('classifies every resource: each is a fixed-cost item or counted as having none', () => {
    const resources = stacks.reduce((n, s) => n + Object.keys(s.resources).length, 0);
    const items = estimate.stacks.reduce((n, s) => n + s.items.length, 0);
    const none = [...estimate.noFixedCost.values()].reduce((a, b) => a + b, 0);
    expect(items + none).toBe(resources);
    expect(estimate.fixedMonthlyUsd).toBeGreaterThan(0);
  });

  it('has the Multi-AZ database and two NAT gateways in its baseline', () => {
    const items = estimate.stacks.flatMap((s) => s.items);
    expect(items.filter((i) => i.type === 'AWS::RDS::DBInstance').map((i) => i.what)).toEqual([
      expect.stringMatching(/^PostgreSQL db\.m7g\.large Multi-AZ/),
    ]);
    expect(items.filter((i) => i.type === 'AWS::EC2::NatGateway')).toHaveLength(2);
  });

  it('keeps each source hour in Glacier Instant Retrieval, as the upload bucket’s lifecycle moves it there', () => {
    const prices = table.regions['ap-northeast-2']!.prices;
    const sourceGb = (table.assumptions.sourceBitrateMbps.value * 1e6 * 3600) / 8 / 1e9;
    const source = estimate.unitCosts.perSourceHourTranscoded!.monthlyStorage.parts[1]!;
    expect(source.label).toMatch(/^S3 Glacier Instant Retrieval: .* \(Standard for its first 30 days\)$/);
    expect(source.usd).toBeCloseTo(sourceGb * prices.s3GlacierInstantRetrievalGbMonth.usd, 10);
  });

  it('totals the issue’s scenario and names its three largest drivers', () => {
    const drivers = estimate.scenario!.drivers;
    expect(drivers).toHaveLength(3);
    expect(drivers[0]!.usd).toBeGreaterThanOrEqual(drivers[1]!.usd);
    expect(drivers[1]!.usd).toBeGreaterThanOrEqual(drivers[2]!.usd);
    expect(estimate.scenario!.totalUsd).toBeGreaterThan(estimate.fixedMonthlyUsd);
  });
});
