import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';

/** A CloudFormation template as synthesized: JSON, read as is. */
export type Template = Readonly<Record<string, unknown>>;

/** Stack display name (`demo-data`, or `Stage/Stack` inside a stage) → its template. */
export type StackTemplates = ReadonlyMap<string, Template>;

/*
 * Only the few fields of the cloud-assembly manifest this reads, so a newer CDK that adds fields still parses;
 * `@aws-cdk/cloud-assembly-schema` would pin the reader to one schema version.
 */
const artifactSchema = z.object({
  type: z.string(),
  displayName: z.string().optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
});
const manifestSchema = z.object({ artifacts: z.record(z.string(), artifactSchema).optional() });

/**
 * Reads every stack template of a synthesized cloud assembly (`cdk synth -o <dir>`), descending into the
 * nested assemblies that stages produce. Stacks are keyed by display name, as `cdk diff` and `cdk deploy` name them.
 */
export async function readCloudAssembly(dir: string): Promise<Map<string, Template>> {
  const stacks = new Map<string, Template>();
  await readInto(dir, stacks);
  return stacks;
}

async function readInto(dir: string, stacks: Map<string, Template>): Promise<void> {
  const manifest = manifestSchema.parse(await readJson(join(dir, 'manifest.json')));
  for (const [id, artifact] of Object.entries(manifest.artifacts ?? {})) {
    const props = artifact.properties ?? {};
    if (artifact.type === 'aws:cloudformation:stack' && typeof props.templateFile === 'string') {
      stacks.set(artifact.displayName ?? id, (await readJson(join(dir, props.templateFile))) as Template);
    } else if (artifact.type === 'cdk:cloud-assembly' && typeof props.directoryName === 'string') {
      await readInto(join(dir, props.directoryName), stacks);
    }
  }
}

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, 'utf8'));
}
