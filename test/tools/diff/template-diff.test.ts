import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { App } from 'aws-cdk-lib';
import {
  InvalidAllowListError,
  loadAllowList,
  parseAllowList,
  type AllowedChange,
} from '#tools/diff/allow-list';
import { readCloudAssembly, type StackTemplates, type Template } from '#tools/diff/cloud-assembly';
import { MARKDOWN_MARKER, formatMarkdown, formatText } from '#tools/diff/format-report';
import { diffStackTemplates, type DiffReport } from '#tools/diff/template-diff';
import { FixtureStack, type FixtureRevision } from '../../fixtures/diff-app/fixture-stack';

/*
 * The fixture app synthesized in-process into a real cloud assembly, read back as the CLI reads it. The CLI
 * itself, with git refs and `cdk synth`, is exercised in cli.test.ts.
 */
const work = mkdtempSync(join(tmpdir(), 'template-diff-test-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const assemblies = new Map<FixtureRevision, StackTemplates>();
async function synthFixture(revision: FixtureRevision): Promise<void> {
  const app = new App({ outdir: join(work, `revision-${revision}`) });
  new FixtureStack(app, 'fixture', { revision });
  assemblies.set(revision, await readCloudAssembly(app.synth().directory));
}
function fixture(revision: FixtureRevision): StackTemplates {
  return assemblies.get(revision)!;
}
// Loading aws-cdk-lib and the diff library's resource specification takes seconds on a busy machine.
beforeAll(async () => {
  await synthFixture(1);
  await synthFixture(2);
  diffStackTemplates(fixture(1), fixture(2), []);
}, 60_000);

const allow = (logicalId: string, change: AllowedChange['change']): AllowedChange => ({
  stack: 'fixture',
  logicalId,
  change,
  reason: `${logicalId} holds nothing yet`,
});
const labels = { base: 'revision 1', head: 'revision 2', allowList: 'destructive-changes.json' };

function byId(report: DiffReport, logicalId: string) {
  return report.destructive.find((c) => c.logicalId === logicalId);
}

describe('the fixture from revision 1 to revision 2', () => {
  it('reports the replaced table, the destroyed table, the added queue and the broadened statement', () => {
    const report = diffStackTemplates(fixture(1), fixture(2), []);

    // In the CDK's order: removals, then updates.
    expect(report.destructive).toEqual([
      expect.objectContaining({
        logicalId: 'Sessions',
        change: 'destroy',
        impact: 'destroy',
        verdict: 'blocked',
      }),
      expect.objectContaining({
        logicalId: 'Orders',
        change: 'replace',
        impact: 'replace',
        verdict: 'blocked',
      }),
    ]);
    expect(byId(report, 'Orders')).toMatchObject({ resourceType: 'AWS::DynamoDB::Table', stateful: true });
    const [stack] = report.stacks;
    expect(stack).toMatchObject({ stack: 'fixture', status: 'changed', permissionsBroadened: true });
    const text = stripVTControlCharacters(stack!.text);
    expect(text).toMatch(/\[\+\] AWS::SQS::Queue DeadLetters/);
    expect(text).toMatch(/dynamodb:PutItem/);
    expect(report.exitCode).toBe(1);
  });

  it('prints what is lost first, then the security changes, then the rest', () => {
    const { stacks } = diffStackTemplates(fixture(1), fixture(2), []);
    const text = stripVTControlCharacters(stacks[0]!.text);
    const lost = text.indexOf('Resources replaced or destroyed');
    const iam = text.indexOf('IAM Statement Changes');
    const rest = text.search(/^Resources$/m);
    expect(lost).toBe(0);
    expect(iam).toBeGreaterThan(lost);
    expect(rest).toBeGreaterThan(iam);
    expect(text.slice(lost, iam)).toMatch(/\[-\] AWS::DynamoDB::Table Sessions destroy/);
    expect(text.slice(rest)).toMatch(/DeadLetters/);
    expect(text.slice(rest)).not.toMatch(/Sessions/);
  });

  it('lets through the entry the allow-list names and blocks the other', () => {
    const report = diffStackTemplates(fixture(1), fixture(2), [allow('Orders', 'replace')]);

    expect(byId(report, 'Orders')).toMatchObject({ verdict: 'allowed', reason: 'Orders holds nothing yet' });
    expect(byId(report, 'Sessions')).toMatchObject({ verdict: 'blocked' });
    expect(report.destructive[0]!.logicalId).toBe('Sessions');
    expect(report.exitCode).toBe(1);
  });

  it('passes once every stateful loss is allowed', () => {
    const report = diffStackTemplates(fixture(1), fixture(2), [
      allow('Orders', 'replace'),
      allow('Sessions', 'destroy'),
    ]);

    expect(report.destructive.map((c) => c.verdict)).toEqual(['allowed', 'allowed']);
    expect(report.stale).toEqual([]);
    expect(report.exitCode).toBe(0);
  });

  it('does not let a replacement through an entry that allows a destruction, and calls that entry stale', () => {
    const wrongKind = allow('Orders', 'destroy');
    const otherStack = { ...allow('Sessions', 'destroy'), stack: 'elsewhere' };
    const report = diffStackTemplates(fixture(1), fixture(2), [wrongKind, otherStack]);

    expect(byId(report, 'Orders')).toMatchObject({ verdict: 'blocked' });
    expect(byId(report, 'Sessions')).toMatchObject({ verdict: 'blocked' });
    expect(report.stale).toEqual([wrongKind, otherStack]);
    expect(formatText(report, labels)).toMatch(/Stale entries in destructive-changes\.json/);
  });

  it('finds nothing between a revision and itself', () => {
    const report = diffStackTemplates(fixture(1), fixture(1), [allow('Orders', 'replace')]);

    expect(report.stacks).toEqual([expect.objectContaining({ status: 'unchanged', text: '' })]);
    expect(report.destructive).toEqual([]);
    expect(report.stale).toHaveLength(1);
    expect(report.exitCode).toBe(0);
  });
});

describe('stacks added or removed whole', () => {
  it('counts a removed stack as destroying each of its resources', () => {
    const report = diffStackTemplates(fixture(1), new Map(), []);

    expect(report.stacks).toEqual([expect.objectContaining({ stack: 'fixture', status: 'removed' })]);
    expect(report.destructive.filter((c) => c.verdict === 'blocked').map((c) => c.logicalId)).toEqual(
      expect.arrayContaining(['Orders', 'Sessions', 'Uploads', 'Events']),
    );
    expect(byId(report, 'Worker')).toMatchObject({ change: 'destroy', verdict: 'unguarded' });
    expect(report.exitCode).toBe(1);
    expect(formatText(report, labels)).toMatch(/Stack fixture \(removed: every resource goes with it\)/);
  });

  it('reports an added stack without failing', () => {
    const report = diffStackTemplates(new Map(), fixture(2), []);

    expect(report.stacks).toEqual([expect.objectContaining({ stack: 'fixture', status: 'added' })]);
    expect(stripVTControlCharacters(report.stacks[0]!.text)).toMatch(/\[\+\] AWS::DynamoDB::Table Orders/);
    expect(report.destructive).toEqual([]);
    expect(report.exitCode).toBe(0);
  });
});

describe('what counts as losing a resource', () => {
  const stackOf = (resources: Record<string, unknown>): StackTemplates =>
    new Map<string, Template>([['hand', { Resources: resources }]]);
  const db = (availabilityZone: string) => ({
    Type: 'AWS::RDS::DBInstance',
    Properties: { DBInstanceClass: 'db.t4g.micro', AvailabilityZone: availabilityZone },
  });

  it('counts "may be replaced" as a replacement, since CloudFormation decides at deploy time', () => {
    const report = diffStackTemplates(stackOf({ Db: db('a') }), stackOf({ Db: db('b') }), []);

    expect(report.destructive).toEqual([
      expect.objectContaining({
        logicalId: 'Db',
        change: 'replace',
        impact: 'may be replaced',
        verdict: 'blocked',
      }),
    ]);
  });

  it('counts a retained resource left orphaned as destroyed, which a "destroy" entry allows', () => {
    const retained = { Type: 'AWS::S3::Bucket', DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' };
    const base = stackOf({ Media: retained });
    const head = stackOf({});

    expect(diffStackTemplates(base, head, []).destructive).toEqual([
      expect.objectContaining({ change: 'destroy', impact: 'orphan', verdict: 'blocked' }),
    ]);
    const entry = {
      stack: 'hand',
      logicalId: 'Media',
      change: 'destroy' as const,
      reason: 'moved to the media stack',
    };
    expect(diffStackTemplates(base, head, [entry]).exitCode).toBe(0);
  });

  it('reports a destroyed log group without failing: telemetry, not data (see STATEFUL_RESOURCE_TYPES)', () => {
    const logs = { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } };
    const report = diffStackTemplates(stackOf({ Logs: logs }), stackOf({}), []);

    expect(report.destructive).toEqual([
      expect.objectContaining({ logicalId: 'Logs', verdict: 'unguarded' }),
    ]);
    expect(report.exitCode).toBe(0);
  });

  it('guards a queue: its messages are events in flight', () => {
    const queue = (fifo: boolean) => ({ Type: 'AWS::SQS::Queue', Properties: { FifoQueue: fifo } });
    const report = diffStackTemplates(stackOf({ Q: queue(false) }), stackOf({ Q: queue(true) }), []);

    expect(report.destructive).toEqual([expect.objectContaining({ change: 'replace', verdict: 'blocked' })]);
  });

  it('hides what cdk diff hides: the version-reporting resource and the bootstrap-version rule', () => {
    const metadata = (analytics: string) => ({
      Type: 'AWS::CDK::Metadata',
      Properties: { Analytics: analytics },
    });
    const rules = { CheckBootstrapVersion: { Assertions: [] } };
    const report = diffStackTemplates(
      new Map([['hand', { Resources: { CDKMetadata: metadata('v1') } }]]),
      new Map([['hand', { Resources: { CDKMetadata: metadata('v2') }, Rules: rules }]]),
      [],
    );

    expect(report.stacks).toEqual([expect.objectContaining({ status: 'unchanged' })]);
  });
});

describe('the Markdown report', () => {
  it('opens with the marker, the verdict and the table, and folds each stack', () => {
    const report = diffStackTemplates(fixture(1), fixture(2), [allow('Orders', 'replace')]);
    const markdown = formatMarkdown(report, labels);

    expect(markdown.startsWith(`${MARKDOWN_MARKER}\n`)).toBe(true);
    expect(markdown).toMatch(/^FAIL: /m);
    expect(markdown).toMatch(
      /\| \*\*blocked\*\* \| fixture \| `Sessions` \| `AWS::DynamoDB::Table` \| destroy \|/,
    );
    expect(markdown).toMatch(
      /\| allowed \| fixture \| `Orders` \| .* \| replace \| Orders holds nothing yet \|/,
    );
    expect(markdown).toMatch(
      /<details>\n<summary>fixture \(broadens permissions\): \d+ differences<\/summary>/,
    );
    expect(markdown).not.toContain('\u001b[');
  });

  it('leaves out the stack diffs that do not fit a comment, and says so', () => {
    const report = diffStackTemplates(fixture(1), fixture(2), []);
    const markdown = formatMarkdown(report, labels, 1_000);

    expect(markdown).not.toMatch(/<details>/);
    expect(markdown).toMatch(/Diffs left out to fit a comment .*: fixture/);
    expect(markdown).toMatch(/`Sessions`/);
  });
});

describe('the allow-list', () => {
  const entry = { stack: 's', logicalId: 'Id', change: 'replace', reason: 'new key schema, table is empty' };

  it('takes entries with a reason', () => {
    expect(parseAllowList({ changes: [entry] }, 'list.json')).toEqual([entry]);
  });

  it.each([
    ['a blank reason', { changes: [{ ...entry, reason: '  ' }] }],
    ['no reason', { changes: [{ stack: 's', logicalId: 'Id', change: 'replace' }] }],
    ['an unknown change', { changes: [{ ...entry, change: 'update' }] }],
    ['a misspelt key', { changes: [{ ...entry, logicalID: 'Id' }] }],
    ['a bare array', [entry]],
  ])('refuses %s', (_what, json) => {
    expect(() => parseAllowList(json, 'list.json')).toThrow(InvalidAllowListError);
  });

  it('allows nothing when the file does not exist, and refuses a file that is not JSON', async () => {
    expect(await loadAllowList(join(work, 'absent.json'))).toEqual([]);
    writeFileSync(join(work, 'broken.json'), '{ "changes": [ }');
    await expect(loadAllowList(join(work, 'broken.json'))).rejects.toThrow(/broken\.json is not JSON/);
  });
});
