import { useState } from 'react';
import { useApi, useApiUrl } from '../api/api-context';
import type { Problem } from '../api/problem';
import type { paths } from '../api/schema';
import { useT, type Messages } from '../i18n';
import { ProblemAlert } from '../ui/problem-alert';
import { asProblem, useLoad } from '../ui/use-load';

type Certificate =
  paths['/me/certificates']['get']['responses'][200]['content']['application/json']['certificates'][number];

const PAGE = 20;

const messages: Messages<
  | 'title'
  | 'loading'
  | 'none'
  | 'completedOn'
  | 'number'
  | 'hours'
  | 'hoursValue'
  | 'score'
  | 'status'
  | 'valid'
  | 'revoked'
  | 'revokedDetail'
  | 'download'
  | 'downloading'
  | 'preparing'
  | 'verify'
  | 'more'
> = {
  ko: {
    title: '내 수료증',
    loading: '불러오는 중…',
    none: '아직 받은 수료증이 없습니다. 강의를 수료하면 이곳에 수료증이 나타납니다.',
    completedOn: '수료일',
    number: '수료증 번호',
    hours: '교육 시간',
    hoursValue: '{n}시간',
    score: '점수',
    status: '상태',
    valid: '유효',
    revoked: '취소됨',
    revokedDetail: '{date}에 취소됨. 사유: {reason}',
    download: 'PDF 내려받기',
    downloading: '링크를 받는 중…',
    preparing: '수료증 문서를 만드는 중입니다. 잠시 후 다시 열어 주세요.',
    verify: '진위 확인 페이지',
    more: '더 보기',
  },
  en: {
    title: 'My certificates',
    loading: 'Loading…',
    none: 'You have no certificates yet. Complete a course and its certificate appears here.',
    completedOn: 'Completed on',
    number: 'Certificate number',
    hours: 'Hours',
    hoursValue: '{n} hours',
    score: 'Score',
    status: 'Status',
    valid: 'Valid',
    revoked: 'Revoked',
    revokedDetail: 'Revoked on {date}. Reason: {reason}',
    download: 'Download PDF',
    downloading: 'Getting the link…',
    preparing: 'The certificate’s document is still being made; come back in a moment.',
    verify: 'Verification page',
    more: 'Show more',
  },
};

/** The learner's certificates of completion: each one's facts, its PDF, and its public verification page. */
export default function Certificates() {
  const api = useApi();
  const t = useT(messages);
  const first = useLoad(() => api.GET('/me/certificates', { params: { query: { limit: PAGE } } }), [api]);
  // Pages after the first, appended as the learner asks for them.
  const [more, setMore] = useState<{ certificates: Certificate[]; cursor: string | undefined }>();
  const [moreProblem, setMoreProblem] = useState<Problem>();
  const [loadingMore, setLoadingMore] = useState(false);

  if (first.status === 'loading')
    return (
      <>
        <h1>{t('title')}</h1>
        <p aria-live="polite">{t('loading')}</p>
      </>
    );
  if (first.status === 'failed')
    return (
      <>
        <h1>{t('title')}</h1>
        <ProblemAlert problem={first.problem} />
      </>
    );
  const certificates = [...first.data.certificates, ...(more?.certificates ?? [])];
  const cursor = more ? more.cursor : first.data.cursor;
  const loadMore = async () => {
    setLoadingMore(true);
    setMoreProblem(undefined);
    try {
      const r = await api.GET('/me/certificates', { params: { query: { limit: PAGE, cursor } } });
      if (r.data) {
        const page = r.data;
        setMore((m) => ({
          certificates: [...(m?.certificates ?? []), ...page.certificates],
          cursor: page.cursor,
        }));
      } else setMoreProblem(asProblem(r.error, r.response));
    } catch (e) {
      setMoreProblem(asProblem(e));
    }
    setLoadingMore(false);
  };
  return (
    <>
      <h1>{t('title')}</h1>
      {certificates.length === 0 ? (
        <p>{t('none')}</p>
      ) : (
        <ul className="certificates">
          {certificates.map((c) => (
            <CertificateCard key={c.number} certificate={c} />
          ))}
        </ul>
      )}
      <ProblemAlert problem={moreProblem} />
      {cursor ? (
        <button type="button" className="secondary" disabled={loadingMore} onClick={() => void loadMore()}>
          {loadingMore ? t('loading') : t('more')}
        </button>
      ) : null}
    </>
  );
}

function CertificateCard({ certificate: c }: { certificate: Certificate }) {
  const api = useApi();
  const apiUrl = useApiUrl();
  const t = useT(messages);
  const [downloading, setDownloading] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const headingId = `certificate-${c.number}`;
  const download = async () => {
    setDownloading(true);
    setProblem(undefined);
    try {
      const r = await api.GET('/certificates/{number}/download', { params: { path: { number: c.number } } });
      // The link works for a few minutes: followed at once, never kept.
      if (r.data) window.location.assign(r.data.url);
      else setProblem(asProblem(r.error, r.response));
    } catch (e) {
      setProblem(asProblem(e));
    }
    setDownloading(false);
  };
  return (
    <li className="certificate">
      <h2 id={headingId}>{c.courseTitle}</h2>
      <dl className="certificate-facts">
        <dt>{t('completedOn')}</dt>
        <dd>{c.completedOn}</dd>
        <dt>{t('number')}</dt>
        <dd className="certificate-number">{c.number}</dd>
        <dt>{t('hours')}</dt>
        <dd>{t('hoursValue', { n: c.hours })}</dd>
        {c.score !== null ? (
          <>
            <dt>{t('score')}</dt>
            <dd>{c.score}</dd>
          </>
        ) : null}
        <dt>{t('status')}</dt>
        <dd className={c.status === 'revoked' ? 'certificate-revoked' : 'certificate-valid'}>
          {c.status === 'revoked'
            ? `${t('revoked')}. ${t('revokedDetail', {
                date: c.revokedAt ? c.revokedAt.slice(0, 10) : '',
                reason: c.revocationReason ?? '',
              })}`
            : t('valid')}
        </dd>
      </dl>
      <div className="certificate-actions">
        {c.ready ? (
          <button
            type="button"
            disabled={downloading}
            aria-describedby={headingId}
            onClick={() => void download()}
          >
            {downloading ? t('downloading') : t('download')}
          </button>
        ) : (
          <p className="muted">{t('preparing')}</p>
        )}
        <a href={`${apiUrl}/verify/${c.number}`} aria-describedby={headingId}>
          {t('verify')}
        </a>
      </div>
      <ProblemAlert problem={problem} />
    </li>
  );
}
