import { type App, Tags } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { InstitutionConfig } from './config/institution-config';
import { ApiStack } from './stacks/api-stack';
import { AuthStack } from './stacks/auth-stack';
import { DataStack } from './stacks/data-stack';
import { MonitoringStack } from './stacks/monitoring-stack';
import { NetworkStack } from './stacks/network-stack';

export interface Platform {
  readonly auth: AuthStack;
  readonly network: NetworkStack;
  readonly data: DataStack;
  readonly api: ApiStack;
  readonly monitoring: MonitoringStack;
}

/** Creates every stack of one institution's platform from its validated config. */
export function buildPlatform(app: App, config: InstitutionConfig): Platform {
  const { slug } = config.institution;
  const env =
    config.account || config.region ? { account: config.account, region: config.region } : undefined;
  const common = { env, logRetention: config.retention.logDays as RetentionDays };
  const name = (stack: string) => `${slug}-${stack}`;

  const auth = new AuthStack(app, name('auth'), {
    ...common,
    description: `${config.institution.name}: sign-in, roles and identity providers`,
    domainPrefix: `lms-${slug}-${config.stage}`,
    mfa: config.auth.mfa,
    identityProviders: config.auth.identityProviders,
    keepStatefulData: config.retention.keepStatefulData,
  });
  const network = new NetworkStack(app, name('network'), {
    ...common,
    description: `${config.institution.name}: VPC`,
    natGateways: config.sizing.natGateways,
    availabilityZones:
      config.availabilityZones ?? (config.region ? [`${config.region}a`, `${config.region}b`] : undefined),
  });
  const data = new DataStack(app, name('data'), {
    ...common,
    description: `${config.institution.name}: PostgreSQL and DynamoDB (stateful)`,
    vpc: network.vpc,
    database: config.sizing.database,
    backupDays: config.retention.backupDays,
    keepStatefulData: config.retention.keepStatefulData,
  });
  const api = new ApiStack(app, name('api'), {
    ...common,
    description: `${config.institution.name}: HTTP API and its Lambda routes`,
    userPool: auth.userPool,
    oauthBaseUrl: auth.oauthBaseUrl,
    identityProviders: auth.clientIdentityProviders,
    tables: data.tables,
    allowedOrigins: config.cors.allowedOrigins,
    domain: config.domain,
    throttle: config.sizing.api,
  });
  const monitoring = new MonitoringStack(app, name('monitoring'), {
    env,
    description: `${config.institution.name}: dashboard and alarms`,
    namePrefix: slug,
    alarmEmail: config.alarmEmail,
    httpApi: api.httpApi,
    functions: [...api.functions, ...auth.functionsForMonitoring].map((f) => f.function),
    database: data.database,
  });

  Tags.of(app).add('lms:institution', slug);
  Tags.of(app).add('lms:stage', config.stage);
  return { auth, network, data, api, monitoring };
}
