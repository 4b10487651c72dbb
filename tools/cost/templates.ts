import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import type { InstitutionConfig } from '#lib/config/institution-config';
import { buildPlatform } from '#lib/platform';

/** One resource of a template: its type and properties as synthesized. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
}

/** A synthesized stack: its name, the region it deploys to (when bound to one) and its resources. */
export interface StackTemplate {
  readonly name: string;
  /** Undefined for an environment-agnostic stack. */
  readonly region: string | undefined;
  readonly resources: Readonly<Record<string, TemplateResource>>;
}

/** Reads a template's resources as JSON gives them, failing on anything that is not a template. */
export function stackTemplate(name: string, region: string | undefined, template: unknown): StackTemplate {
  const resources = (template as { Resources?: unknown } | null)?.Resources;
  if (typeof resources !== 'object' || resources === null) {
    throw new Error(`${name}: not a CloudFormation template (no Resources)`);
  }
  for (const [id, resource] of Object.entries(resources)) {
    if (typeof (resource as { Type?: unknown } | null)?.Type !== 'string') {
      throw new Error(`${name}: resource ${id} has no Type`);
    }
  }
  return { name, region, resources: resources as Record<string, TemplateResource> };
}

/**
 * Builds the institution's platform in this process and synthesizes it into a temporary directory, removed
 * afterwards, returning every stack's template. Asset bundling (esbuild for each handler, Vite for the web
 * app) is skipped with CDK's own `aws:cdk:bundling-stacks` context, as `cdk deploy -e` does for the stacks it
 * leaves out: the templates' resources and sizing are the same, and the synth takes about half the time.
 */
export function synthesizePlatform(config: InstitutionConfig): StackTemplate[] {
  const outdir = mkdtempSync(join(tmpdir(), 'lms-cost-'));
  try {
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    buildPlatform(app, config);
    return app.synth().stacksRecursively.map((stack) => {
      const region = stack.environment.region;
      return stackTemplate(
        stack.displayName,
        region === 'unknown-region' ? undefined : region,
        stack.template as unknown,
      );
    });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** `{ Ref: id }` or `{ Fn::GetAtt: [id, …] }` → id; anything else → undefined. */
export function referencedId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const ref = (value as { Ref?: unknown }).Ref;
  if (typeof ref === 'string') return ref;
  const getAtt = (value as { 'Fn::GetAtt'?: unknown })['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}

/** Whether any `Ref` or `Fn::GetAtt` inside `value` names `logicalId`. */
export function refersTo(value: unknown, logicalId: string): boolean {
  if (referencedId(value) === logicalId) return true;
  if (Array.isArray(value)) return value.some((v) => refersTo(v, logicalId));
  if (typeof value === 'object' && value !== null) {
    return Object.values(value).some((v) => refersTo(v, logicalId));
  }
  return false;
}
