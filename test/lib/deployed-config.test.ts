import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as z from 'zod';
import {
  deployedConfig,
  STATEFUL_FIELDS,
  statefulChanges,
  valueAt,
  warnOfStatefulChanges,
} from '#lib/config/deployed-config';
import { institutionConfigSchema } from '#lib/config/institution-config';
import { parseConfig } from '#lib/config/load-config';
import { rawFixture, type RawConfig } from './fixture-configs';
import { platformFor } from './platform-fixture';

/** A repository of its own with a config/ directory, as a fork's checkout has. */
let repo: string;
let configDir: string;
const git = (...args: string[]) =>
  execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const write = (name: string, config: RawConfig) =>
  writeFileSync(join(configDir, `${name}.json`), JSON.stringify(config, null, 2));
const commit = (message: string) => {
  git('add', '-A');
  git('commit', '--quiet', '--no-gpg-sign', '-m', message);
};

beforeEach(() => {
  repo = mkdtempSync(join(tmpdir(), 'deployed-config-'));
  configDir = join(repo, 'config');
  mkdirSync(configDir);
  git('init', '--quiet');
  git('config', 'user.email', 'test@example.com');
  git('config', 'user.name', 'test');
});
afterEach(() => rmSync(repo, { recursive: true, force: true }));

const prod = rawFixture('example-academy');

/** Deploys `deployed` (commits and tags it), then changes the file to `current` and synthesizes that. */
function afterDeploying(deployed: RawConfig, current: RawConfig) {
  write('acme', deployed);
  commit('deploy');
  git('tag', 'deployed/acme');
  write('acme', current);
  const config = parseConfig(current);
  const { platform } = platformFor(config);
  const changes = warnOfStatefulChanges(platform, 'acme', config, configDir);
  return { platform, changes };
}

const warningsOf = (stack: Parameters<typeof Annotations.fromStack>[0]) =>
  Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('deployed/acme'));

describe('a deployed config (tag deployed/<name>)', () => {
  it('warns on the data stack when the zones change: the database moves', () => {
    const zones = ['ap-northeast-2a', 'ap-northeast-2c'];
    expect(prod.availabilityZones).not.toEqual(zones);
    const { platform, changes } = afterDeploying(prod, { ...prod, availabilityZones: zones });
    expect(changes.map((c) => c.field.path)).toEqual(['availabilityZones']);
    const [warning, ...others] = warningsOf(platform.data);
    expect(others).toEqual([]);
    expect(warning!.entry.data).toEqual(
      `availabilityZones changed from ${JSON.stringify(prod.availabilityZones)} (as deployed, tag ` +
        `deployed/acme) to ${JSON.stringify(zones)}: the VPC's subnets move, so the database is replaced. ` +
        'Check before deploying: npm run diff -- --base deployed/acme -c institution=acme ' +
        '[ack: @lms/deployed-config:availabilityZones]',
    );
    for (const stack of Object.values(platform)) {
      if (stack !== platform.data) expect(warningsOf(stack)).toEqual([]);
    }
  });

  it('says nothing of a safe change', () => {
    const { platform, changes } = afterDeploying(prod, { ...prod, alarmEmail: 'someone-else@example.com' });
    expect(changes).toEqual([]);
    for (const stack of Object.values(platform)) expect(warningsOf(stack)).toEqual([]);
  });

  it('warns of a feature turned off, not of one turned on', () => {
    const off = { ...prod, features: { ...prod.features, liveLectures: false } };
    expect(statefulChanges(parseConfig(prod), parseConfig(off)).map((c) => c.field.path)).toEqual([
      'features.liveLectures',
    ]);
    expect(statefulChanges(parseConfig(off), parseConfig(prod))).toEqual([]);
  });

  it('warns on the auth stack when a login domain prefix is set where the default was deployed', () => {
    const current = { ...prod, auth: { ...prod.auth, domainPrefix: 'acme-learning' } };
    const { platform } = afterDeploying(prod, current);
    expect(warningsOf(platform.auth).map((w) => w.entry.data)).toEqual([
      expect.stringMatching(
        /^auth\.domainPrefix changed from \(unset\) .* to "acme-learning": the managed login/,
      ),
    ]);
    expect(warningsOf(platform.data)).toEqual([]);
  });

  it('does nothing without the tag', () => {
    write('acme', prod);
    commit('not deployed yet');
    expect(deployedConfig('acme', configDir)).toBeUndefined();
  });

  it('does nothing for a config that did not exist at the tag', () => {
    write('other', prod);
    commit('deploy another');
    git('tag', 'deployed/acme');
    write('acme', prod);
    expect(deployedConfig('acme', configDir)).toBeUndefined();
  });

  it('does nothing outside a repository', () => {
    const bare = mkdtempSync(join(tmpdir(), 'no-repo-'));
    try {
      expect(deployedConfig('acme', bare)).toBeUndefined();
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  it('reads the config as it was at the tag, not as it is now', () => {
    write('acme', prod);
    commit('deploy');
    git('tag', 'deployed/acme');
    write('acme', { ...prod, region: 'eu-west-1', availabilityZones: ['eu-west-1a', 'eu-west-1b'] });
    expect(deployedConfig('acme', configDir)?.region).toBe(prod.region);
  });
});

describe('STATEFUL_FIELDS', () => {
  // The config's fields as JSON Schema (as written: the resolved side's transforms have none); each path must
  // name one, or a renamed field would leave its changes unchecked.
  const schema = z.toJSONSchema(institutionConfigSchema, { io: 'input', unrepresentable: 'any' }) as Schema;
  interface Schema {
    properties?: Record<string, Schema>;
    anyOf?: Schema[];
  }
  const fieldAt = (at: Schema | undefined, key: string): Schema | undefined =>
    at?.properties?.[key] ?? at?.anyOf?.map((s) => fieldAt(s, key)).find((s) => s !== undefined);

  it.each(STATEFUL_FIELDS.map((f) => [f.path]))('%s is a field of the config schema', (path) => {
    expect(path.split('.').reduce<Schema | undefined>(fieldAt, schema)).toBeDefined();
  });

  it('reads values by path, absent parts as undefined', () => {
    expect(valueAt({ a: { b: [1] } }, 'a.b')).toEqual([1]);
    expect(valueAt({ a: {} }, 'a.b.c')).toBeUndefined();
  });
});
