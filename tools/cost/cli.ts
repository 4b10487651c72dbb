import { parseArgs } from 'node:util';
import * as z from 'zod';
import { loadConfig } from '#lib/config/load-config';
import { transcodeLadder } from './ladder';
import { estimateCost, type Breakdown, type CostPart, type Scenario } from './model';
import { loadPriceTable } from './prices';
import { synthesizePlatform } from './templates';

const USAGE = `Usage: npm run cost -- [-c institution=<name>] [--learners N --watch-hours H --new-video-hours V --live-hours L --viewers W]

Synthesizes the institution's platform (config/<name>.json, default "default") in this process, prices every
resource of its templates from tools/cost/prices.json, and prints an ESTIMATE of its monthly AWS cost: the fixed
baseline, the cost per unit of work and, with any scenario flag, that month's total and its largest drivers.

Scenario flags (a month):
  --learners N          active learners
  --watch-hours H       hours of video each learner watches
  --new-video-hours V   hours of source video uploaded and transcoded
  --live-hours L        hours of live lectures
  --viewers W           concurrent viewers of each live lecture

Exit codes: 0 printed; 1 a resource type with no price, or a bad config or price table; 2 usage error.`;

class UsageError extends Error {}

const OPTIONS = {
  context: { type: 'string', short: 'c', multiple: true },
  learners: { type: 'string' },
  'watch-hours': { type: 'string' },
  'new-video-hours': { type: 'string' },
  'live-hours': { type: 'string' },
  viewers: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const count = z.coerce.number<string>().int('a whole number').nonnegative('zero or more');
const hours = z.coerce.number<string>().nonnegative('zero or more').finite();
const flagsSchema = z.strictObject({
  learners: count.default(0),
  'watch-hours': hours.default(0),
  'new-video-hours': hours.default(0),
  'live-hours': hours.default(0),
  viewers: count.default(0),
});
const SCENARIO_FLAGS = Object.keys(flagsSchema.shape) as (keyof z.infer<typeof flagsSchema>)[];

/** `-c key=value` pairs, read as cdk reads them; only `institution` means anything here. */
function institutionOf(context: readonly string[]): string {
  let institution = 'default';
  for (const pair of context) {
    const match = /^([^=]+)=(.*)$/.exec(pair);
    if (!match) throw new UsageError(`-c takes key=value, not ${pair}`);
    if (match[1] === 'institution') institution = match[2]!;
  }
  return institution;
}

function parseFlags(argv: readonly string[]): { institution: string; scenario?: Scenario; help: boolean } {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const institution = institutionOf(values.context ?? []);
  const given = Object.fromEntries(
    SCENARIO_FLAGS.flatMap((f) => (values[f] === undefined ? [] : [[f, values[f]]])),
  );
  const parsed = flagsSchema.safeParse(given);
  if (!parsed.success) {
    throw new UsageError(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('\n'));
  }
  const f = parsed.data;
  const scenario =
    Object.keys(given).length > 0
      ? {
          learners: f.learners,
          watchHoursPerLearner: f['watch-hours'],
          newVideoHours: f['new-video-hours'],
          liveHours: f['live-hours'],
          viewers: f.viewers,
        }
      : undefined;
  return { institution, help: values.help ?? false, ...(scenario ? { scenario } : {}) };
}

const usd = (n: number) =>
  `$${n.toLocaleString('en-US', { minimumFractionDigits: n !== 0 && Math.abs(n) < 1 ? 4 : 2, maximumFractionDigits: n !== 0 && Math.abs(n) < 1 ? 4 : 2 })}`;

function table(rows: readonly (readonly [string, string])[], indent = '  '): string[] {
  const width = Math.max(0, ...rows.map(([label]) => label.length));
  const amountWidth = Math.max(0, ...rows.map(([, amount]) => amount.length));
  return rows.map(([label, amount]) => `${indent}${label.padEnd(width)}  ${amount.padStart(amountWidth)}`);
}

const partRows = (parts: readonly CostPart[]) => parts.map((p) => [p.label, usd(p.usd)] as const);

/** The report: plain text, columns aligned. */
export function formatReport(b: Breakdown, institution: string, regionNote: string | undefined): string {
  const out: string[] = [];
  const caveat =
    'ESTIMATE from list prices and stated assumptions, not a quote. It leaves out: data transfer between AZs and to ' +
    'the internet outside CloudFront, NAT and endpoint GBs processed, ALB LCUs, CloudWatch Logs and metrics ' +
    '(Container Insights), RDS backups beyond the free allowance, IVS recordings and chat, S3 requests, account-wide ' +
    'free tiers (except Cognito MAUs in the scenario), taxes, and support plans.';
  out.push(`Monthly AWS cost estimate for "${institution}"`, wrap(caveat), '');
  out.push(`Region priced: ${b.region} (${b.regionLabel}); viewers in ${b.viewers}.`);
  if (regionNote) out.push(regionNote);
  out.push(
    `Price table: tools/cost/prices.json, as of ${b.pricesAsOf}; ${b.hoursPerMonth} hours a month.`,
    '',
  );

  out.push(`Fixed monthly baseline (running before anyone uses it): ${usd(b.fixedMonthlyUsd)}`);
  for (const stack of [...b.stacks].sort((x, y) => y.monthlyUsd - x.monthlyUsd)) {
    if (stack.items.length === 0) continue;
    out.push(
      `  ${stack.name}${stack.region !== b.region ? ` (${stack.region})` : ''}: ${usd(stack.monthlyUsd)}`,
    );
    const grouped = new Map<string, { n: number; usd: number }>();
    for (const item of stack.items) {
      const g = grouped.get(item.what) ?? { n: 0, usd: 0 };
      grouped.set(item.what, { n: g.n + 1, usd: g.usd + item.monthlyUsd });
    }
    out.push(
      ...table(
        [...grouped]
          .sort((x, y) => y[1].usd - x[1].usd)
          .map(([what, g]) => [`${g.n > 1 ? `${g.n} × ` : ''}${what}`, usd(g.usd)] as const),
        '      ',
      ),
    );
  }
  const free = [...b.noFixedCost.values()].reduce((x, y) => x + y, 0);
  out.push(
    `  ${free} more resources of ${b.noFixedCost.size} types have no fixed cost (free, or billed by use: see noFixedCost in the price table).`,
    '',
  );

  out.push('Cost per unit of work:');
  const u = b.unitCosts;
  if (u.perHourWatched) {
    out.push(
      `  per hour watched: ${usd(u.perHourWatched.usd)}`,
      ...table(partRows(u.perHourWatched.parts), '      '),
    );
  } else out.push('  per hour watched: none (features.video is off)');
  if (u.perSourceHourTranscoded) {
    const t = u.perSourceHourTranscoded;
    out.push(
      `  per source hour transcoded: ${usd(t.usd)} once, then ${usd(t.monthlyStorage.usd)} a month kept`,
      ...table([...partRows(t.parts), ...partRows(t.monthlyStorage.parts)], '      '),
    );
  } else out.push('  per source hour transcoded: none (features.video is off)');
  if (u.perLiveHour) {
    out.push(
      `  per live hour: ${usd(u.perLiveHour.base.usd)} + ${usd(u.perLiveHour.perViewer.usd)} per viewer`,
      ...table([...partRows(u.perLiveHour.base.parts), ...partRows(u.perLiveHour.perViewer.parts)], '      '),
    );
  } else out.push('  per live hour: none (features.liveLectures is off)');
  out.push(
    `  per active learner a month: ${usd(u.perActiveLearnerMonth.usd)}`,
    ...table(partRows(u.perActiveLearnerMonth.parts), '      '),
    '',
  );

  if (b.scenario) {
    out.push(`Scenario total: ${usd(b.scenario.totalUsd)} a month`);
    out.push(...table(partRows([...b.scenario.lines].sort((x, y) => y.usd - x.usd))));
    out.push('Largest drivers:');
    out.push(
      ...b.scenario.drivers.map(
        (d, i) =>
          `  ${i + 1}. ${d.label}: ${usd(d.usd)} (${((d.usd / b.scenario!.totalUsd) * 100).toFixed(0)}%)`,
      ),
    );
  } else {
    out.push(
      'No scenario: pass --learners, --watch-hours, --new-video-hours, --live-hours, --viewers for a month total.',
    );
  }
  out.push(
    '',
    wrap(
      `This is an estimate. ${caveat.replace(/^ESTIMATE[^.]*\. /, '')} Check the prices in tools/cost/prices.json before quoting it.`,
    ),
  );
  return out.join('\n');
}

function wrap(text: string, width = 110): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

function main(argv: readonly string[]): number {
  const { institution, scenario, help } = parseFlags(argv);
  if (help) {
    console.log(USAGE);
    return 0;
  }
  const config = loadConfig(institution);
  const prices = loadPriceTable();
  if (
    scenario &&
    !config.features.video &&
    (scenario.watchHoursPerLearner > 0 || scenario.newVideoHours > 0)
  ) {
    throw new UsageError(
      `--watch-hours, --new-video-hours: ${institution} has no video (features.video is off)`,
    );
  }
  if (scenario && !config.features.liveLectures && scenario.liveHours > 0) {
    throw new UsageError(`--live-hours: ${institution} has no live lectures (features.liveLectures is off)`);
  }
  const region = config.region ?? 'us-east-1';
  const regionNote = config.region
    ? undefined
    : 'The config names no region (an environment-agnostic platform): priced as us-east-1.';
  const started = performance.now();
  process.stderr.write(`Synthesizing ${institution}…\n`);
  const stacks = synthesizePlatform(config);
  process.stderr.write(
    `Synthesized ${stacks.length} stacks in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
  const breakdown = estimateCost({
    stacks,
    table: prices,
    region,
    features: { video: config.features.video, liveLectures: config.features.liveLectures },
    ladder: transcodeLadder(),
    ...(scenario ? { scenario } : {}),
  });
  console.log(formatReport(breakdown, institution, regionNote));
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  if (e instanceof UsageError) {
    console.error(`${e.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else if (e instanceof Error) {
    // InvalidConfigError, InvalidPriceTableError, UnpricedResourceError: their messages name what to fix.
    console.error(e.message);
    process.exitCode = 1;
  } else throw e;
}
