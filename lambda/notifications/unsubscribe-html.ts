import { HTML_HEADERS, htmlPage } from '../shared/html';

/** The answer to a link the platform did not sign (changed, cut short): a page, since a person opened it. */
export const invalidLinkPage = () => ({
  status: 400,
  headers: HTML_HEADERS,
  text: htmlPage(
    'Invalid link',
    `<h1>잘못된 링크입니다 · This link is not valid</h1><p>메일의 링크를 그대로 열어 주세요. · ` +
      `Open the link exactly as the e-mail gave it.</p>`,
  ),
});

/** Whether the caller is a browser that asked for a page. */
export const wantsHtml = (headers: Readonly<Record<string, string | undefined>>) =>
  (headers.accept ?? '').includes('text/html');
