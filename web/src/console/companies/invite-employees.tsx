import { useState, type FormEvent } from 'react';
import type { InvitationOutcome } from '#contracts/users';
import { useApi } from '../../api/api-context';
import { fieldError, type Problem } from '../../api/problem';
import { useT, type Messages } from '../../i18n';
import { DataTable, type Column } from '../../ui/data-table';
import { FieldError, ProblemAlert } from '../../ui/problem-alert';
import { asProblem } from '../../ui/use-load';
import { inviteeCsv, readInviteeFile } from './invitee-file';

/** The invitation routes' answer (lambda/users/invite-people.ts); the route table declares no response schema. */
interface InvitationAnswer {
  readonly invited: number;
  readonly existing: number;
  readonly invalid: number;
  readonly failed: number;
  readonly rows: readonly InvitationOutcome[];
}

/** The API takes at most this many invitees a request (MAX_INVITEES in contracts/users.ts). */
const CHUNK = 100;

/** One row of the manager's file, by its line there, with what became of it. */
interface FileRow {
  readonly line: number;
  readonly email: string;
  readonly name: string;
  readonly outcome: InvitationOutcome['outcome'] | 'skipped';
  readonly problems: readonly string[];
}

const messages: Messages<
  | 'invite'
  | 'one'
  | 'email'
  | 'name'
  | 'send'
  | 'sending'
  | 'emailInvalid'
  | 'nameInvalid'
  | 'oneInvited'
  | 'oneExisting'
  | 'oneFailed'
  | 'many'
  | 'file'
  | 'fileHint'
  | 'sendFile'
  | 'noFile'
  | 'emptyFile'
  | 'results'
  | 'summary'
  | 'line'
  | 'outcome'
  | 'problems'
  | 'invited'
  | 'existing'
  | 'invalid'
  | 'failed'
  | 'skipped'
  | 'missing'
> = {
  ko: {
    invite: '직원 초대',
    one: '한 명 초대',
    email: '이메일',
    name: '이름',
    send: '초대하기',
    sending: '보내는 중…',
    emailInvalid: '올바른 이메일 주소를 입력하세요.',
    nameInvalid: '이름을 1자 이상 100자 이하로 입력하세요.',
    oneInvited: '{email}님을 초대했습니다. 임시 비밀번호가 이메일로 전달됩니다.',
    oneExisting: '{email}님은 이미 계정이 있어 바로 직원이 되었습니다.',
    oneFailed: '{email}님을 초대하지 못했습니다. 잠시 후 다시 시도하세요.',
    many: 'CSV 파일로 여러 명 초대',
    file: 'CSV 파일',
    fileHint: '한 줄에 한 명: 이메일, 이름. 첫 줄에 email,name 같은 제목 줄이 있어도 됩니다.',
    sendFile: '파일의 직원 초대',
    noFile: 'CSV 파일을 고르세요.',
    emptyFile: '파일에 초대할 사람이 없습니다.',
    results: '초대 결과',
    summary: '초대 {invited}명, 기존 계정 {existing}명, 잘못된 행 {invalid}개, 실패 {failed}건',
    line: '줄',
    outcome: '결과',
    problems: '문제',
    invited: '초대함',
    existing: '기존 계정, 직원으로 등록',
    invalid: '잘못된 행',
    failed: '실패',
    skipped: '보내지 않음',
    missing: '이메일과 이름이 모두 있어야 합니다.',
  },
  en: {
    invite: 'Invite employees',
    one: 'Invite one person',
    email: 'E-mail',
    name: 'Name',
    send: 'Invite',
    sending: 'Sending…',
    emailInvalid: 'Enter a valid e-mail address.',
    nameInvalid: 'Enter a name of 1 to 100 characters.',
    oneInvited: '{email} is invited; their temporary password goes to them by e-mail.',
    oneExisting: '{email} already had an account and is an employee now.',
    oneFailed: '{email} could not be invited. Try again in a moment.',
    many: 'Invite many from a CSV file',
    file: 'CSV file',
    fileHint: 'One person a line: e-mail, name. A heading line such as email,name may come first.',
    sendFile: 'Invite the file’s people',
    noFile: 'Choose a CSV file.',
    emptyFile: 'The file holds nobody to invite.',
    results: 'Invitation results',
    summary: '{invited} invited, {existing} existing accounts, {invalid} invalid rows, {failed} failed',
    line: 'Line',
    outcome: 'Outcome',
    problems: 'Problems',
    invited: 'Invited',
    existing: 'Existing account, now an employee',
    invalid: 'Invalid row',
    failed: 'Failed',
    skipped: 'Not sent',
    missing: 'Needs both an e-mail address and a name.',
  },
};

/** Invites one person by e-mail, or many from a CSV file, and says what became of each. */
export function InviteEmployees({
  companyId,
  onInvited,
}: {
  companyId: string;
  onInvited: (subs: readonly string[]) => void;
}) {
  const t = useT(messages);
  return (
    <section aria-labelledby="invite-employees" className="invite-employees">
      <h2 id="invite-employees">{t('invite')}</h2>
      <InviteOne companyId={companyId} onInvited={onInvited} />
      <InviteFile companyId={companyId} onInvited={onInvited} />
    </section>
  );
}

function useInvite(companyId: string) {
  const api = useApi();
  return async (body: { invitees: { email: string; name: string }[] } | { csv: string }) => {
    const { data, error, response } = await api.POST('/invitations/employees', {
      body: { companyId, ...body },
    });
    if (!response.ok) throw asProblem(error, response);
    // The route answers JSON its table does not describe: the shape lambda/users/invite-people.ts returns.
    return data as unknown as InvitationAnswer;
  };
}

function InviteOne({
  companyId,
  onInvited,
}: {
  companyId: string;
  onInvited: (subs: readonly string[]) => void;
}) {
  const t = useT(messages);
  const invite = useInvite(companyId);
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<Problem | undefined>();
  const [sending, setSending] = useState(false);
  const [said, setSaid] = useState('');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    setSaid('');
    setSending(true);
    try {
      const answer = await invite({ invitees: [{ email: email.trim(), name: name.trim() }] });
      const outcome = answer.rows[0]?.outcome;
      const message =
        outcome === 'invited' ? 'oneInvited' : outcome === 'existing' ? 'oneExisting' : 'oneFailed';
      setSaid(t(message, { email: email.trim() }));
      if (outcome === 'invited' || outcome === 'existing') {
        setEmail('');
        setName('');
        onInvited(answer.rows.flatMap((r) => (r.sub ? [r.sub] : [])));
      }
    } catch (err) {
      setProblem(asProblem(err));
    } finally {
      setSending(false);
    }
  };
  const emailError =
    (fieldError(problem, 'body.invitees.0.email') || fieldError(problem, 'body.invitees')) &&
    t('emailInvalid');
  const nameError = fieldError(problem, 'body.invitees.0.name') && t('nameInvalid');
  return (
    <form className="console-form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="invite-one">
      <h3 id="invite-one">{t('one')}</h3>
      <div className="console-field">
        <label htmlFor="invite-email">{t('email')}</label>
        <input
          id="invite-email"
          type="email"
          autoComplete="off"
          value={email}
          maxLength={254}
          required
          onChange={(e) => setEmail(e.target.value)}
          aria-invalid={emailError ? true : undefined}
          aria-describedby={emailError ? 'invite-email-error' : undefined}
        />
        <FieldError id="invite-email-error" message={emailError} />
      </div>
      <div className="console-field">
        <label htmlFor="invite-name">{t('name')}</label>
        <input
          id="invite-name"
          autoComplete="off"
          value={name}
          maxLength={100}
          required
          onChange={(e) => setName(e.target.value)}
          aria-invalid={nameError ? true : undefined}
          aria-describedby={nameError ? 'invite-name-error' : undefined}
        />
        <FieldError id="invite-name-error" message={nameError} />
      </div>
      {problem && !emailError && !nameError ? <ProblemAlert problem={problem} /> : null}
      <button type="submit" disabled={sending}>
        {sending ? t('sending') : t('send')}
      </button>
      <p aria-live="polite" className="console-status">
        {said}
      </p>
    </form>
  );
}

function InviteFile({
  companyId,
  onInvited,
}: {
  companyId: string;
  onInvited: (subs: readonly string[]) => void;
}) {
  const t = useT(messages);
  const invite = useInvite(companyId);
  const [file, setFile] = useState<File | undefined>();
  const [fileError, setFileError] = useState<string | undefined>();
  const [problem, setProblem] = useState<Problem | undefined>();
  const [sending, setSending] = useState(false);
  const [results, setResults] = useState<FileRow[] | undefined>();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    setFileError(undefined);
    setResults(undefined);
    if (!file) {
      setFileError(t('noFile'));
      return;
    }
    const rows = readInviteeFile(await file.text());
    if (rows.length === 0) {
      setFileError(t('emptyFile'));
      return;
    }
    const incomplete = rows.filter((r) => !r.email || !r.name);
    const complete = rows.filter((r) => r.email && r.name);
    const outcomes: FileRow[] = incomplete.map((r) => ({
      ...r,
      outcome: 'invalid',
      problems: [t('missing')],
    }));
    const subs: string[] = [];
    setSending(true);
    try {
      for (let at = 0; at < complete.length; at += CHUNK) {
        const chunk = complete.slice(at, at + CHUNK);
        const csv = inviteeCsv(chunk);
        const answer = await invite({ csv });
        for (const o of answer.rows) {
          if (o.sub && (o.outcome === 'invited' || o.outcome === 'existing')) subs.push(o.sub);
          const row = chunk[o.row - 1];
          if (!row) continue;
          outcomes.push({
            ...row,
            outcome: o.outcome,
            problems: (o.errors ?? []).map(
              (p) => `${p.field.replace(/^row\.?/, '') || t('line')}: ${p.message}`,
            ),
          });
        }
      }
    } catch (err) {
      setProblem(asProblem(err));
    } finally {
      setSending(false);
    }
    // Rows a failed request never reached are said to be unsent, not lost.
    const answered = new Set(outcomes.map((o) => o.line));
    for (const r of complete)
      if (!answered.has(r.line)) outcomes.push({ ...r, outcome: 'skipped', problems: [] });
    setResults(outcomes.sort((a, b) => a.line - b.line));
    if (subs.length > 0) onInvited(subs);
  };

  const outcomeText = (o: FileRow['outcome']) => t(o);
  const columns: Column<FileRow>[] = [
    { key: 'line', header: t('line'), value: (r) => r.line, numeric: true },
    { key: 'email', header: t('email'), value: (r) => r.email },
    { key: 'name', header: t('name'), value: (r) => r.name },
    {
      key: 'outcome',
      header: t('outcome'),
      value: (r) => outcomeText(r.outcome),
      render: (r) => <span className={`outcome outcome-${r.outcome}`}>{outcomeText(r.outcome)}</span>,
    },
    { key: 'problems', header: t('problems'), value: (r) => r.problems.join('; ') },
  ];
  const count = (o: FileRow['outcome']) => results?.filter((r) => r.outcome === o).length ?? 0;
  const fileProblem =
    fileError ?? (fieldError(problem, 'body.csv') ? (problem?.detail ?? problem?.title) : undefined);
  return (
    <form className="console-form" onSubmit={(e) => void submit(e)} noValidate aria-labelledby="invite-many">
      <h3 id="invite-many">{t('many')}</h3>
      <div className="console-field">
        <label htmlFor="invite-file">{t('file')}</label>
        <input
          id="invite-file"
          type="file"
          accept=".csv,text/csv"
          onChange={(e) => {
            setFile(e.target.files?.[0]);
            setResults(undefined);
            setFileError(undefined);
          }}
          aria-invalid={fileProblem ? true : undefined}
          aria-describedby={fileProblem ? 'invite-file-hint invite-file-error' : 'invite-file-hint'}
        />
        <span id="invite-file-hint" className="muted">
          {t('fileHint')}
        </span>
        <FieldError id="invite-file-error" message={fileProblem} />
      </div>
      {problem && !fileProblem ? <ProblemAlert problem={problem} /> : null}
      <button type="submit" disabled={sending}>
        {sending ? t('sending') : t('sendFile')}
      </button>
      {results ? (
        <div className="invite-results">
          <p aria-live="polite">
            {t('summary', {
              invited: count('invited'),
              existing: count('existing'),
              invalid: count('invalid'),
              failed: count('failed') + count('skipped'),
            })}
          </p>
          <DataTable
            caption={t('results')}
            columns={columns}
            rows={results}
            rowKey={(r) => String(r.line)}
            fileName="invitation-results"
          />
        </div>
      ) : null}
    </form>
  );
}
