import type { Assumptions, PriceTable, RegionPrices } from './prices';
import { HEARTBEATS } from '#contracts/heartbeats';
import { refersTo, referencedId, type StackTemplate, type TemplateResource } from './templates';

/** A month's use of the platform, from the command line. */
export interface Scenario {
  readonly learners: number;
  /** Hours of video each learner watches a month. */
  readonly watchHoursPerLearner: number;
  /** Hours of source video uploaded and transcoded a month. */
  readonly newVideoHours: number;
  /** Hours of live lectures a month. */
  readonly liveHours: number;
  /** Concurrent viewers of each live lecture. */
  readonly viewers: number;
}

export interface Features {
  readonly video: boolean;
  readonly liveLectures: boolean;
}

/** The transcode job's ladder, as lambda/vod/transcode-settings.ts defines it. */
export interface Ladder {
  readonly rungs: readonly { readonly name: string; readonly height: number; readonly maxBitrate: number }[];
  readonly audioBitrate: number;
  /** The job's H.264 QualityTuningLevel: MULTI_PASS_HQ bills outputs at MediaConvert's professional tier. */
  readonly qualityTuningLevel: string;
  readonly segmentSeconds: number;
}

export interface CostModelInput {
  readonly stacks: readonly StackTemplate[];
  readonly table: PriceTable;
  /** The platform's region: unit costs are priced there, and so are stacks bound to no region. */
  readonly region: string;
  readonly features: Features;
  readonly ladder: Ladder;
  readonly scenario?: Scenario;
}

/** One resource's fixed monthly cost. `what` groups like resources (six endpoints, 186 alarms) for printing. */
export interface FixedItem {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly what: string;
  readonly monthlyUsd: number;
}

export interface StackCost {
  readonly name: string;
  readonly region: string;
  readonly monthlyUsd: number;
  readonly items: readonly FixedItem[];
}

export interface CostPart {
  readonly label: string;
  readonly usd: number;
}

export interface UnitCost {
  readonly usd: number;
  readonly parts: readonly CostPart[];
}

export interface Breakdown {
  readonly region: string;
  readonly regionLabel: string;
  readonly viewers: string;
  readonly pricesAsOf: string;
  readonly hoursPerMonth: number;
  readonly stacks: readonly StackCost[];
  readonly fixedMonthlyUsd: number;
  /** Resources classified in the table's `noFixedCost` (or by a rule as free): type → count. */
  readonly noFixedCost: ReadonlyMap<string, number>;
  readonly unitCosts: {
    readonly perHourWatched?: UnitCost;
    /** One-off transcoding of one source hour; `monthlyStorage` is what keeping it costs each month. */
    readonly perSourceHourTranscoded?: UnitCost & { readonly monthlyStorage: UnitCost };
    readonly perLiveHour?: { readonly base: UnitCost; readonly perViewer: UnitCost };
    readonly perActiveLearnerMonth: UnitCost;
  };
  readonly scenario?: {
    readonly lines: readonly CostPart[];
    readonly totalUsd: number;
    readonly drivers: readonly CostPart[];
  };
}

/** A resource type the model has no rule for and the table does not list as free or billed by use. */
export class UnpricedResourceError extends Error {
  constructor(
    readonly type: string,
    readonly stackName: string,
    detail: string,
  ) {
    super(`${stackName}: ${type} ${detail}`);
    this.name = 'UnpricedResourceError';
  }
}

interface RuleContext {
  readonly stack: StackTemplate;
  readonly logicalId: string;
  readonly resource: TemplateResource;
  readonly prices: RegionPrices;
  readonly hours: number;
}

/** What a rule finds: a fixed monthly cost, or that this resource (as configured) has none. */
type RuleResult = { readonly what: string; readonly monthlyUsd: number } | 'none';
type Rule = (ctx: RuleContext) => RuleResult;

const GB = 1e9;

function props(resource: TemplateResource): Readonly<Record<string, unknown>> {
  return resource.Properties ?? {};
}

function numberProp(ctx: RuleContext, name: string): number | undefined {
  const value = props(ctx.resource)[name];
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  if (!Number.isFinite(n)) {
    throw new UnpricedResourceError(
      ctx.resource.Type,
      ctx.stack.name,
      `${ctx.logicalId}: ${name} is not a number`,
    );
  }
  return n;
}

function unpriced(ctx: RuleContext, detail: string): never {
  throw new UnpricedResourceError(ctx.resource.Type, ctx.stack.name, `${ctx.logicalId}: ${detail}`);
}

const rdsInstance: Rule = (ctx) => {
  const p = props(ctx.resource);
  const engine = String(p.Engine ?? '');
  if (!engine.startsWith('postgres'))
    unpriced(ctx, `engine ${engine || '(none)'}: the table prices PostgreSQL only`);
  const instanceClass = String(p.DBInstanceClass);
  const multiAz = p.MultiAZ === true || p.MultiAZ === 'true';
  const az = multiAz ? 'multiAz' : 'singleAz';
  const hourly = ctx.prices.rdsInstanceHour[instanceClass];
  if (!hourly) unpriced(ctx, `instance class ${instanceClass} has no price in tools/cost/prices.json`);
  // CloudFormation's default storage type without provisioned IOPS.
  const storageType = String(p.StorageType ?? 'gp2');
  if (storageType !== 'gp3' && storageType !== 'gp2') {
    unpriced(ctx, `storage type ${storageType} has no price in tools/cost/prices.json`);
  }
  const storageGb = numberProp(ctx, 'AllocatedStorage') ?? 0;
  return {
    what: `PostgreSQL ${instanceClass} ${multiAz ? 'Multi-AZ' : 'single-AZ'}, ${storageGb} GB ${storageType}`,
    monthlyUsd: hourly[az].usd * ctx.hours + storageGb * ctx.prices.rdsStorageGbMonth[storageType][az].usd,
  };
};

/**
 * Tasks that run with no load: DesiredCount, raised to the minimum of the service's scaling target. CDK omits
 * DesiredCount when a scaling target manages it, and CloudFormation then starts one task.
 */
function baselineTasks(ctx: RuleContext): number {
  const desired = numberProp(ctx, 'DesiredCount');
  const target = Object.values(ctx.stack.resources).find(
    (r) =>
      r.Type === 'AWS::ApplicationAutoScaling::ScalableTarget' &&
      props(r).ScalableDimension === 'ecs:service:DesiredCount' &&
      refersTo(props(r).ResourceId, ctx.logicalId),
  );
  const minimum = target ? Number(props(target).MinCapacity) : undefined;
  if (minimum === undefined) return desired ?? 1;
  return Math.max(desired ?? minimum, minimum);
}

const fargateService: Rule = (ctx) => {
  const p = props(ctx.resource);
  if ((p.LaunchType ?? 'FARGATE') !== 'FARGATE' || p.CapacityProviderStrategy !== undefined) {
    unpriced(ctx, 'runs on something other than Fargate on-demand, which the table does not price');
  }
  const taskDefinitionId = referencedId(p.TaskDefinition);
  const taskDefinition = taskDefinitionId ? ctx.stack.resources[taskDefinitionId] : undefined;
  if (!taskDefinition) unpriced(ctx, 'its task definition is not in the same template');
  const td = props(taskDefinition);
  const cpu = Number(td.Cpu);
  const memory = Number(td.Memory);
  if (!(cpu > 0 && memory > 0)) unpriced(ctx, 'its task definition has no task-level Cpu and Memory');
  const platform = (td.RuntimePlatform ?? {}) as { CpuArchitecture?: string; OperatingSystemFamily?: string };
  const arch = platform.CpuArchitecture ?? 'X86_64';
  if ((arch !== 'ARM64' && arch !== 'X86_64') || (platform.OperatingSystemFamily ?? 'LINUX') !== 'LINUX') {
    unpriced(ctx, `runtime platform ${arch}/${platform.OperatingSystemFamily} has no price`);
  }
  const tasks = baselineTasks(ctx);
  const vcpu = cpu / 1024;
  const gb = memory / 1024;
  const hourlyPerTask = vcpu * ctx.prices.fargateVcpuHour[arch].usd + gb * ctx.prices.fargateGbHour[arch].usd;
  return {
    what: `Fargate ${tasks} task${tasks === 1 ? '' : 's'} × ${vcpu} vCPU, ${gb} GB (Linux/${arch === 'ARM64' ? 'ARM' : 'x86'})`,
    monthlyUsd: tasks * hourlyPerTask * ctx.hours,
  };
};

const loadBalancer: Rule = (ctx) => {
  const type = props(ctx.resource).Type ?? 'application';
  if (type !== 'application') unpriced(ctx, `a ${String(type)} load balancer has no price`);
  return {
    what: 'Application Load Balancer (hours; LCUs are billed by use)',
    monthlyUsd: ctx.prices.albHour.usd * ctx.hours,
  };
};

const vpcEndpoint: Rule = (ctx) => {
  const p = props(ctx.resource);
  if ((p.VpcEndpointType ?? 'Gateway') === 'Gateway') return 'none';
  if (p.VpcEndpointType !== 'Interface')
    unpriced(ctx, `${String(p.VpcEndpointType)} endpoints have no price`);
  if (!Array.isArray(p.SubnetIds)) unpriced(ctx, 'cannot count its subnets (one per AZ billed)');
  const azs = p.SubnetIds.length;
  return {
    what: `Interface VPC endpoint × ${azs} AZ`,
    monthlyUsd: azs * ctx.prices.interfaceEndpointAzHour.usd * ctx.hours,
  };
};

/** Metrics an alarm watches: each is billed, and a sub-minute period bills at the high-resolution rate. */
const alarm: Rule = (ctx) => {
  const p = props(ctx.resource);
  const metrics = Array.isArray(p.Metrics)
    ? (p.Metrics as { MetricStat?: { Period?: number } }[]).filter((m) => m.MetricStat)
    : [{ MetricStat: { Period: Number(p.Period ?? 60) } }];
  const count = Math.max(metrics.length, 1);
  const highResolution = metrics.some((m) => Number(m.MetricStat?.Period ?? 60) < 60);
  const price = highResolution ? ctx.prices.highResolutionAlarmMetricMonth : ctx.prices.alarmMetricMonth;
  return {
    what: highResolution ? 'CloudWatch alarms (high resolution)' : 'CloudWatch alarms',
    monthlyUsd: count * price.usd,
  };
};

const onDemandTable: Rule = (ctx) => {
  if (props(ctx.resource).BillingMode === 'PAY_PER_REQUEST') return 'none';
  return unpriced(ctx, 'has provisioned capacity, which the table does not price');
};

const mediaConvertQueue: Rule = (ctx) => {
  if ((props(ctx.resource).PricingPlan ?? 'ON_DEMAND') === 'ON_DEMAND') return 'none';
  return unpriced(ctx, 'is a reserved queue, a fixed fee the table does not price');
};

const cognitoUserPool: Rule = (ctx) => {
  const tier = props(ctx.resource).UserPoolTier ?? 'ESSENTIALS';
  if (tier !== 'ESSENTIALS') unpriced(ctx, `tier ${String(tier)} has no MAU price in tools/cost/prices.json`);
  return 'none';
};

/** Resource types with a rule: a fixed monthly cost, or a check that the resource really is billed by use. */
const RULES: Readonly<Record<string, Rule>> = {
  'AWS::RDS::DBInstance': rdsInstance,
  'AWS::ECS::Service': fargateService,
  'AWS::EC2::NatGateway': (ctx) => ({
    what: 'NAT gateway (hours; data processed is billed by use)',
    monthlyUsd: ctx.prices.natGatewayHour.usd * ctx.hours,
  }),
  'AWS::EC2::EIP': (ctx) => ({
    what: 'Public IPv4 address',
    monthlyUsd: ctx.prices.publicIpv4Hour.usd * ctx.hours,
  }),
  'AWS::ElasticLoadBalancingV2::LoadBalancer': loadBalancer,
  'AWS::EC2::VPCEndpoint': vpcEndpoint,
  'AWS::KMS::Key': (ctx) => ({ what: 'KMS key', monthlyUsd: ctx.prices.kmsKeyMonth.usd }),
  'AWS::SecretsManager::Secret': (ctx) => ({
    what: 'Secrets Manager secret',
    monthlyUsd: ctx.prices.secretMonth.usd,
  }),
  'AWS::CloudWatch::Alarm': alarm,
  'AWS::CloudWatch::Dashboard': (ctx) => ({
    what: 'CloudWatch dashboard',
    monthlyUsd: ctx.prices.dashboardMonth.usd,
  }),
  'AWS::DynamoDB::Table': onDemandTable,
  'AWS::DynamoDB::GlobalTable': onDemandTable,
  'AWS::MediaConvert::Queue': mediaConvertQueue,
  'AWS::Cognito::UserPool': cognitoUserPool,
};

/** The table's reason for a type with no fixed cost, by exact type or by a `Prefix::*` entry. */
export function noFixedCostReason(table: PriceTable, type: string): string | undefined {
  const exact = table.noFixedCost[type];
  if (exact !== undefined) return exact;
  const match = Object.entries(table.noFixedCost).find(
    ([key]) => key.endsWith('::*') && type.startsWith(key.slice(0, -1)),
  );
  return match?.[1];
}

function regionPrices(table: PriceTable, region: string, who: string): RegionPrices {
  const entry = table.regions[region];
  if (!entry) {
    throw new Error(
      `${who}: no prices for region ${region} in tools/cost/prices.json (it has ${Object.keys(table.regions).join(', ')})`,
    );
  }
  return entry.prices;
}

/** The fixed monthly cost of every stack, failing on any resource type that is neither priced nor listed. */
export function fixedCosts(
  stacks: readonly StackTemplate[],
  table: PriceTable,
  region: string,
): { stacks: StackCost[]; noFixedCost: Map<string, number> } {
  const hours = table.assumptions.hoursPerMonth.value;
  const noFixedCost = new Map<string, number>();
  const costs = stacks.map((stack): StackCost => {
    const stackRegion = stack.region ?? region;
    const prices = regionPrices(table, stackRegion, stack.name);
    const items: FixedItem[] = [];
    for (const [logicalId, resource] of Object.entries(stack.resources)) {
      const rule = RULES[resource.Type];
      const result: RuleResult | undefined = rule
        ? rule({ stack, logicalId, resource, prices, hours })
        : noFixedCostReason(table, resource.Type) !== undefined
          ? 'none'
          : undefined;
      if (result === undefined) {
        throw new UnpricedResourceError(
          resource.Type,
          stack.name,
          `(${logicalId}) has no price rule in tools/cost/model.ts and no entry in noFixedCost of tools/cost/prices.json`,
        );
      }
      if (result === 'none') {
        noFixedCost.set(resource.Type, (noFixedCost.get(resource.Type) ?? 0) + 1);
      } else {
        items.push({ stack: stack.name, logicalId, type: resource.Type, ...result });
      }
    }
    return { name: stack.name, region: stackRegion, monthlyUsd: sum(items.map((i) => i.monthlyUsd)), items };
  });
  return { stacks: costs, noFixedCost };
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function unit(parts: CostPart[]): UnitCost {
  return { usd: sum(parts.map((p) => p.usd)), parts };
}

/** MediaConvert's definitions: SD below 720 lines, HD up to 1080, UHD above. */
export function definitionOf(height: number): 'sd' | 'hd' | 'uhd' {
  if (height < 720) return 'sd';
  return height <= 1080 ? 'hd' : 'uhd';
}

/** Mean price of one second of a Lambda invocation across the platform's functions (memory and architecture). */
function lambdaSecondUsd(stacks: readonly StackTemplate[], prices: RegionPrices): number {
  const perFunction = stacks.flatMap((s) =>
    Object.values(s.resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => {
        const p = props(r);
        const gb = Number(p.MemorySize ?? 128) / 1024;
        const arm = Array.isArray(p.Architectures) && p.Architectures[0] === 'arm64';
        return gb * (arm ? prices.lambdaGbSecond.arm64.usd : prices.lambdaGbSecond.x86_64.usd);
      }),
  );
  return perFunction.length > 0 ? sum(perFunction) / perFunction.length : 0;
}

/** What one Lambda-served API request costs: API Gateway, the invocation, its duration and its DynamoDB use. */
function lambdaRequestUsd(a: Assumptions, prices: RegionPrices, secondUsd: number): number {
  return (
    prices.lambdaMillionRequests.usd / 1e6 +
    (a.lambdaAverageDurationMs.value / 1000) * secondUsd +
    (a.dynamodbReadsPerLambdaRequest.value * prices.dynamodbMillionReads.usd) / 1e6 +
    (a.dynamodbWritesPerLambdaRequest.value * prices.dynamodbMillionWrites.usd) / 1e6
  );
}

const money = (usd: number) => `$${usd.toFixed(usd < 1 ? 4 : 2)}`;

/**
 * Days after which a bucket's lifecycle moves uploaded source videos to Glacier Instant Retrieval (the vod
 * stack's `archive-source-videos` rule), if any bucket of the templates has such a rule.
 */
export function sourceArchiveDays(stacks: readonly StackTemplate[]): number | undefined {
  for (const stack of stacks) {
    for (const resource of Object.values(stack.resources)) {
      if (resource.Type !== 'AWS::S3::Bucket') continue;
      const rules = (resource.Properties?.LifecycleConfiguration as { Rules?: unknown[] } | undefined)?.Rules;
      for (const rule of (rules ?? []) as {
        Prefix?: string;
        Transitions?: { StorageClass?: string; TransitionInDays?: number }[];
      }[]) {
        const toGlacier = rule.Transitions?.find((t) => t.StorageClass === 'GLACIER_IR');
        if (rule.Prefix === 'videos/' && toGlacier?.TransitionInDays !== undefined)
          return toGlacier.TransitionInDays;
      }
    }
  }
  return undefined;
}

/** Templates + prices + scenario → the estimate. Pure: everything it reads is in `input`. */
export function estimateCost(input: CostModelInput): Breakdown {
  const { table, region, features, ladder, scenario } = input;
  const a = table.assumptions;
  const hours = a.hoursPerMonth.value;
  const regionEntry = table.regions[region];
  const prices = regionPrices(table, region, 'the platform');
  const { stacks, noFixedCost } = fixedCosts(input.stacks, table, region);
  const fixedMonthlyUsd = sum(stacks.map((s) => s.monthlyUsd));
  const secondUsd = lambdaSecondUsd(input.stacks, prices);
  const apiUsd = prices.httpApiMillionRequests.usd / 1e6;

  const perHourWatched = features.video
    ? (() => {
        const gb = (a.deliveredBitrateMbps.value * 1e6 * 3600) / 8 / GB;
        const requests = 3600 / ladder.segmentSeconds + a.manifestRequestsPerHourWatched.value;
        return unit([
          {
            label: `CloudFront out: ${gb.toFixed(2)} GB at ${a.deliveredBitrateMbps.value} Mbit/s × ${money(prices.cloudfrontGb.usd)}/GB`,
            usd: gb * prices.cloudfrontGb.usd,
          },
          {
            label: `CloudFront requests: ${requests} (${ladder.segmentSeconds} s segments and playlists)`,
            usd: (requests / 10_000) * prices.cloudfrontHttps10k.usd,
          },
        ]);
      })()
    : undefined;

  const perSourceHourTranscoded = features.video
    ? (() => {
        // AWS's API reference: MULTI_PASS_HQ outputs "incur pro-tier pricing"; SINGLE_PASS_HQ is the default.
        const tier = ladder.qualityTuningLevel === 'MULTI_PASS_HQ' ? 'professional' : 'basic';
        const parts = ladder.rungs.map((rung) => {
          const definition = definitionOf(rung.height);
          const price = prices.mediaconvertMinute[tier][definition];
          return {
            label: `MediaConvert ${rung.name} (${definition.toUpperCase()}, ${tier} tier): 60 min × ${money(price.usd)}`,
            usd: 60 * price.usd,
          };
        });
        const renditionGb = sum(
          ladder.rungs.map((r) => ((r.maxBitrate + ladder.audioBitrate) * 3600) / 8 / GB),
        );
        const sourceGb = (a.sourceBitrateMbps.value * 1e6 * 3600) / 8 / GB;
        const archiveDays = sourceArchiveDays(input.stacks);
        const monthlyStorage = unit([
          {
            label: `S3 Standard: renditions ${renditionGb.toFixed(2)} GB (at the ladder's ceilings, an upper bound)`,
            usd: renditionGb * prices.s3StandardGbMonth.usd,
          },
          archiveDays === undefined
            ? {
                label: `S3 Standard: the upload ${sourceGb.toFixed(2)} GB (kept; the bucket has no expiry)`,
                usd: sourceGb * prices.s3StandardGbMonth.usd,
              }
            : {
                label: `S3 Glacier Instant Retrieval: the upload ${sourceGb.toFixed(2)} GB (Standard for its first ${archiveDays} days)`,
                usd: sourceGb * prices.s3GlacierInstantRetrievalGbMonth.usd,
              },
        ]);
        return { ...unit(parts), monthlyStorage };
      })()
    : undefined;

  const perLiveHour = features.liveLectures
    ? (() => {
        const rendition = a.liveViewerRendition.value;
        const beats = 3600 / HEARTBEATS.liveSeconds;
        return {
          base: unit([{ label: 'IVS Standard channel input', usd: prices.ivsStandardInputHour.usd }]),
          perViewer: unit([
            { label: `IVS output (${rendition})`, usd: prices.ivsOutputHour[rendition].usd },
            {
              label: `presence beats: ${beats} API requests to Lambda and DynamoDB`,
              usd: beats * (apiUsd + lambdaRequestUsd(a, prices, secondUsd)),
            },
          ]),
        };
      })()
    : undefined;

  const watchHours = scenario?.watchHoursPerLearner ?? 0;
  const hasUserPool = input.stacks.some((s) =>
    Object.values(s.resources).some((r) => r.Type === 'AWS::Cognito::UserPool'),
  );
  const requests = a.apiRequestsPerLearnerMonth.value;
  const lambdaShare = a.lambdaShareOfApiRequests.value;
  const learnerParts: CostPart[] = [
    ...(hasUserPool
      ? [
          {
            label: `Cognito Essentials MAU (first ${prices.cognitoEssentialsMau.freeUnits.toLocaleString('en-US')} a month free, not applied here)`,
            usd: prices.cognitoEssentialsMau.usd,
          },
        ]
      : []),
    {
      label: `${requests} API requests, ${Math.round(lambdaShare * 100)}% on Lambda with DynamoDB`,
      usd: requests * apiUsd + requests * lambdaShare * lambdaRequestUsd(a, prices, secondUsd),
    },
    {
      label: `${a.emailsPerLearnerMonth.value} notification e-mails (SES)`,
      usd: (a.emailsPerLearnerMonth.value * prices.sesThousandEmails.usd) / 1000,
    },
    ...(features.video
      ? [
          {
            label: `heartbeats every ${HEARTBEATS.videoSeconds} s for ${watchHours} h watched (API Gateway; the core service is fixed)`,
            usd: ((watchHours * 3600) / HEARTBEATS.videoSeconds) * apiUsd,
          },
        ]
      : []),
  ];
  const perActiveLearnerMonth = unit(learnerParts);

  const breakdown: Omit<Breakdown, 'scenario'> = {
    region,
    regionLabel: regionEntry!.label,
    viewers: regionEntry!.viewers,
    pricesAsOf: table.asOf,
    hoursPerMonth: hours,
    stacks,
    fixedMonthlyUsd,
    noFixedCost,
    unitCosts: {
      ...(perHourWatched ? { perHourWatched } : {}),
      ...(perSourceHourTranscoded ? { perSourceHourTranscoded } : {}),
      ...(perLiveHour ? { perLiveHour } : {}),
      perActiveLearnerMonth,
    },
  };
  if (!scenario) return breakdown;

  if (!features.video && (scenario.watchHoursPerLearner > 0 || scenario.newVideoHours > 0)) {
    throw new Error('the scenario has video hours, but this platform has no video (features.video is off)');
  }
  if (!features.liveLectures && scenario.liveHours > 0) {
    throw new Error(
      'the scenario has live hours, but this platform has no live lectures (features.liveLectures is off)',
    );
  }
  const fixedByWhat = new Map<string, number>();
  for (const item of stacks.flatMap((s) => s.items)) {
    fixedByWhat.set(item.what, (fixedByWhat.get(item.what) ?? 0) + item.monthlyUsd);
  }
  const hoursWatched = scenario.learners * scenario.watchHoursPerLearner;
  const billedMau = hasUserPool ? Math.max(0, scenario.learners - prices.cognitoEssentialsMau.freeUnits) : 0;
  const usage: CostPart[] = [
    ...(perHourWatched
      ? [
          {
            label: `Video delivery: ${hoursWatched.toLocaleString('en-US')} h watched`,
            usd: hoursWatched * perHourWatched.usd,
          },
        ]
      : []),
    ...(perSourceHourTranscoded
      ? [
          {
            label: `Transcoding: ${scenario.newVideoHours} source h`,
            usd: scenario.newVideoHours * perSourceHourTranscoded.usd,
          },
          {
            label: `Storage of this month's ${scenario.newVideoHours} new h (grows each month)`,
            usd: scenario.newVideoHours * perSourceHourTranscoded.monthlyStorage.usd,
          },
        ]
      : []),
    ...(perLiveHour
      ? [
          { label: `Live input: ${scenario.liveHours} h`, usd: scenario.liveHours * perLiveHour.base.usd },
          {
            label: `Live output: ${scenario.liveHours} h × ${scenario.viewers} viewers`,
            usd: scenario.liveHours * scenario.viewers * perLiveHour.perViewer.usd,
          },
        ]
      : []),
    {
      label: `Learners: ${scenario.learners.toLocaleString('en-US')} active (${billedMau.toLocaleString('en-US')} MAU billed after the free tier)`,
      usd:
        billedMau * prices.cognitoEssentialsMau.usd +
        scenario.learners * (perActiveLearnerMonth.usd - (hasUserPool ? prices.cognitoEssentialsMau.usd : 0)),
    },
  ];
  const lines = [...[...fixedByWhat].map(([label, usd]) => ({ label: `Fixed: ${label}`, usd })), ...usage];
  const totalUsd = sum(lines.map((l) => l.usd));
  const drivers = [...lines].sort((x, y) => y.usd - x.usd).slice(0, 3);
  return { ...breakdown, scenario: { lines, totalUsd, drivers } };
}
