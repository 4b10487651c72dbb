import { useId, useState } from 'react';
import { useApi } from '../../api/api-context';
import { fieldError, type Problem } from '../../api/problem';
import type { paths } from '../../api/schema';
import { useT, type Locale, type Messages } from '../../i18n';
import { FieldError, ProblemAlert } from '../../ui/problem-alert';
import { asProblem } from '../../ui/use-load';
import { formatDay } from '../../ui/when';
// The console forms' shared look (fields, row actions) is the company screens'.
import '../companies/companies.css';
import './provisions.css';

export type Provision =
  paths['/provisions/{provisionId}']['get']['responses'][200]['content']['application/json'];
export type ProvisionState = Provision['state'];

export const stateMessages: Messages<ProvisionState> = {
  ko: { requested: '검토 중', accepted: '승인됨', rejected: '거절됨' },
  en: { requested: 'Waiting for a decision', accepted: 'Accepted', rejected: 'Rejected' },
};

export const period = (p: { startsOn: string; endsOn: string }, locale: Locale) =>
  `${formatDay(p.startsOn, locale)} ~ ${formatDay(p.endsOn, locale)}`;

/** The state as a badge whose words say it (colour only repeats them). */
export function StateBadge({ state }: { state: ProvisionState }) {
  const t = useT(stateMessages);
  return <span className={`state state-${state}`}>{t(state)}</span>;
}

const decisionMessages: Messages<
  | 'reason'
  | 'reasonHint'
  | 'reasonRequired'
  | 'accept'
  | 'reject'
  | 'acceptOf'
  | 'rejectOf'
  | 'deciding'
  | 'accepted'
  | 'rejected'
> = {
  ko: {
    reason: '사유',
    reasonHint: '거절할 때는 사유를 적어야 합니다. 회사 담당자에게 전달됩니다.',
    reasonRequired: '거절 사유를 적으세요 (1000자 이내).',
    accept: '승인',
    reject: '거절',
    acceptOf: '{what} 승인',
    rejectOf: '{what} 거절',
    deciding: '처리하는 중…',
    accepted: '승인했습니다.',
    rejected: '거절했습니다.',
  },
  en: {
    reason: 'Reason',
    reasonHint: 'A rejection needs a reason; the company’s managers read it.',
    reasonRequired: 'Give the reason for rejecting (at most 1000 characters).',
    accept: 'Accept',
    reject: 'Reject',
    acceptOf: 'Accept {what}',
    rejectOf: 'Reject {what}',
    deciding: 'Deciding…',
    accepted: 'Accepted.',
    rejected: 'Rejected.',
  },
};

/**
 * The institution manager's answer to a request: accept (a reason optional) or reject (a reason required,
 * refused beside the field when missing). `what` names the request for the buttons' accessible names.
 */
export function DecisionForm({
  provisionId,
  what,
  onDecided,
}: {
  provisionId: string;
  what: string;
  onDecided: (p: Provision) => void;
}) {
  const api = useApi();
  const t = useT(decisionMessages);
  const id = useId();
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<Problem | undefined>();
  const [deciding, setDeciding] = useState(false);
  const [said, setSaid] = useState('');

  const decide = async (decision: 'accepted' | 'rejected') => {
    setProblem(undefined);
    setSaid('');
    setDeciding(true);
    const trimmed = reason.trim();
    try {
      const { data, error, response } = await api.POST('/provisions/{provisionId}/decision', {
        params: { path: { provisionId } },
        body:
          decision === 'accepted'
            ? { decision, ...(trimmed ? { reason: trimmed } : {}) }
            : { decision, reason: trimmed },
      });
      if (!data) throw asProblem(error, response);
      setSaid(t(decision));
      onDecided(data);
    } catch (err) {
      setProblem(asProblem(err));
    } finally {
      setDeciding(false);
    }
  };
  const reasonError = fieldError(problem, 'body.reason') && t('reasonRequired');
  return (
    <form className="decision-form" onSubmit={(e) => e.preventDefault()} noValidate>
      <div className="console-field">
        <label htmlFor={`${id}-reason`}>{t('reason')}</label>
        <textarea
          id={`${id}-reason`}
          rows={2}
          maxLength={1000}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          aria-invalid={reasonError ? true : undefined}
          aria-describedby={`${id}-hint${reasonError ? ` ${id}-error` : ''}`}
        />
        <span id={`${id}-hint`} className="muted">
          {t('reasonHint')}
        </span>
        <FieldError id={`${id}-error`} message={reasonError} />
      </div>
      {problem && !reasonError ? <ProblemAlert problem={problem} /> : null}
      <div className="row-actions">
        <button
          type="button"
          disabled={deciding}
          aria-label={t('acceptOf', { what })}
          onClick={() => void decide('accepted')}
        >
          {t('accept')}
        </button>
        <button
          type="button"
          className="danger"
          disabled={deciding}
          aria-label={t('rejectOf', { what })}
          onClick={() => void decide('rejected')}
        >
          {t('reject')}
        </button>
      </div>
      <p aria-live="polite" className="console-status">
        {deciding ? t('deciding') : said}
      </p>
    </form>
  );
}
