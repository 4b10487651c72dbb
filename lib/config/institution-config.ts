import { domainToASCII } from 'node:url';
import * as z from 'zod';
import {
  COMPLIANCE_PROFILES,
  type ComplianceProfile,
  complianceProfile,
  type ComplianceProfileName,
} from '#contracts/compliance-profiles';
import { HEARTBEATS } from '#contracts/heartbeats';

/** CloudWatch Logs accepts only these retention periods (days). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** Fargate's valid task CPU units and, for each, the memory sizes (MiB) it accepts. */
const FARGATE_MEMORY_BY_CPU: Record<number, (memory: number) => boolean> = {
  256: (m) => [512, 1024, 2048].includes(m),
  512: (m) => m >= 1024 && m <= 4096 && m % 1024 === 0,
  1024: (m) => m >= 2048 && m <= 8192 && m % 1024 === 0,
  2048: (m) => m >= 4096 && m <= 16384 && m % 1024 === 0,
  4096: (m) => m >= 8192 && m <= 30720 && m % 1024 === 0,
};

const EMAIL_RULE = 'an e-mail address such as ops@example.com';

/** `.int()` alone says "expected int, received number", which a fork's platform team need not decode. */
const wholeNumber = () => z.number().int('a whole number');

const slug = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/,
    'starts with a letter, has only lower-case letters, digits and hyphens, ends with a letter or digit, ' +
      '3 to 32 characters',
  );

/** An AWS region name; config fields that name a region share it. */
const awsRegion = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, 'an AWS region such as eu-west-1');

/** A DNS label: letters, digits and hyphens, 1 to 63, neither first nor last a hyphen. */
const DNS_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
/** A top-level domain: letters, or an internationalized one in punycode (`xn--3e0b707e`). */
const DNS_TLD = '(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})';

/**
 * A lower-case DNS name in ASCII. Internationalized names go in punycode (`xn--` labels), as DNS and
 * certificates carry them; a name written in Unicode is refused with its punycode form.
 */
const domainName = z
  .string()
  .superRefine((name, ctx) => {
    const ascii = domainToASCII(name);
    if (ascii && /[^\p{ASCII}]/u.test(name)) {
      ctx.addIssue({ code: 'custom', message: `an internationalized name goes in punycode: "${ascii}"` });
    }
  })
  .regex(
    new RegExp(`^(?:${DNS_LABEL}\\.)+${DNS_TLD}$`),
    'a lower-case DNS name such as academy.example.com (punycode labels such as xn--… for internationalized names)',
  );

/** Cognito refuses a managed login domain prefix that contains any of these, even inside a word. */
export const COGNITO_RESERVED_WORDS = ['aws', 'amazon', 'cognito'] as const;
const reservedWordIn = (s: string) => COGNITO_RESERVED_WORDS.find((w) => s.includes(w));

/** Cognito's rules for the prefix of `<prefix>.auth.<region>.amazoncognito.com`. */
const domainPrefix = z
  .string()
  .regex(
    /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
    'lower-case letters, digits and hyphens, at most 63 characters, not starting or ending with a hyphen',
  )
  .superRefine((prefix, ctx) => {
    const word = reservedWordIn(prefix);
    if (word)
      ctx.addIssue({ code: 'custom', message: `Cognito refuses a domain prefix containing "${word}"` });
  });

/**
 * How Cognito sends sign-up codes, password resets and invitations: through Amazon SES, as an identity
 * verified there before the deploy. Cognito's own sender allows about 50 e-mails a day, so prod must name one.
 */
const cognitoEmail = z.strictObject({
  from: z.email().describe('The sender address.'),
  fromName: z.string().min(1).max(64).optional().describe("The sender's display name."),
  replyTo: z.email().optional().describe('Where replies go. @default the from address'),
  sesIdentity: z
    .string()
    .min(1)
    .optional()
    .describe(
      'The verified SES identity that covers `from`: the address itself or its domain. @default the from address',
    ),
  sesRegion: awsRegion
    .optional()
    .describe(
      "The SES region holding the identity; Cognito accepts its own region or, for some regions, a documented alternative. @default the platform's region (required when the config names none)",
    ),
});

/** Any field of `T` may be left out, at any depth; `null` stays a value of its own (it turns a rule off). */
export type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends readonly unknown[]
    ? T[K]
    : T[K] extends object | null
      ? DeepPartial<NonNullable<T[K]>> | Extract<T[K], null>
      : T[K];
};

/**
 * The schema with every field optional, also inside nested objects, so an override names just the numbers it
 * changes (`{ "courseCompletion": { "minScore": 70 } }`); the merged profile is checked whole.
 */
function deepPartial(schema: z.ZodType): z.ZodType {
  let partial: z.ZodType = schema;
  if (schema instanceof z.ZodObject) {
    const shape = schema.shape as Record<string, z.ZodType>;
    partial = z.strictObject(
      Object.fromEntries(Object.entries(shape).map(([key, field]) => [key, deepPartial(field).optional()])),
    );
  } else if (schema instanceof z.ZodNullable) {
    partial = deepPartial(schema.unwrap() as z.ZodType).nullable();
  }
  // The editor's help (config/institution.schema.json) keeps each field's description.
  return schema.description && partial !== schema ? partial.describe(schema.description) : partial;
}

const complianceOverrides = deepPartial(complianceProfile) as z.ZodType<DeepPartial<ComplianceProfile>>;

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `overrides` laid over `base` field by field at every depth; a value that is not an object replaces. */
export function deepMerge<T>(base: T, overrides: DeepPartial<T> | undefined): T {
  if (!isPlainObject(base) || !isPlainObject(overrides))
    return (overrides === undefined ? base : overrides) as T;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value !== undefined) merged[key] = deepMerge(base[key], value as DeepPartial<unknown>);
  }
  return merged as T;
}

const secretName = z
  .string()
  .min(1)
  .describe('name or ARN of a Secrets Manager secret holding the client secret; never the secret itself');

const googleProvider = z.strictObject({
  clientId: z
    .string()
    .min(1)
    .meta({
      description: 'The OAuth client id from the Google Cloud console (Credentials, OAuth 2.0 Client IDs).',
      examples: ['1234567890-abc.apps.googleusercontent.com'],
    }),
  clientSecretName: secretName,
});

const oidcProvider = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ and -, at most 32 characters')
    .describe("The name users see on the sign-in page and the provider's name in Cognito."),
  clientId: z.string().min(1).describe('The client id the identity provider gave this platform.'),
  clientSecretName: secretName,
  issuerUrl: z.url({ protocol: /^https$/ }).meta({
    description: 'The provider’s issuer (https), where Cognito finds `.well-known/openid-configuration`.',
    examples: ['https://sso.example.com/realms/staff'],
  }),
  scopes: z
    .array(z.string().min(1))
    .default(['openid', 'email', 'profile'])
    .describe('The OAuth scopes Cognito asks for; `openid` and `email` are needed to match accounts.'),
});

const origin = z.url({ protocol: /^https?$/ }).refine((u) => new URL(u).origin === u, {
  message: 'an origin only: scheme, host and port, no path or trailing slash',
});

/**
 * The most concurrent viewers `apiThrottleFor` can serve within API Gateway's default regional quota of 10,000
 * requests a second.
 */
const MAX_CONCURRENT_VIEWERS = 75_000;
/** `scale.concurrentViewers` of a config that leaves it out: a small institution's evening peak. */
export const DEFAULT_CONCURRENT_VIEWERS = 250;

const sizingSchema = z.strictObject({
  database: z
    .strictObject({
      instanceType: z
        .string()
        .regex(/^[a-z][a-z0-9]*\.[a-z0-9]+$/, 'an RDS instance type such as t4g.micro')
        .meta({
          description: 'The RDS instance class, without `db.`.',
          examples: ['t4g.micro', 'm7g.large'],
        }),
      allocatedStorageGiB: wholeNumber()
        .min(20)
        .max(65536)
        .describe('Storage the database starts with, in GiB (gp3).'),
      maxAllocatedStorageGiB: wholeNumber()
        .min(20)
        .max(65536)
        .describe('The ceiling storage autoscaling may grow to, in GiB: at least allocatedStorageGiB.'),
      multiAz: z
        .boolean()
        .describe('A standby in the second zone that takes over when the first fails (doubles the price).'),
    })
    .describe('The PostgreSQL instance of the core service.'),
  service: z
    .strictObject({
      cpu: z
        .literal([256, 512, 1024, 2048, 4096])
        .describe('Fargate CPU units per task of the core service (1024 is one vCPU).'),
      memoryMiB: wholeNumber()
        .positive()
        .meta({
          description:
            'Memory per task in MiB, one Fargate offers for the CPU (256: 512-2048; 1024: 2048-8192).',
          examples: [512, 2048],
        }),
      minTasks: wholeNumber()
        .min(1)
        .describe('The floor auto scaling keeps, and the count a new service starts at.'),
      maxTasks: wholeNumber()
        .min(1)
        .default(4)
        .describe(
          "The ceiling auto scaling may reach. Defaults to 4, the ceiling of the video service this platform replaces, which carried the same institutions' traffic: a known bound on what a surge may cost.",
        ),
      targetCpuPercent: wholeNumber()
        .min(20)
        .max(90)
        .default(60)
        .describe(
          "Average CPU (percent) auto scaling keeps the tasks at. Lower than the replaced service's 75: Node serves on one thread, so latency climbs well before a task's CPU is used up, and a new task takes a minute or two (image pull, start, two health checks) before it takes traffic.",
        ),
    })
    .describe('The core REST service on Fargate: task size and auto scaling.'),
  network: z
    .strictObject({
      natGateways: z
        .union([z.literal(1), z.literal(2)])
        .describe('One NAT gateway (in one zone) saves money; two keep egress up in the zone that survives.'),
      interfaceEndpoints: z
        .boolean()
        .default(false)
        .describe(
          "Interface endpoints in both zones for the AWS APIs the core service and the VPC's Lambdas call (ECR, CloudWatch Logs, Secrets Manager, SQS, EventBridge): they keep working when a NAT gateway's zone fails, and their traffic costs less per GB than the NAT's; each costs an hourly fee per zone.",
        ),
    })
    .describe("The VPC's way out to AWS's APIs and the internet."),
  api: z
    .strictObject({
      rateLimit: wholeNumber().min(1).max(10000).describe('Steady requests a second the API accepts.'),
      burstLimit: wholeNumber().min(1).max(5000).describe('Requests allowed at once above the steady rate.'),
    })
    .optional()
    .describe(
      'Stage-wide API throttling: steady requests per second and the burst allowed above it. @default derived from `scale.concurrentViewers` (`apiThrottleFor`)',
    ),
});

/** The smallest sizing that runs the platform: what a dev config without `sizing` gets. */
export const DEV_SIZING: z.output<typeof sizingSchema> = {
  database: {
    instanceType: 't4g.micro',
    allocatedStorageGiB: 20,
    maxAllocatedStorageGiB: 100,
    multiAz: false,
  },
  service: { cpu: 256, memoryMiB: 512, minTasks: 1, maxTasks: 2, targetCpuPercent: 60 },
  network: { natGateways: 1, interfaceEndpoints: false },
};

export const institutionConfigSchema = z
  .strictObject({
    $schema: z
      .string()
      .optional()
      .describe('The JSON Schema an editor checks the file against: `./institution.schema.json`.'),
    institution: z
      .strictObject({
        name: z
          .string()
          .min(1)
          .max(100)
          .meta({ description: 'The name learners see.', examples: ['Example Academy'] }),
        slug: slug.meta({
          description:
            'Prefixes stack names, resource names and the Cognito domain. Changing it after a deploy makes new ' +
            'stacks and leaves the old ones (their data retained) to delete by hand.',
          examples: ['example-academy'],
        }),
      })
      .describe('Who this platform is for.'),
    stage: z
      .enum(['dev', 'prod'])
      .describe(
        'prod requires sizing, a budget, an SES sender, https origins and kept data; dev has defaults.',
      ),
    account: z
      .string()
      .regex(/^\d{12}$/, 'a 12-digit AWS account id')
      .optional()
      .describe('Leave both unset for an environment-agnostic synth (no AWS lookups either way).'),
    region: awsRegion
      .optional()
      .meta({ description: 'The AWS region to deploy to, with account.', examples: ['eu-west-1'] }),
    availabilityZones: z
      .tuple([z.string(), z.string()])
      .refine(([a, b]) => a !== b, 'two different zones')
      .optional()
      .describe(
        'The two AZs of a region-bound deployment, required with `region`; given here so synth needs no lookup, and named rather than guessed because zone names differ between accounts.',
      ),
    domain: z
      .strictObject({
        name: domainName.describe(
          'Parent domain: the API is served at api.<name>, and session cookies are scoped to <name>.',
        ),
        hostedZoneId: z
          .string()
          .regex(
            /^Z[A-Z0-9]{4,32}$/,
            'the id of the Route 53 hosted zone of domain.name: Z followed by upper-case letters and digits, ' +
              'such as Z0123456789ABCDEFGHIJ; `aws route53 list-hosted-zones-by-name --dns-name <domain.name>` ' +
              'prints it (Id, after /hostedzone/)',
          )
          .meta({
            description: 'Route 53 hosted zone of the parent domain; given here so synth needs no lookup.',
            examples: ['Z0123456789ABCDEFGHIJ'],
          }),
      })
      .optional()
      .describe(
        'The app at app.<name>, the API at api.<name>, video at video.<name>, each with a certificate; needs ' +
          'account and region. Without it the app cannot keep a session across its origins.',
      ),
    cors: z
      .strictObject({
        allowedOrigins: z
          .array(origin)
          .min(1)
          .describe(
            "Browser origins of the institution's web apps; the first is where sign-in returns by default.",
          ),
      })
      .describe('Who may call the API from a browser.'),
    sizing: sizingSchema
      .optional()
      .describe(
        'The capacity the platform runs with. Optional in dev, where it defaults to `DEV_SIZING` (the smallest that runs: one NAT gateway, a single-AZ t4g.micro database, one 0.25 vCPU task); required in prod, whose capacity is a decision to make with `npm run cost`.',
      ),
    scale: z
      .strictObject({
        concurrentViewers: wholeNumber()
          .min(1)
          .max(
            MAX_CONCURRENT_VIEWERS,
            `at most ${MAX_CONCURRENT_VIEWERS}: more would need an API throttle above API Gateway's regional quota of 10,000 requests a second; ask AWS to raise it and set sizing.api`,
          )
          .default(DEFAULT_CONCURRENT_VIEWERS)
          .describe(
            'Learners watching a video or a live lecture at the busiest moment of a month. The API throttle and the monthly transcoding budget derive from it (`apiThrottleFor`, `monthlyTranscodeMinutesFor`).',
          ),
      })
      .prefault({})
      .describe('What the platform is expected to carry; the defaults of its limits are derived from it.'),
    cost: z
      .strictObject({
        monthlyBudgetUsd: wholeNumber()
          .min(1)
          .max(10_000_000)
          .optional()
          .describe(
            "The platform's expected monthly bill in US dollars. An AWS Budgets budget over the resources tagged with this platform's `lms:institution` and `lms:stage` e-mails `alarmEmail` at 80% and 100% of it, and when the month's forecast passes it. `npm run cost` estimates it. @default 200 in dev, required in prod",
          ),
      })
      .prefault({})
      .describe('Guardrails on the bill.'),
    features: z
      .strictObject({
        liveLectures: z.boolean().describe('Live lectures on IVS: the live stack, its routes and alarms.'),
        video: z.boolean().describe('Video uploads, transcoding and signed playback: the vod stack.'),
      })
      .describe('Which optional parts of the platform to deploy.'),
    video: z
      .strictObject({
        maxUploadGiB: wholeNumber()
          .min(1)
          .max(5120)
          .default(10)
          .describe(
            "Largest video file an instructor may upload, in GiB. The upload routes check it, since a presigned part URL cannot cap the total size. S3's object limit (5 TiB) is the ceiling.",
          ),
        abortIncompleteUploadDays: wholeNumber()
          .min(1)
          .max(365)
          .default(7)
          .describe(
            "Days after which S3 aborts a multipart upload that was started but never completed, deleting its parts: an abandoned upload's parts are billed as storage but appear in no listing.",
          ),
        monthlyTranscodeMinutes: wholeNumber()
          .min(1)
          .max(10_000_000)
          .optional()
          .describe(
            'Minutes of source video the institution may have transcoded per calendar month. MediaConvert bills every output rendition per minute, so this bounds the bill; uploads past it are refused.',
          ),
        archiveSourcesAfterDays: wholeNumber()
          .min(1)
          .max(3650)
          .default(30)
          .describe(
            "Days after which an uploaded source video moves to S3 Glacier Instant Retrieval. Sources are read again only to transcode anew, and that storage class still serves a read at once (MediaConvert reads it like any object) at about a fifth of Standard's price; it bills at least 90 days per object. Materials stay in Standard: learners download them.",
          ),
        playbackCookieMinutes: wholeNumber()
          .min(1)
          .max(60)
          .default(10)
          .describe(
            'How long a signed playback cookie stays valid, in minutes. Short, so that a cookie copied out of a browser, or kept after an enrolment ends, is soon useless; players renew it while a learner watches.',
          ),
        signingKeys: z
          .strictObject({
            trusted: z
              .array(wholeNumber().min(1))
              .min(1)
              .max(2)
              .describe(
                'The key generations whose public keys the distribution trusts: one, or two in a rotation.',
              ),
            signWith: wholeNumber().min(1).describe('The trusted generation the playback route signs with.'),
            regionalNames: z
              .boolean()
              .default(false)
              .describe(
                'Name each public key `<slug>-vod-<region>-playback-<generation>`. CloudFront keeps public key names account-wide, and without this they are named from the stack alone, so one slug deployed in two regions of one account collides (synth refuses such a pair of configs). Set it for a platform not yet deployed; a deployed one keeps its keys by leaving it off, since CloudFront cannot rename a key and the vod stack exports each key id to the api stack.',
              ),
          })
          .refine((k) => k.trusted.includes(k.signWith), {
            message: 'signWith must be one of the trusted generations',
          })
          .refine((k) => new Set(k.trusted).size === k.trusted.length, {
            message: 'trusted lists a generation twice',
          })
          .default({ trusted: [1], signWith: 1, regionalNames: false })
          .describe(
            'Generations of the key pair that signs playback cookies: those whose public keys the distribution trusts (one, or two during a rotation), and the one the playback route signs with. To rotate, deploy `trusted: [n, n+1]` (the new key is made and trusted, nothing signs with it yet), then `signWith: n+1`, then, once cookies the old key signed have expired, `trusted: [n+1]`.',
          ),
      })
      // `prefault`, not `default`: the empty block is parsed, so each field gets its own default.
      .prefault({})
      .describe("The video pipeline's limits (used when `features.video` is on); every field has a default."),
    live: z
      .strictObject({
        recording: z
          .boolean()
          .default(true)
          .describe(
            'Record lectures to S3 through an IVS recording configuration, so a recording can become a video of the course. Off: no recording bucket or configuration, and channels are created without one.',
          ),
        recordingRetentionDays: wholeNumber()
          .min(1)
          .max(3650)
          .default(365)
          .describe(
            "Days a raw recording is kept. IVS writes every rendition and segment of a lecture; once a recording has become a course video, the raw files are only a fallback, so they expire. Past 30 days they move to Infrequent Access (S3's minimum for that class).",
          ),
        playbackKeyRotation: wholeNumber()
          .min(1)
          .default(1)
          .describe(
            'Raise by one and deploy to rotate the playback key pair: a new pair is generated and imported, and the old one is deleted from IVS at the end of the deploy (tokens it signed then stop working).',
          ),
      })
      // `prefault`, not `default`: the empty block is parsed, so each field gets its own default.
      .prefault({})
      .describe(
        "Live lectures' settings (used when `features.liveLectures` is on); every field has a default.",
      ),
    analytics: z
      .strictObject({
        export: z
          .strictObject({
            enabled: z
              .boolean()
              .default(false)
              .describe(
                'Copy every event of the platform bus to S3 as Parquet (Firehose), partitioned by day, with a Glue table over it and an Athena workgroup: the analytics stack. Heavy and ad hoc questions then run on Athena instead of the production database. Events from the day it is turned on; earlier facts stay in the database only.',
              ),
            retentionDays: wholeNumber()
              .min(1)
              .max(3650)
              .default(730)
              .describe(
                "Days an exported event file is kept in the export bucket; the events' own facts stay in the database either way. Lower it where a regime limits how long personal data (learners' ids in the events) may be kept.",
              ),
            bufferSeconds: wholeNumber()
              .min(60)
              .max(900)
              .default(300)
              .describe(
                'Longest time Firehose gathers events before writing a file (60 to 900 seconds): longer means fewer, larger files (faster and cheaper to query), shorter means fresher answers.',
              ),
          })
          .prefault({})
          .describe("The export of the bus's events."),
        athena: z
          .strictObject({
            bytesScannedCutoffGiB: wholeNumber()
              .min(1)
              .max(10_000)
              .default(10)
              .describe(
                'Most data one Athena query of the workgroup may scan, in GiB; a query past it is cancelled. Athena bills per TB scanned, so this bounds what one careless query costs (10 GiB: about $0.05).',
              ),
            resultRetentionDays: wholeNumber()
              .min(1)
              .max(365)
              .default(30)
              .describe("Days Athena's query results are kept in the results bucket."),
          })
          .prefault({})
          .describe("The Athena workgroup's guardrails."),
      })
      // `prefault`, not `default`: the empty block is parsed, so each field gets its own default.
      .prefault({})
      .describe(
        'The optional analytics export: off by default; every field has a default. After the first deploy it can be turned on or off (off deletes the stack; with retention.keepStatefulData its buckets are kept).',
      ),
    audit: z
      .strictObject({
        archive: z
          .strictObject({
            keepMonths: wholeNumber()
              .min(0)
              .max(1200)
              .default(24)
              .describe(
                "Months of the learning audit trail kept in the database after the current one. An older month moves to the core service's audit archive bucket as one Parquet object (checked, then its partition dropped) and stays readable through the audit export. 0 archives nothing (the bucket is still made; months archived before stay readable).",
              ),
          })
          .prefault({})
          .describe("The audit trail's archive: old months in S3 instead of the database."),
      })
      // `prefault`, not `default`: the empty block is parsed, so each field gets its own default.
      .prefault({})
      .describe('The learning audit trail; every field has a default.'),
    retention: z
      .strictObject({
        logDays: z
          .number()
          .refine((d) => (LOG_RETENTION_DAYS as readonly number[]).includes(d), {
            message: `one of CloudWatch's retention periods: ${LOG_RETENTION_DAYS.join(', ')}`,
          })
          .meta({
            description: `Days CloudWatch keeps logs: one of ${LOG_RETENTION_DAYS.join(', ')}.`,
            examples: [30, 365],
          }),
        backupDays: wholeNumber().min(1).max(35).describe('Days RDS keeps automated backups (1 to 35).'),
        keepStatefulData: z
          .boolean()
          .describe(
            'Keep databases, tables and buckets when their stack is deleted (and protect them from deletion).',
          ),
      })
      .describe('How long logs and backups are kept, and whether data outlives its stack.'),
    compliance: z
      .strictObject({
        profile: z
          .enum(Object.keys(COMPLIANCE_PROFILES) as [ComplianceProfileName, ...ComplianceProfileName[]])
          .describe('The named regime (contracts/compliance-profiles.ts).'),
        overrides: complianceOverrides
          .optional()
          .describe('Any of the profile’s numbers, nested ones alone; merged deeply over the profile.'),
      })
      .default({ profile: 'standard' })
      .describe('The training regime: a named compliance profile, with any of its numbers overridden.'),
    alarmEmail: z
      .union(
        [
          z.email(EMAIL_RULE),
          z
            .array(z.email(EMAIL_RULE))
            .min(1, 'at least one address')
            .max(10, 'at most 10 addresses; for more, name a mailing list')
            .refine(
              (a) => new Set(a.map((e) => e.toLowerCase())).size === a.length,
              'an address is listed twice',
            ),
        ],
        { error: 'one e-mail address, or a list of 1 to 10' },
      )
      // Every reader gets a list, however the fork wrote it.
      .transform((a) => (typeof a === 'string' ? [a] : a))
      .describe(
        "Who receives alarms and the budget's alerts: one address, or up to 10 (a team's members, or a list and an on-call pager's address). Each confirms its SNS subscriptions from the e-mail AWS sends.",
      ),
    auth: z
      .strictObject({
        mfa: z
          .enum(['off', 'optional', 'required'])
          .describe(
            'Multi-factor sign-in with an authenticator app: off, optional, or required of everyone.',
          ),
        domainPrefix: domainPrefix
          .optional()
          .describe(
            'Prefix of the managed login domain, `<prefix>.auth.<region>.amazoncognito.com`, which must be unused by every AWS account in the region. @default `lms-<slug>-<stage>-<account id>`',
          ),
        selfSignUp: z
          .boolean()
          .optional()
          .describe(
            'Whether anyone may create an account with e-mail and password. Federated sign-in (Google, OIDC) creates accounts either way. @default true in dev, false in prod (`selfSignUpOf`)',
          ),
        email: cognitoEmail.optional().describe("@default Cognito's own sender, dev only"),
        identityProviders: z
          .strictObject({
            google: googleProvider.optional().describe('Sign-in with Google.'),
            oidc: z
              .array(oidcProvider)
              .max(10)
              .default([])
              .describe(
                'Sign-in with OpenID Connect providers: an employer’s SSO (Keycloak, Entra ID, Okta...).',
              ),
          })
          .default({ oidc: [] })
          .describe('Single sign-on besides e-mail and password; client secrets stay in Secrets Manager.'),
      })
      .describe('Sign-in: Cognito’s user pool, its MFA, e-mail sender and identity providers.'),
    notifications: z
      .strictObject({
        email: cognitoEmail
          .omit({ sesRegion: true })
          .optional()
          .describe('The sender. @default `auth.email`; with neither, notifications stay in the inbox'),
        configurationSetName: z
          .string()
          .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -, at most 64 characters')
          .optional()
          .describe(
            'The SES configuration set the platform creates and every e-mail names (bounces and complaints suppress addresses through it). @default `lms-<slug>-<stage>-notifications`',
          ),
      })
      .default({})
      .describe(
        "Notifications by e-mail (the in-app inbox needs nothing). Sent through Amazon SES from an identity verified there before the deploy; out of SES's sandbox, or only verified addresses receive them.",
      ),
  })
  .superRefine((c, ctx) => {
    if (Boolean(c.account) !== Boolean(c.region)) {
      ctx.addIssue({
        code: 'custom',
        path: [c.account ? 'region' : 'account'],
        message: 'account and region go together: set both, or neither for an environment-agnostic synth',
      });
    }
    if (c.domain && !(c.account && c.region)) {
      ctx.addIssue({
        code: 'custom',
        path: ['domain'],
        message:
          'needs account and region: video playback on the domain takes its certificate from a us-east-1 ' +
          'stack, and stacks can reference each other across regions only when bound to both',
      });
    }
    if (c.region && !c.availabilityZones) {
      ctx.addIssue({
        code: 'custom',
        path: ['availabilityZones'],
        message:
          `required with a region: two zones of ${c.region} for the VPC's subnets and the database, such as ` +
          `["${c.region}a", "${c.region}b"]; \`aws ec2 describe-availability-zones --region ${c.region}\` ` +
          'lists those your account has (not every letter exists in every account)',
      });
    }
    if (c.stage === 'prod' && c.features.video && !c.domain) {
      ctx.addIssue({
        code: 'custom',
        path: ['domain'],
        message:
          'required in prod with features.video: the signed playback cookies are scoped to the domain, so ' +
          'without one browsers send none to the video distribution and no video plays',
      });
    }
    if (c.availabilityZones && !c.availabilityZones.every((az) => c.region && az.startsWith(c.region))) {
      ctx.addIssue({
        code: 'custom',
        path: ['availabilityZones'],
        message: `zones must be in the configured region (${c.region ?? 'none set'})`,
      });
    }
    if (c.stage === 'prod' && !c.sizing) {
      ctx.addIssue({
        code: 'custom',
        path: ['sizing'],
        message:
          'required in prod: the database, service and network capacity your learners need (npm run cost ' +
          'estimates what a choice costs); only dev falls back to the smallest sizing',
      });
    }
    if (c.stage === 'prod' && c.cost.monthlyBudgetUsd === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['cost', 'monthlyBudgetUsd'],
        message:
          'required in prod: the monthly bill in US dollars you expect (npm run cost estimates it); an AWS ' +
          'budget e-mails alarmEmail at 80% and 100% of it',
      });
    }
    const sizing = c.sizing ?? DEV_SIZING;
    const svc = sizing.service;
    if (svc.minTasks > svc.maxTasks) {
      ctx.addIssue({
        code: 'custom',
        path: ['sizing', 'service', 'minTasks'],
        message: `must not exceed maxTasks (${svc.maxTasks})`,
      });
    }
    if (!FARGATE_MEMORY_BY_CPU[svc.cpu]?.(svc.memoryMiB)) {
      ctx.addIssue({
        code: 'custom',
        path: ['sizing', 'service', 'memoryMiB'],
        message: `${svc.memoryMiB} MiB is not a valid Fargate memory size for ${svc.cpu} CPU units`,
      });
    }
    const db = sizing.database;
    if (db.maxAllocatedStorageGiB < db.allocatedStorageGiB) {
      ctx.addIssue({
        code: 'custom',
        path: ['sizing', 'database', 'maxAllocatedStorageGiB'],
        message: `must be at least allocatedStorageGiB (${db.allocatedStorageGiB})`,
      });
    }
    if (c.stage === 'prod' && !c.retention.keepStatefulData) {
      ctx.addIssue({
        code: 'custom',
        path: ['retention', 'keepStatefulData'],
        message: 'must be true in prod: deleting a stack must never delete learners’ records',
      });
    }
    const network = sizing.network;
    if (c.stage === 'prod' && c.sizing && network.natGateways === 1 && !network.interfaceEndpoints) {
      ctx.addIssue({
        code: 'custom',
        path: ['sizing', 'network'],
        message:
          'prod needs natGateways: 2 or interfaceEndpoints: true: with one NAT gateway and no endpoints, a ' +
          'failure of its zone cuts the other zone off ECR, Secrets Manager, CloudWatch Logs, SQS and ' +
          'EventBridge, so the core service can neither start tasks nor serve',
      });
    }
    if (c.stage === 'prod' && c.cors.allowedOrigins.some((o) => o.startsWith('http:'))) {
      ctx.addIssue({
        code: 'custom',
        path: ['cors', 'allowedOrigins'],
        message: 'prod origins must use https: session cookies are Secure',
      });
    }
    const reserved = reservedWordIn(c.institution.slug);
    if (reserved && !c.auth.domainPrefix) {
      ctx.addIssue({
        code: 'custom',
        path: ['institution', 'slug'],
        message:
          `contains "${reserved}", which Cognito refuses in the sign-in domain prefix made from the slug; ` +
          'set auth.domainPrefix',
      });
    }
    if (c.stage === 'prod' && !c.auth.email) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth', 'email'],
        message:
          'required in prod: Cognito’s own sender allows about 50 e-mails a day, so sign-up codes and password ' +
          'resets go through an SES identity you have verified ({ "from": "no-reply@<your domain>", ' +
          '"sesIdentity": "<your domain>" })',
      });
    }
    const email = c.auth.email;
    if (email) {
      const fromDomain = email.from.slice(email.from.lastIndexOf('@') + 1).toLowerCase();
      const identity = email.sesIdentity?.toLowerCase();
      if (identity !== undefined && identity !== email.from.toLowerCase() && identity !== fromDomain) {
        ctx.addIssue({
          code: 'custom',
          path: ['auth', 'email', 'sesIdentity'],
          message: `must be the from address or its domain (${fromDomain}): Cognito sends as that identity`,
        });
      }
      if (!c.region && !email.sesRegion) {
        ctx.addIssue({
          code: 'custom',
          path: ['auth', 'email', 'sesRegion'],
          message: 'required when the config names no region: the identity’s ARN names its region',
        });
      }
    }
    // An override over a rule the profile turns off (null) has nothing to merge with: it must be whole.
    const merged = complianceProfile.safeParse(
      deepMerge<ComplianceProfile>(COMPLIANCE_PROFILES[c.compliance.profile], c.compliance.overrides),
    );
    for (const issue of merged.success ? [] : merged.error.issues) {
      ctx.addIssue({
        code: 'custom',
        path: ['compliance', 'overrides', ...issue.path],
        message: `${issue.message} (profile ${c.compliance.profile} has none to merge with)`,
      });
    }
    const names = c.auth.identityProviders.oidc.map((p) => p.name);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate) {
      ctx.addIssue({
        code: 'custom',
        path: ['auth', 'identityProviders', 'oidc'],
        message: `provider name ${duplicate} is used twice`,
      });
    }
  })
  // The defaults that follow from other fields, resolved once so every reader sees the same numbers.
  .transform((c) => {
    const sizing = c.sizing ?? DEV_SIZING;
    return {
      ...c,
      sizing: { ...sizing, api: sizing.api ?? apiThrottleFor(c.scale.concurrentViewers) },
      video: {
        ...c.video,
        monthlyTranscodeMinutes:
          c.video.monthlyTranscodeMinutes ?? monthlyTranscodeMinutesFor(c.scale.concurrentViewers),
      },
      cost: { ...c.cost, monthlyBudgetUsd: c.cost.monthlyBudgetUsd ?? DEV_MONTHLY_BUDGET_USD },
    };
  });

export type InstitutionConfig = z.output<typeof institutionConfigSchema>;

/**
 * A dev platform's budget when the config names none: its fixed baseline (`npm run cost`: about $99 a month
 * in us-east-1 with the dev sizing) plus room for trying video and live lectures, so the 80% alert means
 * something changed.
 */
export const DEV_MONTHLY_BUDGET_USD = 200;

/**
 * The stage's API throttle for a peak of `viewers` learners watching at once.
 * - Each sends a heartbeat every `HEARTBEATS.videoSeconds` (15 s): viewers / 15 requests a second.
 * - Watching pages call other routes too (the playback cookie's renewal, the course page, notes, the board):
 *   as many again, so the steady rate is 2 × viewers / 15.
 * - Beats clump when a class presses play together: the burst is twice the rate, within API Gateway's cap of
 *   5,000.
 * - Floors of 100 and 200 for the staff screens' traffic when few watch.
 * 250 viewers: 100 a second (the floor); 5,000 viewers: 667, burst 1,334; 75,000: 10,000, API Gateway's
 * default regional quota.
 */
export function apiThrottleFor(viewers: number): { rateLimit: number; burstLimit: number } {
  const rateLimit = Math.max(100, Math.ceil((2 * viewers) / HEARTBEATS.videoSeconds));
  return { rateLimit, burstLimit: Math.min(5000, 2 * rateLimit) };
}

/**
 * The monthly transcoding budget (minutes of source video) for a peak of `viewers` learners watching at once.
 * - Self-paced training peaks at about a tenth of the month's active learners watching at once: 10 × viewers
 *   active learners.
 * - An institution adds about an hour of new video a month per 30 active learners (issue 20's medium
 *   institution: 3,000 learners, 100 new hours).
 * - Doubled for re-uploads and replaced versions, with a floor of 6,000 minutes (100 hours).
 * 250 viewers: 10,000 minutes; 5,000 viewers: 200,000.
 */
export function monthlyTranscodeMinutesFor(viewers: number): number {
  const newHours = (10 * viewers) / 30;
  return Math.max(6000, Math.ceil(2 * newHours * 60));
}

/**
 * Whether the user pool takes sign-ups, the config's choice or the stage's default. Dev: yes, so a new
 * deployment can be tried at once. Prod: no. The app client's id is public, so an open pool lets anyone
 * create accounts through Cognito's SignUp API, each mailing a code from the institution's SES identity
 * to any address (bounces and complaints put SES sending, password resets included, at risk). Learners
 * signing in through their employer's or Google's single sign-on get accounts either way; a prod fork
 * whose people have e-mail and password only turns sign-up on knowingly.
 */
export function selfSignUpOf(config: InstitutionConfig): boolean {
  return config.auth.selfSignUp ?? config.stage !== 'prod';
}

/** Who notification e-mails are from: the notifications sender, else Cognito's; none means inbox only. */
export function notificationSenderOf(
  config: InstitutionConfig,
): { from: string; fromName?: string; replyTo?: string; sesIdentity: string } | undefined {
  const email = config.notifications.email ?? config.auth.email;
  if (!email) return undefined;
  return {
    from: email.from,
    ...(email.fromName ? { fromName: email.fromName } : {}),
    ...(email.replyTo ? { replyTo: email.replyTo } : {}),
    sesIdentity: email.sesIdentity ?? email.from,
  };
}

/** The profile the core service enforces: the named one with the config's overrides. */
export function complianceOf(config: InstitutionConfig): ComplianceProfile {
  const { profile, overrides } = config.compliance;
  return deepMerge<ComplianceProfile>(COMPLIANCE_PROFILES[profile], overrides);
}
