import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '#lib/config/load-config';
import { buildPlatform } from '#lib/platform';
import { FIXTURE_CONFIG_DIR } from './fixture-configs';

/**
 * The platform as `cdk synth` builds it: with cdk.json's context, which decides how stacks reference each other
 * (the other stack tests build a bare App, where CDK's own default applies), and without bundling.
 */
const synthAsTheCliDoes = memoize((configName: string): Stack[] => {
  const cdkJson = JSON.parse(readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8'));
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  return Object.values(buildPlatform(app, loadConfig(configName, FIXTURE_CONFIG_DIR)));
});

function memoize<T>(build: (key: string) => T): (key: string) => T {
  const built = new Map<string, T>();
  return (key) => {
    if (!built.has(key)) built.set(key, build(key));
    return built.get(key)!;
  };
}

type Json = unknown;
/** Every value under `key` anywhere in a template, e.g. every Fn::ImportValue's argument. */
function valuesOf(template: Json, key: string): Json[] {
  const found: Json[] = [];
  const visit = (node: Json): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === key) found.push(v);
        visit(v);
      }
    }
  };
  visit(template);
  return found;
}

interface StackOutputRead {
  readonly StackName: string;
  readonly Region: Json;
}

describe.each(['default', 'example-academy'])('cross-stack references of %s', (configName) => {
  const stacks = synthAsTheCliDoes(configName);
  const templates = new Map(stacks.map((s) => [s, Template.fromStack(s).toJSON()]));
  const byName = new Map(stacks.map((s) => [s.stackName, s]));
  const stack = (suffix: string) => stacks.find((s) => s.stackName.endsWith(`-${suffix}`));

  // A weak reference (Fn::GetStackOutput) reads whatever the producer holds at the consumer's deploy: the
  // producer can be replaced or deleted while the consumer keeps a stale value, and `deploy --all` skips a
  // consumer whose template did not change. Within a region an export pins the value instead.
  it('reads a stack of its own region only through Fn::ImportValue, never Fn::GetStackOutput', () => {
    const sameRegionReads = [...templates].flatMap(([consumer, template]) =>
      (valuesOf(template, 'Fn::GetStackOutput') as StackOutputRead[])
        .filter((read) => byName.get(read.StackName)?.region === consumer.region)
        .map((read) => `${consumer.stackName} reads ${read.StackName}`),
    );
    expect([...new Set(sameRegionReads)]).toEqual([]);
  });

  it('imports the core service, the API and the data stack into the monitoring stack by export', () => {
    const imports = valuesOf(templates.get(stack('monitoring')!), 'Fn::ImportValue').map(String);
    for (const producer of ['core-service', 'api', 'data']) {
      expect(imports).toContainEqual(expect.stringMatching(new RegExp(`^${stack(producer)!.stackName}:`)));
    }
  });

  it('needs no Lambda-backed export writer or reader for any reference', () => {
    const types = [...templates.values()].flatMap((t) =>
      Object.values((t as { Resources: Record<string, { Type: string }> }).Resources).map((r) => r.Type),
    );
    expect(types.filter((type) => /CrossRegionExport/.test(type))).toEqual([]);
  });
});

describe('cross-region references of a platform bound to a region other than us-east-1', () => {
  const stacks = synthAsTheCliDoes('example-academy');
  const stack = (suffix: string) => stacks.find((s) => s.stackName.endsWith(`-${suffix}`))!;
  const reads = (consumer: Stack) =>
    valuesOf(Template.fromStack(consumer).toJSON(), 'Fn::GetStackOutput') as StackOutputRead[];

  it('stay weak: the vod stack reads the edge certificate and the playback alarm the distribution', () => {
    expect(reads(stack('vod'))).toEqual([
      expect.objectContaining({ StackName: 'example-academy-edge', Region: 'us-east-1' }),
    ]);
    expect(reads(stack('playback-alarm'))).toEqual([
      expect.objectContaining({ StackName: 'example-academy-vod', Region: 'ap-northeast-2' }),
    ]);
  });
});
