import { notificationRoutes } from '#contracts/routes';
import { Refused } from '../shared/domain-error';
import { escapeHtml, HTML_HEADERS, htmlPage } from '../shared/html';
import { httpHandler } from '../shared/http-handler';
import { unsubscribe } from './inbox';
import { inboxDeps } from './notifications-deps';
import { invalidLinkPage, wantsHtml } from './unsubscribe-html';

const deps = inboxDeps();

/**
 * Stops e-mail of the link's kind to its person, for the page's button and for mail clients' one-click
 * unsubscribe (RFC 8058: a POST whose body is `List-Unsubscribe=One-Click`, which needs no reading: the
 * signed link says everything). Answered as a page, which the button's browser shows.
 */
export const handler = httpHandler(notificationRoutes.unsubscribe, async ({ params, headers }) => {
  try {
    const { kindName } = await unsubscribe(deps, params.token);
    return {
      status: 200,
      headers: HTML_HEADERS,
      text: htmlPage(
        'Unsubscribed',
        `<h1>수신 거부되었습니다 · Unsubscribed</h1><p>'${escapeHtml(kindName.ko)}' 알림 메일을 더 보내지 않습니다. · ` +
          `No more e-mails for '${escapeHtml(kindName.en)}'. 앱의 알림 설정에서 다시 켤 수 있습니다. · ` +
          `You can turn them on again in the app’s notification settings.</p>`,
      ),
    };
  } catch (e) {
    // A browser gets a page; an API client (or a mail client's one-click POST) the problem+json.
    if (!(e instanceof Refused) || !wantsHtml(headers)) throw e;
    return invalidLinkPage();
  }
});
