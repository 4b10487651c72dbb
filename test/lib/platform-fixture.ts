import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadConfig } from '../../lib/config/load-config';
import { buildPlatform, type Platform } from '../../lib/platform';

/**
 * The whole platform for one config, without bundling (the tests read templates, not code assets;
 * the CI synth and bench/synth bundle for real).
 */
export function platformFor(configName = 'default'): {
  app: App;
  platform: Platform;
  template: (s: keyof Platform) => Template;
} {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const platform = buildPlatform(app, loadConfig(configName));
  const cache = new Map<keyof Platform, Template>();
  return {
    app,
    platform,
    template: (s) => {
      if (!cache.has(s)) cache.set(s, Template.fromStack(platform[s]));
      return cache.get(s)!;
    },
  };
}
