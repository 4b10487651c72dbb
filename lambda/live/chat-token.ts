import { CreateChatTokenCommand, type ChatTokenCapability } from '@aws-sdk/client-ivschat';
import type * as z from 'zod';
import type { Identity } from '#contracts/access-token';
import { type chatTokenBody, IVS_LIMITS } from '#contracts/live';
import { HttpError } from '#contracts/problem';
import { type IvsDeps, withIvsRetry } from './ivs-resources';
import { accessLecture, type LiveAccessDeps } from './live-access';

/*
 * Chat in the lecture's IVS chat room. The room trusts whatever the token says, so the platform decides
 * here who may moderate: learners send messages; the institution's staff also delete messages and
 * disconnect users.
 */

export type ChatDeps = LiveAccessDeps & IvsDeps;

const LEARNER: ChatTokenCapability[] = ['SEND_MESSAGE'];
const STAFF: ChatTokenCapability[] = ['SEND_MESSAGE', 'DELETE_MESSAGE', 'DISCONNECT_USER'];

/** Shown when the caller has no e-mail address to take a name from. */
const FALLBACK_NAME = 'Participant';
const DISPLAY_NAME_CHARS = 40;

/** The e-mail address's local part, which is what colleagues usually recognise; cut to the body's limit. */
export function defaultDisplayName(email: string | undefined): string {
  const local = email
    ?.split('@')[0]
    ?.replace(/[\p{Cc}\p{Cf}]/gu, '')
    .trim();
  return local ? [...local].slice(0, DISPLAY_NAME_CHARS).join('') : FALLBACK_NAME;
}

export interface ChatGrant {
  readonly token: string;
  readonly sessionExpiresAt?: string;
  readonly tokenExpiresAt?: string;
  readonly capabilities: readonly ChatTokenCapability[];
}

export async function chatTokenFor(
  deps: ChatDeps,
  caller: Pick<Identity, 'sub' | 'email'>,
  lectureId: string,
  body: z.infer<typeof chatTokenBody> | undefined,
): Promise<ChatGrant> {
  const access = await accessLecture(deps, caller, lectureId, 'any');
  // Its room was deleted with it.
  if (access.lecture.state === 'cancelled') throw new HttpError(409, 'The lecture is cancelled');
  const attributes = { displayName: body?.displayName ?? defaultDisplayName(caller.email) };
  if (Buffer.byteLength(JSON.stringify(attributes), 'utf8') > IVS_LIMITS.chatAttributesBytes) {
    throw new HttpError(400, 'The display name is too long', [
      { field: 'body.displayName', message: `at most ${IVS_LIMITS.chatAttributesBytes} bytes in all` },
    ]);
  }
  const capabilities = access.as === 'staff' ? STAFF : LEARNER;
  const answer = await withIvsRetry(deps, 'CreateChatToken', () =>
    deps.chat.send(
      new CreateChatTokenCommand({
        roomIdentifier: access.lecture.roomArn,
        userId: caller.sub,
        capabilities,
        sessionDurationInMinutes: IVS_LIMITS.chatSessionMinutes,
        attributes,
      }),
    ),
  );
  if (!answer.token) throw new Error('CreateChatToken answered without a token');
  return {
    token: answer.token,
    ...(answer.sessionExpirationTime ? { sessionExpiresAt: answer.sessionExpirationTime.toISOString() } : {}),
    ...(answer.tokenExpirationTime ? { tokenExpiresAt: answer.tokenExpirationTime.toISOString() } : {}),
    capabilities,
  };
}
