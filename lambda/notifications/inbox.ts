import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type * as z from 'zod';
import type { Identity } from '#contracts/access-token';
import {
  type listNotificationsQuery,
  type MarkNotificationsReadBody,
  NOTIFICATION_INDEXES,
  NOTIFICATION_KINDS,
  type NotificationKind,
  type NotificationPreferences,
  type NotificationView,
} from '#contracts/notifications';
import { invalid } from '../shared/domain-error';
import { cursorShape, decodeCursor, encodeCursor } from '../shared/page-cursor';
import { KIND_NAMES } from '#contracts/notification-names';
import type { Locale } from './messages';
import {
  emailPreferenceAttribute,
  notificationKey,
  personPartition,
  preferencesKey,
  suppressionKey,
} from './tell';
import { verifyUnsubscribeToken } from './unsubscribe-token';

/*
 * A person's side of notifications: their inbox, read or unread, their e-mail preferences, and the
 * unsubscribe link that changes one preference without signing in.
 */

export interface InboxDeps {
  readonly ddb: DynamoDBDocumentClient;
  readonly notificationsTable: string;
  readonly unsubscribeKey: () => Promise<string>;
  readonly now: () => Date;
}

/** Counting stops here: a badge says "99+" long before. */
const UNREAD_COUNT_CAP = 1000;
/** Notifications one "read up to" marks at most; older unread ones are left to expire. */
const MARK_UP_TO_LIMIT = 500;

const view = (item: Record<string, unknown>): NotificationView => ({
  notificationId: String(item.notificationId),
  kind: item.kind as NotificationKind,
  title: String(item.title),
  body: String(item.body),
  link: String(item.link),
  occurredAt: String(item.occurredAt),
  readAt: typeof item.readAt === 'string' ? item.readAt : null,
});

async function unreadCount(deps: InboxDeps, sub: string): Promise<number> {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.ddb.send(
      new QueryCommand({
        TableName: deps.notificationsTable,
        IndexName: NOTIFICATION_INDEXES.unread,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': `unread#${sub}` },
        Select: 'COUNT',
        Limit: UNREAD_COUNT_CAP,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start && count < UNREAD_COUNT_CAP);
  return Math.min(count, UNREAD_COUNT_CAP);
}

/** The caller's notifications, newest first, a page at a time, with how many are unread. */
export async function listNotifications(
  deps: InboxDeps,
  identity: Identity,
  query: z.output<typeof listNotificationsQuery>,
): Promise<{ notifications: NotificationView[]; unreadCount: number; cursor?: string }> {
  const unreadOnly = query.unread === 'true';
  const pk = personPartition(identity.sub);
  const shape = unreadOnly
    ? cursorShape({ gsi1pk: `unread#${identity.sub}`, pk }, ['gsi1sk', 'sk'], { sk: 'notification#' })
    : cursorShape({ pk }, ['sk'], { sk: 'notification#' });
  const start = query.cursor ? decodeCursor(query.cursor, shape) : undefined;
  const page = await deps.ddb.send(
    new QueryCommand({
      TableName: deps.notificationsTable,
      ...(unreadOnly
        ? {
            IndexName: NOTIFICATION_INDEXES.unread,
            KeyConditionExpression: 'gsi1pk = :pk',
            ExpressionAttributeValues: { ':pk': `unread#${identity.sub}` },
          }
        : {
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
            ExpressionAttributeValues: { ':pk': pk, ':prefix': 'notification#' },
          }),
      ScanIndexForward: false,
      Limit: query.limit,
      ...(start ? { ExclusiveStartKey: start } : {}),
    }),
  );
  return {
    notifications: (page.Items ?? []).map(view),
    unreadCount: await unreadCount(deps, identity.sub),
    ...encodeCursor(page.LastEvaluatedKey),
  };
}

/** Marks one notification read (and out of the unread index); false when it is not the caller's or was read. */
async function markRead(deps: InboxDeps, sub: string, id: string, at: string): Promise<boolean> {
  try {
    await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.notificationsTable,
        Key: notificationKey(sub, id),
        UpdateExpression: 'SET readAt = :at REMOVE gsi1pk, gsi1sk',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(readAt)',
        ExpressionAttributeValues: { ':at': at },
      }),
    );
    return true;
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException) return false;
    throw e;
  }
}

/**
 * Marks the caller's notifications read: those named (ids of others' notifications change nothing), or
 * every unread one up to the newest the caller saw. Marking again is harmless.
 */
export async function markNotificationsRead(
  deps: InboxDeps,
  identity: Identity,
  body: MarkNotificationsReadBody,
): Promise<{ marked: number; unreadCount: number }> {
  const at = deps.now().toISOString();
  let ids: string[];
  if ('notificationIds' in body) ids = [...new Set(body.notificationIds)];
  else {
    const page = await deps.ddb.send(
      new QueryCommand({
        TableName: deps.notificationsTable,
        IndexName: NOTIFICATION_INDEXES.unread,
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk <= :upTo',
        ExpressionAttributeValues: { ':pk': `unread#${identity.sub}`, ':upTo': body.upTo },
        ScanIndexForward: false,
        Limit: MARK_UP_TO_LIMIT,
      }),
    );
    ids = (page.Items ?? []).map((i) => String(i.notificationId));
  }
  let marked = 0;
  for (const id of ids) if (await markRead(deps, identity.sub, id, at)) marked += 1;
  return { marked, unreadCount: await unreadCount(deps, identity.sub) };
}

export async function getPreferences(deps: InboxDeps, sub: string): Promise<NotificationPreferences> {
  const { Item } = await deps.ddb.send(
    new GetCommand({ TableName: deps.notificationsTable, Key: preferencesKey(sub) }),
  );
  return {
    email: Object.fromEntries(
      NOTIFICATION_KINDS.map((k) => [k, Item?.[emailPreferenceAttribute(k)] !== false]),
    ) as Record<NotificationKind, boolean>,
  };
}

async function setPreferences(
  deps: InboxDeps,
  sub: string,
  email: Partial<Record<NotificationKind, boolean>>,
): Promise<void> {
  const entries = Object.entries(email);
  await deps.ddb.send(
    new UpdateCommand({
      TableName: deps.notificationsTable,
      Key: preferencesKey(sub),
      UpdateExpression: `SET ${entries.map((_, i) => `#k${i} = :v${i}`).join(', ')}, updatedAt = :at`,
      ExpressionAttributeNames: Object.fromEntries(
        entries.map(([k], i) => [`#k${i}`, emailPreferenceAttribute(k)]),
      ),
      ExpressionAttributeValues: {
        ...Object.fromEntries(entries.map(([, v], i) => [`:v${i}`, v])),
        ':at': deps.now().toISOString(),
      },
    }),
  );
}

/** Turns e-mail of the kinds named on or off, leaving the others as they were. */
export async function updatePreferences(
  deps: InboxDeps,
  identity: Identity,
  email: Partial<Record<NotificationKind, boolean>>,
): Promise<NotificationPreferences> {
  await setPreferences(deps, identity.sub, email);
  return getPreferences(deps, identity.sub);
}

/** What an unsubscribe link names, once its signature is checked: refused as `path.token` otherwise. */
export async function unsubscribeTarget(
  deps: InboxDeps,
  token: string,
): Promise<{ sub: string; kind: NotificationKind }> {
  const target = verifyUnsubscribeToken(await deps.unsubscribeKey(), token);
  if (!target) {
    throw invalid('This unsubscribe link is not valid', {
      field: 'path.token',
      message: 'not a link the platform signed',
    });
  }
  return target;
}

/** Follows an unsubscribe link: that person gets no more e-mail of that kind (the inbox still shows it). */
export async function unsubscribe(
  deps: InboxDeps,
  token: string,
): Promise<{ kind: NotificationKind; kindName: Record<Locale, string> }> {
  const { sub, kind } = await unsubscribeTarget(deps, token);
  await setPreferences(deps, sub, { [kind]: false });
  return { kind, kindName: { ...KIND_NAMES[kind] } };
}

/**
 * An address SES reported a permanent bounce or a complaint for: never e-mailed again by the platform
 * (SES's own suppression list keeps it from SES's side as well). Recording it again changes nothing.
 */
export async function suppressAddress(
  deps: Pick<InboxDeps, 'ddb' | 'notificationsTable' | 'now'>,
  address: string,
  reason: 'bounce' | 'complaint',
  messageId: string,
): Promise<boolean> {
  try {
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.notificationsTable,
        Item: {
          ...suppressionKey(address),
          reason,
          messageId,
          suppressedAt: deps.now().toISOString(),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException) return false;
    throw e;
  }
}
