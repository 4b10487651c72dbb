import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMPLIANCE_PROFILES } from '#contracts/compliance-profiles';
import { apiThrottleFor, complianceOf, DEV_SIZING, selfSignUpOf } from '#lib/config/institution-config';
import { CONFIG_DIR, configNames, loadConfig, parseConfig } from '#lib/config/load-config';
import { FIXTURE_CONFIG_DIR, fixtureConfig, type RawConfig, rawFixture, refusalOf } from './fixture-configs';

/** The default config with its sizing written out, as a fork that tunes a dev platform's capacity would. */
const rawDefault = (): RawConfig => ({ ...rawFixture('default'), sizing: structuredClone(DEV_SIZING) });

/** Applies an edit to a copy of the default config and returns the validation message. */
function problemsOf(edit: (c: RawConfig) => void): string {
  const config = rawDefault();
  edit(config);
  return refusalOf(config);
}

describe('institution config', () => {
  it.each(configNames())('accepts the fork’s config/%s.json', (name) => {
    expect(loadConfig(name, CONFIG_DIR).institution.slug).toMatch(/^[a-z]/);
  });

  it.each(['default', 'example-academy'])('accepts test/fixtures/config/%s.json', (name) => {
    const config = fixtureConfig(name);
    expect(config.institution.slug).toMatch(/^[a-z]/);
    expect(config.sizing.api).toEqual(apiThrottleFor(config.scale.concurrentViewers));
  });

  it('fills in defaults a fork may leave out', () => {
    expect(fixtureConfig('default').auth.identityProviders).toEqual({ oidc: [] });
    expect(complianceOf(fixtureConfig('default'))).toEqual(COMPLIANCE_PROFILES.standard);
  });

  it('fills in the core service’s scaling ceiling and CPU target a fork leaves out', () => {
    expect(fixtureConfig('default').sizing.service).toEqual({
      cpu: 256,
      memoryMiB: 512,
      minTasks: 1,
      maxTasks: 2,
      targetCpuPercent: 60,
    });
    const config = rawDefault();
    delete config.sizing.service.maxTasks;
    expect(parseConfig(config, 'test.json').sizing.service).toMatchObject({
      maxTasks: 4,
      targetCpuPercent: 60,
    });
    expect(problemsOf((c) => (c.sizing.service.targetCpuPercent = 100))).toContain(
      'sizing.service.targetCpuPercent',
    );
  });

  it('accepts prod with one NAT gateway when the interface endpoints keep AWS’s APIs within reach', () => {
    const config = rawFixture('example-academy');
    config.sizing.network = { natGateways: 1, interfaceEndpoints: true };
    expect(parseConfig(config, 'test.json').sizing.network).toEqual({
      natGateways: 1,
      interfaceEndpoints: true,
    });
    expect(fixtureConfig('default').sizing.network).toEqual({ natGateways: 1, interfaceEndpoints: false });
  });

  it('fills in the video limits a fork leaves out, field by field', () => {
    const defaults = {
      maxUploadGiB: 10,
      abortIncompleteUploadDays: 7,
      monthlyTranscodeMinutes: 10_000,
      archiveSourcesAfterDays: 30,
      playbackCookieMinutes: 10,
      signingKeys: { trusted: [1], signWith: 1, regionalNames: false },
    };
    expect(fixtureConfig('default').video).toEqual(defaults);
    // Its 1,500 expected viewers set a larger transcoding budget.
    expect(fixtureConfig('example-academy').video).toEqual({ ...defaults, monthlyTranscodeMinutes: 60_000 });
    const config = rawFixture('default');
    config.video = { maxUploadGiB: 50, playbackCookieMinutes: 5 };
    expect(parseConfig(config, 'test.json').video).toEqual({
      ...defaults,
      maxUploadGiB: 50,
      playbackCookieMinutes: 5,
    });
  });

  it('fills in the live lecture settings a fork leaves out, field by field', () => {
    const defaults = { recording: true, recordingRetentionDays: 365, playbackKeyRotation: 1 };
    expect(fixtureConfig('default').live).toEqual(defaults);
    expect(fixtureConfig('example-academy').live).toEqual(defaults);
    const config = rawFixture('default');
    config.live = { recording: false };
    expect(parseConfig(config, 'test.json').live).toEqual({ ...defaults, recording: false });
    expect(problemsOf((c) => (c.live = { recordingRetentionDays: 0 }))).toMatch(
      'live.recordingRetentionDays',
    );
    expect(problemsOf((c) => (c.live = { record: true }))).toMatch('live: Unrecognized key: "record"');
  });

  it('resolves the compliance profile a fork names, with its overrides', () => {
    expect(complianceOf(fixtureConfig('example-academy'))).toEqual(
      COMPLIANCE_PROFILES['kr-employer-training'],
    );
    const config = rawFixture('default');
    config.compliance = { profile: 'kr-employer-training', overrides: { dailyLessonCap: 6 } };
    expect(complianceOf(parseConfig(config, 'test.json'))).toEqual({
      ...COMPLIANCE_PROFILES['kr-employer-training'],
      dailyLessonCap: 6,
    });
  });

  it('merges compliance overrides at every depth: a nested number alone keeps its siblings', () => {
    const config = rawFixture('default');
    config.compliance = {
      profile: 'kr-employer-training',
      overrides: { courseCompletion: { minScore: 70 }, examGates: { mid: 0.4 } },
    };
    const kr = COMPLIANCE_PROFILES['kr-employer-training'];
    expect(complianceOf(parseConfig(config, 'test.json'))).toEqual({
      ...kr,
      courseCompletion: { minProgressShare: kr.courseCompletion.minProgressShare, minScore: 70 },
      examGates: { mid: 0.4, final: kr.examGates.final },
    });
    // null still turns a rule off.
    config.compliance.overrides = { examGates: null, courseCompletion: { minScore: null } };
    expect(complianceOf(parseConfig(config, 'test.json'))).toMatchObject({
      examGates: null,
      courseCompletion: { minProgressShare: kr.courseCompletion.minProgressShare, minScore: null },
    });
  });

  it('refuses a partial override of a rule the profile turns off, naming the missing field', () => {
    expect(
      problemsOf((c) => (c.compliance = { profile: 'standard', overrides: { examGates: { mid: 0.5 } } })),
    ).toContain(
      'compliance.overrides.examGates.final: Invalid input: expected number, received undefined (profile standard has none to merge with)',
    );
    expect(
      problemsOf(
        (c) => (c.compliance = { profile: 'standard', overrides: { courseCompletion: { minScore: 101 } } }),
      ),
    ).toContain('compliance.overrides.courseCompletion.minScore');
    expect(
      problemsOf(
        (c) => (c.compliance = { profile: 'standard', overrides: { courseCompletion: { minScor: 1 } } }),
      ),
    ).toContain('compliance.overrides.courseCompletion: Unrecognized key: "minScor"');
  });

  it.each([
    [
      'a negative max task count',
      (c: RawConfig) => (c.sizing.service.maxTasks = -1),
      'sizing.service.maxTasks',
    ],
    [
      'min tasks above max tasks',
      (c: RawConfig) => (c.sizing.service.minTasks = 5),
      'sizing.service.minTasks: must not exceed maxTasks (2)',
    ],
    [
      'memory Fargate does not offer for the CPU',
      (c: RawConfig) => (c.sizing.service.memoryMiB = 3000),
      'sizing.service.memoryMiB',
    ],
    ['an unknown log retention', (c: RawConfig) => (c.retention.logDays = 42), 'retention.logDays'],
    [
      'an origin with a path',
      (c: RawConfig) => (c.cors.allowedOrigins = ['https://a.example.com/app']),
      'cors.allowedOrigins.0',
    ],
    ['a bad e-mail', (c: RawConfig) => (c.alarmEmail = 'ops'), 'alarmEmail'],
    [
      'an unknown compliance profile',
      (c: RawConfig) => (c.compliance = { profile: 'lenient' }),
      'compliance.profile',
    ],
    [
      'a time zone that does not exist',
      (c: RawConfig) => (c.compliance = { profile: 'standard', overrides: { timeZone: 'Mars/Olympus' } }),
      'compliance.overrides.timeZone: an IANA time zone such as Asia/Seoul',
    ],
    ['an unknown field', (c: RawConfig) => (c.sizing.databse = {}), 'sizing'],
    [
      'an upload limit beyond S3’s largest object',
      (c: RawConfig) => (c.video = { maxUploadGiB: 6000 }),
      'video.maxUploadGiB',
    ],
    ['a fractional upload limit', (c: RawConfig) => (c.video = { maxUploadGiB: 1.5 }), 'video.maxUploadGiB'],
    [
      'never aborting incomplete uploads',
      (c: RawConfig) => (c.video = { abortIncompleteUploadDays: 0 }),
      'video.abortIncompleteUploadDays',
    ],
    [
      'a negative transcoding budget',
      (c: RawConfig) => (c.video = { monthlyTranscodeMinutes: -1 }),
      'video.monthlyTranscodeMinutes',
    ],
    [
      'a playback cookie valid for hours',
      (c: RawConfig) => (c.video = { playbackCookieMinutes: 240 }),
      'video.playbackCookieMinutes',
    ],
    [
      'signing with a key the distribution does not trust',
      (c: RawConfig) => (c.video = { signingKeys: { trusted: [1], signWith: 2 } }),
      'video.signingKeys: signWith must be one of the trusted generations',
    ],
    [
      'trusting three signing keys',
      (c: RawConfig) => (c.video = { signingKeys: { trusted: [1, 2, 3], signWith: 2 } }),
      'video.signingKeys.trusted',
    ],
    [
      'an unknown video field',
      (c: RawConfig) => (c.video = { maxUploadGB: 10 }),
      'video: Unrecognized key: "maxUploadGB"',
    ],
    ['a bad slug', (c: RawConfig) => (c.institution.slug = 'Demo Academy'), 'institution.slug'],
    [
      'prod that would delete data',
      (c: RawConfig) =>
        Object.assign(c, { stage: 'prod', cors: { allowedOrigins: ['https://a.example.com'] } }),
      'retention.keepStatefulData',
    ],
    [
      'prod with one NAT gateway and no interface endpoints',
      (c: RawConfig) =>
        Object.assign(c, {
          stage: 'prod',
          cors: { allowedOrigins: ['https://a.example.com'] },
          retention: { ...c.retention, keepStatefulData: true },
        }),
      'sizing.network: prod needs natGateways: 2 or interfaceEndpoints: true',
    ],
    [
      'three NAT gateways',
      (c: RawConfig) => (c.sizing.network = { natGateways: 3 }),
      'sizing.network.natGateways',
    ],
    [
      'prod with an http origin',
      (c: RawConfig) =>
        Object.assign(c, { stage: 'prod', retention: { ...c.retention, keepStatefulData: true } }),
      'cors.allowedOrigins: prod origins must use https',
    ],
    [
      'an account without a region',
      (c: RawConfig) => (c.account = '123456789012'),
      'region: account and region go together',
    ],
    [
      'zones outside the region',
      (c: RawConfig) =>
        Object.assign(c, {
          account: '123456789012',
          region: 'eu-west-1',
          availabilityZones: ['us-east-1a', 'us-east-1b'],
        }),
      'availabilityZones: zones must be in the configured region',
    ],
    [
      'a bad account id',
      (c: RawConfig) => Object.assign(c, { account: '1234', region: 'eu-west-1' }),
      'account: a 12-digit AWS account id',
    ],
    [
      'two OIDC providers with one name',
      (c: RawConfig) => {
        const p = { name: 'SSO', clientId: 'x', clientSecretName: 's', issuerUrl: 'https://sso.example.com' };
        c.auth.identityProviders = { oidc: [p, p] };
      },
      'auth.identityProviders.oidc: provider name SSO is used twice',
    ],
    [
      'prod without an SES sender',
      (c: RawConfig) => (c.stage = 'prod'),
      'auth.email: required in prod: Cognito’s own sender allows about 50 e-mails a day',
    ],
    [
      'a slug Cognito refuses in the default domain prefix',
      (c: RawConfig) => (c.institution.slug = 'dawson-college'),
      'institution.slug: contains "aws", which Cognito refuses in the sign-in domain prefix made from the slug; set auth.domainPrefix',
    ],
    [
      'a domain prefix with a reserved word',
      (c: RawConfig) => (c.auth.domainPrefix = 'demo-cognito-login'),
      'auth.domainPrefix: Cognito refuses a domain prefix containing "cognito"',
    ],
    [
      'a domain prefix ending in a hyphen',
      (c: RawConfig) => (c.auth.domainPrefix = 'demo-'),
      'auth.domainPrefix: lower-case letters, digits and hyphens, at most 63 characters',
    ],
    [
      'a domain prefix with upper-case letters',
      (c: RawConfig) => (c.auth.domainPrefix = 'Demo'),
      'auth.domainPrefix: lower-case letters',
    ],
    [
      'a domain prefix of 64 characters',
      (c: RawConfig) => (c.auth.domainPrefix = 'd'.repeat(64)),
      'auth.domainPrefix: lower-case letters',
    ],
    [
      'an SES identity that is not the sender’s',
      (c: RawConfig) =>
        Object.assign(c, {
          account: '123456789012',
          region: 'eu-west-1',
          auth: { ...c.auth, email: { from: 'no-reply@a.example.com', sesIdentity: 'example.com' } },
        }),
      'auth.email.sesIdentity: must be the from address or its domain (a.example.com)',
    ],
    [
      'an SES sender with no region to find it in',
      (c: RawConfig) => (c.auth.email = { from: 'no-reply@a.example.com' }),
      'auth.email.sesRegion: required when the config names no region',
    ],
    [
      'an unknown e-mail field',
      (c: RawConfig) => (c.auth.email = { from: 'no-reply@a.example.com', sesRegion: 'eu-west-1', cc: 'x' }),
      'auth.email: Unrecognized key: "cc"',
    ],
  ])('refuses %s and names the field', (_what, edit, expected) => {
    expect(problemsOf(edit)).toContain(expected);
  });

  const SLUG_RULE =
    'starts with a letter, has only lower-case letters, digits and hyphens, ends with a letter or digit, 3 to 32 characters';
  /** The default config bound to an account and region, as a domain needs. */
  const bound = (c: RawConfig) =>
    Object.assign(c, {
      account: '123456789012',
      region: 'eu-west-1',
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    });

  it.each([
    [
      'a slug starting with a digit',
      (c: RawConfig) => (c.institution.slug = '1academy'),
      `institution.slug: ${SLUG_RULE}`,
    ],
    [
      'a slug of two characters',
      (c: RawConfig) => (c.institution.slug = 'ab'),
      `institution.slug: ${SLUG_RULE}`,
    ],
    [
      'a slug of 33 characters',
      (c: RawConfig) => (c.institution.slug = 'a'.repeat(33)),
      `institution.slug: ${SLUG_RULE}`,
    ],
    [
      'a slug ending in a hyphen',
      (c: RawConfig) => (c.institution.slug = 'academy-'),
      `institution.slug: ${SLUG_RULE}`,
    ],
    [
      'a slug with upper-case letters',
      (c: RawConfig) => (c.institution.slug = 'Academy'),
      `institution.slug: ${SLUG_RULE}`,
    ],
    [
      'a fraction of a GiB',
      (c: RawConfig) => (c.video = { maxUploadGiB: 1.5 }),
      'video.maxUploadGiB: a whole number',
    ],
    [
      'a fraction of a task',
      (c: RawConfig) => (c.sizing.service.minTasks = 1.5),
      'sizing.service.minTasks: a whole number',
    ],
    [
      'a fraction of a day',
      (c: RawConfig) => (c.retention.backupDays = 7.5),
      'retention.backupDays: a whole number',
    ],
    [
      'a fraction of a viewer',
      (c: RawConfig) => (c.scale = { concurrentViewers: 99.9 }),
      'scale.concurrentViewers: a whole number',
    ],
    [
      'a fractional minimum score override',
      (c: RawConfig) => (c.compliance = { profile: 'standard', overrides: { examAttempts: 1.5 } }),
      'compliance.overrides.examAttempts: a whole number',
    ],
    [
      'a hosted zone id that is the domain',
      (c: RawConfig) => bound(c) && (c.domain = { name: 'a.example.com', hostedZoneId: 'a.example.com' }),
      'domain.hostedZoneId: the id of the Route 53 hosted zone of domain.name: Z followed by upper-case letters and digits, such as Z0123456789ABCDEFGHIJ; `aws route53 list-hosted-zones-by-name --dns-name <domain.name>` prints it',
    ],
    [
      'a hosted zone id with its /hostedzone/ prefix',
      (c: RawConfig) =>
        bound(c) && (c.domain = { name: 'a.example.com', hostedZoneId: '/hostedzone/Z0123456789' }),
      'domain.hostedZoneId: the id of the Route 53 hosted zone of domain.name',
    ],
    [
      'an internationalized domain written in Unicode',
      (c: RawConfig) => bound(c) && (c.domain = { name: '아카데미.한국', hostedZoneId: 'Z0123456789' }),
      'domain.name: an internationalized name goes in punycode: "xn--2n1bv5n72h2qj.xn--3e0b707e"',
    ],
    [
      'a domain with an upper-case letter',
      (c: RawConfig) => bound(c) && (c.domain = { name: 'Academy.example.com', hostedZoneId: 'Z0123456789' }),
      'domain.name: a lower-case DNS name such as academy.example.com',
    ],
    [
      'a domain label ending in a hyphen',
      (c: RawConfig) =>
        bound(c) && (c.domain = { name: 'academy-.example.com', hostedZoneId: 'Z0123456789' }),
      'domain.name: a lower-case DNS name',
    ],
    [
      'an alarm address that is not one',
      (c: RawConfig) => (c.alarmEmail = 'ops'),
      'alarmEmail: an e-mail address such as ops@example.com',
    ],
    [
      'a list with an address that is not one',
      (c: RawConfig) => (c.alarmEmail = ['ops@example.com', 'oncall']),
      'alarmEmail.1: an e-mail address such as ops@example.com',
    ],
    [
      'an empty list of alarm addresses',
      (c: RawConfig) => (c.alarmEmail = []),
      'alarmEmail: at least one address',
    ],
    [
      'eleven alarm addresses',
      (c: RawConfig) => (c.alarmEmail = Array.from({ length: 11 }, (_, i) => `ops${i}@example.com`)),
      'alarmEmail: at most 10 addresses; for more, name a mailing list',
    ],
    [
      'an alarm address listed twice',
      (c: RawConfig) => (c.alarmEmail = ['ops@example.com', 'OPS@example.com']),
      'alarmEmail: an address is listed twice',
    ],
    [
      'an alarm address that is a number',
      (c: RawConfig) => (c.alarmEmail = 42),
      'alarmEmail: one e-mail address, or a list of 1 to 10',
    ],
    [
      'a CPU Fargate does not offer',
      (c: RawConfig) => (c.sizing.service.cpu = 300),
      'sizing.service.cpu: Invalid option: expected one of 256|512|1024|2048|4096',
    ],
    [
      'a region without its zones',
      (c: RawConfig) => Object.assign(c, { account: '123456789012', region: 'eu-west-1' }),
      'availabilityZones: required with a region: two zones of eu-west-1 for the VPC\'s subnets and the database, such as ["eu-west-1a", "eu-west-1b"]; `aws ec2 describe-availability-zones --region eu-west-1` lists those your account has',
    ],
    [
      'prod video without a domain',
      (c: RawConfig) => {
        const prod = rawFixture('example-academy');
        delete prod.domain;
        Object.assign(c, prod);
      },
      'domain: required in prod with features.video: the signed playback cookies are scoped to the domain',
    ],
  ])('refuses %s and states the rule', (_what, edit, expected) => {
    expect(problemsOf(edit)).toContain(expected);
  });

  it.each([
    'academy.xn--3e0b707e',
    'xn--2n1bv5n72h2qj.xn--3e0b707e',
    'xn--bcher-kva.example.com',
    'a-1.example.co',
  ])('accepts the domain %s', (name) => {
    const config = bound(rawFixture('default'));
    config.domain = { name, hostedZoneId: 'Z0123456789ABCDEFGHIJ' };
    expect(parseConfig(config, 'test.json').domain?.name).toBe(name);
  });

  it('takes one alarm address or a list, and gives every reader a list', () => {
    expect(fixtureConfig('default').alarmEmail).toEqual(['platform-alarms@example.com']);
    const config = rawFixture('default');
    config.alarmEmail = ['ops@example.com', 'oncall@example.com'];
    expect(parseConfig(config, 'test.json').alarmEmail).toEqual(['ops@example.com', 'oncall@example.com']);
  });

  it.each(['default.json', 'config/default.json', './config/default.json'])(
    'understands -c institution=%s as the config default',
    (given) => {
      expect(loadConfig(given, FIXTURE_CONFIG_DIR)).toEqual(fixtureConfig('default'));
    },
  );

  it('tells a path outside config/ to give the name without .json', () => {
    expect(() => loadConfig('../default.json', FIXTURE_CONFIG_DIR)).toThrow(
      'institution: "../default.json" is not a config name: give the file\'s name under config/ without .json',
    );
  });

  it('takes any domain prefix Cognito takes, and a reserved word in the slug once a prefix is set', () => {
    for (const domainPrefix of ['a', 'sign-in-7', 'd'.repeat(63)]) {
      const config = rawFixture('default');
      config.auth.domainPrefix = domainPrefix;
      expect(parseConfig(config, 'test.json').auth.domainPrefix).toBe(domainPrefix);
    }
    const config = rawFixture('default');
    Object.assign(config, { institution: { name: 'Dawson', slug: 'dawson-college' } });
    config.auth.domainPrefix = 'dc-lms-dev';
    expect(parseConfig(config, 'test.json').institution.slug).toBe('dawson-college');
  });

  it('opens sign-up in dev and closes it in prod unless the config says otherwise', () => {
    expect(selfSignUpOf(fixtureConfig('default'))).toBe(true);
    expect(selfSignUpOf(fixtureConfig('example-academy'))).toBe(false);
    const prod = rawFixture('example-academy');
    delete prod.auth.selfSignUp;
    expect(selfSignUpOf(parseConfig(prod, 'test.json'))).toBe(false);
    prod.auth.selfSignUp = true;
    expect(selfSignUpOf(parseConfig(prod, 'test.json'))).toBe(true);
    const dev = rawFixture('default');
    dev.auth.selfSignUp = false;
    expect(selfSignUpOf(parseConfig(dev, 'test.json'))).toBe(false);
  });

  it('takes an SES sender covered by its own address or its domain, in any case', () => {
    const config = rawFixture('default');
    config.auth.email = {
      from: 'No-Reply@Demo.example.com',
      sesIdentity: 'demo.example.com',
      sesRegion: 'eu-west-1',
    };
    expect(parseConfig(config, 'test.json').auth.email).toEqual(config.auth.email);
    config.auth.email.sesIdentity = 'no-reply@demo.example.com';
    expect(parseConfig(config, 'test.json').auth.email).toEqual(config.auth.email);
  });

  it('names the config file and lists the available ones for an unknown name', () => {
    expect(() => loadConfig('no-such-institution', FIXTURE_CONFIG_DIR)).toThrow(
      /no config named "no-such-institution"; available: .*default/,
    );
  });

  it('refuses a file that is not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lms-config-'));
    writeFileSync(join(dir, 'broken.json'), '{ nope');
    expect(() => loadConfig('broken', dir)).toThrow(/broken\.json:\n {2}- \(file\): not valid JSON/);
  });

  it('refuses a second config with the same slug in the same account and region, whose stacks would collide', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lms-config-'));
    const prod = rawFixture('example-academy');
    writeFileSync(join(dir, 'academy.json'), JSON.stringify(prod));
    writeFileSync(join(dir, 'academy-dev.json'), JSON.stringify({ ...prod, stage: 'dev' }));
    expect(() => loadConfig('academy', dir)).toThrow(
      /institution\.slug: "example-academy" is also the slug of config\/academy-dev\.json in the same account and region \(123456789012, ap-northeast-2\)/,
    );
    // Its own slug, or another region, and the two live side by side.
    const dev = { ...prod, stage: 'dev', institution: { ...prod.institution, slug: 'example-academy-dev' } };
    writeFileSync(join(dir, 'academy-dev.json'), JSON.stringify(dev));
    expect(loadConfig('academy', dir).institution.slug).toBe('example-academy');
    expect(loadConfig('academy-dev', dir).institution.slug).toBe('example-academy-dev');
    const tokyo = {
      ...prod,
      stage: 'dev',
      region: 'ap-northeast-1',
      availabilityZones: ['ap-northeast-1a', 'ap-northeast-1c'],
    };
    writeFileSync(join(dir, 'academy-dev.json'), JSON.stringify(tokyo));
    // CloudFront's public key names are account-wide: one of the two names its keys by region.
    expect(() => loadConfig('academy', dir)).toThrow(
      /video\.signingKeys\.regionalNames: config\/academy-dev\.json deploys slug "example-academy" to another region of account 123456789012 with video too/,
    );
    writeFileSync(
      join(dir, 'academy-dev.json'),
      JSON.stringify({
        ...tokyo,
        video: { ...prod.video, signingKeys: { trusted: [1], signWith: 1, regionalNames: true } },
      }),
    );
    expect(loadConfig('academy', dir).stage).toBe('prod');
    expect(loadConfig('academy-dev', dir).video.signingKeys.regionalNames).toBe(true);
    writeFileSync(
      join(dir, 'academy-dev.json'),
      JSON.stringify({ ...tokyo, features: { ...prod.features, video: false } }),
    );
    expect(loadConfig('academy', dir).stage).toBe('prod');
  });

  it('says on which line and column a config’s JSON breaks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lms-config-'));
    writeFileSync(join(dir, 'comma.json'), '{\n  "stage": "dev",\n}\n');
    expect(() => loadConfig('comma', dir)).toThrow(/\(file\): not valid JSON: .*line 3,? column 1/);
  });
});
