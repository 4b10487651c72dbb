import { Match } from 'aws-cdk-lib/assertions';
import { ROLES } from '#contracts/resources';
import { platformFor } from '../platform-fixture';

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
    dev.template('auth').hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: 'lms-demo-dev',
      ManagedLoginVersion: 2,
    });
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
