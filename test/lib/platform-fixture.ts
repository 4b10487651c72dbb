import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { InstitutionConfig } from '#lib/config/institution-config';
import { loadConfig } from '#lib/config/load-config';
import { buildPlatform, type FeatureStacks, type Platform } from '#lib/platform';
import { REPO_ROOT } from '#lib/paths';
import { FIXTURE_CONFIG_DIR } from './fixture-configs';

/** One resource of a synthesized template, with the stack whose template holds it. */
export interface ResourceIn {
  readonly stack: Stack;
  readonly logicalId: string;
  readonly properties: Record<string, unknown>;
}

/**
 * The whole platform for one config (a name under test/fixtures/config/, or a parsed config), without bundling (the tests
 * read templates, not code assets; the CI synth and bench/synth bundle for real).
 */
export function platformFor(config: string | InstitutionConfig = 'default'): {
  app: App;
  platform: Platform & FeatureStacks;
  template: (s: keyof Platform) => Template;
  /** Every resource of a type in any stack: for rules between stacks, which may land in either. */
  resourcesAnywhere: (type: string) => ResourceIn[];
} {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const platform = buildPlatform(
    app,
    typeof config === 'string' ? loadConfig(config, FIXTURE_CONFIG_DIR) : config,
  );
  const cache = new Map<keyof Platform, Template>();
  const template = (s: keyof Platform) => {
    if (!cache.has(s)) cache.set(s, Template.fromStack(platform[s]));
    return cache.get(s)!;
  };
  return {
    app,
    platform,
    template,
    resourcesAnywhere: (type) =>
      (Object.keys(platform) as (keyof Platform)[]).flatMap((s) =>
        Object.entries(template(s).findResources(type)).map(([logicalId, r]) => ({
          stack: platform[s],
          logicalId,
          properties: r.Properties,
        })),
      ),
  };
}

const shared = new Map<string, ReturnType<typeof platformFor>>();

/**
 * `platformFor(configName)`, built and synthesized once per test file (jest gives each file its own modules,
 * so its own map): for tests that only read the platform and its templates. A test that adds to an App, or
 * registers a validation plugin on it, builds its own with `platformFor`.
 */
export function sharedPlatformFor(configName: string): ReturnType<typeof platformFor> {
  if (!shared.has(configName)) shared.set(configName, platformFor(configName));
  return shared.get(configName)!;
}

/**
 * How `value` (a token, e.g. a security group's id) reads in `stack`'s template: a Ref or GetAtt in its own
 * stack, an Fn::ImportValue in a stack that references it, undefined in a stack that does not. Call it only
 * after synthesis (any `template(...)` call), which assigns the cross-stack references.
 */
export function refIn(stack: Stack, value: unknown): unknown {
  try {
    return stack.resolve(value);
  } catch {
    return undefined;
  }
}

/** Deep equality of two template values, for filtering rules by their group ids. */
export const sameRef = (a: unknown, b: unknown): boolean =>
  a !== undefined && JSON.stringify(a) === JSON.stringify(b);

/** A synthesized stack's template, as CloudFormation receives it. */
export interface SynthesizedTemplate {
  readonly stackName: string;
  readonly resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

/**
 * Every stack's template for a config, synthesized as `cdk synth` does it: with cdk.json's feature flags
 * (a bare `new App()` has none, and some flags add resources, such as the custom resource that locks the
 * VPC's default security group), without bundling.
 */
export function synthesizedTemplates(configName: string): SynthesizedTemplate[] {
  const cdkJson = JSON.parse(readFileSync(join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const app = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  buildPlatform(app, loadConfig(configName, FIXTURE_CONFIG_DIR));
  return app.synth().stacks.map((s) => ({
    stackName: s.stackName,
    resources: (s.template as { Resources: SynthesizedTemplate['resources'] }).Resources,
  }));
}
