import { SendEmailCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { LOCAL_AWS } from '#local/dynamodb-local';
import { LOCAL_SES_CONFIGURATION_SET, LOCAL_SES_SENDER } from '#local/ses';
import type { MailboxMessage } from '#local/mailbox';
import { businessNumberFrom } from '../service/service-fixture';
import { useLocalPlatform } from './local-platform-fixture';

/*
 * Notifications end to end, as `npm start` runs them, over HTTP: a learner's seat and a pace reminder reach
 * the inbox and, through the local SES, the mail catcher; the e-mail's unsubscribe link works without signing
 * in and refuses a changed one; an address SES reports bounced is never e-mailed again.
 */

const local = useLocalPlatform('notifications');
const { call, send } = local;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await local.platform.flushEvents();
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const mailTo = async (address: string): Promise<MailboxMessage[]> => {
  const res = await fetch(`${local.platform.url}/local/mail`);
  const { mail } = (await res.json()) as { mail: MailboxMessage[] };
  return mail.filter((m) => m.source === 'ses' && m.recipients.includes(address));
};
const header = (m: MailboxMessage, name: string) =>
  m.headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;

it('tells a learner of their seat and that they are behind, in the inbox and the mail catcher; the e-mail’s link unsubscribes', async () => {
  await call(
    'manager',
    'POST',
    '/institutions',
    {
      name: 'Notice Academy',
      ownerName: 'Lee',
      businessNumber: businessNumberFrom('401810047'),
      certificationNumber: 'C-47',
      contactEmail: 'office@notice.local',
      contactPhone: '02-000-0047',
    },
    201,
  );
  const course = await call('manager', 'POST', '/courses', { title: 'Ladder safety' }, 201);
  const chapter = await call('manager', 'POST', `/courses/${course.id}/chapters`, { title: 'Week 1' }, 201);
  await call(
    'manager',
    'POST',
    `/courses/${course.id}/chapters/${chapter.id}/contents`,
    { kind: 'video', title: 'Three points of contact' },
    201,
  );
  await call('manager', 'POST', `/courses/${course.id}/publish`);
  // A session running today only (the standard profile keeps UTC): its last day, so a learner who has
  // watched nothing is at their last chance.
  const today = new Date().toISOString().slice(0, 10);
  const hour = 3_600_000;
  const session = await call(
    'manager',
    'POST',
    '/sessions',
    {
      courseId: course.id,
      capacity: 5,
      startsOn: today,
      endsOn: today,
      opensAt: new Date(Date.now() - hour).toISOString(),
      closesAt: new Date(Date.now() + hour).toISOString(),
      cancelDeadline: new Date(Date.now() + hour).toISOString(),
    },
    201,
  );
  const seat = await call('learner2', 'POST', `/sessions/${session.id}/registrations`, {}, 201);

  const address = 'second.learner@company.local';
  const [enrolled] = await until('the enrollment e-mail', async () => {
    const mail = await mailTo(address);
    return mail.length > 0 ? mail : undefined;
  });
  expect(enrolled).toMatchObject({
    from: `"LMS local" <${LOCAL_SES_SENDER}>`,
    subject: 'You are enrolled in Ladder safety',
  });

  // The day's scan, as the schedule triggers it: one reminder, and a second run the same day adds nothing.
  await call('admin', 'POST', '/admin/pace-reminders');
  await call('admin', 'POST', '/admin/pace-reminders');
  const reminders = await until('the pace reminder e-mail', async () => {
    const mail = (await mailTo(address)).filter((m) => m.subject.startsWith('Ladder safety: study'));
    return mail.length > 0 ? mail : undefined;
  });
  await local.platform.flushEvents();
  expect((await mailTo(address)).filter((m) => m.subject.startsWith('Ladder safety: study'))).toHaveLength(1);
  const reminder = reminders[0]!;
  expect(reminder.subject).toBe('Ladder safety: study every day from today to complete it');
  expect(reminder.text).toContain('1 more lessons to complete in the 1 days left.');
  expect(header(reminder, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');

  // The inbox: both, newest first, unread until read.
  const inbox = await call('learner2', 'GET', '/me/notifications');
  expect(inbox.unreadCount).toBe(2);
  expect(inbox.notifications.map((n: { kind: string }) => n.kind)).toEqual([
    'pace-reminder',
    'enrollment-created',
  ]);
  // Both lead to the learner's course page in the web app, by the seat's enrollment.
  expect(inbox.notifications.map((n: { link: string }) => n.link)).toEqual([
    `/learn/${seat.enrollmentId}`,
    `/learn/${seat.enrollmentId}`,
  ]);
  expect(await call('learner', 'GET', '/me/notifications')).toMatchObject({ unreadCount: 0 });
  expect(
    await call('learner2', 'POST', '/me/notifications/read', {
      upTo: inbox.notifications[0].notificationId,
    }),
  ).toEqual({ marked: 2, unreadCount: 0 });
  const bad = await send('learner2', 'POST', '/me/notifications/read', { upTo: 'not-an-id' });
  expect(bad.status).toBe(400);
  expect(((await bad.json()) as { errors: { field: string }[] }).errors[0]!.field).toBe('body.upTo');

  // The e-mail's unsubscribe link: the page changes nothing, its button (or a mail client's one-click POST)
  // turns pace reminders off; a link with a changed signature is refused and changes nothing.
  const link = header(reminder, 'List-Unsubscribe')!.replace(/^<|>$/g, '');
  expect(new URL(link).origin).toBe(local.platform.url);
  const page = await fetch(link, { headers: { accept: 'text/html' } });
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('<form method="post">');
  expect((await call('learner2', 'GET', '/me/notification-preferences')).email['pace-reminder']).toBe(true);
  const tampered = `${link.slice(0, -1)}${link.endsWith('A') ? 'B' : 'A'}`;
  const refused = await fetch(tampered, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
  });
  expect(refused.status).toBe(400);
  expect(refused.headers.get('content-type')).toContain('application/problem+json');
  expect((await fetch(tampered, { headers: { accept: 'text/html' } })).status).toBe(400);
  expect((await call('learner2', 'GET', '/me/notification-preferences')).email['pace-reminder']).toBe(true);
  const oneClick = await fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'List-Unsubscribe=One-Click',
  });
  expect(oneClick.status).toBe(200);
  const preferences = await call('learner2', 'GET', '/me/notification-preferences');
  expect(preferences.email).toMatchObject({ 'pace-reminder': false, 'enrollment-created': true });
});

it('suppresses an address SES reports bounced, through the configuration set’s events', async () => {
  const ses = new SESv2Client({ region: LOCAL_AWS.region, credentials: LOCAL_AWS.credentials });
  await ses.send(
    new SendEmailCommand({
      FromEmailAddress: LOCAL_SES_SENDER,
      Destination: { ToAddresses: ['bounce@simulator.amazonses.com'] },
      ConfigurationSetName: LOCAL_SES_CONFIGURATION_SET,
      Content: { Simple: { Subject: { Data: 'Hello' }, Body: { Text: { Data: 'Hi' } } } },
    }),
  );
  await local.platform.ses.settled();
  const ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: process.env.DYNAMODB_ENDPOINT!, ...LOCAL_AWS }),
  );
  const { Item } = await ddb.send(
    new GetCommand({
      TableName: local.platform.tables.notifications!,
      Key: { pk: 'suppressed#bounce@simulator.amazonses.com', sk: 'meta' },
    }),
  );
  expect(Item).toMatchObject({ reason: 'bounce' });
  ddb.destroy();
  ses.destroy();
});
