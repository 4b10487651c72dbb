import { App, Stack, Validations } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { LIVE } from '#contracts/live';
import { CORE_SERVICE, ENV, EVENTS, SESSION, VOD } from '#contracts/resources';
import { type IvsAction, liveRoutes, type RouteDef, routeList } from '#contracts/routes';
import { loadConfig } from '#lib/config/load-config';
import { buildPlatform, type FeatureStacks, type Platform } from '#lib/platform';
import { ApiStack } from '#lib/stacks/api-stack';
import type { LiveStack } from '#lib/stacks/live-stack';
import { platformFor, refIn, sameRef } from '../platform-fixture';
import { FIXTURE_CONFIG_DIR } from '../fixture-configs';

describe('api stack', () => {
  const dev = platformFor('default');
  const prod = platformFor('example-academy');
  const api = dev.template('api');
  const routes = Object.values(api.findResources('AWS::ApiGatewayV2::Route')).map((r) => r.Properties);
  const integrations = api.findResources('AWS::ApiGatewayV2::Integration');
  const integrationOf = (route: { Target: unknown }) => {
    expect(route.Target).toEqual({ 'Fn::Join': ['', ['integrations/', { Ref: expect.any(String) }]] });
    const { Ref } = (route.Target as { 'Fn::Join': [string, [string, { Ref: string }]] })['Fn::Join'][1][1];
    return integrations[Ref]!.Properties;
  };
  const lambdaRouteKeys = routeList.map((r) => `${r.method} ${r.path}`);
  const coreRouteKeys = CORE_SERVICE.pathPrefixes.flatMap((p) => [`ANY ${p}`, `ANY ${p}/{proxy+}`]);
  const healthRouteKey = `GET ${CORE_SERVICE.healthPath}`;

  it('stays under CloudFormation’s 500 resources a stack, with room for a deploy’s changes', () => {
    // About seven resources a Lambda route (function, role, policy, log group, integration, route,
    // permission). Past this, add no route here: split the route table's domains across api stacks first.
    for (const platform of [dev, prod]) {
      const count = Object.keys(platform.template('api').toJSON().Resources as object).length;
      expect(count).toBeLessThanOrEqual(490);
    }
  });

  it('has exactly the routes of the route table and the core service prefixes, nothing else', () => {
    const lambdaRoutes = routes.filter((r) => integrationOf(r).IntegrationType === 'AWS_PROXY');
    const coreRoutes = routes.filter((r) => integrationOf(r).ConnectionType === 'VPC_LINK');
    expect(lambdaRoutes.map((r) => r.RouteKey).sort()).toEqual([...lambdaRouteKeys].sort());
    expect(coreRoutes.map((r) => r.RouteKey).sort()).toEqual([...coreRouteKeys, healthRouteKey].sort());
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(
      [...lambdaRouteKeys, ...coreRouteKeys, healthRouteKey].sort(),
    );
  });

  it('routes GET /health, open to anyone, to the core service, which asks its database', () => {
    const health = routes.find((r) => r.RouteKey === healthRouteKey)!;
    expect(health.AuthorizationType).toBe('NONE');
    expect(integrationOf(health)).toMatchObject({ ConnectionType: 'VPC_LINK' });
  });

  it('gives each route of the route table the authorizer unless public', () => {
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

  describe('core service', () => {
    const { api: apiStack, coreService, network } = dev.platform;
    const linkGroup = { 'Fn::GetAtt': [expect.any(String), 'GroupId'] };

    it('routes each prefix, and everything below it, behind the session authorizer', () => {
      const [authorizerId] = Object.keys(api.findResources('AWS::ApiGatewayV2::Authorizer'));
      for (const key of coreRouteKeys) {
        expect(routes.find((r) => r.RouteKey === key)).toMatchObject({
          AuthorizationType: 'CUSTOM',
          AuthorizerId: { Ref: authorizerId },
        });
      }
      expect(coreRouteKeys.length).toBeGreaterThan(0);
    });

    it('sends them, path unchanged and with API Gateway’s request id, to the core service listener through the VPC link', () => {
      const targets = new Set(
        routes.filter((r) => coreRouteKeys.includes(r.RouteKey)).map((r) => JSON.stringify(r.Target)),
      );
      expect(targets.size).toBe(1); // one integration shared by every core route
      const [link] = Object.keys(api.findResources('AWS::ApiGatewayV2::VpcLink'));
      const integration = integrationOf(routes.find((r) => r.RouteKey === coreRouteKeys[0])!);
      expect(integration).toEqual({
        ApiId: { Ref: expect.any(String) },
        IntegrationType: 'HTTP_PROXY',
        ConnectionType: 'VPC_LINK',
        ConnectionId: { Ref: link },
        IntegrationMethod: 'ANY',
        IntegrationUri: refIn(apiStack, coreService.listener.listenerArn),
        PayloadFormatVersion: '1.0',
        // Nothing rewrites the path, which the service serves at its root; the request id is API Gateway's.
        RequestParameters: { 'overwrite:header.x-request-id': '$context.requestId' },
      });
      // The listener's ARN arrives as the core-service stack's export of the listener itself.
      const importName = (integration.IntegrationUri as { 'Fn::ImportValue': string })['Fn::ImportValue'];
      const exported = Object.values(dev.template('coreService').toJSON().Outputs).find(
        (o) => (o as { Export?: { Name: string } }).Export?.Name === importName,
      );
      expect(exported).toMatchObject({ Value: coreService.resolve(coreService.listener.listenerArn) });
    });

    it('puts the VPC link in the private subnets with a security group of its own', () => {
      api.resourceCountIs('AWS::ApiGatewayV2::VpcLink', 1);
      api.hasResourceProperties('AWS::ApiGatewayV2::VpcLink', {
        SubnetIds: refIn(
          apiStack,
          network.vpc.privateSubnets.map((s) => s.subnetId),
        ),
        SecurityGroupIds: [apiStack.resolve(apiStack.coreServiceLinkSecurityGroup.securityGroupId)],
      });
      expect(apiStack.resolve(apiStack.coreServiceLinkSecurityGroup.securityGroupId)).toEqual(linkGroup);
    });

    it('lets the VPC link reach the load balancer on port 80, and nothing else', () => {
      const link = apiStack.coreServiceLinkSecurityGroup.securityGroupId;
      const alb = coreService.albSecurityGroup.securityGroupId;
      const rule = { IpProtocol: 'tcp', FromPort: 80, ToPort: 80 };
      const egress = dev
        .resourcesAnywhere('AWS::EC2::SecurityGroupEgress')
        .filter(({ stack, properties }) => sameRef(refIn(stack, link), properties.GroupId));
      expect(egress).toEqual([
        expect.objectContaining({
          properties: expect.objectContaining({ ...rule, DestinationSecurityGroupId: expect.anything() }),
        }),
      ]);
      const [{ stack: egressStack, properties: out }] = egress as [(typeof egress)[number]];
      expect(out.DestinationSecurityGroupId).toEqual(refIn(egressStack, alb));

      const ingress = dev
        .resourcesAnywhere('AWS::EC2::SecurityGroupIngress')
        .filter(({ stack, properties }) => sameRef(refIn(stack, alb), properties.GroupId));
      expect(ingress).toHaveLength(1);
      const [{ stack: ingressStack, properties: in_ }] = ingress as [(typeof ingress)[number]];
      expect(in_).toMatchObject({ ...rule, SourceSecurityGroupId: refIn(ingressStack, link) });

      // Both rules sit in this stack, so the core-service stack never depends on it (no cycle).
      expect([egressStack, ingressStack]).toEqual([apiStack, apiStack]);
      expect(apiStack.dependencies).toContain(coreService);
      expect(coreService.dependencies).not.toContain(apiStack);
      // No inline rules either: the link admits nothing and sends only the rule above.
      api.hasResourceProperties('AWS::EC2::SecurityGroup', {
        GroupDescription: Match.stringLikeRegexp('VPC link'),
        SecurityGroupIngress: Match.absent(),
        SecurityGroupEgress: Match.absent(),
      });
    });
  });

  it('authorizes with a Lambda reading the session cookie, its answers cached by the Cookie header', () => {
    api.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      AuthorizerResultTtlInSeconds: SESSION.authorizerCacheSeconds,
      IdentitySource: ['$request.header.Cookie'],
    });
  });

  it('tells every route the app origins, since the cached authorizer cannot judge an Origin', () => {
    for (const fn of dev.platform.api.functions.filter((f) => f.node.id.startsWith('Route-'))) {
      const env =
        api.toJSON().Resources[dev.platform.api.getLogicalId(fn.function.node.defaultChild as CfnFunction)]
          .Properties.Environment.Variables;
      expect([fn.node.id, env[ENV.appOrigins]]).toEqual([fn.node.id, expect.stringMatching(/^https?:\/\//)]);
    }
  });

  it('gives every platform function the house defaults', () => {
    const functions = [...dev.platform.api.functions, ...dev.platform.auth.functionsForMonitoring];
    // Routes, the authorizer, the token trigger and the sign-up trigger.
    expect(functions.length).toBe(routeList.length + 3);
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
    // + the authorizer, which reads revocation markers.
    expect(withDynamo).toHaveLength(routeList.filter((r) => r.tables).length + 1);
  });

  it('grants each route exactly its Cognito actions on this pool, the bus to those that publish, and its timeout', () => {
    const apiStack = dev.platform.api;
    const poolArn = refIn(apiStack, dev.platform.auth.userPool.userPoolArn);
    const busArn = refIn(apiStack, dev.platform.data.eventBus.eventBusArn);
    const resources = api.toJSON().Resources as Record<string, { Properties: Record<string, unknown> }>;
    for (const route of routeList) {
      const fn = apiStack.functions.find((f) => f.node.id === `Route-${route.id}`)!;
      const roleRef = apiStack.resolve(fn.role.roleName);
      const statements = Object.values(resources)
        .filter((r) => JSON.stringify(r.Properties['Roles']) === JSON.stringify([roleRef]))
        .flatMap(
          (r) => (r.Properties['PolicyDocument'] as { Statement: Record<string, unknown>[] }).Statement,
        );
      const cognito = statements.filter((s) => JSON.stringify(s.Action).includes('cognito-idp:'));
      const fnProps =
        resources[apiStack.getLogicalId(fn.function.node.defaultChild as CfnFunction)]!.Properties;
      const env = (fnProps['Environment'] as { Variables: Record<string, unknown> }).Variables;
      // Invitations may take longer than the house default, and never longer than API Gateway waits.
      expect(fnProps['Timeout']).toBe(route.timeoutSeconds ?? 10);
      if (route.cognito) {
        const actions = route.cognito.length === 1 ? route.cognito[0] : [...route.cognito];
        expect(cognito).toEqual([{ Effect: 'Allow', Action: actions, Resource: poolArn }]);
        expect(env[ENV.userPoolId]).toEqual(refIn(apiStack, dev.platform.auth.userPool.userPoolId));
      } else {
        expect(cognito).toEqual([]);
        expect(ENV.userPoolId in env).toBe(false);
      }
      const putEvents = statements.filter((s) => JSON.stringify(s.Action).includes('events:PutEvents'));
      expect(putEvents).toEqual(
        route.publishes ? [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: busArn }] : [],
      );
      expect(EVENTS.busNameEnv in env).toBe(Boolean(route.publishes));
    }
  });

  describe('session revocation', () => {
    const apiStack = dev.platform.api;
    const resources = api.toJSON().Resources as Record<string, { Properties: Record<string, unknown> }>;
    const fnNamed = (id: string) => apiStack.functions.find((f) => f.node.id === id)!;
    const envOf = (id: string) =>
      (
        resources[apiStack.getLogicalId(fnNamed(id).function.node.defaultChild as CfnFunction)]!.Properties
          .Environment as { Variables: Record<string, unknown> }
      ).Variables;
    /** The DynamoDB actions a function's role may take, by the resource they apply to. */
    const dynamoGrantsOf = (id: string) => {
      const role = apiStack.getLogicalId(fnNamed(id).role.node.defaultChild as never);
      return Object.values(api.findResources('AWS::IAM::Policy'))
        .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string[]; Resource: unknown }[])
        .filter((st) => JSON.stringify(st.Action).includes('dynamodb:'));
    };
    const authFlowTable = () => refIn(apiStack, dev.platform.data.tables.authFlow.tableArn);
    const tokenEnvKeys = [ENV.tokenIssuer, ENV.tokenJwksUri, ENV.tokenClientIds];

    it('lets logout verify tokens as the authorizer does, and no other route', () => {
      expect(routeList.filter((r) => r.verifiesTokens).map((r) => r.id)).toEqual(['endSession']);
      for (const route of routeList) {
        const env = envOf(`Route-${route.id}`);
        expect([route.id, tokenEnvKeys.map((k) => k in env)]).toEqual([
          route.id,
          tokenEnvKeys.map(() => Boolean(route.verifiesTokens)),
        ]);
      }
      const authorizer = envOf('SessionAuthorizer');
      for (const key of tokenEnvKeys) expect(envOf('Route-endSession')[key]).toEqual(authorizer[key]);
    });

    it('lets the authorizer read revocation markers from the auth-flow table, and write nothing', () => {
      expect(envOf('SessionAuthorizer')[ENV.authFlowTable]).toEqual(
        refIn(apiStack, dev.platform.data.tables.authFlow.tableName),
      );
      const grants = dynamoGrantsOf('SessionAuthorizer');
      expect(grants.length).toBeGreaterThan(0);
      expect(grants.every((st) => JSON.stringify(st.Resource) === JSON.stringify(authFlowTable()))).toBe(
        true,
      );
      const actions = grants.flatMap((st) => st.Action);
      expect(actions).toContain('dynamodb:GetItem');
      expect(actions.filter((a) => /Put|Update|Delete|Write/.test(a))).toEqual([]);
    });

    it('lets logout write revocation markers to the auth-flow table', () => {
      expect(envOf('Route-endSession')[ENV.authFlowTable]).toEqual(
        refIn(apiStack, dev.platform.data.tables.authFlow.tableName),
      );
      const grants = dynamoGrantsOf('Route-endSession');
      expect(grants.every((st) => JSON.stringify(st.Resource) === JSON.stringify(authFlowTable()))).toBe(
        true,
      );
      expect(grants.flatMap((st) => st.Action)).toEqual(expect.arrayContaining(['dynamodb:PutItem']));
    });
  });

  describe('upload routes', () => {
    const uploadRoutes = routeList.filter((r) => r.buckets?.upload === 'readWrite');
    const videoRoutes = routeList.filter((r) => r.feature === 'video');
    const resources = api.toJSON().Resources as Record<string, { Properties: Record<string, unknown> }>;
    const propsOf = (fn: Platform['api']['functions'][number]) =>
      resources[dev.platform.api.getLogicalId(fn.function.node.defaultChild as CfnFunction)]!.Properties;
    const s3Statements = Object.values(api.findResources('AWS::IAM::Policy')).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[]).filter(
        (st) =>
          JSON.stringify(st.Action).includes('s3:') && JSON.stringify(st.Resource).includes('UploadBucket'),
      ),
    );

    it('exist only behind the video feature', () => {
      expect(uploadRoutes.map((r) => `${r.method} ${r.path}`).sort()).toEqual([
        'DELETE /uploads/{uploadId}',
        'GET /uploads/{uploadId}/part-urls',
        'GET /uploads/{uploadId}/parts',
        'POST /uploads',
        'POST /uploads/{uploadId}/complete',
      ]);
      expect(uploadRoutes.every((r) => r.feature === 'video')).toBe(true);
    });

    it('get the bucket name, the size limit and exactly the multipart actions on videos/ and materials/', () => {
      for (const route of routeList) {
        const fn = dev.platform.api.functions.find((f) => f.node.id === `Route-${route.id}`)!;
        const env = (propsOf(fn).Environment as { Variables: Record<string, unknown> }).Variables;
        expect([route.id, VOD.env.uploadBucket in env]).toEqual([route.id, Boolean(route.buckets?.upload)]);
        if (route.buckets?.upload === 'readWrite') {
          expect(env[VOD.env.maxUploadBytes]).toBe(String(10 * 1024 ** 3));
          // POST /uploads refuses a video once the month's transcoding budget (derived from the default
          // config's 250 viewers) is used.
          expect(env[VOD.env.monthlyTranscodeMinutes]).toBe('10000');
        }
      }
      const multipart = s3Statements.filter((st) => JSON.stringify(st.Action).includes('s3:PutObject'));
      expect(multipart).toHaveLength(uploadRoutes.length);
      for (const statement of multipart) {
        expect(statement).toEqual({
          Effect: 'Allow',
          Action: ['s3:PutObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
          Resource: Object.values(VOD.uploadPrefixes).map((p) => ({
            'Fn::Join': ['', [{ 'Fn::ImportValue': 'demo-vod:UploadBucketArn' }, `/${p}*`]],
          })),
        });
      }
    });

    it('are not built when video is off', () => {
      const config = loadConfig('default', FIXTURE_CONFIG_DIR);
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const off = buildPlatform(app, { ...config, features: { ...config.features, video: false } });
      expect(off.vod).toBeUndefined();
      const keys = Object.values(Template.fromStack(off.api).findResources('AWS::ApiGatewayV2::Route')).map(
        (r) => r.Properties.RouteKey,
      );
      expect(keys).toContain('GET /me');
      // The board's questions per minute of a video are no route of the video feature.
      expect(keys.filter((k: string) => k.includes('/uploads') || k.includes('/contents'))).toEqual([
        'GET /contents/{contentId}/question-minutes',
      ]);
      expect(off.api.functions).toHaveLength(routeList.length - videoRoutes.length + 1); // + the authorizer
    });

    it('let the certificate download read certificates/ only, and throttle the public verification', () => {
      const statements = Object.values(api.findResources('AWS::IAM::Policy')).flatMap((p) =>
        (p.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[]).filter((st) =>
          JSON.stringify(st.Resource).includes('CertificatesBucketArn'),
        ),
      );
      expect(statements).toEqual([
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: {
            'Fn::Join': ['', [{ 'Fn::ImportValue': 'demo-data:CertificatesBucketArn' }, '/certificates/*']],
          },
        },
      ]);
      const throttle = { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 };
      api.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        RouteSettings: {
          'GET /certificates/{number}/verification': throttle,
          'GET /verify/{number}': throttle,
        },
      });
      const routes = Object.values(api.findResources('AWS::ApiGatewayV2::Route'));
      const verification = routes.filter((r) =>
        ['GET /certificates/{number}/verification', 'GET /verify/{number}'].includes(r.Properties.RouteKey),
      );
      expect(verification.map((r) => r.Properties.AuthorizationType)).toEqual(['NONE', 'NONE']);
    });

    it('let the material download read materials/ only, and list nothing else', () => {
      const reads = s3Statements.filter((st) => !JSON.stringify(st.Action).includes('s3:PutObject'));
      const bucket = { 'Fn::ImportValue': 'demo-vod:UploadBucketArn' };
      expect(reads).toEqual([
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: { 'Fn::Join': ['', [bucket, '/materials/*']] },
        },
        {
          Effect: 'Allow',
          Action: 's3:ListBucket',
          Resource: bucket,
          Condition: { StringLike: { 's3:prefix': 'materials/*' } },
        },
      ]);
    });

    it('give the playback route the signing key (read only), the origin and the lifetime, and no bucket', () => {
      const fn = dev.platform.api.functions.find((f) => f.node.id === 'Route-startPlayback')!;
      const env = (propsOf(fn).Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env).toMatchObject({
        [VOD.env.playbackOrigin]: expect.anything(),
        [VOD.env.signingKeySecretArn]: expect.anything(),
        [VOD.env.signingKeyPairId]: expect.anything(),
        [VOD.env.playbackSeconds]: '600',
      });
      // The vod stack's secret, imported (its logical id starts with the construct's id).
      expect(JSON.stringify(env[VOD.env.signingKeySecretArn])).toMatch(
        /"Fn::ImportValue":"demo-vod:.*SigningKeySecret/,
      );
      // Readers of the vod stack's signing key (the live playback key has readers of its own).
      const secretReaders = Object.values(api.findResources('AWS::IAM::Policy')).filter(
        (p) =>
          JSON.stringify(p).includes('secretsmanager:GetSecretValue') &&
          JSON.stringify(p).includes('SigningKeySecret'),
      );
      expect(secretReaders).toHaveLength(1);
      const role = dev.platform.api.getLogicalId(fn.role.node.defaultChild as never);
      expect(secretReaders[0]!.Properties.Roles).toEqual([{ Ref: role }]);
      expect(JSON.stringify(secretReaders[0]!.Properties.PolicyDocument)).not.toContain('secretsmanager:Put');
      // Cookies for the parent domain, where video.<domain> receives them, when the config has a domain.
      const prodFn = prod.platform.api.functions.find((f) => f.node.id === 'Route-startPlayback')!;
      const prodEnv = (
        prod.template('api').toJSON().Resources[
          prod.platform.api.getLogicalId(prodFn.function.node.defaultChild as CfnFunction)
        ].Properties.Environment as { Variables: Record<string, unknown> }
      ).Variables;
      expect(prodEnv[ENV.cookieDomain]).toBe('academy.example.com');
    });
  });

  describe('lecture routes', () => {
    type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
    const actionsOf = (st: Statement) => (Array.isArray(st.Action) ? st.Action : [st.Action]);
    /** The ARN of `<type>/*` in the stack's account and region, as the stack's template writes it. */
    const typeArn = (stack: Stack, service: 'ivs' | 'ivschat', type: string) =>
      stack.resolve(stack.formatArn({ service, resource: type, resourceName: '*' }));
    const IVS_TYPES: Record<IvsAction, string[]> = {
      'ivs:CreateChannel': ['channel', 'stream-key'],
      'ivs:DeleteChannel': ['channel', 'stream-key'],
      'ivs:UpdateChannel': ['channel'],
      'ivs:GetStream': ['channel'],
      'ivs:GetStreamKey': ['stream-key'],
      'ivs:ListStreamKeys': ['channel', 'stream-key'],
      'ivs:PutMetadata': ['channel'],
      'ivs:TagResource': ['channel', 'stream-key'],
      'ivschat:CreateRoom': ['room'],
      'ivschat:DeleteRoom': ['room'],
      'ivschat:CreateChatToken': ['room'],
      'ivschat:TagResource': ['room'],
    };
    const lectureRoutes = Object.entries(liveRoutes).map(([id, r]) => ({ ...(r as RouteDef), id }));
    const makesChannels = (r: RouteDef) =>
      (r.ivs ?? []).some((a) => a === 'ivs:CreateChannel' || a === 'ivs:UpdateChannel');

    /**
     * Checks one lecture route of an api stack: its route and authorizer, its environment, and that its role
     * may do exactly what the route table says, on the platform's own resources.
     */
    function expectLectureRoute(
      apiStack: Stack & { functions: Platform['api']['functions'] },
      route: RouteDef & { id: string },
      live: LiveStack,
      recording: boolean,
    ) {
      const t = Template.fromStack(apiStack);
      const resources = t.toJSON().Resources as Record<string, { Properties: Record<string, any> }>; // eslint-disable-line @typescript-eslint/no-explicit-any
      const served = Object.values(t.findResources('AWS::ApiGatewayV2::Route')).find(
        (r) => r.Properties.RouteKey === `${route.method} ${route.path}`,
      );
      expect([route.id, served?.Properties.AuthorizationType]).toEqual([route.id, 'CUSTOM']);

      const fn = apiStack.functions.find((f) => f.node.id === `Route-${route.id}`)!;
      const env = resources[apiStack.getLogicalId(fn.function.node.defaultChild as CfnFunction)]!.Properties
        .Environment.Variables as Record<string, unknown>;
      const liveExport = `${live.stackName}:LiveTableArn`;
      expect(JSON.stringify(env[LIVE.env.table])).toContain(liveExport);
      expect(env[LIVE.env.namePrefix]).toBe(live.namePrefix);
      expect(ENV.accessTable in env).toBe(Boolean(route.tables?.access));
      expect([route.id, LIVE.env.playbackKeySecretArn in env, LIVE.env.playbackOrigins in env]).toEqual([
        route.id,
        Boolean(route.signsLivePlayback),
        Boolean(route.signsLivePlayback),
      ]);
      expect([route.id, LIVE.env.recordingConfigurationArn in env]).toEqual([
        route.id,
        recording && makesChannels(route),
      ]);

      const role = apiStack.getLogicalId(fn.role.node.defaultChild as never);
      const statements = Object.values(t.findResources('AWS::IAM::Policy'))
        .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
      // IVS: exactly the route's actions, each statement on exactly the resource types of its actions.
      const ivs = statements.filter((st) => actionsOf(st).some((a) => a.startsWith('ivs')));
      expect([route.id, ivs.flatMap(actionsOf).sort()]).toEqual([route.id, [...(route.ivs ?? [])].sort()]);
      for (const st of ivs) {
        const types = [...new Set(actionsOf(st).flatMap((a) => IVS_TYPES[a as IvsAction]))];
        const expected = types.map((type) => typeArn(apiStack, type === 'room' ? 'ivschat' : 'ivs', type));
        expect(st.Resource).toEqual(expected.length === 1 ? expected[0] : expected);
        expect(st.Condition).toBeUndefined();
      }
      // The playback key, read only, for routes that sign tokens; no other secret.
      const secrets = statements.filter((st) => actionsOf(st).some((a) => a.startsWith('secretsmanager:')));
      expect(secrets).toEqual(
        route.signsLivePlayback
          ? [
              {
                Effect: 'Allow',
                Action: 'secretsmanager:GetSecretValue',
                Resource: refIn(apiStack, live.playbackKeySecret.secretArn),
              },
            ]
          : [],
      );
      // The access projection read only; the live table read and write, with its indexes.
      const dynamo = statements.filter((st) => actionsOf(st).some((a) => a.startsWith('dynamodb:')));
      for (const st of dynamo) {
        if (JSON.stringify(st.Resource).includes(liveExport)) {
          expect(st.Resource).toEqual([
            { 'Fn::ImportValue': liveExport },
            { 'Fn::Join': ['', [{ 'Fn::ImportValue': liveExport }, '/index/*']] },
          ]);
        } else {
          expect(actionsOf(st).filter((a) => /Put|Update|Delete|Write/.test(a))).toEqual([]);
        }
      }
      expect(dynamo.flatMap(actionsOf)).toEqual(
        expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:Query']),
      );
      // The platform bus, named and put to, for a route that publishes (the create's lecture.scheduled); its
      // ARN is checked with every served route's above.
      const bus = statements.filter((st) => actionsOf(st).some((a) => a.startsWith('events:')));
      expect([route.id, bus.flatMap(actionsOf), EVENTS.busNameEnv in env]).toEqual([
        route.id,
        route.publishes ? ['events:PutEvents'] : [],
        Boolean(route.publishes),
      ]);
      // Nothing else: logs, tables, IVS, the key and the bus are all a lecture route may touch.
      const others = statements.filter(
        (st) => !actionsOf(st).every((a) => /^(logs|dynamodb|ivs|ivschat|secretsmanager|events):/.test(a)),
      );
      expect(others).toEqual([]);
    }

    /** The platform's api stack and live stack, with or without recording. */
    function withLectureRoutes(configName: string, recording = true) {
      const config = loadConfig(configName, FIXTURE_CONFIG_DIR);
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const platform = buildPlatform(app, { ...config, live: { ...config.live, recording } });
      return { app, platform, live: platform.live!, apiStack: platform.api, routes: routeList };
    }

    it('are all of the live feature, and none is public', () => {
      expect(lectureRoutes.length).toBeGreaterThan(0);
      expect(lectureRoutes.every((r) => r.feature === 'live' && r.access !== 'public')).toBe(true);
    });

    it('get exactly their tables, IVS actions and playback key, on the platform’s own resources', () => {
      const { apiStack, live } = withLectureRoutes('default');
      for (const route of lectureRoutes) expectLectureRoute(apiStack, route, live, true);
      // IVS channels record only when the config records; no route gets the configuration otherwise.
      const off = withLectureRoutes('default', false);
      expect(off.live.recordingConfigurationArn).toBeUndefined();
      for (const route of lectureRoutes) expectLectureRoute(off.apiStack, route, off.live, false);
    });

    it('pass cdk-nag, and the live stack never depends on the api stack', () => {
      const { app, apiStack, live } = withLectureRoutes('example-academy');
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      expect(() => app.synth()).not.toThrow();
      expect(apiStack.dependencies).toContain(live);
      expect(live.dependencies).not.toContain(apiStack);
    });

    it('are not built without the live props', () => {
      const { apiStack, routes } = withLectureRoutes('default');
      // Every route, the lecture routes among them, and the authorizer.
      expect(apiStack.functions).toHaveLength(routes.length + 1);
      expect(routes.some((r) => r.feature === 'live')).toBe(true);
      const { app, platform } = withLectureRoutes('default');
      const without = new ApiStack(app, 'demo-api-without-live', {
        userPool: platform.auth.userPool,
        eventBus: platform.data.eventBus,
        oauthBaseUrl: platform.auth.oauthBaseUrl,
        identityProviders: platform.auth.clientIdentityProviders,
        tables: platform.data.tables,
        certificatesBucket: platform.data.certificatesBucket,
        unsubscribeSecret: platform.data.unsubscribeSecret,
        allowedOrigins: ['http://localhost:3000'],
        throttle: { rateLimit: 10, burstLimit: 10 },
        logRetention: 30 as RetentionDays,
        vpc: platform.network.vpc,
        coreService: {
          listener: platform.coreService.listener,
          albSecurityGroup: platform.coreService.albSecurityGroup,
        },
      });
      const keys = Object.values(Template.fromStack(without).findResources('AWS::ApiGatewayV2::Route')).map(
        (r) => r.Properties.RouteKey as string,
      );
      expect(keys.filter((k) => k.includes('/lectures'))).toEqual([]);
      expect(JSON.stringify(Template.fromStack(without).toJSON())).not.toMatch(/ivs:|LIVE_/);
    });

    // Bites once the lecture routes join `routes` (contracts/routes.ts): until then the served table has none
    // and this checks nothing. After the merge it holds the platform's own api stack to the same rules.
    it('in the served route table are wired as the route table says', () => {
      const served = routeList.filter((r) => r.feature === 'live');
      for (const route of served) {
        expectLectureRoute(dev.platform.api, route, (dev.platform as FeatureStacks).live!, true);
        expectLectureRoute(prod.platform.api, route, (prod.platform as FeatureStacks).live!, true);
      }
      expect(served.map((r) => r.id).sort()).toEqual(
        served.length === 0 ? [] : lectureRoutes.map((r) => r.id).sort(),
      );
    });
  });

  it('allows credentialed CORS from the web app and the configured origins only', () => {
    prod.template('api').hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({
        // The app at app.<domain> first: the platform derives it from the domain.
        AllowOrigins: [
          'https://app.academy.example.com',
          'https://academy.example.com',
          'https://admin.academy.example.com',
        ],
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
      // Minutes. Short: outside the API's authorizer, nothing knows a session was logged out.
      AccessTokenValidity: 15,
      IdTokenValidity: 15,
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
