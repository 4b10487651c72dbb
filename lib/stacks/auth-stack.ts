import {
  CfnOutput,
  Duration,
  RemovalPolicy,
  SecretValue,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import {
  AccountRecovery,
  CfnUserPoolGroup,
  FeaturePlan,
  LambdaVersion,
  ManagedLoginVersion,
  Mfa,
  ProviderAttribute,
  UserPool,
  UserPoolClientIdentityProvider,
  type UserPoolDomain,
  UserPoolEmail,
  UserPoolIdentityProviderGoogle,
  UserPoolIdentityProviderOidc,
  UserPoolOperation,
} from 'aws-cdk-lib/aws-cognito';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { PASSWORD_POLICY, ROLES } from '#contracts/resources';
import type { InstitutionConfig } from '../config/institution-config';
import { LmsFunction } from '../constructs/lms-function';

export interface AuthStackProps extends StackProps {
  /** The platform's name prefix, `lms-<slug>-<stage>`. */
  readonly namePrefix: string;
  /**
   * Prefix of the managed login domain (`<prefix>.auth.<region>.amazoncognito.com`), which no other AWS
   * account may hold in the region.
   * @default - `<namePrefix>-<account id>`: two forks that keep their defaults never collide, and the
   * prefix is known before the first deploy (identity providers must be told the redirect URI)
   */
  readonly domainPrefix?: string;
  /** Whether anyone may create an account with e-mail and password (`selfSignUpOf`). */
  readonly selfSignUp: boolean;
  /**
   * Send the pool's e-mails through this SES identity.
   * @default - Cognito's own sender, about 50 e-mails a day (the config allows it in dev only)
   */
  readonly email?: InstitutionConfig['auth']['email'];
  readonly mfa: InstitutionConfig['auth']['mfa'];
  readonly identityProviders: InstitutionConfig['auth']['identityProviders'];
  readonly keepStatefulData: boolean;
  readonly logRetention: RetentionDays;
}

/** Who may sign in and with which role: the user pool, its role groups and federated providers. */
export class AuthStack extends Stack {
  public readonly userPool: UserPool;
  public readonly domain: UserPoolDomain;
  /** Providers the web client offers on the sign-in page, besides e-mail and password. */
  public readonly clientIdentityProviders: UserPoolClientIdentityProvider[] = [
    UserPoolClientIdentityProvider.COGNITO,
  ];
  /** The stack's functions, for dashboards and alarms. */
  public readonly functionsForMonitoring: LmsFunction[] = [];

  constructor(scope: Construct, id: string, props: AuthStackProps) {
    super(scope, id, props);

    this.userPool = new UserPool(this, 'UserPool', {
      // Essentials: the newer managed login pages and access-token customization (the e-mail claim).
      featurePlan: FeaturePlan.ESSENTIALS,
      selfSignUpEnabled: props.selfSignUp,
      ...(props.email ? { email: sesEmail(props.email) } : {}),
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      passwordPolicy: {
        minLength: PASSWORD_POLICY.minLength,
        requireLowercase: PASSWORD_POLICY.requireLowercase,
        requireUppercase: PASSWORD_POLICY.requireUppercase,
        requireDigits: PASSWORD_POLICY.requireDigits,
        requireSymbols: PASSWORD_POLICY.requireSymbols,
        passwordHistorySize: PASSWORD_POLICY.passwordHistorySize,
        tempPasswordValidity: Duration.days(PASSWORD_POLICY.tempPasswordValidityDays),
      },
      mfa: { off: Mfa.OFF, optional: Mfa.OPTIONAL, required: Mfa.REQUIRED }[props.mfa],
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      deletionProtection: props.keepStatefulData,
      removalPolicy: props.keepStatefulData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    for (const id of ['AwsSolutions-COG3', 'AwsSolutions-COG8']) {
      Validations.of(this.userPool).acknowledge({
        id,
        reason: 'Threat protection needs the Plus feature plan; a fork moves to it when its budget allows.',
      });
    }
    if (props.mfa !== 'required') {
      Validations.of(this.userPool).acknowledge({
        id: 'AwsSolutions-COG2',
        reason:
          'MFA is a per-institution choice in the config; learners of some institutions sign in via SSO.',
      });
    }

    ROLES.forEach((role, precedence) => {
      new CfnUserPoolGroup(this, `Group-${role}`, {
        userPoolId: this.userPool.userPoolId,
        groupName: role,
        precedence,
        description: `Members act as ${role}`,
      });
    });

    const addTokenClaims = new LmsFunction(this, 'AddTokenClaims', {
      handler: 'users/add-token-claims',
      serviceName: 'users',
      logRetention: props.logRetention,
    });
    this.functionsForMonitoring.push(addTokenClaims);
    this.userPool.addTrigger(
      UserPoolOperation.PRE_TOKEN_GENERATION_CONFIG,
      addTokenClaims.function,
      LambdaVersion.V2_0,
    );

    const confirmSignUp = new LmsFunction(this, 'ConfirmSignUp', {
      handler: 'users/confirm-sign-up',
      serviceName: 'users',
      description: 'Puts a person who confirmed their own sign-up in learner',
      logRetention: props.logRetention,
    });
    this.functionsForMonitoring.push(confirmSignUp);
    this.userPool.addTrigger(UserPoolOperation.POST_CONFIRMATION, confirmSignUp.function);
    // A policy of its own, not the role's default one: the function waits for its default policy, and the
    // pool for the function (its trigger), so the pool's ARN there would make a cycle. Nothing waits for
    // this one, and the trigger runs only when someone confirms a sign-up, never during a deploy.
    new Policy(this, 'ConfirmSignUpGroups', {
      // The token trigger too: it puts a federated person in learner on their first sign-in.
      roles: [confirmSignUp.role, addTokenClaims.role],
      statements: [
        new PolicyStatement({
          actions: ['cognito-idp:AdminAddUserToGroup'],
          resources: [this.userPool.userPoolArn],
        }),
      ],
    });

    this.domain = this.userPool.addDomain('ManagedLogin', {
      // The account id, a token when the synth is environment-agnostic, is resolved by CloudFormation; every
      // URL of the domain is made from the deployed domain's name (`oauthBaseUrl`), never from this string.
      cognitoDomain: { domainPrefix: props.domainPrefix ?? `${props.namePrefix}-${this.account}` },
      managedLoginVersion: ManagedLoginVersion.NEWER_MANAGED_LOGIN,
    });
    new CfnOutput(this, 'IdentityProviderRedirectUri', {
      description: 'The redirect URI to register with Google and each OIDC provider',
      value: `${this.oauthBaseUrl}/oauth2/idpresponse`,
    });

    const { google, oidc } = props.identityProviders;
    if (google) {
      const provider = new UserPoolIdentityProviderGoogle(this, 'Google', {
        userPool: this.userPool,
        clientId: google.clientId,
        clientSecretValue: SecretValue.secretsManager(google.clientSecretName),
        scopes: ['openid', 'email', 'profile'],
        attributeMapping: {
          email: ProviderAttribute.GOOGLE_EMAIL,
          emailVerified: ProviderAttribute.GOOGLE_EMAIL_VERIFIED,
        },
      });
      this.clientIdentityProviders.push(UserPoolClientIdentityProvider.GOOGLE);
      this.userPool.registerIdentityProvider(provider);
    }
    for (const p of oidc) {
      const provider = new UserPoolIdentityProviderOidc(this, `Oidc-${p.name}`, {
        userPool: this.userPool,
        name: p.name,
        clientId: p.clientId,
        // A CloudFormation dynamic reference: the secret is resolved at deploy time, never synthesized.
        clientSecret: SecretValue.secretsManager(p.clientSecretName).unsafeUnwrap(),
        issuerUrl: p.issuerUrl,
        scopes: p.scopes,
        attributeMapping: {
          email: ProviderAttribute.other('email'),
          emailVerified: ProviderAttribute.other('email_verified'),
        },
      });
      // The literal name, not a cross-stack reference: the api stack deploys after this one anyway.
      this.clientIdentityProviders.push(UserPoolClientIdentityProvider.custom(p.name));
      this.userPool.registerIdentityProvider(provider);
    }
  }

  /** Base URL of the OAuth 2.0 endpoints (`/oauth2/authorize`, `/oauth2/token`, `/oauth2/revoke`). */
  get oauthBaseUrl(): string {
    return this.domain.baseUrl();
  }
}

/** The pool's e-mail through SES, as the config names it. */
function sesEmail(email: NonNullable<InstitutionConfig['auth']['email']>): UserPoolEmail {
  const identity = email.sesIdentity ?? email.from;
  return UserPoolEmail.withSES({
    fromEmail: email.from,
    ...(email.fromName ? { fromName: email.fromName } : {}),
    ...(email.replyTo ? { replyTo: email.replyTo } : {}),
    ...(email.sesRegion ? { sesRegion: email.sesRegion } : {}),
    // An identity without `@` is a verified domain, which the config checked is the sender's (in any case;
    // CDK compares it with the sender's as written).
    ...(identity.includes('@')
      ? {}
      : { sesVerifiedDomain: email.from.slice(email.from.lastIndexOf('@') + 1) }),
  });
}
