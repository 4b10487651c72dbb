import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as z from 'zod';
import { LOCAL_AWS } from './dynamodb-local';
import type { LocalMailbox } from './mailbox';
import { verifyLocalSignature } from './local-signature';

/*
 * Amazon SES v2's SendEmail on one machine, for the notifications Lambda's real SESv2Client (pointed here by
 * AWS_ENDPOINT_URL_SESV2; the client's service id "SESv2" makes that the variable it reads): the REST JSON
 * protocol, SigV4 checked against the local keys, Simple content delivered to the local mailbox.
 *
 * It refuses what SES refuses, with SES's error names and statuses: a bad signature, a From address no
 * verified identity covers, in the sandbox an unverified recipient, an unknown configuration set, more than 50
 * recipients, a message without subject or body or over 40 MB, headers beyond SES's limits, illegal
 * addresses and tags. What it does not serve (Raw and Template content, attachments, contact lists, tenants…)
 * it refuses by name rather than pretend to send.
 *
 * SES's mailbox simulator works as in AWS: bounce@ is accepted and bounces, complaint@ is delivered and
 * complained about, success@ is delivered. A mail sent with a configuration set publishes Send, Delivery,
 * Bounce and Complaint events in the JSON SES gives the set's event destination.
 */

/** The local platform's sender: the verified address and its domain. */
export const LOCAL_SES_SENDER = 'no-reply@lms.local';
export const LOCAL_SES_DOMAIN = 'lms.local';
/** The one configuration set of the local platform, publishing every event type. */
export const LOCAL_SES_CONFIGURATION_SET = 'lms-local-notifications';

export const SES_SIMULATOR_DOMAIN = 'simulator.amazonses.com';

/** The `mail` object of an event, as SES publishes it through a configuration set. */
export interface SesEventMail {
  readonly timestamp: string;
  readonly source: string;
  readonly sourceArn: string;
  readonly sendingAccountId: string;
  readonly messageId: string;
  /** Every recipient: To, Cc and Bcc. */
  readonly destination: readonly string[];
  readonly headersTruncated: boolean;
  readonly headers: readonly { readonly name: string; readonly value: string }[];
  readonly commonHeaders: {
    readonly from: readonly string[];
    readonly to?: readonly string[];
    readonly cc?: readonly string[];
    readonly replyTo?: readonly string[];
    readonly messageId: string;
    readonly date: string;
    readonly subject: string;
  };
  /** The message's tags and SES's own (`ses:configuration-set`, `ses:from-domain`…), each a list of values. */
  readonly tags: Readonly<Record<string, readonly string[]>>;
}

/** An event of a configuration set's event destination (the JSON SES sends to SNS or EventBridge). */
export type SesEmailEvent =
  | { readonly eventType: 'Send'; readonly mail: SesEventMail; readonly send: Record<string, never> }
  | {
      readonly eventType: 'Delivery';
      readonly mail: SesEventMail;
      readonly delivery: {
        readonly timestamp: string;
        readonly processingTimeMillis: number;
        readonly recipients: readonly string[];
        readonly smtpResponse: string;
        readonly reportingMTA: string;
      };
    }
  | {
      readonly eventType: 'Bounce';
      readonly mail: SesEventMail;
      readonly bounce: {
        readonly bounceType: 'Permanent' | 'Transient' | 'Undetermined';
        readonly bounceSubType: string;
        readonly bouncedRecipients: readonly {
          readonly emailAddress: string;
          readonly action?: string;
          readonly status?: string;
          readonly diagnosticCode?: string;
        }[];
        readonly timestamp: string;
        readonly feedbackId: string;
        readonly reportingMTA?: string;
      };
    }
  | {
      readonly eventType: 'Complaint';
      readonly mail: SesEventMail;
      readonly complaint: {
        readonly complainedRecipients: readonly { readonly emailAddress: string }[];
        readonly timestamp: string;
        readonly feedbackId: string;
        readonly complaintFeedbackType?: string;
        readonly userAgent?: string;
        readonly arrivalDate?: string;
      };
    };

export type SesEmailEventListener = (event: SesEmailEvent) => void | Promise<void>;

/** What sending is allowed to do, as the account's state in SES: the tests pause and suspend it. */
export type SesSendingStatus = 'enabled' | 'paused' | 'suspended';

export interface LocalSesOptions {
  readonly mailbox: LocalMailbox;
  /** Verified identities: addresses (`no-reply@lms.local`) and domains (`lms.local`, covering subdomains). */
  readonly verifiedIdentities: readonly string[];
  /** The configuration sets that exist; any other named by a mail is NotFoundException. */
  readonly configurationSets: readonly string[];
  /** SES's sandbox: recipients too must be verified identities (or the simulator). @default false */
  readonly sandbox?: boolean;
  readonly onEmailEvent?: SesEmailEventListener;
  /** @default nothing logged */
  readonly log?: (line: string) => void;
}

export interface LocalSes {
  /** Adds a listener for the configuration sets' events, as a subscription to their destination would. */
  onEmailEvent(listener: SesEmailEventListener): void;
  setSendingStatus(status: SesSendingStatus): void;
  /** Resolves when every event so far has been handed to the listeners and they are done with it. */
  settled(): Promise<void>;
}

/** SES's documented limits. */
const MAX_RECIPIENTS = 50;
/** "40 MB per message, after base64 encoding." */
const MAX_MESSAGE_BYTES = 40 * 1024 * 1024;
const MAX_HEADERS = 15;
const MAX_HEADER_NAME = 126;
const MAX_HEADER_VALUE = 995;
const MAX_HEADER_LINE = 996;
const MAX_TAG = 256;
/** Room for a 40 MB message and its JSON around it, so SES's own size error answers, not the server's. */
const BODY_LIMIT = 64 * 1024 * 1024;
const ACCOUNT_ID = '000000000000';

/** Header fields SES allows once per message (its "Amazon SES header fields" page). */
const SINGLE_HEADERS = new Set(
  [
    'Accept-Language',
    'acceptLanguage',
    'Archived-At',
    'Auto-Submitted',
    'Bounces-to',
    'Comments',
    'Content-Alternative',
    'Content-Base',
    'Content-Class',
    'Content-Description',
    'Content-Disposition',
    'Content-Duration',
    'Content-ID',
    'Content-Language',
    'Content-Length',
    'Content-Location',
    'Content-MD5',
    'Content-Transfer-Encoding',
    'Content-Type',
    'Date',
    'Delivered-To',
    'Disposition-Notification-Options',
    'Disposition-Notification-To',
    'DKIM-Signature',
    'DomainKey-Signature',
    'Errors-To',
    'From',
    'Importance',
    'In-Reply-To',
    'Keywords',
    'List-Archive',
    'List-Help',
    'List-Id',
    'List-Owner',
    'List-Post',
    'List-Subscribe',
    'List-Unsubscribe',
    'List-Unsubscribe-Post',
    'Message-Context',
    'Message-ID',
    'MIME-Version',
    'Organization',
    'Original-From',
    'Original-Message-ID',
    'Original-Recipient',
    'Original-Subject',
    'Precedence',
    'Priority',
    'References',
    'Reply-To',
    'Return-Path',
    'Return-Receipt-To',
    'Sender',
    'Solicitation',
    'Sensitivity',
    'Subject',
    'Thread-Index',
    'Thread-Topic',
    'User-Agent',
    'VBR-Info',
  ].map((h) => h.toLowerCase()),
);
/** Headers SES writes itself for Simple content: one more from the Headers list would be a second. */
const BUILT_HEADERS = new Set(['from', 'subject', 'mime-version', 'content-type']);

const content = z.object({ Data: z.string(), Charset: z.string().optional() });
const addresses = z.array(z.string()).optional();
const sendEmailRequest = z.object({
  FromEmailAddress: z.string().optional(),
  FromEmailAddressIdentityArn: z.string().optional(),
  Destination: z
    .object({ ToAddresses: addresses, CcAddresses: addresses, BccAddresses: addresses })
    .optional(),
  ReplyToAddresses: addresses,
  FeedbackForwardingEmailAddress: z.string().optional(),
  FeedbackForwardingEmailAddressIdentityArn: z.string().optional(),
  Content: z.object({
    Simple: z
      .object({
        Subject: content.optional(),
        Body: z.object({ Text: content.optional(), Html: content.optional() }).optional(),
        Headers: z.array(z.object({ Name: z.string(), Value: z.string() })).optional(),
        Attachments: z.array(z.unknown()).optional(),
      })
      .optional(),
    Raw: z.unknown().optional(),
    Template: z.unknown().optional(),
  }),
  EmailTags: z.array(z.object({ Name: z.string(), Value: z.string() })).optional(),
  ConfigurationSetName: z.string().optional(),
  EndpointId: z.string().optional(),
  TenantName: z.string().optional(),
  ListManagementOptions: z.unknown().optional(),
  ConfigurationOverrides: z.unknown().optional(),
});
type SendEmailRequest = z.infer<typeof sendEmailRequest>;

class SesError extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
const badRequest = (message: string) => new SesError('BadRequestException', 400, message);

const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LOCAL_PART = new RegExp(`^${ATEXT}(?:\\.${ATEXT})*$`);
const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
const PRINTABLE = /^[\x20-\x7e]*$/;

/** The bare address of `addr@domain` or `Display Name <addr@domain>`, refused as SES refuses it. */
function parseAddress(field: string, raw: string): string {
  const angled = /^\s*(.*?)\s*<([^<>]*)>\s*$/.exec(raw);
  const display = angled?.[1] ?? '';
  const address = (angled?.[2] ?? raw).trim();
  if (!PRINTABLE.test(display) || !PRINTABLE.test(address)) {
    throw badRequest(
      `Illegal address in ${field}: ${raw} (non-ASCII display names take RFC 2047 encoded-word syntax; domains, punycode)`,
    );
  }
  const at = address.lastIndexOf('@');
  if (at < 0) throw badRequest(`Missing final '@domain' in ${field}: ${raw}`);
  const local = address.slice(0, at);
  const labels = address.slice(at + 1).split('.');
  if (
    address.length > 320 ||
    local.length > 64 ||
    !LOCAL_PART.test(local) ||
    labels.length < 2 ||
    !labels.every((l) => LABEL.test(l))
  ) {
    throw badRequest(`Illegal address in ${field}: ${raw}`);
  }
  return address;
}

const domainOf = (address: string) => address.slice(address.lastIndexOf('@') + 1).toLowerCase();

/** The simulator's behaviour for an address (`bounce+label@` too), or undefined for a real mailbox. */
function simulated(address: string): 'success' | 'bounce' | 'complaint' | 'suppressed' | undefined {
  if (domainOf(address) !== SES_SIMULATOR_DOMAIN) return undefined;
  const box = address.slice(0, address.lastIndexOf('@')).split('+')[0]!.toLowerCase();
  if (box === 'bounce') return 'bounce';
  if (box === 'complaint') return 'complaint';
  if (box === 'suppressionlist') return 'suppressed';
  return 'success';
}

/** The size SES counts: the MIME message it builds, its parts base64-encoded. */
function messageBytes(subject: string, text: string, html: string, headerLines: readonly string[]): number {
  const base64 = (s: string) => Math.ceil(Buffer.byteLength(s, 'utf8') / 3) * 4;
  const headers = headerLines.reduce((n, line) => n + Buffer.byteLength(line, 'utf8') + 2, 0);
  return headers + Buffer.byteLength(subject, 'utf8') + base64(text) + base64(html);
}

/** A MessageId as SES forms them: a hex time, a UUID and a counter. */
const messageId = () => `${Date.now().toString(16).padStart(16, '0')}-${randomUUID()}-000000`;

/** Serves SendEmail under `path` (`POST <path>/v2/email/outbound-emails`). */
export function registerLocalSes(app: FastifyInstance, path: string, options: LocalSesOptions): LocalSes {
  const log = options.log ?? (() => undefined);
  const listeners: SesEmailEventListener[] = options.onEmailEvent ? [options.onEmailEvent] : [];
  const pending = new Set<Promise<void>>();
  let status: SesSendingStatus = 'enabled';
  const identities = options.verifiedIdentities.map((i) => i.toLowerCase());
  /** The verified identity covering an address: itself, or its domain or a parent domain of it. */
  const identityOf = (address: string) => {
    const a = address.toLowerCase();
    const domain = domainOf(a);
    return (
      identities.find((i) => i === a) ??
      identities.find((i) => !i.includes('@') && (domain === i || domain.endsWith(`.${i}`)))
    );
  };
  const verified = (address: string) => identityOf(address) !== undefined;
  const notVerified = (failed: readonly string[]) =>
    new SesError(
      'MessageRejected',
      400,
      `Email address is not verified. The following identities failed the check in region ${LOCAL_AWS.region.toUpperCase()}: ${failed.join(', ')}`,
    );

  const publish = (event: SesEmailEvent) => {
    for (const listener of listeners) {
      // After SendEmail has answered, as SES publishes: a listener's failure is logged, as a destination's
      // failed delivery is in AWS, and does not reach the sender.
      const delivery: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
        .then(() => listener(event))
        .catch((e: unknown) =>
          log(`ses: ${event.eventType} event of ${event.mail.messageId} not handled: ${String(e)}`),
        )
        .finally(() => pending.delete(delivery));
      pending.add(delivery);
    }
  };

  function send(input: SendEmailRequest): string {
    if (status === 'suspended')
      throw new SesError(
        'AccountSuspendedException',
        400,
        "The account's ability to send email has been permanently restricted.",
      );
    if (status === 'paused')
      throw new SesError('SendingPausedException', 400, 'Sending is paused for this account.');
    const { Simple, Raw, Template } = input.Content;
    if (Raw !== undefined || Template !== undefined)
      throw badRequest(
        `Content.${Raw !== undefined ? 'Raw' : 'Template'} is not served by the local SES; send Content.Simple`,
      );
    if (!Simple) throw badRequest('Content must have one of Simple, Raw or Template');
    const unserved = (
      [
        ['FromEmailAddressIdentityArn', input.FromEmailAddressIdentityArn],
        ['FeedbackForwardingEmailAddress', input.FeedbackForwardingEmailAddress],
        ['FeedbackForwardingEmailAddressIdentityArn', input.FeedbackForwardingEmailAddressIdentityArn],
        ['EndpointId', input.EndpointId],
        ['TenantName', input.TenantName],
        ['ListManagementOptions', input.ListManagementOptions],
        ['ConfigurationOverrides', input.ConfigurationOverrides],
        ['Content.Simple.Attachments', Simple.Attachments],
      ] as const
    ).find(([, v]) => v !== undefined);
    if (unserved) throw badRequest(`${unserved[0]} is not served by the local SES`);

    if (input.FromEmailAddress === undefined) throw badRequest('Missing required field FromEmailAddress');
    const from = parseAddress('FromEmailAddress', input.FromEmailAddress);
    const to = (input.Destination?.ToAddresses ?? []).map((a) => parseAddress('ToAddresses', a));
    const cc = (input.Destination?.CcAddresses ?? []).map((a) => parseAddress('CcAddresses', a));
    const bcc = (input.Destination?.BccAddresses ?? []).map((a) => parseAddress('BccAddresses', a));
    const replyTo = input.ReplyToAddresses ?? [];
    for (const a of replyTo) parseAddress('ReplyToAddresses', a);
    const recipients = [...to, ...cc, ...bcc];
    if (recipients.length === 0) throw badRequest('Missing required field Destination: no recipients');
    if (recipients.length > MAX_RECIPIENTS) throw badRequest(`Recipient count exceeds ${MAX_RECIPIENTS}.`);

    const subject = Simple.Subject?.Data;
    if (subject === undefined || subject.trim() === '')
      throw badRequest('Missing required field Content.Simple.Subject');
    if (/[\r\n]/.test(subject)) throw badRequest('Content.Simple.Subject must be one line');
    const text = Simple.Body?.Text?.Data;
    const html = Simple.Body?.Html?.Data;
    if (!text && !html) throw badRequest('Missing required field Content.Simple.Body: give Text or Html');

    const headers = Simple.Headers ?? [];
    if (headers.length > MAX_HEADERS)
      throw badRequest(`Content.Simple.Headers has more than ${MAX_HEADERS} headers`);
    const seen = new Set<string>();
    for (const { Name, Value } of headers) {
      if (!/^[\x21-\x39\x3b-\x7e]+$/.test(Name) || Name.length > MAX_HEADER_NAME)
        throw badRequest(
          `Invalid header name '${Name}': printable ASCII but ':' and at most ${MAX_HEADER_NAME} characters`,
        );
      if (!/^[\x20-\x7e\t]*$/.test(Value) || Value.length > MAX_HEADER_VALUE)
        throw badRequest(
          `Invalid value of header ${Name}: printable ASCII on one line, at most ${MAX_HEADER_VALUE} characters`,
        );
      if (Name.length + Value.length > MAX_HEADER_LINE)
        throw badRequest(`Header ${Name} is longer than ${MAX_HEADER_LINE} characters, name and value`);
      const name = Name.toLowerCase();
      const built =
        BUILT_HEADERS.has(name) ||
        (name === 'to' && to.length > 0) ||
        (name === 'cc' && cc.length > 0) ||
        (name === 'reply-to' && replyTo.length > 0);
      if (built || (SINGLE_HEADERS.has(name) && seen.has(name)))
        throw badRequest(`Header ${Name} can't appear more than once in a message`);
      seen.add(name);
    }

    const tags = input.EmailTags ?? [];
    for (const { Name, Value } of tags) {
      if (!/^[A-Za-z0-9_-]{1,256}$/.test(Name) || !/^[A-Za-z0-9_-]{0,256}$/.test(Value))
        throw badRequest(
          `Invalid tag ${Name}: names and values are ASCII letters, digits, '_' and '-', at most ${MAX_TAG} characters`,
        );
    }

    if (
      input.ConfigurationSetName !== undefined &&
      !options.configurationSets.includes(input.ConfigurationSetName)
    )
      throw new SesError(
        'NotFoundException',
        404,
        `Configuration set <${input.ConfigurationSetName}> does not exist.`,
      );
    const failed = [
      ...(verified(from) ? [] : [from]),
      ...(options.sandbox ? recipients.filter((r) => simulated(r) === undefined && !verified(r)) : []),
    ];
    if (failed.length > 0) throw notVerified([...new Set(failed)]);

    const headerLines = [
      `From: ${input.FromEmailAddress}`,
      ...(to.length ? [`To: ${to.join(', ')}`] : []),
      ...(cc.length ? [`Cc: ${cc.join(', ')}`] : []),
      ...(replyTo.length ? [`Reply-To: ${replyTo.join(', ')}`] : []),
      ...headers.map((h) => `${h.Name}: ${h.Value}`),
    ];
    const size = messageBytes(subject, text ?? '', html ?? '', headerLines);
    if (size > MAX_MESSAGE_BYTES)
      throw new SesError(
        'MessageRejected',
        400,
        `Message length is more than ${MAX_MESSAGE_BYTES} bytes long: '${size}'.`,
      );

    const id = messageId();
    const at = new Date();
    const bounced = recipients.filter((r) => ['bounce', 'suppressed'].includes(simulated(r) ?? ''));
    const delivered = recipients.filter((r) => !bounced.includes(r));
    const complained = delivered.filter((r) => simulated(r) === 'complaint');
    if (delivered.length > 0) {
      options.mailbox.deliver({
        source: 'ses',
        at,
        from: input.FromEmailAddress,
        to: to.join(', '),
        recipients: delivered,
        subject,
        text: text ?? '',
        ...(html !== undefined ? { html } : {}),
        headers: [
          ...(cc.length ? [{ name: 'Cc', value: cc.join(', ') }] : []),
          ...(replyTo.length ? [{ name: 'Reply-To', value: replyTo.join(', ') }] : []),
          ...headers.map((h) => ({ name: h.Name, value: h.Value })),
          ...(input.ConfigurationSetName
            ? [{ name: 'X-SES-Configuration-Set', value: input.ConfigurationSetName }]
            : []),
        ],
        messageId: id,
      });
    }
    log(`ses: ${id} from ${from} to ${recipients.join(', ')}: ${subject}`);

    // SES publishes a mail's events only through the configuration set it was sent with.
    if (input.ConfigurationSetName !== undefined) {
      const timestamp = at.toISOString();
      const later = (ms: number) => new Date(at.getTime() + ms).toISOString();
      const customTags: Record<string, string[]> = {};
      for (const t of tags) (customTags[t.Name] ??= []).push(t.Value);
      const mail: SesEventMail = {
        timestamp,
        source: from,
        sourceArn: `arn:aws:ses:${LOCAL_AWS.region}:${ACCOUNT_ID}:identity/${identityOf(from)}`,
        sendingAccountId: ACCOUNT_ID,
        messageId: id,
        destination: recipients,
        headersTruncated: false,
        headers: headerLines.map((line) => {
          const i = line.indexOf(':');
          return { name: line.slice(0, i), value: line.slice(i + 2) };
        }),
        commonHeaders: {
          from: [input.FromEmailAddress],
          ...(to.length ? { to } : {}),
          ...(cc.length ? { cc } : {}),
          ...(replyTo.length ? { replyTo } : {}),
          messageId: id,
          date: at.toUTCString(),
          subject,
        },
        tags: {
          ...customTags,
          'ses:configuration-set': [input.ConfigurationSetName],
          'ses:from-domain': [domainOf(from)],
          'ses:caller-identity': ['local'],
        },
      };
      publish({ eventType: 'Send', mail, send: {} });
      if (delivered.length > 0)
        publish({
          eventType: 'Delivery',
          mail,
          delivery: {
            timestamp: later(1000),
            processingTimeMillis: 1000,
            recipients: delivered,
            smtpResponse: '250 2.6.0 Message received',
            reportingMTA: 'a0-0.smtp-out.local.amazonses.com',
          },
        });
      for (const kind of ['bounce', 'suppressed'] as const) {
        const these = bounced.filter((r) => simulated(r) === kind);
        if (these.length === 0) continue;
        publish({
          eventType: 'Bounce',
          mail,
          bounce: {
            bounceType: 'Permanent',
            bounceSubType: kind === 'bounce' ? 'General' : 'OnAccountSuppressionList',
            bouncedRecipients: these.map((emailAddress) =>
              kind === 'bounce'
                ? {
                    emailAddress,
                    action: 'failed',
                    status: '5.1.1',
                    diagnosticCode: 'smtp; 550 5.1.1 user unknown',
                  }
                : { emailAddress, action: 'failed', status: '5.1.1' },
            ),
            timestamp: later(1000),
            feedbackId: messageId(),
            reportingMTA: 'dns; a0-0.smtp-out.local.amazonses.com',
          },
        });
      }
      if (complained.length > 0)
        publish({
          eventType: 'Complaint',
          mail,
          complaint: {
            complainedRecipients: complained.map((emailAddress) => ({ emailAddress })),
            timestamp: later(2000),
            feedbackId: messageId(),
            complaintFeedbackType: 'abuse',
            userAgent: 'Amazon SES Mailbox Simulator',
            arrivalDate: later(1500),
          },
        });
    }
    return id;
  }

  const reply = (res: FastifyReply, code: number, body: unknown, errorType?: string) =>
    res
      .code(code)
      .headers({
        'content-type': 'application/json',
        'x-amzn-requestid': randomUUID(),
        ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
      })
      .send(JSON.stringify(body));
  const fail = (res: FastifyReply, e: SesError) => reply(res, e.status, { message: e.message }, e.type);

  /** The signature SES checks before anything else; undefined when it holds. */
  const refusal = (req: FastifyRequest, body: Buffer): SesError | undefined => {
    const verdict = verifyLocalSignature(
      { method: req.method, url: req.url, headers: req.headers },
      'ses',
      body,
    );
    return verdict.ok ? undefined : new SesError(verdict.code, 403, verdict.message);
  };

  const bodyOf = (req: FastifyRequest) => (Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
  const routes = async (scope: FastifyInstance) => {
    // The signature covers the bytes sent: whatever parsers the host app has, these routes read them raw.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.post('/v2/email/outbound-emails', { bodyLimit: BODY_LIMIT }, sendEmail);
    // Every other operation of the API: refused by name once the caller is known, rather than a bare 404.
    scope.all('/*', unknownOperation);
  };
  app.register(routes, { prefix: path });

  async function sendEmail(req: FastifyRequest, res: FastifyReply) {
    const body = bodyOf(req);
    const denied = refusal(req, body);
    if (denied) return fail(res, denied);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      return fail(res, badRequest('The request body is not JSON'));
    }
    const parsed = sendEmailRequest.safeParse(json);
    if (!parsed.success) return fail(res, badRequest(z.prettifyError(parsed.error)));
    try {
      return reply(res, 200, { MessageId: send(parsed.data) });
    } catch (e) {
      if (e instanceof SesError) return fail(res, e);
      throw e;
    }
  }
  async function unknownOperation(req: FastifyRequest, res: FastifyReply) {
    const denied = refusal(req, bodyOf(req));
    if (denied) return fail(res, denied);
    return fail(
      res,
      new SesError(
        'UnknownOperationException',
        404,
        `${req.method} ${req.url.slice(path.length)} is not served by the local SES`,
      ),
    );
  }

  return {
    onEmailEvent: (listener) => void listeners.push(listener),
    setSendingStatus: (next) => void (status = next),
    async settled() {
      while (pending.size > 0) await Promise.all(pending);
    },
  };
}
