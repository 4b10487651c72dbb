import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/*
 * The one mailbox of `npm start`: what the local Cognito and the local SES would have delivered, kept in
 * memory and shown at `GET /local/mail`, so a person trying the platform reads their invitation and the
 * notifications in a browser, and tests read them as JSON. The mail's HTML is someone else's markup shown on
 * the platform's own origin, so it is only ever rendered inside a sandboxed iframe (no script, an opaque
 * origin), under a policy that lets the page itself run nothing either.
 */

export type MailSource = 'cognito' | 'ses';

export interface MailHeader {
  readonly name: string;
  readonly value: string;
}

/** A delivered e-mail. `to` and `code` are the fields the mailbox's JSON had before SES wrote into it. */
export interface MailboxMessage {
  readonly id: string;
  readonly source: MailSource;
  /** ISO time of delivery. */
  readonly at: string;
  readonly from: string;
  /** The To addresses, joined by ", " (Cognito's mail has exactly one). */
  readonly to: string;
  /** Everyone it reached: To, Cc and Bcc, less what bounced. */
  readonly recipients: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  readonly headers: readonly MailHeader[];
  /** Cognito's: the temporary password or code it carries. */
  readonly code?: string;
  /** SES's: the MessageId SendEmail answered. */
  readonly messageId?: string;
}

export type NewMail = Omit<MailboxMessage, 'id' | 'at'> & { readonly at?: Date };

/** Enough for a day of trying things; older mail goes, so a long-running `npm start` keeps its memory. */
const KEEP = 500;

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * The pages run no script and load nothing but inline style and the mail's images; the one form they may send
 * is a List-Unsubscribe one-click POST to the mail's own URL, as a mail client would.
 */
const PAGE_POLICY = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  'img-src http: https: data:',
  'form-action http: https:',
  "base-uri 'none'",
].join('; ');

const STYLE =
  '<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}table{border-collapse:collapse}' +
  'td,th{border-bottom:1px solid #ddd;padding:.3rem .6rem;text-align:left;vertical-align:top}' +
  'pre{white-space:pre-wrap;background:#f6f6f6;padding:1rem}iframe{width:100%;height:32rem;border:1px solid #ccc}</style>';

function wantsHtml(req: FastifyRequest): boolean {
  const accept = req.headers.accept ?? '';
  return accept.includes('text/html');
}

function page(reply: FastifyReply, title: string, body: string) {
  return reply
    .type('text/html; charset=utf-8')
    .header('content-security-policy', PAGE_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .send(`<!doctype html><meta charset="utf-8"><title>${escapeHtml(title)}</title>${STYLE}${body}`);
}

const header = (mail: MailboxMessage, name: string) =>
  mail.headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;

/** RFC 8058's one-click unsubscribe, offered when the mail asks for it with an http(s) URL. */
function oneClickForm(mail: MailboxMessage): string {
  if (header(mail, 'List-Unsubscribe-Post')?.trim() !== 'List-Unsubscribe=One-Click') return '';
  const url = /<(https?:[^>]+)>/.exec(header(mail, 'List-Unsubscribe') ?? '')?.[1];
  if (!url) return '';
  return (
    `<form method="post" action="${escapeHtml(url)}" target="_blank">` +
    '<input type="hidden" name="List-Unsubscribe" value="One-Click">' +
    '<button>Unsubscribe (one-click POST, as a mail client sends it)</button></form>'
  );
}

function listPage(mail: readonly MailboxMessage[]): string {
  const rows = [...mail]
    .reverse()
    .map(
      (m) =>
        `<tr><td><time datetime="${escapeHtml(m.at)}">${escapeHtml(m.at.replace('T', ' ').slice(0, 19))}</time></td>` +
        `<td>${escapeHtml(m.from)}</td><td>${escapeHtml(m.recipients.join(', '))}</td>` +
        `<td><a href="/local/mail/${encodeURIComponent(m.id)}">${escapeHtml(m.subject || '(no subject)')}</a></td>` +
        `<td>${escapeHtml(m.source)}</td></tr>`,
    )
    .join('');
  return (
    '<h1>Local mailbox</h1><p>What the local Cognito and SES delivered, newest first. ' +
    'The same list as JSON: <code>GET /local/mail</code> without <code>Accept: text/html</code>.</p>' +
    (rows
      ? `<table><thead><tr><th>Time (UTC)</th><th>From</th><th>To</th><th>Subject</th><th>Sent by</th></tr></thead><tbody>${rows}</tbody></table>`
      : '<p>No mail yet.</p>')
  );
}

function messagePage(m: MailboxMessage): string {
  const fields: [string, string][] = [
    ['Date', m.at],
    ['From', m.from],
    ['To', m.to],
    ['Recipients', m.recipients.join(', ')],
    ['Subject', m.subject],
    ...m.headers.map((h): [string, string] => [h.name, h.value]),
    ...(m.messageId ? [['SES MessageId', m.messageId] as [string, string]] : []),
  ];
  const table = fields
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join('');
  // No allow-scripts and no allow-same-origin: the mail's HTML runs nothing and reaches nothing of this
  // origin; its links may open in a new tab, as they would from a mail client.
  const html =
    m.html === undefined
      ? '<p>No HTML part.</p>'
      : `<iframe title="HTML part" sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="${escapeHtml(m.html)}"></iframe>`;
  return (
    `<p><a href="/local/mail">← Mailbox</a></p><h1>${escapeHtml(m.subject || '(no subject)')}</h1>` +
    `<table>${table}</table>${oneClickForm(m)}<h2>Text part</h2><pre>${escapeHtml(m.text)}</pre>` +
    `<h2>HTML part</h2>${html}`
  );
}

export class LocalMailbox {
  readonly #mail: MailboxMessage[] = [];

  /** Oldest first. */
  get messages(): readonly MailboxMessage[] {
    return this.#mail;
  }

  deliver(mail: NewMail): MailboxMessage {
    const { at, ...rest } = mail;
    const message: MailboxMessage = { id: randomUUID(), at: (at ?? new Date()).toISOString(), ...rest };
    this.#mail.push(message);
    if (this.#mail.length > KEEP) this.#mail.splice(0, this.#mail.length - KEEP);
    return message;
  }

  /** `GET /local/mail` and `GET /local/mail/:id`: a page for a browser, JSON for anything else. */
  register(app: FastifyInstance): void {
    app.get('/local/mail', async (req, reply) =>
      wantsHtml(req) ? page(reply, 'Local mailbox', listPage(this.#mail)) : { mail: this.#mail },
    );
    app.get<{ Params: { id: string } }>('/local/mail/:id', async (req, reply) => {
      const mail = this.#mail.find((m) => m.id === req.params.id);
      if (!mail) {
        return wantsHtml(req)
          ? page(reply.code(404), 'Not found', '<p>No such mail (the mailbox keeps the latest 500).</p>')
          : reply.code(404).type('application/problem+json').send({
              type: 'about:blank',
              title: 'Not Found',
              status: 404,
              detail: 'No such mail',
            });
      }
      return wantsHtml(req) ? page(reply, mail.subject || '(no subject)', messagePage(mail)) : mail;
    });
  }
}
