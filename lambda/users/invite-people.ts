import { HttpError } from '#contracts/problem';
import type { Invitee, InvitationOutcome } from '#contracts/users';
import {
  invite,
  type InvitationDeps,
  type InvitationTarget,
  NotTheirs,
  parseInviteeCsv,
  rowsOf,
  UnusableCsv,
} from './invitations';

/** What both invitation routes take besides their target: JSON invitees or CSV text, exactly one. */
export interface InviteRequest {
  readonly invitees?: readonly Invitee[] | undefined;
  readonly csv?: string | undefined;
}

/**
 * The invitation routes' shared edge: the request's shape (one of `invitees` and `csv`), the domain's refusals
 * as HTTP, and the answer: every row's outcome, with counts a screen can show at once.
 */
export async function answerInvitation(
  deps: InvitationDeps,
  inviter: string,
  target: InvitationTarget,
  request: InviteRequest,
) {
  if ((request.invitees === undefined) === (request.csv === undefined)) {
    const message = 'Send either invitees or csv';
    throw new HttpError(400, message, [
      { field: 'body.invitees', message },
      { field: 'body.csv', message },
    ]);
  }
  let outcomes: InvitationOutcome[];
  try {
    const rows = request.invitees ? rowsOf(request.invitees) : parseInviteeCsv(request.csv!);
    outcomes = await invite(deps, inviter, target, rows);
  } catch (e) {
    if (e instanceof UnusableCsv)
      throw new HttpError(400, e.message, [{ field: 'body.csv', message: e.message }]);
    if (e instanceof NotTheirs) throw new HttpError(403, e.message);
    throw e;
  }
  const count = (o: InvitationOutcome['outcome']) => outcomes.filter((r) => r.outcome === o).length;
  return {
    status: 200,
    body: {
      invited: count('invited'),
      existing: count('existing'),
      invalid: count('invalid'),
      failed: count('failed'),
      rows: outcomes,
    },
    headers: { 'cache-control': 'no-store' },
  };
}
