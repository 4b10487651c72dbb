#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { warnOfStatefulChanges } from '#lib/config/deployed-config';
import { configNameOf, InvalidConfigError, loadConfig } from '#lib/config/load-config';
import { buildPlatform } from '#lib/platform';

const app = new App();
try {
  // The only place that reads CDK context: `-c institution=<name>` picks config/<name>.json, and cdk.json's
  // `institution` names the fork's own when the command gives none.
  const given: string = app.node.tryGetContext('institution') ?? 'default';
  const config = loadConfig(given);
  const platform = buildPlatform(app, config);
  // A config deployed before (git tag deployed/<name>) warns of each change that would replace its data.
  warnOfStatefulChanges(platform, configNameOf(given), config);
} catch (e) {
  if (e instanceof InvalidConfigError) {
    console.error(e.message);
    process.exit(1);
  }
  throw e;
}
// Every finding fails synth unless acknowledged beside its resource with a reason.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
