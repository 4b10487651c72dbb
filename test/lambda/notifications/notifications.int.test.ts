import { randomUUID } from 'node:crypto';
import {
  AdminGetUserCommand,
  CognitoIdentityProviderClient,
  UserNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  BadRequestException,
  MessageRejected,
  SendEmailCommand,
  SESv2Client,
  TooManyRequestsException,
} from '@aws-sdk/client-sesv2';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { SNSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { Identity } from '#contracts/access-token';
import { NOTIFICATION_KINDS, unsubscribeParams } from '#contracts/notifications';
import { applyAccessFact } from '#lambda/access/access';
import {
  getPreferences,
  type InboxDeps,
  listNotifications,
  markNotificationsRead,
  suppressAddress,
  unsubscribe,
  updatePreferences,
} from '#lambda/notifications/inbox';
import { Refused } from '#lambda/shared/domain-error';
import { notificationKey, notificationIdOf, tellFact, type TellDeps } from '#lambda/notifications/tell';
import { toldFact, UntellableFact } from '#lambda/notifications/told-facts';
import { unsubscribeTokenFor, verifyUnsubscribeToken } from '#lambda/notifications/unsubscribe-token';
import { ENV } from '#contracts/resources';
import { boardEnv, createBoardWorld, type BoardWorld } from '../board/board-fixture';
import { overrideEnv } from '../env';
import { ddb, dropWorld, NOW } from '../live/live-fixture';

/*
 * The notifications domain on DynamoDB Local; Cognito and SES are mocked at the AWS boundary, every SES
 * request asserted whole.
 */

const cognito = new CognitoIdentityProviderClient({ region: 'ap-northeast-2' });
const ses = new SESv2Client({ region: 'ap-northeast-2' });
const cognitoMock = mockClient(cognito);
const sesMock = mockClient(ses);
const KEY = 'k'.repeat(64);

let world: BoardWorld;
let deps: TellDeps;
let inbox: InboxDeps;

/** Each person's Cognito attributes, as AdminGetUser answers them. */
const people = new Map<string, { email?: string; locale?: string; verified?: boolean }>();

beforeAll(async () => {
  world = await createBoardWorld(`notifications-${process.pid}`);
  deps = {
    ddb,
    cognito,
    ses,
    notificationsTable: world.tables.notifications!,
    accessTable: world.tables.access!,
    userPoolId: 'ap-northeast-2_POOL',
    email: {
      sender: '"Example Academy" <no-reply@academy.example.com>',
      replyTo: 'support@academy.example.com',
      configurationSet: 'lms-example-prod-notifications',
      unsubscribeBaseUrl: 'https://api.academy.example.com/unsubscribe',
      appUrl: 'https://academy.example.com',
    },
    unsubscribeKey: async () => KEY,
    defaultLocale: 'ko',
    timeZone: 'Asia/Seoul',
    now: () => NOW,
  };
  inbox = {
    ddb,
    notificationsTable: world.tables.notifications!,
    unsubscribeKey: async () => KEY,
    now: () => NOW,
  };
});
afterAll(() => dropWorld(world));

beforeEach(() => {
  cognitoMock.reset();
  sesMock.reset();
  people.clear();
  cognitoMock.on(AdminGetUserCommand).callsFake((input: { Username: string }) => {
    const person = people.get(input.Username);
    if (!person) {
      throw new UserNotFoundException({ message: 'User does not exist.', $metadata: {} });
    }
    return {
      Username: input.Username,
      UserAttributes: [
        ...(person.email ? [{ Name: 'email', Value: person.email }] : []),
        { Name: 'email_verified', Value: person.verified === false ? 'false' : 'true' },
        ...(person.locale ? [{ Name: 'locale', Value: person.locale }] : []),
      ],
    };
  });
  sesMock.on(SendEmailCommand).resolves({ MessageId: 'ses-message-1' });
});

const learnerSub = () => `learner-${randomUUID()}`;
const identity = (sub: string): Identity => ({ sub, email: undefined, roles: ['learner'] });

const issued = (userSub: string, over: Record<string, unknown> = {}) =>
  toldFact('certificate.issued', {
    eventId: `certificate-issued-${randomUUID()}`,
    occurredAt: NOW.toISOString(),
    number: 'LMS-ABCD-EFGH-JKMN-PQRS-TVWX',
    enrollmentId: randomUUID(),
    userSub,
    institutionId: world.institutionId,
    companyId: world.companyId,
    courseTitle: '산업안전보건 교육',
    ...over,
  });

const stored = async (sub: string, id: string) =>
  (await ddb.send(new GetCommand({ TableName: deps.notificationsTable, Key: notificationKey(sub, id) })))
    .Item;

describe('telling a fact', () => {
  it('writes the notification and sends one e-mail, exactly as SES is asked', async () => {
    const sub = learnerSub();
    people.set(sub, { email: 'minji@corp.example.com' });
    const fact = issued(sub);
    expect(await tellFact(deps, fact)).toEqual({ [sub]: 'sent' });

    const id = notificationIdOf(fact, sub);
    const token = unsubscribeTokenFor(KEY, sub, 'certificate-issued');
    const unsubscribeUrl = `https://api.academy.example.com/unsubscribe/${token}`;
    expect(sesMock).toHaveReceivedCommandTimes(SendEmailCommand, 1);
    const input = sesMock.commandCalls(SendEmailCommand)[0]!.args[0].input;
    expect(input).toEqual({
      FromEmailAddress: '"Example Academy" <no-reply@academy.example.com>',
      Destination: { ToAddresses: ['minji@corp.example.com'] },
      ReplyToAddresses: ['support@academy.example.com'],
      ConfigurationSetName: 'lms-example-prod-notifications',
      Content: {
        Simple: {
          Subject: { Data: '산업안전보건 교육 과정을 수료했습니다', Charset: 'UTF-8' },
          Body: {
            Text: { Data: expect.stringContaining(unsubscribeUrl), Charset: 'UTF-8' },
            Html: { Data: expect.stringContaining(`href="${unsubscribeUrl}"`), Charset: 'UTF-8' },
          },
          Headers: [
            { Name: 'List-Unsubscribe', Value: `<${unsubscribeUrl}>` },
            { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
          ],
        },
      },
      EmailTags: [
        { Name: 'kind', Value: 'certificate-issued' },
        { Name: 'notification', Value: id },
      ],
    });
    expect(input.Content!.Simple!.Body!.Text!.Data).toContain(
      '수료증 LMS-ABCD-EFGH-JKMN-PQRS-TVWX을 내려받을 수 있습니다.',
    );
    expect(input.Content!.Simple!.Body!.Text!.Data).toContain(
      'https://academy.example.com/learn/certificates',
    );
    expect(cognitoMock).toHaveReceivedCommandWith(AdminGetUserCommand, {
      UserPoolId: 'ap-northeast-2_POOL',
      Username: sub,
    });
    expect(await stored(sub, id)).toMatchObject({
      kind: 'certificate-issued',
      emailState: 'sent',
      emailMessageId: 'ses-message-1',
      gsi1pk: `unread#${sub}`,
    });
  });

  it('sends one e-mail for the same event delivered twice, or twice at once', async () => {
    const sub = learnerSub();
    people.set(sub, { email: 'twice@corp.example.com', locale: 'en' });
    const fact = issued(sub);
    await tellFact(deps, fact);
    expect(await tellFact(deps, fact)).toEqual({ [sub]: 'already-handled' });
    expect(sesMock).toHaveReceivedCommandTimes(SendEmailCommand, 1);
    expect(sesMock.commandCalls(SendEmailCommand)[0]!.args[0].input.Content?.Simple?.Subject?.Data).toBe(
      'You completed 산업안전보건 교육',
    );

    const other = issued(sub);
    const outcomes = await Promise.all([tellFact(deps, other), tellFact(deps, other)]);
    expect(outcomes.map((o) => o[sub]).sort()).toEqual(['already-handled', 'sent']);
    expect(sesMock).toHaveReceivedCommandTimes(SendEmailCommand, 2);
    const list = await listNotifications(inbox, identity(sub), { limit: 20 });
    expect(list.notifications).toHaveLength(2);
  });

  it('sends nothing to a suppressed address, and keeps the notification in the inbox', async () => {
    const sub = learnerSub();
    people.set(sub, { email: 'Bounced@Corp.example.com' });
    expect(await suppressAddress(inbox, 'bounced@corp.example.com', 'bounce', 'm-1')).toBe(true);
    expect(await suppressAddress(inbox, 'bounced@corp.example.com', 'bounce', 'm-2')).toBe(false);
    const fact = issued(sub);
    expect(await tellFact(deps, fact)).toEqual({ [sub]: 'suppressed' });
    expect(sesMock).toHaveReceivedCommandTimes(SendEmailCommand, 0);
    expect((await listNotifications(inbox, identity(sub), { limit: 20 })).notifications).toHaveLength(1);
  });

  it('sends nothing of a kind its person turned off, nor to an unverified address', async () => {
    const sub = learnerSub();
    people.set(sub, { email: 'off@corp.example.com' });
    await updatePreferences(inbox, identity(sub), { 'certificate-issued': false });
    expect(await tellFact(deps, issued(sub))).toEqual({ [sub]: 'email-off' });

    const unverified = learnerSub();
    people.set(unverified, { email: 'new@corp.example.com', verified: false });
    expect(await tellFact(deps, issued(unverified))).toEqual({ [unverified]: 'no-address' });
    expect(sesMock).toHaveReceivedCommandTimes(SendEmailCommand, 0);
  });

  it('retries an e-mail SES could not take now, and gives up on one SES refuses', async () => {
    const sub = learnerSub();
    people.set(sub, { email: 'retry@corp.example.com' });
    const fact = issued(sub);
    sesMock
      .on(SendEmailCommand)
      .rejectsOnce(new TooManyRequestsException({ message: 'Maximum sending rate exceeded', $metadata: {} }))
      .resolves({ MessageId: 'ses-message-2' });
    await expect(tellFact(deps, fact)).rejects.toThrow('1 of 1 not told');
    expect((await stored(sub, notificationIdOf(fact, sub)))?.emailState).toBe('failed');
    expect(await tellFact(deps, fact)).toEqual({ [sub]: 'sent' });
    expect(sesMock).toHaveReceivedCommandTimes(SendEmailCommand, 2);

    const refused = learnerSub();
    people.set(refused, { email: 'refused@corp.example.com' });
    sesMock
      .on(SendEmailCommand)
      .rejects(new MessageRejected({ message: 'Email address is not verified.', $metadata: {} }));
    expect(await tellFact(deps, issued(refused))).toEqual({ [refused]: 'rejected' });
    sesMock.on(SendEmailCommand).rejects(new BadRequestException({ message: 'bad', $metadata: {} }));
    expect(await tellFact(deps, issued(refused))).toEqual({ [refused]: 'rejected' });
  });

  it('keeps notifications in the inbox when the platform has no sender', async () => {
    const sub = learnerSub();
    people.set(sub, { email: 'inbox@corp.example.com' });
    expect(await tellFact({ ...deps, email: undefined }, issued(sub))).toEqual({ [sub]: 'inbox-only' });
    expect(sesMock).toHaveReceivedCommandTimes(SendEmailCommand, 0);
  });

  it('tells nobody who was deleted since', async () => {
    const gone = `gone-${randomUUID()}`;
    expect(await tellFact(deps, issued(gone))).toEqual({ [gone]: 'no-address' });
    expect((await listNotifications(inbox, identity(gone), { limit: 20 })).notifications).toEqual([]);
  });
});

describe('who is told', () => {
  const fact = () => ({ eventId: randomUUID(), occurredAt: NOW.toISOString() });

  it('tells a company’s managers of a decision, and nobody removed or only employed there', async () => {
    const removed = `removed-manager-${randomUUID()}`;
    const employee = `employee-${randomUUID()}`;
    await applyAccessFact(ddb, deps.accessTable, {
      type: 'company.member-set',
      detail: { ...fact(), companyId: world.companyId, userSub: removed, role: 'company-manager' },
    });
    await applyAccessFact(ddb, deps.accessTable, {
      type: 'company.member-removed',
      detail: {
        eventId: randomUUID(),
        occurredAt: new Date(NOW.getTime() + 1000).toISOString(),
        companyId: world.companyId,
        userSub: removed,
      },
    });
    await applyAccessFact(ddb, deps.accessTable, {
      type: 'company.member-set',
      detail: { ...fact(), companyId: world.companyId, userSub: employee, role: 'employee' },
    });
    for (const sub of [world.companyManager, removed, employee])
      people.set(sub, { email: `${sub}@x.example` });
    const told = await tellFact(
      deps,
      toldFact('provision.rejected', {
        ...fact(),
        provisionId: world.requestedProvisionId,
        institutionId: world.institutionId,
        companyId: world.companyId,
        courseId: world.courseId,
        courseTitle: '산업안전보건 교육',
        institutionName: '한빛 직업전문학교',
        decision: 'rejected',
        reason: '정원이 찼습니다',
        startsOn: '2027-01-01',
        endsOn: '2027-01-31',
      }),
    );
    expect(told).toEqual({ [world.companyManager]: 'sent' });
    const subject = sesMock.commandCalls(SendEmailCommand)[0]!.args[0].input.Content?.Simple;
    expect(subject?.Subject?.Data).toBe('산업안전보건 교육 과정 신청이 반려되었습니다');
    expect(subject?.Body?.Text?.Data).toContain('한빛 직업전문학교: 정원이 찼습니다');
  });

  it('tells an institution’s managers (not its instructors) of a request', async () => {
    people.set(world.people.manager, { email: 'manager@academy.example' });
    people.set(world.people.instructor, { email: 'instructor@academy.example' });
    const told = await tellFact(
      deps,
      toldFact('provision.requested', {
        ...fact(),
        provisionId: world.requestedProvisionId,
        institutionId: world.institutionId,
        companyId: world.companyId,
        courseId: world.courseId,
        courseTitle: '산업안전보건 교육',
        companyName: '가나다 주식회사',
        attendeeCount: 12,
        startsOn: '2027-01-01',
        endsOn: '2027-01-31',
      }),
    );
    expect(told).toEqual({ [world.people.manager]: 'sent' });
  });

  it('tells a lecture to its provision’s learners only, in the profile’s time zone', async () => {
    people.set(world.people.learner, { email: 'learner@corp.example', locale: 'en' });
    people.set(world.people.foreignLearner, { email: 'foreign@corp.example' });
    const told = await tellFact(
      deps,
      toldFact('lecture.scheduled', {
        eventId: `lecture-scheduled-${randomUUID()}`,
        occurredAt: NOW.toISOString(),
        lectureId: randomUUID(),
        provisionId: world.provisionId,
        institutionId: world.institutionId,
        courseId: world.courseId,
        title: 'Fall protection, live',
        startsAt: '2026-12-03T01:00:00.000Z',
        endsAt: '2026-12-03T02:00:00.000Z',
      }),
    );
    expect(told).toEqual({ [world.people.learner]: 'sent' });
    const text = sesMock.commandCalls(SendEmailCommand)[0]!.args[0].input.Content?.Simple?.Body?.Text?.Data;
    // 01:00 UTC is 10:00 in Seoul.
    expect(text).toContain('3 Dec 2026, 10:00');
  });

  it('refuses a fact it does not tell, or one that breaks its contract', () => {
    expect(() => toldFact('content.set', {})).toThrow(UntellableFact);
    expect(() => toldFact('exam.graded', { eventId: 'e' })).toThrow();
  });
});

describe('the inbox', () => {
  it('lists newest first, counts and marks unread ones, and never another person’s', async () => {
    const sub = learnerSub();
    people.set(sub, { email: 'inbox-reader@corp.example.com' });
    const facts = [0, 1, 2].map((i) =>
      issued(sub, { occurredAt: new Date(NOW.getTime() + i * 60_000).toISOString() }),
    );
    for (const f of facts) await tellFact(deps, f);
    const ids = facts.map((f) => notificationIdOf(f, sub));

    const all = await listNotifications(inbox, identity(sub), { limit: 2 });
    expect(all.notifications.map((n) => n.notificationId)).toEqual([ids[2], ids[1]]);
    expect(all.unreadCount).toBe(3);
    expect(all.cursor).toBeDefined();
    const next = await listNotifications(inbox, identity(sub), { limit: 2, cursor: all.cursor });
    expect(next.notifications.map((n) => n.notificationId)).toEqual([ids[0]]);

    // Someone else's id changes nothing.
    const stranger = learnerSub();
    expect(await markNotificationsRead(inbox, identity(stranger), { notificationIds: [ids[0]!] })).toEqual({
      marked: 0,
      unreadCount: 0,
    });
    expect(await markNotificationsRead(inbox, identity(sub), { notificationIds: [ids[0]!] })).toEqual({
      marked: 1,
      unreadCount: 2,
    });
    expect(await markNotificationsRead(inbox, identity(sub), { notificationIds: [ids[0]!] })).toEqual({
      marked: 0,
      unreadCount: 2,
    });
    const unread = await listNotifications(inbox, identity(sub), { limit: 20, unread: 'true' });
    expect(unread.notifications.map((n) => n.notificationId)).toEqual([ids[2], ids[1]]);
    expect(await markNotificationsRead(inbox, identity(sub), { upTo: ids[1]! })).toEqual({
      marked: 1,
      unreadCount: 1,
    });
    const read = (await listNotifications(inbox, identity(sub), { limit: 20 })).notifications;
    expect(read.map((n) => n.readAt !== null)).toEqual([false, true, true]);
    expect(read[0]).toEqual({
      notificationId: ids[2],
      kind: 'certificate-issued',
      title: '산업안전보건 교육 과정을 수료했습니다',
      body: '수료증 LMS-ABCD-EFGH-JKMN-PQRS-TVWX을 내려받을 수 있습니다.',
      link: '/learn/certificates',
      occurredAt: facts[2]!.occurredAt,
      readAt: null,
    });
  });

  it('refuses a cursor from another person’s listing', async () => {
    const sub = learnerSub();
    people.set(sub, { email: 'cursor@corp.example.com' });
    for (let i = 0; i < 2; i++) await tellFact(deps, issued(sub));
    const { cursor } = await listNotifications(inbox, identity(sub), { limit: 1 });
    await expect(
      listNotifications(inbox, identity(learnerSub()), { limit: 1, cursor: cursor! }),
    ).rejects.toThrow(Refused);
  });
});

describe('preferences and unsubscribe links', () => {
  it('keeps every kind on until turned off, and changes only the kinds named', async () => {
    const sub = learnerSub();
    const before = await getPreferences(inbox, sub);
    expect(Object.keys(before.email)).toEqual([...NOTIFICATION_KINDS]);
    expect(Object.values(before.email).every(Boolean)).toBe(true);
    await updatePreferences(inbox, identity(sub), { 'pace-reminder': false, 'exam-graded': false });
    const after = await updatePreferences(inbox, identity(sub), { 'exam-graded': true });
    expect(after.email['pace-reminder']).toBe(false);
    expect(after.email['exam-graded']).toBe(true);
    expect(after.email['certificate-issued']).toBe(true);
  });

  it('turns one kind off by a signed link, and refuses a link whose signature or payload changed', async () => {
    const sub = learnerSub();
    const token = unsubscribeTokenFor(KEY, sub, 'pace-reminder');
    expect(unsubscribeParams.safeParse({ token }).success).toBe(true);
    expect(verifyUnsubscribeToken(KEY, token)).toEqual({ sub, kind: 'pace-reminder' });

    const [v, who, kind, signature] = token.split('.') as [string, string, string, string];
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`;
    const tampered = [
      `${v}.${who}.${kind}.${flipped}`,
      `${v}.${Buffer.from('someone-else').toString('base64url')}.${kind}.${signature}`,
      `${v}.${who}.exam-graded.${signature}`,
      unsubscribeTokenFor(
        'another key of sixty-four characters, not the platform one....',
        sub,
        'pace-reminder',
      ),
    ];
    for (const t of tampered) {
      await expect(unsubscribe(inbox, t)).rejects.toMatchObject({
        kind: 'invalid',
        fields: [{ field: 'path.token', message: 'not a link the platform signed' }],
      });
    }
    expect((await getPreferences(inbox, sub)).email['pace-reminder']).toBe(true);

    expect(await unsubscribe(inbox, token)).toEqual({
      kind: 'pace-reminder',
      kindName: { ko: '학습 진도 알림', en: 'Pace reminders' },
    });
    expect(await unsubscribe(inbox, token)).toMatchObject({ kind: 'pace-reminder' });
    const prefs = await getPreferences(inbox, sub);
    expect(prefs.email['pace-reminder']).toBe(false);
    expect(prefs.email['exam-graded']).toBe(true);
  });
});

describe('SES feedback', () => {
  it('suppresses permanent bounces and complaints, not transient bounces', async () => {
    const restore = boardEnv(world);
    const restoreTable = overrideEnv({ [ENV.notificationsTable]: deps.notificationsTable });
    const { handler } = (await import('#lambda/notifications/record-email-feedback')) as {
      handler: (e: SNSEvent) => Promise<void>;
    };

    const sns = (message: unknown) =>
      ({
        Records: [{ Sns: { MessageId: randomUUID(), Message: JSON.stringify(message) } }],
      }) as unknown as SNSEvent;
    const address = (name: string) => `${name}-${randomUUID()}@corp.example.com`;
    const [permanent, transient, complained] = [address('gone'), address('full'), address('angry')];
    await handler(
      sns({
        eventType: 'Bounce',
        mail: { messageId: 'm-1' },
        bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: permanent }] },
      }),
    );
    await handler(
      sns({
        eventType: 'Bounce',
        mail: { messageId: 'm-2' },
        bounce: { bounceType: 'Transient', bouncedRecipients: [{ emailAddress: transient }] },
      }),
    );
    await handler(
      sns({
        eventType: 'Complaint',
        mail: { messageId: 'm-3' },
        complaint: { complainedRecipients: [{ emailAddress: complained }] },
      }),
    );
    await handler({ Records: [{ Sns: { MessageId: 'x', Message: 'not json' } }] } as unknown as SNSEvent);
    const suppressed = async (a: string) =>
      (
        await ddb.send(
          new GetCommand({ TableName: deps.notificationsTable, Key: { pk: `suppressed#${a}`, sk: 'meta' } }),
        )
      ).Item;
    expect(await suppressed(permanent)).toMatchObject({ reason: 'bounce', messageId: 'm-1' });
    expect(await suppressed(transient)).toBeUndefined();
    expect(await suppressed(complained)).toMatchObject({ reason: 'complaint', messageId: 'm-3' });
    restoreTable();
    restore();
  });
});
