import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { documentClient } from '../shared/clients';
import { readEnv } from '../shared/env';
import { busNameFromEnv } from '../shared/platform-bus';
import { tracer } from '../shared/tracer';
import type { GroupSyncDeps } from './memberships';
import type { InvitationDeps } from './invitations';
import type { ProfileDeps } from './profiles';

/*
 * The users domain's clients and settings, built once per execution environment. Each builder reads only
 * what its handlers use. Locally the runner points the same Cognito client at its stand-in through
 * AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER.
 */

const cognitoClient = () => tracer.captureAWSv3Client(new CognitoIdentityProviderClient({}));

/** The consumer of member facts: the users table and the pool's groups. */
export function groupSyncDeps(): GroupSyncDeps {
  const { usersTable, userPoolId } = readEnv('usersTable', 'userPoolId');
  return { ddb: documentClient(), usersTable, cognito: cognitoClient(), userPoolId };
}

/** GET and PATCH /me/profile: the caller's own attributes. */
export function profileDeps(): ProfileDeps {
  return { cognito: cognitoClient(), userPoolId: readEnv('userPoolId').userPoolId };
}

/** The invitation routes: who manages what (users table), the pool, and the bus the core hears them on. */
export function invitationDeps(): InvitationDeps {
  const { usersTable, userPoolId } = readEnv('usersTable', 'userPoolId');
  return {
    ddb: documentClient(),
    usersTable,
    cognito: cognitoClient(),
    userPoolId,
    eventBridge: tracer.captureAWSv3Client(new EventBridgeClient({})),
    busName: busNameFromEnv(),
    now: () => new Date(),
  };
}
