import { useState, type FormEvent } from 'react';
import { useApi } from '../../api/api-context';
import type { Problem } from '../../api/problem';
import type { paths } from '../../api/schema';
import { useLocale, useT, type Messages } from '../../i18n';
import { DataTable } from '../../ui/data-table';
import { FieldError, ProblemAlert } from '../../ui/problem-alert';
import { asProblem, useLoad } from '../../ui/use-load';
import { formatDay } from '../../ui/when';
import { ManagedInstitution } from './managed-institution';
import { checkReason, MAX_REASON, revocationRefusal } from './revocation';
import './insights.css';

type Page = paths['/certificates']['get']['responses'][200]['content']['application/json'];
type Certificate = Page['certificates'][number];

const PAGE = 100;

const messages: Messages<
  | 'title'
  | 'loading'
  | 'none'
  | 'number'
  | 'learner'
  | 'course'
  | 'completedOn'
  | 'score'
  | 'status'
  | 'valid'
  | 'revoked'
  | 'actions'
  | 'revoke'
  | 'revokeOf'
  | 'more'
  | 'confirmTitle'
  | 'confirmText'
  | 'reason'
  | 'reasonHint'
  | 'reasonEmpty'
  | 'reasonLong'
  | 'confirm'
  | 'revoking'
  | 'cancel'
  | 'done'
> = {
  ko: {
    title: '발급한 수료증',
    loading: '불러오는 중…',
    none: '아직 발급한 수료증이 없습니다. 수강생이 강좌를 수료하면 이곳에 나타납니다.',
    number: '수료증 번호',
    learner: '수강생',
    course: '강좌',
    completedOn: '수료일',
    score: '점수',
    status: '상태',
    valid: '유효',
    revoked: '취소됨',
    actions: '작업',
    revoke: '취소…',
    revokeOf: '수료증 {number} 취소…',
    more: '더 보기',
    confirmTitle: '수료증 {number} 취소',
    confirmText:
      '{learner}의 “{course}” 수료증을 취소합니다. 취소는 되돌릴 수 없고, 진위 확인 페이지에 사유와 함께 표시됩니다.',
    reason: '취소 사유',
    reasonHint: '수강생과 진위 확인 페이지에 보입니다. 500자까지.',
    reasonEmpty: '취소 사유를 적어 주세요.',
    reasonLong: '사유는 500자까지 적을 수 있습니다.',
    confirm: '수료증 취소',
    revoking: '취소하는 중…',
    cancel: '그만두기',
    done: '수료증 {number}을 취소했습니다.',
  },
  en: {
    title: 'Certificates issued',
    loading: 'Loading…',
    none: 'No certificate has been issued yet. They appear here as learners complete courses.',
    number: 'Certificate number',
    learner: 'Learner',
    course: 'Course',
    completedOn: 'Completed on',
    score: 'Score',
    status: 'Status',
    valid: 'Valid',
    revoked: 'Revoked',
    actions: 'Actions',
    revoke: 'Revoke…',
    revokeOf: 'Revoke certificate {number}…',
    more: 'Show more',
    confirmTitle: 'Revoke certificate {number}',
    confirmText:
      'This revokes the certificate of {learner} for “{course}”. It cannot be undone, and the verification page will show it as revoked, with the reason.',
    reason: 'Reason',
    reasonHint: 'The learner and the verification page see it. At most 500 characters.',
    reasonEmpty: 'Give a reason for the revocation.',
    reasonLong: 'The reason may be at most 500 characters long.',
    confirm: 'Revoke certificate',
    revoking: 'Revoking…',
    cancel: 'Cancel',
    done: 'Certificate {number} was revoked.',
  },
};

/** The certificates the institution issued, newest first, and their revocation with a reason. */
export default function CertificatesScreen() {
  const t = useT(messages);
  return (
    <ManagedInstitution title={t('title')}>
      {(institution) => <Certificates institutionId={institution.id} />}
    </ManagedInstitution>
  );
}

function Certificates({ institutionId }: { institutionId: string }) {
  const api = useApi();
  const t = useT(messages);
  const { locale } = useLocale();
  const first = useLoad(
    () => api.GET('/certificates', { params: { query: { institutionId, limit: PAGE } } }),
    [api, institutionId],
  );
  const [more, setMore] = useState<{ certificates: Certificate[]; cursor: string | undefined }>();
  const [moreProblem, setMoreProblem] = useState<Problem>();
  // Revoked here since the list was read: shown as the server answered, without reading every page again.
  const [changed, setChanged] = useState<Record<string, Certificate>>({});
  const [revoking, setRevoking] = useState<Certificate>();
  const [done, setDone] = useState('');

  if (first.status !== 'ready')
    return (
      <>
        <h1>{t('title')}</h1>
        {first.status === 'loading' ? <p aria-live="polite">{t('loading')}</p> : null}
        {first.status === 'failed' ? <ProblemAlert problem={first.problem} /> : null}
      </>
    );
  const certificates = [...first.data.certificates, ...(more?.certificates ?? [])].map(
    (c) => changed[c.number] ?? c,
  );
  const cursor = more ? more.cursor : first.data.cursor;
  const loadMore = async () => {
    setMoreProblem(undefined);
    try {
      const r = await api.GET('/certificates', { params: { query: { institutionId, limit: PAGE, cursor } } });
      if (!r.data) throw asProblem(r.error, r.response);
      const page = r.data;
      setMore((m) => ({
        certificates: [...(m?.certificates ?? []), ...page.certificates],
        cursor: page.cursor,
      }));
    } catch (e) {
      setMoreProblem(asProblem(e));
    }
  };
  return (
    <>
      <h1>{t('title')}</h1>
      <p aria-live="polite" className="muted">
        {done}
      </p>
      <DataTable<Certificate>
        caption={t('title')}
        fileName="certificates"
        rows={certificates}
        rowKey={(c) => c.number}
        empty={t('none')}
        columns={[
          {
            key: 'number',
            header: t('number'),
            value: (c) => c.number,
            render: (c) => <code>{c.number}</code>,
          },
          { key: 'learner', header: t('learner'), value: (c) => c.learnerName },
          { key: 'course', header: t('course'), value: (c) => c.courseTitle },
          {
            key: 'completedOn',
            header: t('completedOn'),
            value: (c) => c.completedOn,
            render: (c) => formatDay(c.completedOn, locale),
          },
          { key: 'score', header: t('score'), value: (c) => c.score, numeric: true },
          {
            key: 'status',
            header: t('status'),
            value: (c) => (c.status === 'revoked' ? t('revoked') : t('valid')),
          },
          {
            key: 'actions',
            header: t('actions'),
            value: () => null,
            render: (c) =>
              c.status === 'valid' ? (
                <button
                  type="button"
                  aria-label={t('revokeOf', { number: c.number })}
                  onClick={() => {
                    setDone('');
                    setRevoking(c);
                  }}
                >
                  {t('revoke')}
                </button>
              ) : null,
          },
        ]}
      />
      <ProblemAlert problem={moreProblem} />
      {cursor ? (
        <button type="button" className="secondary" onClick={() => void loadMore()}>
          {t('more')}
        </button>
      ) : null}
      {revoking ? (
        <RevocationForm
          key={revoking.number}
          certificate={revoking}
          onCancel={() => setRevoking(undefined)}
          onRevoked={(c) => {
            setChanged((m) => ({ ...m, [c.number]: c }));
            setRevoking(undefined);
            setDone(t('done', { number: c.number }));
          }}
        />
      ) : null}
    </>
  );
}

/** The confirm step: what is about to happen, the reason (required), and the refusal beside it. */
function RevocationForm({
  certificate: c,
  onCancel,
  onRevoked,
}: {
  certificate: Certificate;
  onCancel: () => void;
  onRevoked: (c: Certificate) => void;
}) {
  const api = useApi();
  const t = useT(messages);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string>();
  const [sending, setSending] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const checked = checkReason(reason);
    if (!checked.ok) {
      setError(checked.why === 'empty' ? t('reasonEmpty') : t('reasonLong'));
      return;
    }
    setError(undefined);
    setSending(true);
    try {
      const r = await api.POST('/certificates/{number}/revocation', {
        params: { path: { number: c.number } },
        body: { reason: checked.reason },
      });
      if (!r.data) throw asProblem(r.error, r.response);
      onRevoked(r.data);
    } catch (err) {
      setError(revocationRefusal(asProblem(err)));
    } finally {
      setSending(false);
    }
  };
  return (
    <form
      className="insights-confirm"
      aria-labelledby="revocation-title"
      onSubmit={(e) => void submit(e)}
      noValidate
    >
      <h2 id="revocation-title">{t('confirmTitle', { number: c.number })}</h2>
      <p>{t('confirmText', { learner: c.learnerName, course: c.courseTitle })}</p>
      <div className="insights-field">
        <label htmlFor="revocation-reason">{t('reason')}</label>
        <textarea
          id="revocation-reason"
          value={reason}
          rows={3}
          required
          maxLength={MAX_REASON + 50}
          onChange={(e) => setReason(e.target.value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={
            error ? 'revocation-reason-error revocation-reason-hint' : 'revocation-reason-hint'
          }
        />
        <span id="revocation-reason-hint" className="muted">
          {t('reasonHint')}
        </span>
        <FieldError id="revocation-reason-error" message={error} />
      </div>
      <div className="insights-actions">
        <button type="submit" disabled={sending}>
          {sending ? t('revoking') : t('confirm')}
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          {t('cancel')}
        </button>
      </div>
    </form>
  );
}
