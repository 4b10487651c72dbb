import { Writable } from 'node:stream';
import {
  Formatter,
  ResourceImpact,
  fullDiff,
  type ResourceDifference,
  type TemplateDiff,
} from '@aws-cdk/cloudformation-diff';
import type { AllowedChange } from './allow-list';
import type { StackTemplates, Template } from './cloud-assembly';

/**
 * Resource types whose replacement or removal loses data the platform cannot rebuild from git. Replacing one
 * creates a new, empty resource under the same role (and deletes the old one unless it is retained).
 *
 * Deliberately left out:
 * - `AWS::Logs::LogGroup`: telemetry, not data the platform reads. Where its history matters (prod configs)
 *   the app retains it, so a replacement or removal orphans the old group with its logs instead of deleting
 *   them; the per-function groups that are not retained go with their function, which is the change intended.
 *   Guarding them would make every removed route need an allow-list entry, and a list that is signed off on
 *   every pull request guards nothing. They are still listed among the resources replaced or destroyed.
 *
 * Included although debatable:
 * - `AWS::SQS::Queue`: its messages are cross-domain events in flight and, in a dead-letter queue, events
 *   waiting for a redrive; EventBridge does not send them again, so a replaced queue loses them.
 * - `AWS::SecretsManager::Secret`: a replaced secret generates a new value; a database password or a
 *   signing key it held is gone.
 */
export const STATEFUL_RESOURCE_TYPES: ReadonlySet<string> = new Set([
  'AWS::RDS::DBInstance',
  'AWS::RDS::DBCluster',
  'AWS::DynamoDB::Table',
  'AWS::DynamoDB::GlobalTable',
  'AWS::S3::Bucket',
  'AWS::EFS::FileSystem',
  // Users, their passwords and MFA devices: none can be exported and imported into a new pool.
  'AWS::Cognito::UserPool',
  // Whatever it encrypted is unreadable once it is gone.
  'AWS::KMS::Key',
  'AWS::SecretsManager::Secret',
  'AWS::SQS::Queue',
  'AWS::Backup::BackupVault',
  'AWS::Kinesis::Stream',
  'AWS::OpenSearchService::Domain',
]);

/** What the allow-list matches on: `replace` includes "may be replaced", `destroy` includes "orphan". */
export type ChangeKind = AllowedChange['change'];

/** CloudFormation's own words for what happens to the resource (the CDK diff prints the same). */
export type Impact = 'replace' | 'may be replaced' | 'destroy' | 'orphan';

/**
 * - `blocked`: a stateful resource lost, and no allow-list entry for it;
 * - `allowed`: a stateful resource lost, with an allow-list entry saying why;
 * - `unguarded`: a stateless resource replaced or destroyed (reported, never fails the check).
 */
export type Verdict = 'blocked' | 'allowed' | 'unguarded';

export interface DestructiveChange {
  readonly stack: string;
  readonly logicalId: string;
  readonly resourceType: string;
  readonly change: ChangeKind;
  readonly impact: Impact;
  readonly stateful: boolean;
  readonly verdict: Verdict;
  /** The construct path (`aws:cdk:path`), when the template carries it. */
  readonly constructPath?: string;
  /** The allow-list's reason, when an entry matched. */
  readonly reason?: string;
}

export type StackStatus = 'added' | 'removed' | 'changed' | 'unchanged';

export interface StackReport {
  readonly stack: string;
  readonly status: StackStatus;
  readonly differenceCount: number;
  /** The diff widens IAM permissions or security-group rules (the CDK's own `permissionsBroadened`). */
  readonly permissionsBroadened: boolean;
  /**
   * The CloudFormation diff as the CDK prints it, reordered: resources replaced or destroyed, then IAM and
   * security-group changes, then everything else. May carry terminal colours (chalk decides, from stdout).
   */
  readonly text: string;
}

export interface DiffReport {
  /** Stacks of the head in assembly order, then stacks only the base has. */
  readonly stacks: readonly StackReport[];
  /** Blocked first, then allowed, then unguarded. */
  readonly destructive: readonly DestructiveChange[];
  /** Allow-list entries that matched no change: once the change is deployed they should be removed. */
  readonly stale: readonly AllowedChange[];
  /** 1 when a stateful resource is lost without an allow-list entry, else 0. */
  readonly exitCode: 0 | 1;
}

export interface DiffOptions {
  /** @default STATEFUL_RESOURCE_TYPES */
  readonly statefulTypes?: ReadonlySet<string>;
}

const DESTRUCTIVE_IMPACTS: ReadonlyMap<ResourceImpact, { change: ChangeKind; impact: Impact }> = new Map([
  [ResourceImpact.WILL_REPLACE, { change: 'replace', impact: 'replace' }],
  // CloudFormation decides at deploy time (a property whose update replaces only in some cases): it may.
  [ResourceImpact.MAY_REPLACE, { change: 'replace', impact: 'may be replaced' }],
  [ResourceImpact.WILL_DESTROY, { change: 'destroy', impact: 'destroy' }],
  /*
   * A retained resource removed from its stack keeps its data but leaves the stack: the app now uses another
   * resource (or none), and a logical-id rename creates an empty twin. Losing it is decided like a deletion.
   */
  [ResourceImpact.WILL_ORPHAN, { change: 'destroy', impact: 'orphan' }],
]);

const VERDICT_ORDER: Record<Verdict, number> = { blocked: 0, allowed: 1, unguarded: 2 };

/**
 * Diffs the stacks of two synthesized cloud assemblies with the CDK's own diff library, offline (no change
 * set, so replacement comes from the CloudFormation resource specification, as `cdk diff --no-change-set`),
 * and checks the stateful resources it would replace or destroy against the allow-list.
 */
export function diffStackTemplates(
  base: StackTemplates,
  head: StackTemplates,
  allowList: readonly AllowedChange[],
  options: DiffOptions = {},
): DiffReport {
  const statefulTypes = options.statefulTypes ?? STATEFUL_RESOURCE_TYPES;
  const names = [...head.keys(), ...[...base.keys()].filter((name) => !head.has(name))];
  const allowed = new Map(allowList.map((entry) => [allowKey(entry), entry]));
  const used = new Set<string>();
  const stacks: StackReport[] = [];
  const destructive: DestructiveChange[] = [];

  for (const stack of names) {
    const before = base.get(stack);
    const after = head.get(stack);
    const diff = withoutCdkBookkeeping(fullDiff(before ?? {}, after ?? {}));
    const status: StackStatus = !before
      ? 'added'
      : !after
        ? 'removed'
        : diff.differenceCount > 0
          ? 'changed'
          : 'unchanged';
    stacks.push({
      stack,
      status,
      differenceCount: diff.differenceCount,
      permissionsBroadened: diff.permissionsBroadened,
      text: status === 'unchanged' ? '' : renderStackDiff(diff),
    });

    diff.resources.forEachDifference((logicalId, resource) => {
      const kind = DESTRUCTIVE_IMPACTS.get(resource.changeImpact);
      if (!kind) return;
      const resourceType = resource.oldResourceType ?? resource.newResourceType ?? 'unknown';
      const stateful = statefulTypes.has(resourceType);
      const key = allowKey({ stack, logicalId, change: kind.change });
      const entry = allowed.get(key);
      if (entry) used.add(key);
      const constructPath = constructPathOf(resource);
      destructive.push({
        stack,
        logicalId,
        resourceType,
        ...kind,
        stateful,
        verdict: !stateful ? 'unguarded' : entry ? 'allowed' : 'blocked',
        ...(constructPath ? { constructPath } : {}),
        ...(entry ? { reason: entry.reason } : {}),
      });
    });
  }

  // Stable sort: within a verdict, stacks and resources stay in diff order.
  destructive.sort((a, b) => VERDICT_ORDER[a.verdict] - VERDICT_ORDER[b.verdict]);
  return {
    stacks,
    destructive,
    stale: allowList.filter((entry) => !used.has(allowKey(entry))),
    exitCode: destructive.some((c) => c.verdict === 'blocked') ? 1 : 0,
  };
}

function allowKey(entry: Pick<AllowedChange, 'stack' | 'logicalId' | 'change'>): string {
  return JSON.stringify([entry.stack, entry.logicalId, entry.change]);
}

function isDestructive(resource: ResourceDifference | undefined): boolean {
  return resource !== undefined && DESTRUCTIVE_IMPACTS.has(resource.changeImpact);
}

/** What `cdk diff` hides too: the version-reporting resource and the bootstrap-version rule. */
function withoutCdkBookkeeping(diff: TemplateDiff): TemplateDiff {
  diff.resources = diff.resources.filter(
    (r) => r?.oldResourceType !== 'AWS::CDK::Metadata' && r?.newResourceType !== 'AWS::CDK::Metadata',
  );
  diff.unknown = diff.unknown.filter(
    (d) =>
      !(d?.oldValue as Template | undefined)?.CheckBootstrapVersion &&
      !(d?.newValue as Template | undefined)?.CheckBootstrapVersion,
  );
  return diff;
}

function constructPathOf(resource: ResourceDifference): string | undefined {
  const metadata = (resource.newValue ?? resource.oldValue)?.Metadata as Template | undefined;
  const path = metadata?.['aws:cdk:path'];
  return typeof path === 'string' ? path : undefined;
}

/**
 * The sections of the CDK's `formatDifferences`, with the resources that lose their data first and the
 * security changes next, so a reviewer reads what cannot be undone before what can.
 */
function renderStackDiff(diff: TemplateDiff): string {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const formatter = new Formatter(sink, {}, diff);
  const formatResource = formatter.formatResourceDifference.bind(formatter);

  formatter.formatSection(
    'Resources replaced or destroyed',
    'Resource',
    diff.resources.filter(isDestructive),
    formatResource,
  );
  if (diff.iamChanges.hasChanges || diff.securityGroupChanges.hasChanges) {
    formatter.formatIamChanges(diff.iamChanges);
    formatter.formatSecurityGroupChanges(diff.securityGroupChanges);
    formatter.printSectionFooter();
  }
  if (diff.awsTemplateFormatVersion || diff.transform || diff.description) {
    formatter.printSectionHeader('Template');
    formatter.formatDifference(
      'AWSTemplateFormatVersion',
      'AWSTemplateFormatVersion',
      diff.awsTemplateFormatVersion,
    );
    formatter.formatDifference('Transform', 'Transform', diff.transform);
    formatter.formatDifference('Description', 'Description', diff.description);
    formatter.printSectionFooter();
  }
  formatter.formatSection('Parameters', 'Parameter', diff.parameters);
  formatter.formatSection('Metadata', 'Metadata', diff.metadata);
  formatter.formatSection('Mappings', 'Mapping', diff.mappings);
  formatter.formatSection('Conditions', 'Condition', diff.conditions);
  formatter.formatSection(
    'Resources',
    'Resource',
    diff.resources.filter((r) => !isDestructive(r)),
    formatResource,
  );
  formatter.formatSection('Outputs', 'Output', diff.outputs);
  formatter.formatSection('Other Changes', 'Unknown', diff.unknown);
  // The sink's write is synchronous, so every chunk is in by now.
  return chunks.join('').trimEnd();
}
