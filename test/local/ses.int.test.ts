import {
  GetAccountCommand,
  SendEmailCommand,
  type SendEmailCommandInput,
  SESv2Client,
  type SESv2ClientConfig,
} from '@aws-sdk/client-sesv2';
import Fastify, { type FastifyInstance } from 'fastify';
import { LOCAL_AWS } from '#local/dynamodb-local';
import { LocalMailbox, type MailboxMessage } from '#local/mailbox';
import {
  LOCAL_SES_CONFIGURATION_SET,
  LOCAL_SES_DOMAIN,
  LOCAL_SES_SENDER,
  type LocalSes,
  registerLocalSes,
  type SesEmailEvent,
} from '#local/ses';

/*
 * The local SES v2, spoken to by the real SESv2Client found through AWS_ENDPOINT_URL_SESV2 as the
 * notifications Lambda finds it: what it delivers to the mailbox, the events its configuration set publishes,
 * the mailbox's pages, and each thing SES refuses.
 */

let app: FastifyInstance;
let base: string;
let mailbox: LocalMailbox;
let ses: LocalSes;
const events: SesEmailEvent[] = [];
const savedEndpoint = process.env.AWS_ENDPOINT_URL_SESV2;

const client = (config: SESv2ClientConfig = {}) =>
  new SESv2Client({
    region: LOCAL_AWS.region,
    credentials: LOCAL_AWS.credentials,
    maxAttempts: 1,
    ...config,
  });

beforeAll(async () => {
  app = Fastify();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  mailbox = new LocalMailbox();
  mailbox.register(app);
  ses = registerLocalSes(app, '/local/ses', {
    mailbox,
    verifiedIdentities: [LOCAL_SES_SENDER, LOCAL_SES_DOMAIN],
    configurationSets: [LOCAL_SES_CONFIGURATION_SET],
    onEmailEvent: (e) => void events.push(e),
  });
  registerLocalSes(app, '/local/ses-sandbox', {
    mailbox,
    verifiedIdentities: [LOCAL_SES_DOMAIN, 'tester@example.com'],
    configurationSets: [],
    sandbox: true,
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
  process.env.AWS_ENDPOINT_URL_SESV2 = `${base}/local/ses`;
});
afterAll(async () => {
  if (savedEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL_SESV2;
  else process.env.AWS_ENDPOINT_URL_SESV2 = savedEndpoint;
  await app.close();
});

const mail = (over: Partial<SendEmailCommandInput> = {}): SendEmailCommandInput => ({
  FromEmailAddress: `LMS <${LOCAL_SES_SENDER}>`,
  Destination: { ToAddresses: ['learner@example.com'] },
  Content: {
    Simple: {
      Subject: { Data: 'Your lecture starts soon', Charset: 'UTF-8' },
      Body: { Text: { Data: 'Starts at 10:00.' }, Html: { Data: '<p>Starts at <b>10:00</b>.</p>' } },
    },
  },
  ConfigurationSetName: LOCAL_SES_CONFIGURATION_SET,
  ...over,
});
const simple = (over: Record<string, unknown>) => ({
  Content: { Simple: { ...mail().Content!.Simple!, ...over } },
});

const send = (input: SendEmailCommandInput) => client().send(new SendEmailCommand(input));
const latestMail = () => mailbox.messages.at(-1);
/** The events SES published for one message, once published. */
const eventsOf = async (messageId: string) => {
  await ses.settled();
  return events.filter((e) => e.mail.messageId === messageId);
};
const html = { accept: 'text/html,application/xhtml+xml' };

describe('the local SES', () => {
  it('delivers a Simple mail to the mailbox, headers and all, and publishes Send and Delivery', async () => {
    const unsubscribe = '<https://lms.local/unsubscribe?t=abc>, <mailto:unsubscribe@lms.local>';
    const { MessageId } = await send(
      mail({
        Destination: { ToAddresses: ['learner@example.com'], BccAddresses: ['auditor@example.com'] },
        ReplyToAddresses: ['help@lms.local'],
        EmailTags: [{ Name: 'kind', Value: 'lecture-starting' }],
        ...simple({
          Headers: [
            { Name: 'List-Unsubscribe', Value: unsubscribe },
            { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
          ],
        }),
      }),
    );
    expect(MessageId).toMatch(/^[0-9a-f]{16}-[0-9a-f-]{36}-000000$/);

    const res = await fetch(`${base}/local/mail`);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const { mail: list } = (await res.json()) as { mail: MailboxMessage[] };
    expect(list.at(-1)).toEqual({
      id: expect.any(String),
      source: 'ses',
      at: expect.any(String),
      from: `LMS <${LOCAL_SES_SENDER}>`,
      to: 'learner@example.com',
      recipients: ['learner@example.com', 'auditor@example.com'],
      subject: 'Your lecture starts soon',
      text: 'Starts at 10:00.',
      html: '<p>Starts at <b>10:00</b>.</p>',
      headers: [
        { name: 'Reply-To', value: 'help@lms.local' },
        { name: 'List-Unsubscribe', value: unsubscribe },
        { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
        { name: 'X-SES-Configuration-Set', value: LOCAL_SES_CONFIGURATION_SET },
      ],
      messageId: MessageId,
    });

    const published = await eventsOf(MessageId!);
    expect(published.map((e) => e.eventType)).toEqual(['Send', 'Delivery']);
    expect(published[0]!.mail).toMatchObject({
      messageId: MessageId,
      source: LOCAL_SES_SENDER,
      destination: ['learner@example.com', 'auditor@example.com'],
      tags: {
        kind: ['lecture-starting'],
        'ses:configuration-set': [LOCAL_SES_CONFIGURATION_SET],
        'ses:from-domain': [LOCAL_SES_DOMAIN],
      },
      commonHeaders: { from: [`LMS <${LOCAL_SES_SENDER}>`], to: ['learner@example.com'] },
    });
    expect(published[1]).toMatchObject({
      delivery: { recipients: ['learner@example.com', 'auditor@example.com'] },
    });
  });

  it('sends from any address of a verified domain and its subdomains, and publishes nothing without a set', async () => {
    const before = events.length;
    const { MessageId } = await send(
      mail({ FromEmailAddress: 'alerts@mail.lms.local', ConfigurationSetName: undefined }),
    );
    expect(latestMail()).toMatchObject({ messageId: MessageId, from: 'alerts@mail.lms.local' });
    await ses.settled();
    expect(events.length).toBe(before);
  });

  it('shows the mailbox to a browser, newest first, everything in it escaped', async () => {
    const { MessageId: older } = await send(mail({ ...simple({ Subject: { Data: 'Older one' } }) }));
    const { MessageId } = await send(
      mail({
        ...simple({
          Subject: { Data: 'Hi <script>alert(1)</script> & "you"' },
          Body: {
            Text: { Data: 'Text <img src=x onerror=alert(2)>' },
            Html: { Data: '<p onclick="x()">Hello</p><script>alert(3)</script>' },
          },
          Headers: [
            { Name: 'List-Unsubscribe', Value: '<https://lms.local/u?a=1&b=2>' },
            { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
          ],
        }),
      }),
    );
    const id = mailbox.messages.find((m) => m.messageId === MessageId)!.id;
    const olderId = mailbox.messages.find((m) => m.messageId === older)!.id;

    const list = await fetch(`${base}/local/mail`, { headers: html });
    expect(list.headers.get('content-type')).toMatch(/^text\/html/);
    expect(list.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await list.text();
    expect(page).not.toContain('<script>');
    expect(page).toContain('Hi &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;you&quot;');
    expect(page.indexOf(`/local/mail/${id}`)).toBeGreaterThan(-1);
    expect(page.indexOf(`/local/mail/${id}`)).toBeLessThan(page.indexOf(`/local/mail/${olderId}`));

    const one = await fetch(`${base}/local/mail/${id}`, { headers: html });
    expect(one.headers.get('content-security-policy')).toContain("default-src 'none'");
    const detail = await one.text();
    expect(detail).not.toContain('<script>');
    expect(detail).not.toContain('<img');
    expect(detail).toContain('Text &lt;img src=x onerror=alert(2)&gt;');
    // The HTML part only inside a sandbox without scripts or this origin.
    expect(detail).toContain(
      '<iframe title="HTML part" sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="&lt;p onclick=&quot;x()&quot;&gt;Hello&lt;/p&gt;&lt;script&gt;alert(3)&lt;/script&gt;"></iframe>',
    );
    expect(detail).toContain('<th>List-Unsubscribe</th><td>&lt;https://lms.local/u?a=1&amp;b=2&gt;</td>');
    expect(detail).toContain('<form method="post" action="https://lms.local/u?a=1&amp;b=2" target="_blank">');

    const json = await fetch(`${base}/local/mail/${id}`);
    expect(await json.json()).toMatchObject({ id, messageId: MessageId, source: 'ses' });
    const missing = await fetch(`${base}/local/mail/nope`);
    expect(missing.status).toBe(404);
  });

  it("plays SES's mailbox simulator: bounce is not delivered and bounces, complaint is delivered and complained about", async () => {
    const delivered = mailbox.messages.length;
    const bounce = await send(mail({ Destination: { ToAddresses: ['bounce@simulator.amazonses.com'] } }));
    expect(mailbox.messages.length).toBe(delivered);
    const bounced = await eventsOf(bounce.MessageId!);
    expect(bounced.map((e) => e.eventType)).toEqual(['Send', 'Bounce']);
    expect(bounced[1]).toMatchObject({
      eventType: 'Bounce',
      mail: { messageId: bounce.MessageId, destination: ['bounce@simulator.amazonses.com'] },
      bounce: {
        bounceType: 'Permanent',
        bounceSubType: 'General',
        bouncedRecipients: [{ emailAddress: 'bounce@simulator.amazonses.com' }],
        timestamp: expect.any(String),
      },
    });

    const complaint = await send(
      mail({ Destination: { ToAddresses: ['complaint@simulator.amazonses.com'] } }),
    );
    expect(latestMail()).toMatchObject({
      messageId: complaint.MessageId,
      recipients: ['complaint@simulator.amazonses.com'],
    });
    const complained = await eventsOf(complaint.MessageId!);
    expect(complained.map((e) => e.eventType)).toEqual(['Send', 'Delivery', 'Complaint']);
    expect(complained[2]).toMatchObject({
      complaint: {
        complainedRecipients: [{ emailAddress: 'complaint@simulator.amazonses.com' }],
        timestamp: expect.any(String),
      },
    });

    const success = await send(
      mail({
        Destination: {
          ToAddresses: ['success@simulator.amazonses.com'],
          CcAddresses: ['bounce+x@simulator.amazonses.com'],
        },
      }),
    );
    expect(latestMail()).toMatchObject({
      messageId: success.MessageId,
      recipients: ['success@simulator.amazonses.com'],
    });
    expect((await eventsOf(success.MessageId!)).map((e) => e.eventType)).toEqual([
      'Send',
      'Delivery',
      'Bounce',
    ]);
  });

  it('refuses what SES refuses, with its error names and statuses, and delivers none of it', async () => {
    const before = mailbox.messages.length;
    const refused = async (input: SendEmailCommandInput, name: string, message: string | RegExp) => {
      const error = await send(input).then(
        () => undefined,
        (e: unknown) => e as { name: string; message: string; $metadata: { httpStatusCode: number } },
      );
      expect({ name: error?.name, message: error?.message }).toEqual({
        name,
        message: typeof message === 'string' ? message : expect.stringMatching(message),
      });
      expect(error?.$metadata.httpStatusCode).toBe(name === 'NotFoundException' ? 404 : 400);
    };

    await refused(
      mail({ FromEmailAddress: 'someone@elsewhere.example' }),
      'MessageRejected',
      'Email address is not verified. The following identities failed the check in region US-EAST-1: someone@elsewhere.example',
    );
    await refused(
      mail({ FromEmailAddress: 'no-reply@lms.local.example' }),
      'MessageRejected',
      /^Email address is not verified/,
    );
    await refused(
      mail({ ConfigurationSetName: 'someone-elses' }),
      'NotFoundException',
      'Configuration set <someone-elses> does not exist.',
    );
    await refused(
      mail({
        Destination: {
          ToAddresses: Array.from({ length: 30 }, (_, i) => `to${i}@example.com`),
          BccAddresses: Array.from({ length: 21 }, (_, i) => `bcc${i}@example.com`),
        },
      }),
      'BadRequestException',
      'Recipient count exceeds 50.',
    );
    await refused(mail({ Destination: {} }), 'BadRequestException', /no recipients/);
    await refused(mail(simple({ Subject: undefined })), 'BadRequestException', /Subject/);
    await refused(mail(simple({ Subject: { Data: '' } })), 'BadRequestException', /Subject/);
    await refused(mail(simple({ Body: {} })), 'BadRequestException', /Body/);
    await refused(mail({ FromEmailAddress: undefined }), 'BadRequestException', /FromEmailAddress/);

    // 31 MiB of text is over 40 MiB once base64-encoded, as SES counts it.
    await refused(
      mail(simple({ Body: { Text: { Data: 'x'.repeat(31 * 1024 * 1024) } } })),
      'MessageRejected',
      /^Message length is more than 41943040 bytes long/,
    );

    const header = (Name: string, Value = 'v') => ({ Name, Value });
    await refused(
      mail(simple({ Headers: Array.from({ length: 16 }, (_, i) => header(`X-Custom-${i}`)) })),
      'BadRequestException',
      /more than 15 headers/,
    );
    await refused(mail(simple({ Headers: [header('X Bad')] })), 'BadRequestException', /header name/);
    await refused(mail(simple({ Headers: [header('X:Bad')] })), 'BadRequestException', /header name/);
    await refused(mail(simple({ Headers: [header('X'.repeat(127))] })), 'BadRequestException', /header name/);
    await refused(
      mail(simple({ Headers: [header('X-Long', 'v'.repeat(996))] })),
      'BadRequestException',
      /value of header X-Long/,
    );
    await refused(
      mail(simple({ Headers: [header('X-Longer', 'v'.repeat(990))] })),
      'BadRequestException',
      'Header X-Longer is longer than 996 characters, name and value',
    );
    await refused(
      mail(simple({ Headers: [header('X-Injected', 'a\r\nBcc: victim@example.com')] })),
      'BadRequestException',
      /value of header X-Injected/,
    );
    await refused(
      mail(simple({ Headers: [header('X-Korean', '알림')] })),
      'BadRequestException',
      /value of header X-Korean/,
    );
    await refused(
      mail(simple({ Headers: [header('From', 'boss@lms.local')] })),
      'BadRequestException',
      "Header From can't appear more than once in a message",
    );
    await refused(
      mail(simple({ Headers: [header('List-Unsubscribe', '<a:b>'), header('list-unsubscribe', '<c:d>')] })),
      'BadRequestException',
      "Header list-unsubscribe can't appear more than once in a message",
    );

    await refused(
      mail({ Destination: { ToAddresses: ['not-an-address'] } }),
      'BadRequestException',
      "Missing final '@domain' in ToAddresses: not-an-address",
    );
    for (const address of [
      'a@b',
      'two@@example.com',
      'a..b@example.com',
      'a@-x.example.com',
      'a b@example.com',
    ])
      await refused(
        mail({ Destination: { ToAddresses: [address] } }),
        'BadRequestException',
        `Illegal address in ToAddresses: ${address}`,
      );
    await refused(
      mail({ FromEmailAddress: `학습 알림 <${LOCAL_SES_SENDER}>` }),
      'BadRequestException',
      /^Illegal address in FromEmailAddress.*encoded-word/,
    );
    await refused(mail({ ReplyToAddresses: ['nobody'] }), 'BadRequestException', /ReplyToAddresses/);
    await refused(
      mail({ EmailTags: [{ Name: 'kind of', Value: 'x' }] }),
      'BadRequestException',
      /^Invalid tag kind of/,
    );

    await refused(
      mail({ Content: { Raw: { Data: Buffer.from('Subject: hi\r\n\r\nbody') } } }),
      'BadRequestException',
      'Content.Raw is not served by the local SES; send Content.Simple',
    );
    await refused(
      mail({ Content: { Template: { TemplateName: 'welcome', TemplateData: '{}' } } }),
      'BadRequestException',
      'Content.Template is not served by the local SES; send Content.Simple',
    );
    await refused(
      mail({ ListManagementOptions: { ContactListName: 'learners' } }),
      'BadRequestException',
      'ListManagementOptions is not served by the local SES',
    );
    expect(mailbox.messages.length).toBe(before);
  });

  it('refuses sending while the account is paused or suspended', async () => {
    ses.setSendingStatus('paused');
    await expect(send(mail())).rejects.toMatchObject({ name: 'SendingPausedException' });
    ses.setSendingStatus('suspended');
    await expect(send(mail())).rejects.toMatchObject({ name: 'AccountSuspendedException' });
    ses.setSendingStatus('enabled');
    await expect(send(mail())).resolves.toMatchObject({ MessageId: expect.any(String) });
  });

  it('in the sandbox, refuses unverified recipients but takes verified ones and the simulator', async () => {
    const sandbox = client({ endpoint: `${base}/local/ses-sandbox` });
    const to = (...ToAddresses: string[]) =>
      sandbox.send(
        new SendEmailCommand(mail({ ConfigurationSetName: undefined, Destination: { ToAddresses } })),
      );
    await expect(to('stranger@example.com', 'tester@example.com')).rejects.toMatchObject({
      name: 'MessageRejected',
      message:
        'Email address is not verified. The following identities failed the check in region US-EAST-1: stranger@example.com',
    });
    await expect(
      to('tester@example.com', 'someone@lms.local', 'success@simulator.amazonses.com'),
    ).resolves.toMatchObject({ MessageId: expect.any(String) });
    sandbox.destroy();
  });

  it('refuses a request not signed with the local key, and operations it does not serve', async () => {
    const before = mailbox.messages.length;
    for (const credentials of [
      { accessKeyId: 'local', secretAccessKey: 'wrong' },
      { accessKeyId: 'someone', secretAccessKey: 'local' },
    ]) {
      const stranger = client({ credentials });
      await expect(stranger.send(new SendEmailCommand(mail()))).rejects.toMatchObject({
        $metadata: { httpStatusCode: 403 },
      });
      stranger.destroy();
    }
    const unsigned = await fetch(`${base}/local/ses/v2/email/outbound-emails`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(mail()),
    });
    expect(unsigned.status).toBe(403);
    expect(mailbox.messages.length).toBe(before);

    await expect(client().send(new GetAccountCommand({}))).rejects.toMatchObject({
      name: 'UnknownOperationException',
      $metadata: { httpStatusCode: 404 },
    });
  });
});
