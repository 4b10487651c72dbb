import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { setTimeout as delay } from 'node:timers/promises';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { EVENTS } from '#contracts/resources';
import {
  companyMemberRemoved,
  companyMemberSet,
  contentSet,
  enrollmentCreated,
  eventEnvelope,
  institutionMemberRemoved,
  institutionMemberSet,
  provisionSet,
  registrationCancelled,
} from '#contracts/platform-events';
import { type RetryDeps, transactWrite } from '../shared/transact';

/*
 * The access projection: the core's member, content and enrollment facts, kept in one DynamoDB table so
 * that Lambdas decide who may upload or watch without the core database. Items (TABLES.access):
 *   content#<contentId>       / meta           { courseId, institutionId, kind, state, provisionId? }
 *   institution#<id>          / member#<sub>   { role } or { removed: true }
 *   company#<id>              / member#<sub>   { role } or { removed: true }
 *   course#<courseId>         / learner#<sub>  { enrollmentId, provisionId }
 *   enrollment#<enrollmentId> / ended          { courseId, userSub }
 *   provision#<provisionId>   / meta           { institutionId, companyId, courseId, attendeeCount, state,
 *                                                startsOn, endsOn }
 * Every item also keeps the `occurredAt` and `eventId` of the fact that wrote it.
 *
 * An enrollment that ended (a registration cancelled before its deadline) leaves its own tombstone, per
 * enrollment rather than on the learner item: the learner item is one per course and learner, and the
 * same learner may hold another enrollment in that course (a company's provision, a later registration)
 * that the end of this one must neither remove nor keep out.
 */

const facts = {
  'institution.member-set': institutionMemberSet,
  'institution.member-removed': institutionMemberRemoved,
  'content.set': contentSet,
  'enrollment.created': enrollmentCreated,
  'provision.set': provisionSet,
  'company.member-set': companyMemberSet,
  'company.member-removed': companyMemberRemoved,
  'registration.cancelled': registrationCancelled,
} as const satisfies Record<(typeof EVENTS.accessConsumes)['lms.core'][number], z.ZodType>;

export type AccessFactType = keyof typeof facts;

/** One validated fact, as the projection applies it. */
export type AccessFact = {
  [T in AccessFactType]: { readonly type: T; readonly detail: z.infer<(typeof facts)[T]> };
}[AccessFactType];

/** A message that will never apply however often it is retried: not JSON, not a contract, not ours. */
export class MalformedFact extends Error {
  constructor(
    message: string,
    /** Where the message broke its contract, without the values (they may name people). */
    readonly issues: readonly { readonly path: string; readonly code: string }[] = [],
  ) {
    super(message);
    this.name = 'MalformedFact';
  }
}

const issuesOf = (error: z.ZodError) =>
  error.issues.map((i) => ({ path: i.path.map(String).join('.'), code: i.code }));

/** Validates an EventBridge envelope (as an SQS body carries it, or the local bus delivers it). */
export function parseAccessFact(envelope: unknown): AccessFact {
  const outer = eventEnvelope.safeParse(envelope);
  if (!outer.success) throw new MalformedFact('Not an EventBridge event', issuesOf(outer.error));
  const { source, 'detail-type': type } = outer.data;
  if (source !== EVENTS.sources.core || !Object.hasOwn(facts, type)) {
    throw new MalformedFact(`Not an access fact: ${source} ${type}`);
  }
  const detail = facts[type as AccessFactType].safeParse(outer.data.detail);
  if (!detail.success) throw new MalformedFact(`Invalid ${type} detail`, issuesOf(detail.error));
  return { type, detail: detail.data } as AccessFact;
}

export const contentKey = (contentId: string) => ({ pk: `content#${contentId}`, sk: 'meta' });
export const memberKey = (institutionId: string, sub: string) => ({
  pk: `institution#${institutionId}`,
  sk: `member#${sub}`,
});
export const companyMemberKey = (companyId: string, sub: string) => ({
  pk: `company#${companyId}`,
  sk: `member#${sub}`,
});
export const provisionKey = (provisionId: string) => ({ pk: `provision#${provisionId}`, sk: 'meta' });
export const learnerKey = (courseId: string, sub: string) => ({
  pk: `course#${courseId}`,
  sk: `learner#${sub}`,
});
export const endedEnrollmentKey = (enrollmentId: string) => ({
  pk: `enrollment#${enrollmentId}`,
  sk: 'ended',
});

/** `ignored`: a fact with nothing for the projection (a place in line given up holds no enrollment). */
export type ApplyOutcome = 'applied' | 'stale' | 'ignored';

// Conflicts come from facts of the same learner and course applied at once (one SQS batch); the
// transaction is tried again briefly here rather than waiting out the queue's visibility timeout.
const retry: RetryDeps = { sleep: (ms) => delay(ms), random: Math.random };

/**
 * Writes a fact unless the item already holds a newer one, so redeliveries and reordering converge on the
 * newest fact. A removal is a tombstone with its time, not a delete: otherwise a late member-set older
 * than the removal would find nothing to lose to and bring the member back.
 */
export async function applyAccessFact(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  fact: AccessFact,
): Promise<ApplyOutcome> {
  let item: Record<string, unknown>;
  switch (fact.type) {
    case 'institution.member-set':
      item = { ...memberKey(fact.detail.institutionId, fact.detail.userSub), role: fact.detail.role };
      break;
    case 'institution.member-removed':
      item = { ...memberKey(fact.detail.institutionId, fact.detail.userSub), removed: true };
      break;
    case 'company.member-set':
      item = { ...companyMemberKey(fact.detail.companyId, fact.detail.userSub), role: fact.detail.role };
      break;
    case 'company.member-removed':
      item = { ...companyMemberKey(fact.detail.companyId, fact.detail.userSub), removed: true };
      break;
    case 'content.set': {
      const { contentId, courseId, institutionId, kind, state, provisionId } = fact.detail;
      item = { ...contentKey(contentId), courseId, institutionId, kind, state };
      // A live lecture's recording: only this provision's learners watch it. The put replaces the whole
      // item, so a newer fact without it could only come from a content that is no recording.
      if (provisionId !== undefined) item['provisionId'] = provisionId;
      break;
    }
    case 'enrollment.created':
      return applyEnrollment(ddb, tableName, fact.detail);
    case 'registration.cancelled':
      return applyEnrollmentEnded(ddb, tableName, fact.detail);
    case 'provision.set': {
      const { provisionId, institutionId, companyId, courseId, attendeeCount, state, startsOn, endsOn } =
        fact.detail;
      item = {
        ...provisionKey(provisionId),
        ...{ institutionId, companyId, courseId, attendeeCount, state, startsOn, endsOn },
      };
      break;
    }
  }
  const stamped = stamp(fact.detail);
  try {
    await ddb.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...item, ...stamped },
        // Two facts of the same millisecond are ordered by event id, so both orders of arrival agree.
        ConditionExpression: 'attribute_not_exists(pk) OR #order < :order',
        ExpressionAttributeNames: { '#order': 'order' },
        ExpressionAttributeValues: { ':order': stamped.order },
      }),
    );
    return 'applied';
  } catch (e) {
    if (e instanceof ConditionalCheckFailedException) return 'stale';
    throw e;
  }
}

/** A fact's time and id as every item keeps them, and its place in time (`orderOf`). */
const stamp = (detail: { occurredAt: string; eventId: string }) => {
  // Offsets and fractional digits vary in the contract's timestamps; one UTC form compares as a string.
  const occurredAt = new Date(detail.occurredAt).toISOString();
  return { occurredAt, eventId: detail.eventId, order: orderOf(occurredAt, detail.eventId) };
};

/**
 * The learner item, unless this enrollment has ended already (its end arrived first, or this is a late
 * redelivery) or the item holds a newer fact. One transaction, so an end applied at the same moment
 * cannot slip between the check and the write.
 */
async function applyEnrollment(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  detail: z.infer<typeof enrollmentCreated>,
): Promise<ApplyOutcome> {
  const { courseId, userSub, enrollmentId, provisionId } = detail;
  const stamped = stamp(detail);
  const failed = await transactWrite(
    ddb,
    {
      TransactItems: [
        {
          ConditionCheck: {
            TableName: tableName,
            Key: endedEnrollmentKey(enrollmentId),
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        {
          Put: {
            TableName: tableName,
            Item: { ...learnerKey(courseId, userSub), enrollmentId, provisionId, ...stamped },
            ConditionExpression: 'attribute_not_exists(pk) OR #order < :order',
            ExpressionAttributeNames: { '#order': 'order' },
            ExpressionAttributeValues: { ':order': stamped.order },
          },
        },
      ],
    },
    retry,
  );
  return failed ? 'stale' : 'applied';
}

/**
 * An enrollment ended: its tombstone first, then the learner item goes if it still names this enrollment.
 * In that order, a concurrent enrollment.created for it either wrote first (and is deleted here) or meets
 * the tombstone. The item is deleted, not marked: what stays is the tombstone of this one enrollment, so a
 * late fact of another enrollment of the learner in the course still applies.
 */
async function applyEnrollmentEnded(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  detail: z.infer<typeof registrationCancelled>,
): Promise<ApplyOutcome> {
  const { enrollmentId, courseId, userSub } = detail;
  if (enrollmentId === null) return 'ignored';
  // Unconditional: every delivery of the same fact writes the same tombstone.
  await ddb.send(
    new PutCommand({
      TableName: tableName,
      Item: { ...endedEnrollmentKey(enrollmentId), courseId, userSub, ...stamp(detail) },
    }),
  );
  try {
    await ddb.send(
      new DeleteCommand({
        TableName: tableName,
        Key: learnerKey(courseId, userSub),
        ConditionExpression: 'enrollmentId = :enrollmentId',
        ExpressionAttributeValues: { ':enrollmentId': enrollmentId },
      }),
    );
  } catch (e) {
    // The item holds another enrollment, or none: nothing of this one to take away.
    if (!(e instanceof ConditionalCheckFailedException)) throw e;
  }
  return 'applied';
}

/** Parses and applies one event; the local runner subscribes this to the local bus. */
export async function projectAccessEvent(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  envelope: unknown,
): Promise<{ fact: AccessFact; outcome: ApplyOutcome }> {
  const fact = parseAccessFact(envelope);
  return { fact, outcome: await applyAccessFact(ddb, tableName, fact) };
}

const MANAGING_ROLES: readonly string[] = ['institution-manager', 'instructor'];

export interface ContentItem {
  readonly courseId: string;
  readonly institutionId: string;
  readonly kind: 'video' | 'material' | 'exam';
  readonly state: 'active' | 'archived';
  /** A live lecture's recording, for the learners of this provision only. */
  readonly provisionId?: string;
}

async function getItem<T>(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  key: Record<string, string>,
): Promise<T | undefined> {
  const { Item } = await ddb.send(new GetCommand({ TableName: tableName, Key: key }));
  return Item as T | undefined;
}

/** `institution#<id> / member#<sub>` as the projection keeps it. */
export interface MemberItem {
  readonly role?: string;
  readonly removed?: boolean;
}

/** `course#<courseId> / learner#<sub>` as the projection keeps it. */
export interface LearnerItem {
  readonly enrollmentId?: string;
  readonly provisionId?: string;
  readonly removed?: boolean;
}

/** `company#<id> / member#<sub>` as the projection keeps it. */
export interface CompanyMemberItem {
  readonly role?: 'company-manager' | 'employee';
  readonly removed?: boolean;
}

/** A company member item of someone who manages that company (not removed). */
export const isCompanyManager = (member: CompanyMemberItem | undefined): boolean =>
  !!member && member.removed !== true && member.role === 'company-manager';

/** A member item that manages or teaches at its institution (not removed, with a managing role). */
export const isManager = (member: MemberItem | undefined): boolean =>
  !!member && member.removed !== true && MANAGING_ROLES.includes(member.role ?? '');

/** Does `sub` manage or teach at this institution? */
export async function managesInstitution(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  sub: string,
  institutionId: string,
): Promise<boolean> {
  return isManager(await getItem<MemberItem>(ddb, tableName, memberKey(institutionId, sub)));
}

/**
 * The content, when `sub` may upload to or replace its files (its institution's managers and instructors);
 * undefined otherwise, so a caller that needs the content's facts reads it once.
 */
export async function managedContent(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  sub: string,
  contentId: string,
): Promise<ContentItem | undefined> {
  const content = await getItem<ContentItem>(ddb, tableName, contentKey(contentId));
  // Archived content keeps its files for the record; nothing is uploaded to it.
  if (!content || content.state !== 'active') return undefined;
  return (await managesInstitution(ddb, tableName, sub, content.institutionId)) ? content : undefined;
}

/** May `sub` upload to or replace the files of this content? */
export async function canManageContent(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  sub: string,
  contentId: string,
): Promise<boolean> {
  return (await managedContent(ddb, tableName, sub, contentId)) !== undefined;
}

/**
 * The content, when `sub` may play or download it: learners enrolled in its course while it is active (a
 * live lecture's recording: only those enrolled through its provision, for a lecture ran for one company's
 * employees); its institution's managers and instructors also when archived, since they decide whether to
 * bring it back.
 */
export async function watchableContent(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  sub: string,
  contentId: string,
): Promise<ContentItem | undefined> {
  const content = await getItem<ContentItem>(ddb, tableName, contentKey(contentId));
  if (!content) return undefined;
  const [learner, manages] = await Promise.all([
    content.state === 'active'
      ? getItem<{ provisionId?: string }>(ddb, tableName, learnerKey(content.courseId, sub))
      : Promise.resolve(undefined),
    managesInstitution(ddb, tableName, sub, content.institutionId),
  ]);
  const learns =
    learner !== undefined &&
    (content.provisionId === undefined || learner.provisionId === content.provisionId);
  return manages || learns ? content : undefined;
}

/** May `sub` play this content? */
export async function canWatchContent(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  sub: string,
  contentId: string,
): Promise<boolean> {
  return (await watchableContent(ddb, tableName, sub, contentId)) !== undefined;
}

/**
 * A fact's place in time as one string that sorts as the facts happened: its time, then its event id with
 * the outbox sequence number zero-padded, since `core-9` must come before `core-10`.
 */
export function orderOf(occurredAt: string, eventId: string): string {
  const sortableId = eventId.replace(/\d+$/, (digits) => digits.padStart(20, '0'));
  return `${occurredAt}#${sortableId}`;
}

/** A provision as the projection keeps it (`provision.set`). */
export interface ProvisionItem {
  readonly institutionId: string;
  readonly companyId: string;
  readonly courseId: string;
  readonly attendeeCount: number;
  readonly state: 'requested' | 'accepted' | 'rejected';
  readonly startsOn: string;
  readonly endsOn: string;
}

export const provisionFacts = (ddb: DynamoDBDocumentClient, tableName: string, provisionId: string) =>
  getItem<ProvisionItem>(ddb, tableName, provisionKey(provisionId));

/**
 * The enrollment of `sub` in this provision, if any: the learner item is per course, and must name this
 * provision (a learner enrolled through another company's provision of the same course is not in it).
 */
export async function enrollmentIn(
  ddb: DynamoDBDocumentClient,
  tableName: string,
  sub: string,
  courseId: string,
  provisionId: string,
): Promise<{ readonly enrollmentId: string } | undefined> {
  return enrollmentFrom(await getItem<LearnerItem>(ddb, tableName, learnerKey(courseId, sub)), provisionId);
}

/** The enrollment a learner item holds in this provision, if it holds one (not removed). */
export function enrollmentFrom(
  learner: LearnerItem | undefined,
  provisionId: string,
): { readonly enrollmentId: string } | undefined {
  if (!learner?.enrollmentId || learner.removed === true || learner.provisionId !== provisionId) {
    return undefined;
  }
  return { enrollmentId: learner.enrollmentId };
}
