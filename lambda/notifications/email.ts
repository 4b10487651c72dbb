import { SendEmailCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import type { NotificationKind } from '#contracts/notifications';
import { escapeHtml as escape } from '../shared/html';
import { KIND_NAMES } from '#contracts/notification-names';
import type { Locale, Message } from './messages';
import { unsubscribeTokenFor } from './unsubscribe-token';

/** The institution's sender, from its config. */
export interface EmailSettings {
  /** `Name <address>`. */
  readonly sender: string;
  readonly replyTo?: string;
  readonly configurationSet?: string;
  /** The unsubscribe page, without the token. */
  readonly unsubscribeBaseUrl: string;
  /** The web app, which links lead into. */
  readonly appUrl: string;
}

export interface EmailDeps {
  readonly ses: SESv2Client;
  readonly email: EmailSettings;
  readonly unsubscribeKey: () => Promise<string>;
}

export interface Letter {
  readonly to: string;
  readonly sub: string;
  readonly kind: NotificationKind;
  readonly locale: Locale;
  readonly message: Message;
  readonly notificationId: string;
}

/**
 * The SES request for one notification's e-mail: text and HTML in the person's language, a link into the
 * app, and the unsubscribe link both in the footer and as RFC 8058 one-click headers, which mail clients
 * show as their own button.
 */
export async function emailRequest(deps: EmailDeps, letter: Letter): Promise<SendEmailCommand> {
  const { email } = deps;
  const unsubscribeUrl = `${email.unsubscribeBaseUrl}/${unsubscribeTokenFor(
    await deps.unsubscribeKey(),
    letter.sub,
    letter.kind,
  )}`;
  const link = `${email.appUrl}${letter.message.link}`;
  const ko = letter.locale === 'ko';
  const kindName = KIND_NAMES[letter.kind][letter.locale];
  const open = ko ? '열기' : 'Open';
  const footer = ko
    ? `이 메일은 '${kindName}' 알림입니다. 더 받지 않으려면:`
    : `You receive this e-mail for '${kindName}'. To stop these e-mails:`;
  const stop = ko ? '수신 거부' : 'Unsubscribe';
  const text = `${letter.message.body}\n\n${open}: ${link}\n\n--\n${footer} ${unsubscribeUrl}\n`;
  const html =
    `<!doctype html><html lang="${letter.locale}"><meta charset="utf-8"><body style="font-family:sans-serif">` +
    `<h1 style="font-size:1.2em">${escape(letter.message.title)}</h1><p>${escape(letter.message.body)}</p>` +
    `<p><a href="${escape(link)}">${open}</a></p><hr><p style="font-size:.85em;color:#555">${escape(footer)} ` +
    `<a href="${escape(unsubscribeUrl)}">${stop}</a></p></body></html>`;
  return new SendEmailCommand({
    FromEmailAddress: email.sender,
    Destination: { ToAddresses: [letter.to] },
    ...(email.replyTo ? { ReplyToAddresses: [email.replyTo] } : {}),
    ...(email.configurationSet ? { ConfigurationSetName: email.configurationSet } : {}),
    Content: {
      Simple: {
        Subject: { Data: letter.message.title, Charset: 'UTF-8' },
        Body: { Text: { Data: text, Charset: 'UTF-8' }, Html: { Data: html, Charset: 'UTF-8' } },
        Headers: [
          { Name: 'List-Unsubscribe', Value: `<${unsubscribeUrl}>` },
          { Name: 'List-Unsubscribe-Post', Value: 'List-Unsubscribe=One-Click' },
        ],
      },
    },
    // Tag values allow letters, digits, _ and - only: the kind, and the notification to trace a bounce to.
    EmailTags: [
      { Name: 'kind', Value: letter.kind },
      { Name: 'notification', Value: letter.notificationId },
    ],
  });
}

/** Sends one e-mail; SES's message id. */
export async function sendEmail(deps: EmailDeps, letter: Letter): Promise<string> {
  const answer = await deps.ses.send(await emailRequest(deps, letter));
  return answer.MessageId ?? '';
}

/**
 * Whether SES would refuse the same request again (a sender it does not know, an address it rejects):
 * retrying cannot help. Throttling and SES's own faults are worth a retry from the queue.
 */
export function isPermanentRefusal(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const fault = (e as { $fault?: string }).$fault;
  return (
    fault === 'client' &&
    !['TooManyRequestsException', 'LimitExceededException', 'ThrottlingException'].includes(e.name)
  );
}
