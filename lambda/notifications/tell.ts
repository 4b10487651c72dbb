import { createHash } from 'node:crypto';
import {
  AdminGetUserCommand,
  type CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { NOTIFICATIONS } from '#contracts/notifications';
import { timeOrderedUuid } from '../shared/time-ordered-id';
import { type EmailDeps, type EmailSettings, isPermanentRefusal, sendEmail } from './email';
import { type Locale, messageFor } from './messages';
import type { Audience, ToldFact } from './told-facts';

export interface TellDeps extends Omit<EmailDeps, 'email'> {
  readonly ddb: DynamoDBDocumentClient;
  readonly cognito: CognitoIdentityProviderClient;
  readonly notificationsTable: string;
  readonly accessTable: string;
  readonly userPoolId: string;
  /** Absent: the platform has no sender, and notifications stay in the inbox. */
  readonly email: EmailSettings | undefined;
  readonly defaultLocale: Locale;
  readonly timeZone: string;
  readonly now: () => Date;
}

export const personPartition = (sub: string) => `person#${sub}`;
export const notificationKey = (sub: string, id: string) => ({
  pk: personPartition(sub),
  sk: `notification#${id}`,
});
export const preferencesKey = (sub: string) => ({ pk: personPartition(sub), sk: 'preferences' });
export const suppressionKey = (address: string) => ({
  pk: `suppressed#${address.trim().toLowerCase()}`,
  sk: 'meta',
});
/** The attribute holding whether a kind is e-mailed (absent: it is). */
export const emailPreferenceAttribute = (kind: string) => `email_${kind}`;

/**
 * One fact told to one person has one id, whoever hears it how often: ordered by when the fact happened,
 * the rest derived from the fact's id, the person and the kind.
 */
export function notificationIdOf(fact: ToldFact, sub: string): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([fact.eventId, sub, fact.kind]))
    .digest();
  return timeOrderedUuid(new Date(fact.occurredAt), (size) => digest.subarray(0, size));
}

/** What became of one person's notification. */
export type Told =
  'sent' | 'inbox-only' | 'email-off' | 'suppressed' | 'no-address' | 'rejected' | 'already-handled';

interface Person {
  readonly email?: string;
  readonly locale: Locale;
}

async function personOf(deps: TellDeps, sub: string): Promise<Person | undefined> {
  try {
    const user = await deps.cognito.send(
      new AdminGetUserCommand({ UserPoolId: deps.userPoolId, Username: sub }),
    );
    const attribute = (name: string) => user.UserAttributes?.find((a) => a.Name === name)?.Value;
    const locale = attribute('locale');
    const verified = attribute('email_verified') === 'true';
    return {
      ...(verified && attribute('email') ? { email: attribute('email')! } : {}),
      locale: locale === 'ko' || locale === 'en' ? locale : deps.defaultLocale,
    };
  } catch (e) {
    // Deleted since the fact happened: nobody to tell.
    if (e instanceof Error && e.name === 'UserNotFoundException') return undefined;
    throw e;
  }
}

/** Every `sk` suffix under a partition whose items pass `keep`, page by page. */
async function membersOf(
  deps: TellDeps,
  pk: string,
  prefix: string,
  keep: (item: Record<string, unknown>) => boolean,
): Promise<string[]> {
  const subs: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.ddb.send(
      new QueryCommand({
        TableName: deps.accessTable,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      if (keep(item)) subs.push(String(item.sk).slice(prefix.length));
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return subs;
}

/** The people an audience names now, as the access projection knows them. */
export function audienceOf(deps: TellDeps, audience: Audience): Promise<string[]> {
  const present = (item: Record<string, unknown>) => item.removed !== true;
  if ('learner' in audience) return Promise.resolve([audience.learner]);
  if ('institutionManagers' in audience) {
    return membersOf(
      deps,
      `institution#${audience.institutionManagers}`,
      'member#',
      (i) => present(i) && i.role === 'institution-manager',
    );
  }
  if ('companyManagers' in audience) {
    return membersOf(
      deps,
      `company#${audience.companyManagers}`,
      'member#',
      (i) => present(i) && i.role === 'company-manager',
    );
  }
  const { courseId, provisionId } = audience.provisionLearners;
  return membersOf(
    deps,
    `course#${courseId}`,
    'learner#',
    (i) => present(i) && i.provisionId === provisionId,
  );
}

/**
 * Tells a fact to everyone it concerns. Each person's notification is written once (its key is derived
 * from the fact), so a redelivered fact finds it and only finishes what the first delivery left undone.
 * Throws when an e-mail failed in a way worth retrying, after every other person was handled.
 */
export async function tellFact(deps: TellDeps, fact: ToldFact): Promise<Record<string, Told>> {
  const subs = await audienceOf(deps, fact.audience);
  const outcomes: Record<string, Told> = {};
  const errors: unknown[] = [];
  for (const sub of subs) {
    try {
      outcomes[sub] = await tellPerson(deps, fact, sub);
    } catch (e) {
      errors.push(e);
    }
  }
  if (errors.length > 0) throw new AggregateError(errors, `${errors.length} of ${subs.length} not told`);
  return outcomes;
}

async function tellPerson(deps: TellDeps, fact: ToldFact, sub: string): Promise<Told> {
  const person = await personOf(deps, sub);
  if (!person) return 'no-address';
  const id = notificationIdOf(fact, sub);
  const message = messageFor(fact.kind, fact.params, person.locale, deps.timeZone);
  const key = notificationKey(sub, id);
  try {
    await deps.ddb.send(
      new PutCommand({
        TableName: deps.notificationsTable,
        Item: {
          ...key,
          notificationId: id,
          kind: fact.kind,
          eventId: fact.eventId,
          occurredAt: fact.occurredAt,
          params: fact.params,
          title: message.title,
          body: message.body,
          link: message.link,
          // In the sparse unread index until read.
          gsi1pk: `unread#${sub}`,
          gsi1sk: id,
          expiresAt: Math.floor(deps.now().getTime() / 1000) + NOTIFICATIONS.keepDays * 86_400,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  } catch (e) {
    if (!(e instanceof ConditionalCheckFailedException)) throw e;
  }
  if (!deps.email) return 'inbox-only';
  return emailPerson(deps, deps.email, { fact, sub, id, person, message });
}

const setEmailState = (deps: TellDeps, key: Record<string, string>, state: Told | 'failed', extra = {}) =>
  deps.ddb.send(
    new UpdateCommand({
      TableName: deps.notificationsTable,
      Key: key,
      UpdateExpression: `SET emailState = :state${Object.keys(extra)
        .map((k) => `, ${k} = :${k}`)
        .join('')}`,
      ExpressionAttributeValues: {
        ':state': state,
        ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`:${k}`, v])),
      },
    }),
  );

/**
 * Decides a notification's e-mail once: `sending` (a claim) or a state that sends nothing, written only if no
 * delivery decided it before (or the last one failed). False when another delivery had.
 */
async function decideEmail(
  deps: TellDeps,
  key: Record<string, string>,
  state: 'sending' | 'email-off' | 'no-address' | 'suppressed',
): Promise<boolean> {
  try {
    await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.notificationsTable,
        Key: key,
        UpdateExpression: 'SET emailState = :state, emailDecidedAt = :now',
        ConditionExpression: 'attribute_not_exists(emailState) OR emailState = :failed',
        ExpressionAttributeValues: { ':state': state, ':failed': 'failed', ':now': deps.now().toISOString() },
      }),
    );
    return true;
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException) return false;
    throw e;
  }
}

/**
 * The e-mail of one notification, at most once: the notification is claimed (`sending`) by a conditional
 * write before SES is called, so a concurrent or later delivery of the fact finds it decided and sends
 * nothing. A refusal SES would repeat ends it (`rejected`); any other failure releases the claim
 * (`failed`) and throws, so the queue retries. A function that dies between the claim and SES's answer
 * leaves `sending`: that e-mail is lost rather than perhaps sent twice.
 */
async function emailPerson(
  deps: TellDeps,
  email: EmailSettings,
  n: {
    fact: ToldFact;
    sub: string;
    id: string;
    person: Person;
    message: ReturnType<typeof messageFor>;
  },
): Promise<Told> {
  const key = notificationKey(n.sub, n.id);
  const { Item: preferences } = await deps.ddb.send(
    new GetCommand({ TableName: deps.notificationsTable, Key: preferencesKey(n.sub) }),
  );
  const to = n.person.email;
  const off = preferences?.[emailPreferenceAttribute(n.fact.kind)] === false;
  const suppressed =
    to && !off
      ? (await deps.ddb.send(new GetCommand({ TableName: deps.notificationsTable, Key: suppressionKey(to) })))
          .Item
      : undefined;
  const decision = off ? 'email-off' : !to ? 'no-address' : suppressed ? 'suppressed' : 'sending';
  if (!(await decideEmail(deps, key, decision))) return 'already-handled';
  if (decision !== 'sending') return decision;
  try {
    const messageId = await sendEmail(
      { ses: deps.ses, email, unsubscribeKey: deps.unsubscribeKey },
      {
        // Sending only when there is an address.
        to: to!,
        sub: n.sub,
        kind: n.fact.kind,
        locale: n.person.locale,
        message: n.message,
        notificationId: n.id,
      },
    );
    await setEmailState(deps, key, 'sent', { emailMessageId: messageId });
    return 'sent';
  } catch (e) {
    const reason = e instanceof Error ? `${e.name}: ${e.message}`.slice(0, 500) : 'unknown';
    if (isPermanentRefusal(e)) {
      await setEmailState(deps, key, 'rejected', { emailError: reason });
      return 'rejected';
    }
    await setEmailState(deps, key, 'failed', { emailError: reason });
    throw e;
  }
}
