import { App, Validations } from 'aws-cdk-lib';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from '#lib/config/load-config';
import { buildPlatform } from '#lib/platform';
import { FIXTURE_CONFIG_DIR } from './fixture-configs';

describe('cdk-nag AwsSolutions over the whole app', () => {
  it.each(['default', 'example-academy'])('has no unacknowledged finding with config %s', (name) => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    buildPlatform(app, loadConfig(name, FIXTURE_CONFIG_DIR));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    // The plugin fails synthesis on any finding; the message lists each one with its path.
    expect(() => app.synth()).not.toThrow();
  });

  it('fails synthesis when a finding is not acknowledged', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const { data } = buildPlatform(app, loadConfig('default', FIXTURE_CONFIG_DIR));
    // A table without point-in-time recovery is an AwsSolutions-DDB3 finding nobody acknowledged.
    new Table(data, 'Unprotected', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-DDB3/);
  });
});
