import { execFileSync } from 'node:child_process';
import { Annotations } from 'aws-cdk-lib';
import type { FeatureStacks, Platform } from '../platform';
import type { InstitutionConfig } from './institution-config';
import { CONFIG_DIR, parseConfig } from './load-config';

/** The git tag that marks the commit a config was last deployed from (README, "Fork and deploy"). */
export const deployedTag = (name: string) => `deployed/${name}`;

/** A config field whose change replaces or moves a stateful resource of a deployed platform. */
export interface StatefulField {
  /** The field's path in the resolved config, dotted. */
  readonly path: string;
  /** The stack the warning goes on; the data stack when the config no longer has that stack. */
  readonly stack: keyof Platform | keyof FeatureStacks;
  /** What the deploy would do. */
  readonly replaces: string;
  /** Only this change counts: a feature turned off, not on. @default any change */
  readonly when?: (deployed: unknown, current: unknown) => boolean;
}

const turnedOff = (deployed: unknown, current: unknown) => deployed === true && current === false;

/**
 * The fields README's config table says replace or leave behind stateful resources after the first deploy
 * ("after first deploy"); the one place synth learns them from. A test checks each path is in the schema.
 */
export const STATEFUL_FIELDS: readonly StatefulField[] = [
  {
    path: 'institution.slug',
    stack: 'data',
    replaces:
      'every stack takes a new name, so a new platform is made beside the old one, whose stacks and data ' +
      'stay until deleted by hand',
  },
  {
    path: 'account',
    stack: 'data',
    replaces: 'a new platform is made in that account; the old one stays, with its data',
  },
  {
    path: 'region',
    stack: 'data',
    replaces: 'a new platform is made in that region; the old one stays, with its data',
  },
  {
    path: 'availabilityZones',
    stack: 'data',
    replaces: "the VPC's subnets move, so the database is replaced",
  },
  {
    path: 'auth.domainPrefix',
    stack: 'auth',
    replaces:
      'the managed login domain is replaced: register the new redirect URI with each identity provider',
  },
  {
    path: 'notifications.configurationSetName',
    stack: 'notifications',
    replaces: "the SES configuration set is replaced, with the suppression it keeps through bounces' events",
  },
  {
    path: 'domain.name',
    stack: 'web',
    replaces: "the app's, API's and video's addresses and certificates change, and every session ends",
  },
  {
    path: 'video.signingKeys.regionalNames',
    stack: 'vod',
    replaces:
      'the playback public keys would be renamed, which CloudFront does only by replacing them, and the vod ' +
      "stack's deploy fails while the api stack still imports the old keys' ids: leave it as deployed",
  },
  {
    path: 'features.video',
    stack: 'vod',
    when: turnedOff,
    replaces:
      'the video stack leaves the app but stays deployed, with its uploads and videos, until `cdk destroy`',
  },
  {
    path: 'features.liveLectures',
    stack: 'live',
    when: turnedOff,
    replaces:
      'the live lecture stack leaves the app but stays deployed, with its recordings, until `cdk destroy`',
  },
];

/** A field's value in a resolved config; `undefined` where a part of the path is absent. */
export function valueAt(config: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (at, key) => (at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined),
      config,
    );
}

export interface StatefulChange {
  readonly field: StatefulField;
  readonly deployed: unknown;
  readonly current: unknown;
}

/** The stateful fields that differ between the deployed config and the current one, both resolved. */
export function statefulChanges(deployed: InstitutionConfig, current: InstitutionConfig): StatefulChange[] {
  return STATEFUL_FIELDS.flatMap((field) => {
    const [before, after] = [valueAt(deployed, field.path), valueAt(current, field.path)];
    const changed = JSON.stringify(before) !== JSON.stringify(after);
    return changed && (field.when?.(before, after) ?? true)
      ? [{ field, deployed: before, current: after }]
      : [];
  });
}

/**
 * The config as it was at its `deployed/<name>` tag, resolved through today's schema; `undefined` when there is
 * nothing to compare with: no git, not a repository, no tag, no such file at the tag, or a config the schema no
 * longer takes (synth's own check of the current one is what matters then). Reads only the local repository.
 */
export function deployedConfig(name: string, dir = CONFIG_DIR): InstitutionConfig | undefined {
  let text: string;
  try {
    // `./` resolves the path from `dir`, wherever the repository's root is.
    text = execFileSync('git', ['-C', dir, 'show', `${deployedTag(name)}:./${name}.json`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5_000,
    });
  } catch {
    return undefined;
  }
  try {
    return parseConfig(JSON.parse(text), `${deployedTag(name)}:${name}.json`);
  } catch {
    return undefined;
  }
}

const shown = (value: unknown) => (value === undefined ? '(unset)' : JSON.stringify(value));

/**
 * Warns at synth, on the stack it concerns, of each change since the config's deployed tag that replaces or
 * leaves behind a stateful resource: `cdk synth` and `cdk deploy` print it before anything is changed.
 */
export function warnOfStatefulChanges(
  platform: Platform & FeatureStacks,
  name: string,
  current: InstitutionConfig,
  dir = CONFIG_DIR,
): StatefulChange[] {
  const deployed = deployedConfig(name, dir);
  if (!deployed) return [];
  const changes = statefulChanges(deployed, current);
  for (const { field, deployed: before, current: after } of changes) {
    Annotations.of(platform[field.stack] ?? platform.data).addWarningV2(
      `@lms/deployed-config:${field.path}`,
      `${field.path} changed from ${shown(before)} (as deployed, tag ${deployedTag(name)}) to ${shown(after)}: ` +
        `${field.replaces}. Check before deploying: ` +
        `npm run diff -- --base ${deployedTag(name)} -c institution=${name}`,
    );
  }
  return changes;
}
