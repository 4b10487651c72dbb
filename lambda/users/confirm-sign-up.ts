import {
  AdminAddUserToGroupCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import type { PostConfirmationTriggerEvent } from 'aws-lambda';
import { logger } from '../shared/observability';
import { tracer } from '../shared/tracer';

/** The one group a person who signs up by themselves gets: privileged roles follow memberships only. */
export const SELF_SIGN_UP_GROUP = 'learner';

/**
 * Puts a person who has just confirmed their own sign-up (ConfirmSignUp or AdminConfirmSignUp, in managed
 * login or through the API) in `learner`, so they can ask to join a company. Cognito does not run it for
 * accounts made by AdminCreateUser: invitations put their people in `learner` themselves. A confirmed
 * password reset is the same trigger with another source, and changes nothing.
 */
export async function confirmSignUp(
  cognito: CognitoIdentityProviderClient,
  event: PostConfirmationTriggerEvent,
): Promise<PostConfirmationTriggerEvent> {
  if (event.triggerSource !== 'PostConfirmation_ConfirmSignUp') return event;
  await cognito.send(
    new AdminAddUserToGroupCommand({
      UserPoolId: event.userPoolId,
      Username: event.userName,
      GroupName: SELF_SIGN_UP_GROUP,
    }),
  );
  logger.info('Self-registered user put in learner', { sub: event.request.userAttributes['sub'] });
  return event;
}

const cognito = tracer.captureAWSv3Client(new CognitoIdentityProviderClient({}));

/**
 * Cognito's post-confirmation trigger. An error goes back to Cognito, which answers the client with it,
 * rather than leaving an account without its group unnoticed.
 */
export const handler = async (event: PostConfirmationTriggerEvent): Promise<PostConfirmationTriggerEvent> =>
  confirmSignUp(cognito, event);
