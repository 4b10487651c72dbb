import { certificateRoutes } from '#contracts/routes';
import { httpHandler } from '../shared/http-handler';
import { Refused } from '../shared/domain-error';
import { escapeHtml as escape, HTML_HEADERS, htmlPage as page } from '../shared/html';
import { verifyCertificate } from './certificates';
import { certificateDeps } from './certificates-deps';

const deps = certificateDeps();

/**
 * The page a certificate's QR code opens: valid or revoked, for whom and what, in Korean and English. The web
 * app shows the same from the JSON route; this page needs no script, so a phone's camera app opens it as is.
 */
export const handler = httpHandler(certificateRoutes.verificationPage, async ({ params }) => {
  const headers = HTML_HEADERS;
  try {
    const c = await verifyCertificate(deps, params.number);
    const status =
      c.status === 'valid'
        ? `<p class="valid"><strong>유효한 수료증입니다 · Valid certificate</strong></p>`
        : `<p class="revoked"><strong>취소된 수료증입니다 · Revoked certificate</strong> (${escape(
            c.revokedAt!.slice(0, 10),
          )}: ${escape(c.revocationReason ?? '')})</p>`;
    const row = (ko: string, en: string, value: string) => `<dt>${ko} · ${en}</dt><dd>${escape(value)}</dd>`;
    return {
      status: 200,
      headers,
      text: page(
        `${c.number}`,
        `<h1>수료증 확인 · Certificate verification</h1>${status}<dl>` +
          row('수료증 번호', 'Number', c.number) +
          row('성명', 'Name', c.learnerName) +
          row('과정', 'Course', c.courseTitle) +
          row('훈련기관', 'Institution', c.institutionName) +
          row('훈련시간', 'Hours', String(c.hours)) +
          row('수료일', 'Completed on', c.completedOn) +
          `</dl>`,
      ),
    };
  } catch (e) {
    if (!(e instanceof Refused) || e.kind !== 'not-found') throw e;
    return {
      status: 404,
      headers,
      text: page('Not found', `<h1>찾을 수 없습니다 · Not found</h1><p>No certificate has this number.</p>`),
    };
  }
});
