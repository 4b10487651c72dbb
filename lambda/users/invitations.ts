import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminGetUserCommand,
  type AttributeType,
  type CognitoIdentityProviderClient,
  UsernameExistsException,
} from '@aws-sdk/client-cognito-identity-provider';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { usersInvited, type UsersInvited } from '#contracts/platform-events';
import { EVENTS } from '#contracts/resources';
import { type InvitationOutcome, type Invitee, invitee, MAX_INVITEES } from '#contracts/users';
import { fieldProblems } from '#contracts/problem';
import { derivedUuid } from '../shared/derived-id';
import { logger } from '../shared/observability';
import { type BusDeps, putOnBus } from '../shared/platform-bus';
import { holdsRole } from './memberships';

/*
 * Invitations by e-mail: a company manager invites employees into their company, an institution manager
 * instructors into theirs. Each invitee gets a Cognito account (or keeps the one their address already has)
 * in `learner`, and a `users.invited` fact on the bus, by which the core affiliates them; the privileged
 * group of an instructor follows from the core's membership fact, as every role does.
 */

export interface InvitationDeps extends BusDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly usersTable: string;
  readonly cognito: CognitoIdentityProviderClient;
  readonly userPoolId: string;
  readonly now: () => Date;
}

/** Where invitees go, and as what. */
export type InvitationTarget =
  | { readonly role: 'employee'; readonly companyId: string }
  | { readonly role: 'instructor'; readonly institutionId: string };

/** The group every invitee is put in; the rest follows their membership. */
export const INVITEE_GROUP = 'learner';
/** Rows handled at once: well inside Cognito's user-creation rate, short enough for a hundred rows. */
const CONCURRENCY = 4;

/** The inviter does not manage the company or institution they invite into. */
export class NotTheirs extends Error {
  constructor(target: InvitationTarget) {
    super(
      target.role === 'employee'
        ? 'Only a manager of this company invites its employees'
        : 'Only a manager of this institution invites its instructors',
    );
    this.name = 'NotTheirs';
  }
}

/** A CSV that holds no invitee, or more than one request may carry. */
export class UnusableCsv extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnusableCsv';
  }
}

/** One row of the request: an invitee, or why the row is none. */
type Row =
  | { readonly row: number; readonly person: Invitee }
  | { readonly row: number; readonly invalid: InvitationOutcome['errors']; readonly email?: string };

/** Splits one CSV line into fields (RFC 4180 quoting: `"Kim, Minsu"`, `""` for a quote). */
function csvFields(line: string): string[] | undefined {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field.trim() === '') {
      field = '';
      quoted = true;
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  if (quoted) return undefined;
  fields.push(field);
  return fields.map((f) => f.trim());
}

/**
 * The CSV's rows, each judged on its own: `email,name` per line, a header line `email,name` allowed first,
 * blank lines skipped. Rows are numbered by their line, as a spreadsheet shows them.
 */
export function parseInviteeCsv(csv: string): Row[] {
  const rows: Row[] = [];
  const lines = csv.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const fields = csvFields(line);
    if (rows.length === 0 && fields?.[0]?.toLowerCase() === 'email' && fields[1]?.toLowerCase() === 'name') {
      return;
    }
    const row = i + 1;
    if (!fields || fields.length !== 2) {
      rows.push({
        row,
        invalid: [{ field: 'row', message: 'Expected two fields: e-mail address, name' }],
        ...(fields?.[0] ? { email: fields[0] } : {}),
      });
      return;
    }
    const parsed = invitee.safeParse({ email: fields[0], name: fields[1] });
    rows.push(
      parsed.success
        ? { row, person: parsed.data }
        : { row, invalid: fieldProblems('row', parsed.error), email: fields[0]! },
    );
  });
  if (rows.length === 0) throw new UnusableCsv('The CSV holds no invitee');
  if (rows.length > MAX_INVITEES) {
    throw new UnusableCsv(`The CSV holds ${rows.length} rows; send at most ${MAX_INVITEES} a request`);
  }
  return rows;
}

const attribute = (attributes: readonly AttributeType[] | undefined, name: string) =>
  attributes?.find((a) => a.Name === name)?.Value;

/** The invitee's account: created (Cognito e-mails the temporary password), or found by address. */
async function accountFor(
  deps: InvitationDeps,
  person: Invitee,
): Promise<{ username: string; sub: string; outcome: 'invited' | 'existing' }> {
  const email = person.email.toLowerCase();
  try {
    const { User } = await deps.cognito.send(
      new AdminCreateUserCommand({
        UserPoolId: deps.userPoolId,
        Username: email,
        UserAttributes: [
          { Name: 'email', Value: email },
          // The invitation reaches them at this address, and the temporary password proves they read it.
          { Name: 'email_verified', Value: 'true' },
          { Name: 'name', Value: person.name },
        ],
        DesiredDeliveryMediums: ['EMAIL'],
      }),
    );
    const sub = attribute(User?.Attributes, 'sub');
    if (!User?.Username || !sub) throw new Error('AdminCreateUser answered no user');
    return { username: User.Username, sub, outcome: 'invited' };
  } catch (e) {
    if (!(e instanceof UsernameExistsException)) throw e;
  }
  const user = await deps.cognito.send(
    new AdminGetUserCommand({ UserPoolId: deps.userPoolId, Username: email }),
  );
  const sub = attribute(user.UserAttributes, 'sub');
  if (!user.Username || !sub) throw new Error('AdminGetUser answered no user');
  if (user.UserStatus === 'FORCE_CHANGE_PASSWORD') {
    // Invited before and never signed in: their temporary password may have expired, so it is sent anew.
    await deps.cognito.send(
      new AdminCreateUserCommand({
        UserPoolId: deps.userPoolId,
        Username: email,
        MessageAction: 'RESEND',
        DesiredDeliveryMediums: ['EMAIL'],
      }),
    );
  }
  return { username: user.Username, sub, outcome: 'existing' };
}

async function inviteOne(
  deps: InvitationDeps,
  inviter: string,
  target: InvitationTarget,
  person: Invitee,
): Promise<{ sub: string; outcome: 'invited' | 'existing' }> {
  const { username, sub, outcome } = await accountFor(deps, person);
  await deps.cognito.send(
    new AdminAddUserToGroupCommand({
      UserPoolId: deps.userPoolId,
      Username: username,
      GroupName: INVITEE_GROUP,
    }),
  );
  const scopeId = target.role === 'employee' ? target.companyId : target.institutionId;
  const detail: UsersInvited = usersInvited.parse({
    // The same for every invitation of this person to this place, so the core can drop repeats by it.
    eventId: `users-invited-${derivedUuid(target.role, scopeId, sub)}`,
    occurredAt: deps.now().toISOString(),
    userSub: sub,
    email: person.email.toLowerCase(),
    name: person.name,
    invitedBy: inviter,
    ...target,
  });
  await putOnBus(deps, {
    source: EVENTS.sources.users,
    detailType: 'users.invited',
    detail,
    time: deps.now(),
  });
  return { sub, outcome };
}

/**
 * Invites each row (already validated ones as given, CSV rows as parsed), a few at a time, answering each
 * row's outcome in order. A row Cognito refuses or throttles fails alone: sending it again is safe, since
 * the address then finds its account.
 */
export async function invite(
  deps: InvitationDeps,
  inviter: string,
  target: InvitationTarget,
  rows: readonly Row[],
): Promise<InvitationOutcome[]> {
  const allowed =
    target.role === 'employee'
      ? await holdsRole(deps, inviter, `company#${target.companyId}`, 'company-manager')
      : await holdsRole(deps, inviter, `institution#${target.institutionId}`, 'institution-manager');
  if (!allowed) throw new NotTheirs(target);

  const outcomes: InvitationOutcome[] = new Array<InvitationOutcome>(rows.length);
  let next = 0;
  const work = async () => {
    while (next < rows.length) {
      const i = next++;
      const row = rows[i]!;
      if ('invalid' in row) {
        outcomes[i] = {
          row: row.row,
          ...(row.email ? { email: row.email } : {}),
          outcome: 'invalid',
          errors: row.invalid ?? [],
        };
        continue;
      }
      const email = row.person.email.toLowerCase();
      try {
        const { sub, outcome } = await inviteOne(deps, inviter, target, row.person);
        outcomes[i] = { row: row.row, email, outcome, sub };
      } catch (e) {
        logger.warn('Invitation failed', { row: row.row, error: e as Error });
        outcomes[i] = { row: row.row, email, outcome: 'failed' };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, rows.length) }, work));
  return outcomes;
}

/** Rows from a request's JSON invitees (validated by the route's schema), numbered from 1. */
export const rowsOf = (invitees: readonly Invitee[]): Row[] =>
  invitees.map((person, i) => ({ row: i + 1, person }));
