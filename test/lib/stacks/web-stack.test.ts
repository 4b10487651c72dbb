import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { NOTIFICATIONS } from '#contracts/notifications';
import { ENV } from '#contracts/resources';
import { contentSecurityPolicy, ivsOrigins, WEB_APP } from '#contracts/web-app';
import { SPA_ROUTING_CODE } from '#lib/constructs/web-spa-routing';
import type { WebStack } from '#lib/stacks/web-stack';
import { platformFor } from '../platform-fixture';

type Resource = { Properties: Record<string, any>; DependsOn?: string[] }; // eslint-disable-line @typescript-eslint/no-explicit-any

const only = (t: Template, type: string): [string, Resource] => {
  const found = Object.entries(t.findResources(type));
  expect(found).toHaveLength(1);
  return found[0] as [string, Resource];
};

/** The routing function's handler, as CloudFront Functions runs it: a script whose global `handler` it calls. */
function routingHandler(): (event: unknown) => { uri: string; querystring: unknown } {
  const context: { handler?: (event: unknown) => { uri: string; querystring: unknown } } = {};
  runInNewContext(SPA_ROUTING_CODE, context);
  return context.handler!;
}

const viewerRequest = (uri: string) => ({
  version: '1.0',
  context: { eventType: 'viewer-request' },
  viewer: { ip: '192.0.2.1' },
  request: { method: 'GET', uri, querystring: { code: { value: 'abc' } }, headers: {}, cookies: {} },
});

describe('web stack', () => {
  // The default config: video, no domain, environment-agnostic.
  const dev = platformFor('default');
  const web = dev.platform.web as WebStack;
  const t = dev.template('web');
  // example-academy: a domain, in ap-northeast-2, with video.
  const prod = platformFor('example-academy');
  const prodWeb = prod.platform.web as WebStack;
  const prodT = prod.template('web');

  const distributionConfig = (template: Template) =>
    only(template, 'AWS::CloudFront::Distribution')[1].Properties.DistributionConfig;
  const logicalIdOf = (template: Template, type: string, comment: RegExp) =>
    Object.entries(template.findResources(type)).find(([, r]) =>
      comment.test(JSON.stringify(r.Properties)),
    )![0];

  it('exists in every platform, in the platform’s region', () => {
    expect(web.stackName).toBe('demo-web');
    expect(prodWeb.stackName).toBe('example-academy-web');
    expect(prodWeb.region).toBe('ap-northeast-2');
  });

  describe('bucket', () => {
    const [bucketId, bucket] = only(t, 'AWS::S3::Bucket');

    it('blocks all public access and is no website', () => {
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties).not.toHaveProperty('WebsiteConfiguration');
      expect(bucket.Properties.OwnershipControls).toEqual({
        Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }],
      });
    });

    it('is encrypted, and emptied and deleted with the stack even when stateful data is kept', () => {
      expect(bucket.Properties.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      });
      // example-academy keeps stateful data; the app is rebuilt from the repository on every deploy.
      const [, prodBucket] = Object.entries(prodT.findResources('AWS::S3::Bucket'))[0]!;
      expect(prodBucket).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
      prodT.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
    });

    it('is readable only by this distribution, over TLS', () => {
      const [, policy] = only(t, 'AWS::S3::BucketPolicy');
      const statements = policy.Properties.PolicyDocument.Statement as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
      expect(statements).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Action: 's3:*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          Principal: { AWS: '*' },
        }),
      );
      const allows = statements.filter((s) => s.Effect === 'Allow');
      const cloudFront = allows.filter((s) => s.Principal?.Service === 'cloudfront.amazonaws.com');
      expect(cloudFront).toEqual([
        expect.objectContaining({
          Action: 's3:GetObject',
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] },
          Condition: {
            StringEquals: {
              'AWS:SourceArn': expect.objectContaining({ 'Fn::Join': expect.anything() }),
            },
          },
        }),
      ]);
      expect(JSON.stringify(cloudFront[0].Condition)).toContain(only(t, 'AWS::CloudFront::Distribution')[0]);
      // Besides CloudFront, only the auto-delete handler's role (deleting the objects with the stack).
      expect(allows.filter((s) => s !== cloudFront[0])).toEqual([
        expect.objectContaining({
          Principal: { AWS: expect.anything() },
          Action: expect.arrayContaining(['s3:DeleteObject*']),
        }),
      ]);
    });
  });

  describe('distribution', () => {
    const config = distributionConfig(t);

    it('reads the bucket through origin access control, signing every request', () => {
      const [oacId, oac] = only(t, 'AWS::CloudFront::OriginAccessControl');
      expect(oac.Properties.OriginAccessControlConfig).toMatchObject({
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      });
      expect(config.Origins).toHaveLength(1);
      expect(config.Origins[0]).toMatchObject({
        DomainName: { 'Fn::GetAtt': [only(t, 'AWS::S3::Bucket')[0], 'RegionalDomainName'] },
        OriginAccessControlId: { 'Fn::GetAtt': [oacId, 'Id'] },
        S3OriginConfig: { OriginAccessIdentity: '' },
      });
    });

    it('serves HTTP/2 and 3 over HTTPS only, GET and HEAD, with no custom error responses', () => {
      expect(config).toMatchObject({ HttpVersion: 'http2and3', IPV6Enabled: true, Enabled: true });
      // An error response rewritten to index.html would hide a missing asset or config.json behind a 200.
      expect(config).not.toHaveProperty('CustomErrorResponses');
      for (const behavior of [config.DefaultCacheBehavior, ...config.CacheBehaviors]) {
        expect(behavior).toMatchObject({
          ViewerProtocolPolicy: 'redirect-to-https',
          AllowedMethods: ['GET', 'HEAD'],
          Compress: true,
        });
      }
    });

    it('uses its cloudfront.net name and certificate without a domain', () => {
      expect(config).not.toHaveProperty('Aliases');
      expect(config.ViewerCertificate).toBeUndefined();
      t.resourceCountIs('AWS::Route53::RecordSet', 0);
      expect(web.url).toBe(`https://${web.distribution.distributionDomainName}`);
    });

    it('routes screens to index.html with a viewer-request function on the default behavior only', () => {
      const [functionId, fn] = only(t, 'AWS::CloudFront::Function');
      expect(fn.Properties).toMatchObject({
        FunctionCode: SPA_ROUTING_CODE,
        FunctionConfig: { Runtime: 'cloudfront-js-2.0' },
        AutoPublish: true,
      });
      expect(config.DefaultCacheBehavior.FunctionAssociations).toEqual([
        { EventType: 'viewer-request', FunctionARN: { 'Fn::GetAtt': [functionId, 'FunctionARN'] } },
      ]);
      expect(config.CacheBehaviors).toEqual([
        expect.not.objectContaining({ FunctionAssociations: expect.anything() }),
      ]);
    });

    it('caches hashed assets for a year and revalidates the entry files on every load', () => {
      const assetCache = logicalIdOf(t, 'AWS::CloudFront::CachePolicy', /hashed assets/);
      const entryCache = logicalIdOf(t, 'AWS::CloudFront::CachePolicy', /entry files/);
      const policy = (id: string) =>
        (t.findResources('AWS::CloudFront::CachePolicy')[id] as Resource).Properties.CachePolicyConfig;
      expect(policy(assetCache)).toMatchObject({ MinTTL: 0, DefaultTTL: 31_536_000, MaxTTL: 31_536_000 });
      // A minimum TTL above 0 would override the entry files' `no-cache`.
      expect(policy(entryCache)).toMatchObject({ MinTTL: 0, DefaultTTL: 0, MaxTTL: 86_400 });
      for (const id of [assetCache, entryCache]) {
        expect(policy(id).ParametersInCacheKeyAndForwardedToOrigin).toMatchObject({
          CookiesConfig: { CookieBehavior: 'none' },
          HeadersConfig: { HeaderBehavior: 'none' },
          QueryStringsConfig: { QueryStringBehavior: 'none' },
          EnableAcceptEncodingGzip: true,
          EnableAcceptEncodingBrotli: true,
        });
      }
      expect(config.CacheBehaviors).toEqual([
        expect.objectContaining({ PathPattern: 'assets/*', CachePolicyId: { Ref: assetCache } }),
      ]);
      expect(config.DefaultCacheBehavior.CachePolicyId).toEqual({ Ref: entryCache });
    });
  });

  describe('routing function', () => {
    const handler = routingHandler();

    it.each(['/', '/learn', '/learn/', '/learn/courses/0190a0b2-7c3e-7000-8000-000000000001', '/signed-out'])(
      'answers the screen %s with index.html',
      (uri) => {
        expect(handler(viewerRequest(uri))).toMatchObject({
          uri: '/index.html',
          querystring: { code: { value: 'abc' } },
        });
      },
    );

    it.each(['/index.html', WEB_APP.configPath, '/assets/index-AaYH7rHD.js', '/favicon.ico', '/missing.js'])(
      'passes the file %s to the bucket as asked',
      (uri) => {
        expect(handler(viewerRequest(uri)).uri).toBe(uri);
      },
    );
  });

  describe('response headers', () => {
    const [policyId, policy] = only(t, 'AWS::CloudFront::ResponseHeadersPolicy');
    const security = policy.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;

    it('sends the app’s Content-Security-Policy, naming the API and video origins and forbidding framing', () => {
      const expected = contentSecurityPolicy({
        apiOrigins: [dev.platform.api.url],
        videoOrigins: [dev.platform.vod!.playbackUrl],
        uploadOrigins: [`https://${dev.platform.vod!.uploadBucket.bucketRegionalDomainName}`],
        liveOrigins: ivsOrigins(web.region),
      });
      expect(security.ContentSecurityPolicy).toEqual({
        ContentSecurityPolicy: web.resolve(expected),
        Override: true,
      });
      // With a domain the API and video origins are literals; the upload bucket's is its regional name.
      const prodCsp = distributionConfigHeaders(prodT);
      // Live lectures: IVS playback and its player's WebAssembly, and IVS Chat's socket in the region.
      expect(prodCsp).toContain(
        "connect-src 'self' https://api.academy.example.com https://video.academy.example.com https://",
      );
      expect(prodCsp).toMatch(/"Fn::ImportValue":"[^"]*vod:[^"]*Uploads[^"]*RegionalDomainName/);
      expect(prodCsp).toContain(' https://*.live-video.net wss://edge.ivschat.ap-northeast-2.amazonaws.com;');
      expect(prodCsp).toContain(
        "media-src 'self' blob: https://video.academy.example.com https://*.live-video.net;",
      );
      expect(prodCsp).toContain("frame-ancestors 'none'");
      expect(prodCsp).toContain("script-src 'self' 'wasm-unsafe-eval';");
    });

    it('reads the execute-api and cloudfront.net origins from the api and vod stacks without a domain', () => {
      const csp = JSON.stringify(security.ContentSecurityPolicy);
      expect(csp).toContain('"Fn::ImportValue":"demo-api:');
      expect(csp).toContain('"Fn::ImportValue":"demo-vod:');
    });

    it('sends HSTS, nosniff, DENY framing and a strict referrer policy', () => {
      expect(security).toMatchObject({
        StrictTransportSecurity: {
          AccessControlMaxAgeSec: 63_072_000,
          IncludeSubdomains: true,
          Override: true,
        },
        ContentTypeOptions: { Override: true },
        FrameOptions: { FrameOption: 'DENY', Override: true },
        ReferrerPolicy: { ReferrerPolicy: 'strict-origin-when-cross-origin', Override: true },
      });
      const config = distributionConfig(t);
      for (const behavior of [config.DefaultCacheBehavior, ...config.CacheBehaviors]) {
        expect(behavior.ResponseHeadersPolicyId).toEqual({ Ref: policyId });
      }
    });
  });

  describe('deployment', () => {
    const deployments = Object.entries(t.findResources('Custom::CDKBucketDeployment')) as [
      string,
      Resource,
    ][];
    const [assetsId, assets] = deployments.find(([, d]) => d.Properties.Prune === false)!;
    const [, entry] = deployments.find(([, d]) => d.Properties.Prune === true)!;

    it('copies the hashed assets as immutable for a year, pruning nothing', () => {
      expect(deployments).toHaveLength(2);
      expect(assets.Properties).toMatchObject({
        Exclude: ['*'],
        Include: ['assets/*'],
        SystemMetadata: { 'cache-control': 'public, max-age=31536000, immutable' },
        DestinationBucketName: { Ref: only(t, 'AWS::S3::Bucket')[0] },
      });
    });

    it('copies the rest with no-cache after the assets, pruning outside assets/ only', () => {
      expect(entry.Properties).toMatchObject({
        Exclude: ['assets/*'],
        SystemMetadata: { 'cache-control': 'no-cache' },
        DestinationBucketName: { Ref: only(t, 'AWS::S3::Bucket')[0] },
      });
      expect(entry.Properties).not.toHaveProperty('Include');
      expect(entry.DependsOn).toEqual(expect.arrayContaining([assetsId]));
      // Both copy the same build; the entry deployment adds config.json.
      expect(entry.Properties.SourceObjectKeys[0]).toEqual(assets.Properties.SourceObjectKeys[0]);
      expect(entry.Properties.SourceObjectKeys).toHaveLength(2);
    });

    it('writes config.json with the API URL, the institution and its default language', () => {
      // Without a domain the API URL is the api stack's, and (environment-agnostic) the region the stack's,
      // filled in at deploy.
      const markers = entry.Properties.SourceMarkers[1] as Record<string, unknown>;
      const markerOf = (value: unknown) =>
        Object.keys(markers).find((k) => JSON.stringify(markers[k]) === JSON.stringify(value));
      expect(Object.keys(markers)).toHaveLength(2);
      expect(configJsonOf(dev.app.outdir, entry)).toEqual({
        apiUrl: markerOf(web.resolve(dev.platform.api.url)),
        institutionName: 'Demo Training Institute',
        defaultLocale: 'en',
        live: { chat: markerOf({ Ref: 'AWS::Region' }), quizFeed: { kind: 'timed-metadata' } },
      });
      const [, prodEntry] = (
        Object.entries(prodT.findResources('Custom::CDKBucketDeployment')) as [string, Resource][]
      ).find(([, d]) => d.Properties.Prune === true)!;
      expect(configJsonOf(prod.app.outdir, prodEntry)).toEqual({
        apiUrl: 'https://api.academy.example.com',
        institutionName: 'Example Academy',
        defaultLocale: 'ko',
        live: { chat: 'ap-northeast-2', quizFeed: { kind: 'timed-metadata' } },
      });
    });

    it('runs one handler with one AWS CLI layer, logging to a log group with the config’s retention', () => {
      const handlers = Object.entries(t.findResources('AWS::Lambda::Function')).filter(([, f]) =>
        JSON.stringify(f.Properties.Layers ?? []).includes('AwsCliLayer'),
      );
      expect(handlers).toHaveLength(1);
      const [layerId] = only(t, 'AWS::Lambda::LayerVersion');
      expect(handlers[0]![1].Properties.Layers).toEqual([{ Ref: layerId }]);
      const [logsId, logs] = only(t, 'AWS::Logs::LogGroup');
      expect(logs.Properties.RetentionInDays).toBe(30);
      expect(handlers[0]![1].Properties.LoggingConfig).toEqual({ LogGroup: { Ref: logsId } });
      for (const [, d] of deployments) {
        expect(d.Properties.ServiceToken).toEqual({ 'Fn::GetAtt': [handlers[0]![0], 'Arn'] });
      }
    });
  });

  describe('with a domain', () => {
    const config = distributionConfig(prodT);

    it('is served at app.<domain> with the edge stack’s certificate and TLS 1.2 (2021) at least', () => {
      expect(config.Aliases).toEqual(['app.academy.example.com']);
      expect(config.ViewerCertificate).toEqual({
        AcmCertificateArn: {
          'Fn::GetStackOutput': {
            StackName: 'example-academy-edge',
            Region: 'us-east-1',
            OutputName: expect.any(String),
          },
        },
        MinimumProtocolVersion: 'TLSv1.2_2021',
        SslSupportMethod: 'sni-only',
      });
      expect(prodWeb.url).toBe('https://app.academy.example.com');
      expect(prodWeb.dependencies).toContain(prod.platform.edge);
    });

    it('has IPv4 and IPv6 alias records in the configured zone', () => {
      const [distributionId] = only(prodT, 'AWS::CloudFront::Distribution');
      for (const type of ['A', 'AAAA']) {
        prodT.hasResourceProperties('AWS::Route53::RecordSet', {
          Name: 'app.academy.example.com.',
          Type: type,
          HostedZoneId: 'Z0123456789ABCDEFGHIJ',
          AliasTarget: { DNSName: { 'Fn::GetAtt': [distributionId, 'DomainName'] } },
        });
      }
      prodT.resourceCountIs('AWS::Route53::RecordSet', 2);
    });

    it('puts the app’s origin first among the origins the API, the video and the e-mails use', () => {
      const appOrigin = 'https://app.academy.example.com';
      const configured = ['https://academy.example.com', 'https://admin.academy.example.com'];
      prod.template('api').hasResourceProperties('AWS::ApiGatewayV2::Api', {
        CorsConfiguration: Match.objectLike({ AllowOrigins: [appOrigin, ...configured] }),
      });
      const routeOrigins = Object.values(prod.template('api').findResources('AWS::Lambda::Function'))
        .map((f) => f.Properties.Environment?.Variables?.[ENV.appOrigins])
        .filter(Boolean);
      expect(routeOrigins.length).toBeGreaterThan(0);
      expect(new Set(routeOrigins)).toEqual(new Set([[appOrigin, ...configured].join(',')]));
      prod.template('coreService').hasResourceProperties('AWS::ECS::TaskDefinition', {
        ContainerDefinitions: Match.arrayWith([
          Match.objectLike({
            Environment: Match.arrayWith([
              { Name: ENV.appOrigins, Value: [appOrigin, ...configured].join(',') },
            ]),
          }),
        ]),
      });
      prod.template('api').hasResourceProperties('AWS::Cognito::UserPoolClient', {
        LogoutURLs: [`${appOrigin}/`, ...configured.map((o) => `${o}/`)],
      });
      Template.fromStack(prod.platform.vod!).hasResourceProperties('AWS::CloudFront::ResponseHeadersPolicy', {
        ResponseHeadersPolicyConfig: Match.objectLike({
          CorsConfig: Match.objectLike({ AccessControlAllowOrigins: { Items: [appOrigin, ...configured] } }),
        }),
      });
      prod.template('notifications').hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ [NOTIFICATIONS.env.appUrl]: appOrigin }) },
      });
    });

    it('keeps the configured origins as they are without a domain', () => {
      dev.template('api').hasResourceProperties('AWS::ApiGatewayV2::Api', {
        CorsConfiguration: Match.objectLike({
          AllowOrigins: ['http://localhost:5173', 'http://localhost:3000'],
        }),
      });
    });
  });

  it('warns that sign-in and video need a domain when it has none', () => {
    const warnings = Annotations.fromStack(web).findWarning(
      '*',
      Match.stringLikeRegexp('needs? .*domain|Set `domain`'),
    );
    expect(warnings).toHaveLength(1);
    expect(Annotations.fromStack(prodWeb).findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('depends on the api stack, which never depends on it', () => {
    expect(web.dependencies).toContain(dev.platform.api);
    for (const { platform } of [dev, prod]) {
      for (const stack of Object.values(platform)) {
        expect(stack.dependencies).not.toContain(platform.web);
      }
    }
  });

  it('passes cdk-nag AwsSolutions checks, with and without a domain', () => {
    expect(new AwsSolutionsChecks().validateScope(web).violations).toEqual([]);
    expect(new AwsSolutionsChecks().validateScope(prodWeb).violations).toEqual([]);
  });

  it('matches the snapshot', () => {
    expect(t.toJSON()).toMatchSnapshot();
  });

  /** A template's CSP: the text itself, or the JSON of the join that builds it from imported origins. */
  function distributionConfigHeaders(template: Template): string {
    const [, p] = only(template, 'AWS::CloudFront::ResponseHeadersPolicy');
    const csp: unknown =
      p.Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig.ContentSecurityPolicy
        .ContentSecurityPolicy;
    return typeof csp === 'string' ? csp : JSON.stringify(csp);
  }
});

/** config.json as the entry deployment copies it: its second source, staged in the synthesized assembly. */
function configJsonOf(outdir: string, entry: Resource): unknown {
  const key = entry.Properties.SourceObjectKeys[1] as string;
  return JSON.parse(
    readFileSync(join(outdir, `asset.${key.replace(/\.zip$/, '')}`, WEB_APP.configPath), 'utf8'),
  );
}
