import {
  AdminAddUserToGroupCommand,
  AdminRemoveUserFromGroupCommand,
  AdminUserGlobalSignOutCommand,
  type CognitoIdentityProviderClient,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { EVENTS, type Role } from '#contracts/resources';
import {
  companyMemberRemoved,
  companyMemberSet,
  eventEnvelope,
  institutionMemberRemoved,
  institutionMemberSet,
} from '#contracts/platform-events';
import { MalformedFact, orderOf } from '../access/access';
import { writeIf } from '../shared/write-if';

/*
 * Roles follow memberships: the core's member facts, kept per person and scope in the users table
 * (TABLES.users), and the Cognito groups that follow from them. Items:
 *   user#<sub> / institution#<id>   { role: 'institution-manager' | 'instructor' } or { removed: true }
 *   user#<sub> / company#<id>       { role: 'company-manager' | 'employee' }       or { removed: true }
 * each with the `order` (occurredAt#eventId) of the fact that wrote it, and `formerRole`: the role the scope
 * held before that fact, so a retried fact still knows which group it has to take away.
 */

const facts = {
  'institution.member-set': institutionMemberSet,
  'institution.member-removed': institutionMemberRemoved,
  'company.member-set': companyMemberSet,
  'company.member-removed': companyMemberRemoved,
} as const satisfies Record<(typeof EVENTS.usersConsumes)['lms.core'][number], z.ZodType>;

export type MemberFactType = keyof typeof facts;
export type MemberFact = {
  [T in MemberFactType]: { readonly type: T; readonly detail: z.infer<(typeof facts)[T]> };
}[MemberFactType];

/** A membership role as the core names it. */
export type MemberRole = 'institution-manager' | 'instructor' | 'company-manager' | 'employee';

/**
 * The Cognito group each membership role grants. An employee is a `learner`; the other roles are groups
 * of their own name.
 */
export const GROUP_OF: Readonly<Record<MemberRole, Role>> = {
  'institution-manager': 'institution-manager',
  instructor: 'instructor',
  'company-manager': 'company-manager',
  employee: 'learner',
};

/**
 * Groups a membership's end never takes away. `learner` is what every account holds from its first day
 * (self sign-up's trigger and every invitation put people in it), so Cognito cannot tell a learner by
 * employment from a learner by sign-up; and it grants nothing by itself: what a learner may watch is decided
 * per request from their enrollments, which the company's removal of an employee ends in the core. Taking it
 * away would also leave a former employee unable to ask to join another company.
 */
const KEPT_GROUPS: ReadonlySet<Role> = new Set(['learner']);

const issuesOf = (error: z.ZodError) =>
  error.issues.map((i) => ({ path: i.path.map(String).join('.'), code: i.code }));

/** Validates an EventBridge envelope carrying one of the core's member facts. */
export function parseMemberFact(envelope: unknown): MemberFact {
  const outer = eventEnvelope.safeParse(envelope);
  if (!outer.success) throw new MalformedFact('Not an EventBridge event', issuesOf(outer.error));
  const { source, 'detail-type': type } = outer.data;
  if (source !== EVENTS.sources.core || !Object.hasOwn(facts, type)) {
    throw new MalformedFact(`Not a member fact: ${source} ${type}`);
  }
  const detail = facts[type as MemberFactType].safeParse(outer.data.detail);
  if (!detail.success) throw new MalformedFact(`Invalid ${type} detail`, issuesOf(detail.error));
  return { type, detail: detail.data } as MemberFact;
}

/** The scope a fact is about: `institution#<id>` or `company#<id>`. */
function scopeOf(fact: MemberFact): string {
  return 'institutionId' in fact.detail
    ? `institution#${fact.detail.institutionId}`
    : `company#${fact.detail.companyId}`;
}

export const membershipKey = (sub: string, scope: string) => ({ pk: `user#${sub}`, sk: scope });

/** One person's membership of one scope, as the users table keeps it. */
export interface MembershipItem {
  readonly role?: MemberRole;
  readonly removed?: boolean;
  readonly formerRole?: MemberRole;
  readonly order: string;
}

export interface GroupSyncDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly usersTable: string;
  readonly cognito: CognitoIdentityProviderClient;
  readonly userPoolId: string;
}

/** What applying a fact did: `stale` when a newer fact for the same person and scope is already kept. */
export interface SyncOutcome {
  readonly outcome: 'applied' | 'stale' | 'no-such-user';
  readonly added: readonly Role[];
  readonly removed: readonly Role[];
  readonly signedOut: boolean;
}

const NOTHING = { added: [], removed: [], signedOut: false } as const;
/** Facts for one person and place that race each other are rare; a few reads settle them. */
const WRITE_ATTEMPTS = 3;

/**
 * Keeps the fact unless a newer one for the same person and scope is kept (a late "set" after a removal
 * loses to the removal's tombstone), then brings the person's groups in step with every scope they hold.
 * The same fact again is applied again, not skipped: a delivery that wrote the item but failed at Cognito
 * must finish its Cognito calls on retry, and each of them is idempotent.
 */
export async function applyMemberFact(deps: GroupSyncDeps, fact: MemberFact): Promise<SyncOutcome> {
  const { userSub } = fact.detail;
  const key = membershipKey(userSub, scopeOf(fact));
  const occurredAt = new Date(fact.detail.occurredAt).toISOString();
  const order = orderOf(occurredAt, fact.detail.eventId);
  const role = 'role' in fact.detail ? fact.detail.role : undefined;

  let formerRole: MemberRole | undefined;
  for (let attempt = 1; ; attempt++) {
    const { Item: before } = await deps.ddb.send(
      new GetCommand({ TableName: deps.usersTable, Key: key, ConsistentRead: true }),
    );
    const previous = before as MembershipItem | undefined;
    if (previous && previous.order > order) return { outcome: 'stale', ...NOTHING };
    // A retry of the fact that wrote the item keeps what that first delivery saw before it.
    formerRole =
      previous?.order === order ? previous.formerRole : previous?.removed ? undefined : previous?.role;
    const written = await writeIf(
      deps.ddb,
      new PutCommand({
        TableName: deps.usersTable,
        Item: {
          ...key,
          ...(role ? { role } : { removed: true }),
          ...(formerRole ? { formerRole } : {}),
          occurredAt,
          eventId: fact.detail.eventId,
          order,
        },
        // What was read is still there (or this very fact, written by a concurrent delivery): otherwise
        // another fact came in between, and this one is judged again against it.
        ConditionExpression: previous
          ? '#order = :previous OR #order = :order'
          : 'attribute_not_exists(pk) OR #order = :order',
        ExpressionAttributeNames: { '#order': 'order' },
        ExpressionAttributeValues: previous
          ? { ':previous': previous.order, ':order': order }
          : { ':order': order },
      }),
    );
    if (written) break;
    if (attempt === WRITE_ATTEMPTS) {
      throw new Error('Facts for this membership keep arriving at once; SQS will deliver this one again');
    }
  }
  try {
    const kind = fact.type.startsWith('institution.') ? 'institution' : 'company';
    return await syncGroups(deps, userSub, kind, role, formerRole, fact.type.endsWith('-removed'));
  } catch (e) {
    // A sub this pool does not know (a membership made for someone whose account was deleted): retrying
    // cannot help, and the fact is kept for the day the account exists again.
    if (e instanceof UserNotFoundException) return { outcome: 'no-such-user', ...NOTHING };
    throw e;
  }
}

/** The groups a scope's roles may grant, by kind of scope. */
const GROUPS_OF_KIND: Readonly<Record<'institution' | 'company', readonly Role[]>> = {
  institution: [GROUP_OF['institution-manager'], GROUP_OF.instructor],
  company: [GROUP_OF['company-manager'], GROUP_OF.employee],
};

async function syncGroups(
  deps: GroupSyncDeps,
  sub: string,
  kind: 'institution' | 'company',
  role: MemberRole | undefined,
  formerRole: MemberRole | undefined,
  isRemoval: boolean,
): Promise<SyncOutcome> {
  const target = { UserPoolId: deps.userPoolId, Username: sub };
  const granted = role ? GROUP_OF[role] : undefined;
  const added: Role[] = [];
  if (granted) {
    await deps.cognito.send(new AdminAddUserToGroupCommand({ ...target, GroupName: granted }));
    added.push(granted);
  }
  // The group the scope granted before; a removal of a membership never seen (one older than this
  // consumer, or whose "set" is still on its way) may take any group of its kind.
  const candidates = formerRole ? [GROUP_OF[formerRole]] : isRemoval ? GROUPS_OF_KIND[kind] : [];
  const droppable = candidates.filter((g) => g !== granted && !KEPT_GROUPS.has(g));
  const removed: Role[] = [];
  if (droppable.length > 0) {
    // Another scope may grant the same group (an instructor of two institutions leaving one).
    const held = await groupsHeld(deps, sub);
    for (const group of droppable.filter((g) => !held.has(g))) {
      await deps.cognito.send(new AdminRemoveUserFromGroupCommand({ ...target, GroupName: group }));
      removed.push(group);
    }
    if (removed.length > 0) {
      // A fact for another scope kept while this one was judged may grant a group again: the second look
      // puts it back, so concurrent facts for one person cannot leave them without a group they hold.
      const heldNow = await groupsHeld(deps, sub);
      for (const group of removed.filter((g) => heldNow.has(g))) {
        await deps.cognito.send(new AdminAddUserToGroupCommand({ ...target, GroupName: group }));
        removed.splice(removed.indexOf(group), 1);
      }
    }
  }
  // Tokens already issued carry the groups they were issued with: a removal (or a lost role) ends every
  // session, so the next token, minted after a fresh sign-in, carries what the person holds now.
  const signedOut = isRemoval || removed.length > 0;
  if (signedOut) await deps.cognito.send(new AdminUserGlobalSignOutCommand(target));
  return { outcome: 'applied', added, removed, signedOut };
}

/** The groups every scope the person holds now grants, read consistently after this fact's write. */
async function groupsHeld(deps: GroupSyncDeps, sub: string): Promise<Set<Role>> {
  const groups = new Set<Role>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.ddb.send(
      new QueryCommand({
        TableName: deps.usersTable,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `user#${sub}` },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of (page.Items ?? []) as MembershipItem[]) {
      if (item.role && !item.removed) groups.add(GROUP_OF[item.role]);
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return groups;
}

/** Parses and applies one event; the local runner subscribes this to the local bus. */
export async function syncMemberEvent(
  deps: GroupSyncDeps,
  envelope: unknown,
): Promise<{ fact: MemberFact } & SyncOutcome> {
  const fact = parseMemberFact(envelope);
  return { fact, ...(await applyMemberFact(deps, fact)) };
}

/** Does `sub` hold this role in this scope now (not removed)? */
export async function holdsRole(
  deps: Pick<GroupSyncDeps, 'ddb' | 'usersTable'>,
  sub: string,
  scope: `institution#${string}` | `company#${string}`,
  role: MemberRole,
): Promise<boolean> {
  const { Item } = await deps.ddb.send(
    new GetCommand({ TableName: deps.usersTable, Key: membershipKey(sub, scope) }),
  );
  const item = Item as MembershipItem | undefined;
  return !!item && item.removed !== true && item.role === role;
}
