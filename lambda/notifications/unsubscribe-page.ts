import { notificationRoutes } from '#contracts/routes';
import { Refused } from '../shared/domain-error';
import { escapeHtml, HTML_HEADERS, htmlPage } from '../shared/html';
import { httpHandler } from '../shared/http-handler';
import { unsubscribeTarget } from './inbox';
import { KIND_NAMES } from '#contracts/notification-names';
import { inboxDeps } from './notifications-deps';
import { invalidLinkPage, wantsHtml } from './unsubscribe-html';

const deps = inboxDeps();

/**
 * What an e-mail's unsubscribe link opens: a button that posts to the same address. Opening the link
 * changes nothing, since mail scanners open links too; the button, or a mail client's one-click POST, does.
 */
export const handler = httpHandler(notificationRoutes.unsubscribePage, async ({ params, headers }) => {
  try {
    const { kind } = await unsubscribeTarget(deps, params.token);
    const name = KIND_NAMES[kind];
    return {
      status: 200,
      headers: HTML_HEADERS,
      text: htmlPage(
        'Unsubscribe',
        `<h1>수신 거부 · Unsubscribe</h1><p>'${escapeHtml(name.ko)}' 알림 메일을 더 받지 않습니다. · ` +
          `Stop e-mails for '${escapeHtml(name.en)}'.</p>` +
          `<form method="post"><button>수신 거부 · Unsubscribe</button></form>` +
          `<p>앱의 알림함에는 계속 표시됩니다. · They still show in the app’s inbox.</p>`,
      ),
    };
  } catch (e) {
    // A browser gets a page; an API client (or a mail client's one-click POST) the problem+json.
    if (!(e instanceof Refused) || !wantsHtml(headers)) throw e;
    return invalidLinkPage();
  }
});
