import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { ENV } from '../../../lambda/resources';
import { routeList } from '../../../lambda/routes';
import type { Platform } from '../../../lib/platform';
import { platformFor } from '../platform-fixture';

describe('api stack', () => {
  const dev = platformFor('default');
  const prod = platformFor('example-academy');
  const api = dev.template('api');

  it('has exactly the routes of the route table, each with the authorizer unless public', () => {
    const routes = Object.values(api.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(
      routeList.map((r) => `${r.method} ${r.path}`).sort(),
    );
    for (const route of routeList) {
      const props = routes.find((r) => r.RouteKey === `${route.method} ${route.path}`);
      if (route.access === 'public') {
        expect(props.AuthorizationType).toBe('NONE');
      } else {
        expect(props.AuthorizationType).toBe('CUSTOM');
        expect(props.AuthorizerId).toEqual({ Ref: expect.any(String) });
      }
    }
  });

  it('authorizes with a Lambda reading header or cookie, uncached', () => {
    api.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      AuthorizerResultTtlInSeconds: 0,
      IdentitySource: Match.absent(),
    });
  });

  it('gives every platform function the house defaults', () => {
    const functions = [...dev.platform.api.functions, ...dev.platform.auth.functionsForMonitoring];
    expect(functions.length).toBe(routeList.length + 2); // routes, the authorizer, the token trigger
    for (const f of functions) {
      const stack = Stack.of(f);
      const template = stack === dev.platform.api ? api : dev.template('auth');
      const id = stack.getLogicalId(f.function.node.defaultChild as CfnFunction);
      const resource = template.toJSON().Resources[id];
      expect(resource.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: {
          LogFormat: 'JSON',
          LogGroup: { Ref: stack.getLogicalId(f.logGroup.node.defaultChild as never) },
        },
      });
      expect(resource.Properties.Environment.Variables).toMatchObject({
        NODE_OPTIONS: '--enable-source-maps',
      });
    }
    api.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    prod.template('api').allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 365 });
  });

  it('grants table access only to routes that declare it', () => {
    const fns = dev.platform.api.functions;
    for (const route of routeList) {
      const fn = fns.find((f) => f.node.id === `Route-${route.id}`)!;
      const env =
        api.toJSON().Resources[dev.platform.api.getLogicalId(fn.function.node.defaultChild as CfnFunction)]
          .Properties.Environment.Variables;
      expect(ENV.authFlowTable in env).toBe(Boolean(route.tables?.authFlow));
    }
    const policies = Object.values(api.findResources('AWS::IAM::Policy'));
    const withDynamo = policies.filter((p) => JSON.stringify(p).includes('dynamodb:'));
    expect(withDynamo).toHaveLength(routeList.filter((r) => r.tables).length);
  });

  it('allows credentialed CORS from the configured origins only', () => {
    prod.template('api').hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({
        AllowOrigins: ['https://academy.example.com', 'https://admin.academy.example.com'],
        AllowCredentials: true,
      }),
    });
  });

  it('logs access and throttles the stage', () => {
    api.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
    });
  });

  it('signs browsers in with the authorization code flow and PKCE on a public client', () => {
    api.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      GenerateSecret: false,
      EnableTokenRevocation: true,
      PreventUserExistenceErrors: 'ENABLED',
      RefreshTokenValidity: 43200,
      CallbackURLs: [Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['/auth/callback'])] })],
    });
    prod.template('api').hasResourceProperties('AWS::Cognito::UserPoolClient', {
      CallbackURLs: ['https://api.academy.example.com/auth/callback'],
      SupportedIdentityProviders: ['COGNITO', 'Google', 'AcademySSO'],
    });
  });

  it('scopes session cookies to the parent domain when the config has one', () => {
    const env = (t: typeof api) =>
      Object.values(t.findResources('AWS::Lambda::Function'))
        .map((f) => f.Properties.Environment.Variables)
        .filter((v) => ENV.oauthClientId in v);
    expect(env(prod.template('api')).every((v) => v[ENV.cookieDomain] === 'academy.example.com')).toBe(true);
    expect(env(api).every((v) => !(ENV.cookieDomain in v))).toBe(true);
  });

  it('serves the custom domain with a DNS-validated certificate', () => {
    const t = prod.template('api');
    t.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'api.academy.example.com',
    });
    t.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: 'api.academy.example.com' });
    t.hasResourceProperties('AWS::Route53::RecordSet', { Name: 'api.academy.example.com.', Type: 'A' });
  });

  it('never deploys the local token issuer', () => {
    for (const stack of Object.keys(prod.platform) as (keyof Platform)[]) {
      expect(JSON.stringify(prod.template(stack).toJSON())).not.toMatch(/\/local\/|local-web/);
    }
  });

  it('matches the snapshot', () => {
    expect(api.toJSON()).toMatchSnapshot();
  });
});
