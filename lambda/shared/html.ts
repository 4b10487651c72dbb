/** Text made safe to put in HTML, in an element or a quoted attribute. */
export const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * A small page the API serves itself (certificate verification, unsubscribe), readable on a phone with no
 * script and not indexed by search engines. `body` is HTML; `title` is text.
 */
export const htmlPage = (title: string, body: string) =>
  `<!doctype html><html lang="ko"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
  `<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>` +
  `<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#111}` +
  `dt{font-weight:600;margin-top:.75rem}.valid{color:#0a6b2d}.revoked{color:#a4161a}` +
  `button{font:inherit;padding:.5rem 1rem}</style><body>${body}</body></html>`;

export const HTML_HEADERS = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' };
