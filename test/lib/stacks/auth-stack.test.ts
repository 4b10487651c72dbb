import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ENV, ROLES } from '#contracts/resources';
import { AuthStack, type AuthStackProps } from '#lib/stacks/auth-stack';
import { platformFor, refIn } from '../platform-fixture';

/** An ARN as a template writes it, in the deploying partition. */
const arnIn = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${rest}`]] });

/** The auth stack alone, bound to an account and region, with the props a test changes. */
function authStackWith(props: Partial<AuthStackProps>): Template {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new AuthStack(app, 'Auth', {
    env: { account: '111122223333', region: 'eu-west-1' },
    namePrefix: 'lms-test-dev',
    selfSignUp: true,
    mfa: 'optional',
    identityProviders: { oidc: [] },
    keepStatefulData: false,
    logRetention: RetentionDays.ONE_WEEK,
    ...props,
  });
  return Template.fromStack(stack);
}

describe('auth stack', () => {
  const dev = platformFor('default');
  const prod = platformFor('example-academy');

  it('signs in by e-mail with a strong password policy on the Essentials plan', () => {
    dev.template('auth').hasResourceProperties('AWS::Cognito::UserPool', {
      UsernameAttributes: ['email'],
      AutoVerifiedAttributes: ['email'],
      UserPoolTier: 'ESSENTIALS',
      MfaConfiguration: 'OPTIONAL',
      Policies: {
        PasswordPolicy: Match.objectLike({ MinimumLength: 12, RequireSymbols: true, PasswordHistorySize: 5 }),
      },
      AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
    });
    prod.template('auth').hasResourceProperties('AWS::Cognito::UserPool', { MfaConfiguration: 'ON' });
  });

  it('retains and protects the user pool in prod only', () => {
    prod.template('auth').hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtection: 'ACTIVE' }),
    });
    dev.template('auth').hasResource('AWS::Cognito::UserPool', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtection: 'INACTIVE' }),
    });
  });

  it('has one group per role', () => {
    const groups = Object.values(dev.template('auth').findResources('AWS::Cognito::UserPoolGroup')).map(
      (g) => g.Properties.GroupName,
    );
    expect(groups.sort()).toEqual([...ROLES].sort());
  });

  it('adds the e-mail claim to access tokens with a V2 pre token generation trigger', () => {
    dev.template('auth').hasResourceProperties('AWS::Cognito::UserPool', {
      LambdaConfig: { PreTokenGenerationConfig: { LambdaArn: Match.anyValue(), LambdaVersion: 'V2_0' } },
    });
  });

  it('offers the newer managed login', () => {
    dev.template('auth').hasResourceProperties('AWS::Cognito::UserPoolDomain', { ManagedLoginVersion: 2 });
  });

  describe('managed login domain', () => {
    it('is unique per account by default, the account resolved at deploy when the synth names none', () => {
      dev.template('auth').hasResourceProperties('AWS::Cognito::UserPoolDomain', {
        Domain: { 'Fn::Join': ['', ['lms-demo-dev-', { Ref: 'AWS::AccountId' }]] },
      });
      prod.template('auth').hasResourceProperties('AWS::Cognito::UserPoolDomain', {
        Domain: 'lms-example-academy-prod-123456789012',
      });
    });

    it('takes the prefix the config names as it is', () => {
      authStackWith({ domainPrefix: 'academy-sign-in' }).hasResourceProperties(
        'AWS::Cognito::UserPoolDomain',
        { Domain: 'academy-sign-in' },
      );
    });

    it('is what the sign-in routes and the identity providers’ redirect URI are made of', () => {
      const { auth, api } = dev.platform;
      const domain = auth.domain.node.defaultChild as never;
      const deployedDomain = { Ref: auth.getLogicalId(domain) };
      const output = dev.template('auth').findOutputs('IdentityProviderRedirectUri');
      expect(Object.values(output)[0]!.Value).toEqual({
        'Fn::Join': [
          '',
          [
            'https://',
            deployedDomain,
            '.auth.',
            { Ref: 'AWS::Region' },
            '.amazoncognito.com/oauth2/idpresponse',
          ],
        ],
      });
      // The api stack reads the deployed domain's name from this stack, never a name made from the config.
      const login = api.functions.find((f) => f.node.id === 'Route-startLogin')!;
      const env = dev.template('api').toJSON().Resources[
        api.getLogicalId(login.function.node.defaultChild as never)
      ].Properties.Environment.Variables;
      expect(env[ENV.oauthBaseUrl]).toEqual({
        'Fn::Join': [
          '',
          [
            'https://',
            refIn(api, auth.domain.domainName),
            '.auth.',
            { Ref: 'AWS::Region' },
            '.amazoncognito.com',
          ],
        ],
      });
      expect(JSON.stringify(env[ENV.oauthBaseUrl])).toContain('Fn::ImportValue');
    });
  });

  describe('e-mail', () => {
    it('goes through the SES identity a prod config names', () => {
      prod.template('auth').hasResourceProperties('AWS::Cognito::UserPool', {
        EmailConfiguration: {
          EmailSendingAccount: 'DEVELOPER',
          From: 'Example Academy <no-reply@academy.example.com>',
          ReplyToEmailAddress: 'support@academy.example.com',
          SourceArn: arnIn('ses:ap-northeast-2:123456789012:identity/academy.example.com'),
        },
      });
    });

    it('names a verified address, in another region, as its identity', () => {
      authStackWith({
        email: { from: 'no-reply@test.example.com', sesRegion: 'us-east-1' },
      }).hasResourceProperties('AWS::Cognito::UserPool', {
        EmailConfiguration: {
          EmailSendingAccount: 'DEVELOPER',
          From: 'no-reply@test.example.com',
          SourceArn: arnIn('ses:us-east-1:111122223333:identity/no-reply@test.example.com'),
        },
      });
    });

    it('stays with Cognito’s own sender in dev unless configured', () => {
      dev.template('auth').hasResourceProperties('AWS::Cognito::UserPool', {
        EmailConfiguration: Match.absent(),
      });
    });
  });

  it('takes sign-ups only where the config opens them', () => {
    dev.template('auth').hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
    });
    prod.template('auth').hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    });
  });

  it('lets AWS services act only for this pool: no role but Lambda’s, the trigger invoked by this pool alone', () => {
    for (const t of [dev.template('auth'), prod.template('auth')]) {
      const trusted = Object.values(t.findResources('AWS::IAM::Role')).flatMap((r) =>
        r.Properties.AssumeRolePolicyDocument.Statement.map(
          (s: { Principal: { Service?: string } }) => s.Principal.Service,
        ),
      );
      // A role another service assumes (an SMS role, say) needs aws:SourceAccount or aws:SourceArn in its
      // trust policy, or any pool in any account could have Cognito use it; add both and this list with it.
      expect([...new Set(trusted)]).toEqual(['lambda.amazonaws.com']);
      t.hasResourceProperties('AWS::Lambda::Permission', {
        Principal: 'cognito-idp.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^UserPool'), 'Arn'] },
      });
    }
  });

  it('puts self-registered people in learner through a post-confirmation trigger with one grant', () => {
    const { auth } = dev.platform;
    const t = dev.template('auth');
    const trigger = auth.resolve(
      auth.functionsForMonitoring.find((f) => f.node.id === 'ConfirmSignUp')!.function.functionArn,
    );
    t.hasResourceProperties('AWS::Cognito::UserPool', {
      LambdaConfig: Match.objectLike({ PostConfirmation: trigger }),
    });
    // Only AdminAddUserToGroup, only on this pool: the handler names the group (learner) itself.
    const cognitoStatements = Object.values(t.findResources('AWS::IAM::Policy')).flatMap((p) =>
      (p.Properties.PolicyDocument.Statement as { Action: unknown }[]).filter((s) =>
        JSON.stringify(s.Action).includes('cognito-idp:'),
      ),
    );
    expect(cognitoStatements).toEqual([
      {
        Effect: 'Allow',
        Action: 'cognito-idp:AdminAddUserToGroup',
        Resource: auth.resolve(auth.userPool.userPoolArn),
      },
    ]);
  });

  it('federates Google and OIDC from config with secrets resolved at deploy time', () => {
    const t = prod.template('auth');
    t.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      ProviderType: 'Google',
      ProviderDetails: Match.objectLike({
        client_secret: '{{resolve:secretsmanager:example-academy/google-client-secret:SecretString:::}}',
      }),
    });
    t.hasResourceProperties('AWS::Cognito::UserPoolIdentityProvider', {
      ProviderName: 'AcademySSO',
      ProviderType: 'OIDC',
      ProviderDetails: Match.objectLike({
        client_secret: '{{resolve:secretsmanager:example-academy/sso-client-secret:SecretString:::}}',
        oidc_issuer: 'https://sso.academy.example.com/realms/staff',
      }),
    });
    dev.template('auth').resourceCountIs('AWS::Cognito::UserPoolIdentityProvider', 0);
  });

  it('matches the snapshot', () => {
    expect(dev.template('auth').toJSON()).toMatchSnapshot();
  });
});
