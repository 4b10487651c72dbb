import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';

/** The price table kept beside this file; a fork updates it from the pages each entry names. */
export const PRICES_FILE = join(__dirname, 'prices.json');

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date, YYYY-MM-DD');

const priceSchema = z.strictObject({
  usd: z.number().nonnegative(),
  unit: z.string().min(1),
  source: z.url().startsWith('https://aws.amazon.com/'),
  asOf: isoDate,
  /** How the figure was checked: read from a page, or recalled and still to be checked. */
  basis: z.string().min(1),
  note: z.string().min(1).optional(),
});
export type Price = z.infer<typeof priceSchema>;

const byAz = z.strictObject({ singleAz: priceSchema, multiAz: priceSchema });
const byDefinition = z.strictObject({ sd: priceSchema, hd: priceSchema, uhd: priceSchema });

const regionPricesSchema = z.strictObject({
  /** `db.<class>` → hourly price of a PostgreSQL instance. */
  rdsInstanceHour: z.record(z.string().regex(/^db\./, 'an RDS instance class, db.<class>'), byAz),
  rdsStorageGbMonth: z.strictObject({ gp3: byAz, gp2: byAz }),
  natGatewayHour: priceSchema,
  natGatewayGb: priceSchema,
  /** By the task definition's RuntimePlatform.CpuArchitecture. */
  fargateVcpuHour: z.strictObject({ ARM64: priceSchema, X86_64: priceSchema }),
  fargateGbHour: z.strictObject({ ARM64: priceSchema, X86_64: priceSchema }),
  albHour: priceSchema,
  albLcuHour: priceSchema,
  interfaceEndpointAzHour: priceSchema,
  interfaceEndpointGb: priceSchema,
  publicIpv4Hour: priceSchema,
  kmsKeyMonth: priceSchema,
  secretMonth: priceSchema,
  alarmMetricMonth: priceSchema,
  highResolutionAlarmMetricMonth: priceSchema,
  dashboardMonth: priceSchema,
  cloudfrontGb: priceSchema,
  cloudfrontHttps10k: priceSchema,
  /** AVC at 30 fps or less, by tier and by the output's definition (SD below 720 lines, UHD above 1080). */
  mediaconvertMinute: z.strictObject({ basic: byDefinition, professional: byDefinition }),
  s3StandardGbMonth: priceSchema,
  s3StandardIaGbMonth: priceSchema,
  s3GlacierInstantRetrievalGbMonth: priceSchema,
  ivsStandardInputHour: priceSchema,
  /** IVS's definitions: SD up to 480 lines, HD up to 720, Full HD up to 1080. */
  ivsOutputHour: z.strictObject({ sd: priceSchema, hd: priceSchema, fullHd: priceSchema }),
  httpApiMillionRequests: priceSchema,
  lambdaGbSecond: z.strictObject({ arm64: priceSchema, x86_64: priceSchema }),
  lambdaMillionRequests: priceSchema,
  dynamodbMillionWrites: priceSchema,
  dynamodbMillionReads: priceSchema,
  cognitoEssentialsMau: priceSchema.extend({ freeUnits: z.int().nonnegative() }),
  sesThousandEmails: priceSchema,
});
export type RegionPrices = z.infer<typeof regionPricesSchema>;

const assumption = <T extends z.ZodType>(value: T) =>
  z.strictObject({ value, unit: z.string().min(1), why: z.string().min(10) });

const assumptionsSchema = z.strictObject({
  hoursPerMonth: assumption(z.number().positive()),
  deliveredBitrateMbps: assumption(z.number().positive()),
  manifestRequestsPerHourWatched: assumption(z.number().nonnegative()),
  liveViewerRendition: assumption(z.enum(['sd', 'hd', 'fullHd'])),
  sourceBitrateMbps: assumption(z.number().nonnegative()),
  apiRequestsPerLearnerMonth: assumption(z.number().nonnegative()),
  lambdaShareOfApiRequests: assumption(z.number().min(0).max(1)),
  lambdaAverageDurationMs: assumption(z.number().nonnegative()),
  dynamodbReadsPerLambdaRequest: assumption(z.number().nonnegative()),
  dynamodbWritesPerLambdaRequest: assumption(z.number().nonnegative()),
  emailsPerLearnerMonth: assumption(z.number().nonnegative()),
});
export type Assumptions = z.infer<typeof assumptionsSchema>;

export const priceTableSchema = z.strictObject({
  $comment: z.string().optional(),
  currency: z.literal('USD'),
  asOf: isoDate,
  regions: z.record(
    z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region, e.g. ap-northeast-2'),
    z.strictObject({ label: z.string(), viewers: z.string(), prices: regionPricesSchema }),
  ),
  assumptions: assumptionsSchema,
  /**
   * CloudFormation type → why it has no fixed monthly cost (free, or billed only by use). A key ending in
   * `::*` covers every type with that prefix (`Custom::*`).
   */
  noFixedCost: z.record(
    z.string().regex(/^[A-Za-z0-9]+::[A-Za-z0-9]+(::[A-Za-z0-9]+|::\*)?$|^[A-Za-z0-9]+::\*$/),
    z.string().min(3),
  ),
});
export type PriceTable = z.infer<typeof priceTableSchema>;

export class InvalidPriceTableError extends Error {
  constructor(file: string, problems: string[]) {
    super(`Invalid price table ${file}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'InvalidPriceTableError';
  }
}

/** Validates raw price-table data; the error names every offending field by its path. */
export function parsePriceTable(raw: unknown, file = '<prices>'): PriceTable {
  const result = priceTableSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new InvalidPriceTableError(
    file,
    result.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`),
  );
}

export function loadPriceTable(file = PRICES_FILE): PriceTable {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InvalidPriceTableError(file, [`(file): ${(e as Error).message}`]);
  }
  return parsePriceTable(raw, file);
}
