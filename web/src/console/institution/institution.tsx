import { useState, type FormEvent } from 'react';
import type { InvitationOutcome } from '#contracts/users';
import { useApi } from '../../api/api-context';
import { fieldError, type Problem } from '../../api/problem';
import type { paths } from '../../api/schema';
import { useLocale, useT, type Messages } from '../../i18n';
import { useMe } from '../../session/session';
import { DataTable } from '../../ui/data-table';
import { ProblemAlert } from '../../ui/problem-alert';
import { asProblem, useLoad } from '../../ui/use-load';
import { formatMoment } from '../../ui/when';
import { ManagedInstitution } from './managed-institution';
import { TextField } from './text-field';
import './insights.css';

type Institution =
  paths['/institutions/{institutionId}']['get']['responses'][200]['content']['application/json'];
type Member =
  paths['/institutions/{institutionId}/members']['get']['responses'][200]['content']['application/json'][number];
type Role = Member['role'];

/** What POST /invitations/instructors answers (lambda/users/invite-people.ts). */
interface InvitationAnswer {
  readonly invited: number;
  readonly existing: number;
  readonly invalid: number;
  readonly failed: number;
  readonly rows: readonly InvitationOutcome[];
}

const PROFILE_FIELDS = [
  'name',
  'ownerName',
  'businessNumber',
  'certificationNumber',
  'contactEmail',
  'contactPhone',
] as const;
type ProfileField = (typeof PROFILE_FIELDS)[number];

const messages: Messages<
  | 'title'
  | 'loading'
  | 'profile'
  | ProfileField
  | 'save'
  | 'saving'
  | 'saved'
  | 'unchanged'
  | 'members'
  | 'userSub'
  | 'role'
  | 'since'
  | 'actions'
  | 'institution-manager'
  | 'instructor'
  | 'roleOf'
  | 'remove'
  | 'removeOf'
  | 'confirmRemove'
  | 'keep'
  | 'you'
  | 'noMembers'
  | 'addMember'
  | 'addMemberHint'
  | 'add'
  | 'invite'
  | 'inviteHint'
  | 'inviteName'
  | 'inviteEmail'
  | 'send'
  | 'invited'
  | 'existing'
  | 'notInvited'
  | 'changed'
  | 'removed'
> = {
  ko: {
    title: '기관 정보와 구성원',
    loading: '불러오는 중…',
    profile: '기관 정보',
    name: '기관명',
    ownerName: '대표자',
    businessNumber: '사업자등록번호',
    certificationNumber: '훈련기관 인증번호',
    contactEmail: '연락처 이메일',
    contactPhone: '연락처 전화',
    save: '기관 정보 저장',
    saving: '저장하는 중…',
    saved: '저장했습니다.',
    unchanged: '바뀐 내용이 없습니다.',
    members: '구성원',
    userSub: '사용자 ID',
    role: '역할',
    since: '등록',
    actions: '작업',
    'institution-manager': '관리자',
    instructor: '강사',
    roleOf: '{sub}의 역할',
    remove: '내보내기',
    removeOf: '{sub} 내보내기',
    confirmRemove: '{sub}을 정말 내보내기',
    keep: '그대로 두기',
    you: '(나)',
    noMembers: '구성원이 없습니다.',
    addMember: '사용자 ID로 구성원 추가',
    addMemberHint: '상대가 설정 화면에서 보는 사용자 ID입니다.',
    add: '추가',
    invite: '강사 초대',
    inviteHint: '이메일로 초대장과 임시 비밀번호를 보냅니다.',
    inviteName: '이름',
    inviteEmail: '이메일',
    send: '초대 보내기',
    invited: '{email}에게 초대장을 보냈습니다. 계정이 만들어지면 구성원이 됩니다.',
    existing: '{email}은 이미 계정이 있어 강사로 추가했습니다.',
    notInvited: '{email}을 초대하지 못했습니다. 다시 보내도 됩니다.',
    changed: '{sub}의 역할을 바꿨습니다.',
    removed: '{sub}을 내보냈습니다.',
  },
  en: {
    title: 'Profile and members',
    loading: 'Loading…',
    profile: 'Profile',
    name: 'Name',
    ownerName: 'Owner',
    businessNumber: 'Business number',
    certificationNumber: 'Certification number',
    contactEmail: 'Contact e-mail',
    contactPhone: 'Contact phone',
    save: 'Save profile',
    saving: 'Saving…',
    saved: 'Saved.',
    unchanged: 'Nothing has changed.',
    members: 'Members',
    userSub: 'User id',
    role: 'Role',
    since: 'Since',
    actions: 'Actions',
    'institution-manager': 'Manager',
    instructor: 'Instructor',
    roleOf: 'Role of {sub}',
    remove: 'Remove',
    removeOf: 'Remove {sub}',
    confirmRemove: 'Yes, remove {sub}',
    keep: 'Keep',
    you: '(you)',
    noMembers: 'There are no members.',
    addMember: 'Add a member by user id',
    addMemberHint: 'The user id they see on their settings screen.',
    add: 'Add',
    invite: 'Invite an instructor',
    inviteHint: 'They receive an invitation and a temporary password by e-mail.',
    inviteName: 'Name',
    inviteEmail: 'E-mail',
    send: 'Send invitation',
    invited: 'An invitation was sent to {email}. They join the members once their account is made.',
    existing: '{email} already had an account and is now an instructor.',
    notInvited: '{email} could not be invited; sending again is safe.',
    changed: 'The role of {sub} was changed.',
    removed: '{sub} was removed.',
  },
};

/** The institution's profile, its members and their roles, and invitations for instructors. */
export default function InstitutionScreen() {
  const t = useT(messages);
  return (
    <ManagedInstitution title={t('title')}>
      {(institution) => (
        <>
          <h1>{t('title')}</h1>
          <ProfileSection institutionId={institution.id} />
          <MembersSection institutionId={institution.id} />
        </>
      )}
    </ManagedInstitution>
  );
}

function ProfileSection({ institutionId }: { institutionId: string }) {
  const api = useApi();
  const t = useT(messages);
  const profile = useLoad(
    () => api.GET('/institutions/{institutionId}', { params: { path: { institutionId } } }),
    [api, institutionId],
  );
  return (
    <section aria-labelledby="institution-profile" className="insights-section">
      <h2 id="institution-profile">{t('profile')}</h2>
      {profile.status === 'loading' ? <p aria-live="polite">{t('loading')}</p> : null}
      {profile.status === 'failed' ? <ProblemAlert problem={profile.problem} /> : null}
      {profile.status === 'ready' ? <ProfileForm loaded={profile.data} /> : null}
    </section>
  );
}

function ProfileForm({ loaded }: { loaded: Institution }) {
  const api = useApi();
  const t = useT(messages);
  const [saved, setSaved] = useState(loaded);
  const [draft, setDraft] = useState<Record<ProfileField, string>>(() => pick(loaded));
  const [problem, setProblem] = useState<Problem>();
  const [state, setState] = useState<'idle' | 'saving' | 'saved' | 'unchanged'>('idle');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    // Only what changed is sent: the API changes the fields named and leaves the others.
    const change = Object.fromEntries(
      PROFILE_FIELDS.filter((f) => draft[f] !== saved[f]).map((f) => [f, draft[f]]),
    );
    setProblem(undefined);
    if (Object.keys(change).length === 0) {
      setState('unchanged');
      return;
    }
    setState('saving');
    const { data, error, response } = await api
      .PATCH('/institutions/{institutionId}', {
        params: { path: { institutionId: loaded.id } },
        body: change,
      })
      .catch((err: unknown) => ({ data: undefined, error: err, response: undefined }));
    if (data) {
      setSaved(data);
      setDraft(pick(data));
      setState('saved');
    } else {
      setProblem(asProblem(error, response));
      setState('idle');
    }
  };
  const errors = Object.fromEntries(
    PROFILE_FIELDS.map((f) => [f, fieldError(problem, `body.${f}`)]),
  ) as Record<ProfileField, string | undefined>;
  const otherProblem = problem && PROFILE_FIELDS.every((f) => !errors[f]) ? problem : undefined;
  return (
    <form className="insights-form" onSubmit={(e) => void submit(e)} noValidate>
      {PROFILE_FIELDS.map((f) => (
        <TextField
          key={f}
          id={`institution-${f}`}
          label={t(f)}
          value={draft[f]}
          onChange={(v) => setDraft({ ...draft, [f]: v })}
          error={errors[f]}
          type={f === 'contactEmail' ? 'email' : f === 'contactPhone' ? 'tel' : 'text'}
          autoComplete={f === 'contactEmail' ? 'email' : f === 'contactPhone' ? 'tel' : 'off'}
        />
      ))}
      <div className="insights-actions">
        <ProblemAlert problem={otherProblem} />
        <button type="submit" disabled={state === 'saving'}>
          {t('save')}
        </button>
        <span aria-live="polite" className="muted">
          {state === 'saving'
            ? t('saving')
            : state === 'saved'
              ? t('saved')
              : state === 'unchanged'
                ? t('unchanged')
                : ''}
        </span>
      </div>
    </form>
  );
}

const pick = (i: Institution) =>
  Object.fromEntries(PROFILE_FIELDS.map((f) => [f, i[f]])) as Record<ProfileField, string>;

function MembersSection({ institutionId }: { institutionId: string }) {
  const api = useApi();
  const t = useT(messages);
  const { locale } = useLocale();
  const me = useMe();
  const members = useLoad(
    () => api.GET('/institutions/{institutionId}/members', { params: { path: { institutionId } } }),
    [api, institutionId],
  );
  const [problem, setProblem] = useState<Problem>();
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState(false);
  const [removing, setRemoving] = useState<string>();

  /** One change of a member; the list is read again afterwards, as the server now has it. */
  const act = async (
    call: () => Promise<{ error?: unknown; response: Response }>,
    success: string,
  ): Promise<boolean> => {
    setBusy(true);
    setProblem(undefined);
    setDone('');
    try {
      const { error, response } = await call();
      if (!response.ok) throw asProblem(error, response);
      setDone(success);
      members.reload();
      return true;
    } catch (err) {
      setProblem(asProblem(err));
      return false;
    } finally {
      setBusy(false);
    }
  };
  const path = (userSub: string) => ({ params: { path: { institutionId, userSub } } });
  const setRole = (userSub: string, role: Role) =>
    act(
      () => api.PUT('/institutions/{institutionId}/members/{userSub}', { ...path(userSub), body: { role } }),
      t('changed', { sub: userSub }),
    );
  const remove = (userSub: string) =>
    act(
      () => api.DELETE('/institutions/{institutionId}/members/{userSub}', path(userSub)),
      t('removed', { sub: userSub }),
    );

  return (
    <section aria-labelledby="institution-members" className="insights-section">
      <h2 id="institution-members">{t('members')}</h2>
      <ProblemAlert problem={problem} />
      <p aria-live="polite" className="muted">
        {done}
      </p>
      {members.status === 'loading' ? <p aria-live="polite">{t('loading')}</p> : null}
      {members.status === 'failed' ? <ProblemAlert problem={members.problem} /> : null}
      {members.status === 'ready' ? (
        <DataTable<Member>
          caption={t('members')}
          fileName="members"
          rows={members.data}
          rowKey={(m) => m.userSub}
          empty={t('noMembers')}
          columns={[
            {
              key: 'userSub',
              header: t('userSub'),
              value: (m) => m.userSub,
              render: (m) => (
                <>
                  <code>{m.userSub}</code> {m.userSub === me.sub ? t('you') : null}
                </>
              ),
            },
            {
              key: 'role',
              header: t('role'),
              value: (m) => t(m.role),
              render: (m) => (
                <select
                  aria-label={t('roleOf', { sub: m.userSub })}
                  value={m.role}
                  disabled={busy}
                  onChange={(e) => void setRole(m.userSub, e.target.value as Role)}
                >
                  <option value="institution-manager">{t('institution-manager')}</option>
                  <option value="instructor">{t('instructor')}</option>
                </select>
              ),
            },
            {
              key: 'since',
              header: t('since'),
              value: (m) => m.createdAt,
              render: (m) => formatMoment(m.createdAt, locale),
            },
            {
              key: 'actions',
              header: t('actions'),
              value: () => null,
              // Removing is a second click on a button that says what it does: a slip removes nobody.
              render: (m) =>
                removing === m.userSub ? (
                  <span className="insights-row-actions">
                    <button
                      type="button"
                      disabled={busy}
                      onClick={() => void remove(m.userSub).then(() => setRemoving(undefined))}
                    >
                      {t('confirmRemove', { sub: m.userSub })}
                    </button>
                    <button type="button" className="secondary" onClick={() => setRemoving(undefined)}>
                      {t('keep')}
                    </button>
                  </span>
                ) : (
                  <button
                    type="button"
                    disabled={busy}
                    aria-label={t('removeOf', { sub: m.userSub })}
                    onClick={() => setRemoving(m.userSub)}
                  >
                    {t('remove')}
                  </button>
                ),
            },
          ]}
        />
      ) : null}
      <AddMemberForm onAdd={setRole} busy={busy} />
      <InviteForm institutionId={institutionId} onInvited={members.reload} />
    </section>
  );
}

function AddMemberForm({
  onAdd,
  busy,
}: {
  onAdd: (sub: string, role: Role) => Promise<boolean>;
  busy: boolean;
}) {
  const t = useT(messages);
  const [sub, setSub] = useState('');
  const [role, setRole] = useState<Role>('instructor');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (await onAdd(sub.trim(), role)) setSub('');
  };
  return (
    <form
      className="insights-form insights-section"
      onSubmit={(e) => void submit(e)}
      aria-labelledby="institution-add"
    >
      <h3 id="institution-add" className="insights-actions">
        {t('addMember')}
      </h3>
      <TextField
        id="institution-add-sub"
        label={t('userSub')}
        value={sub}
        onChange={setSub}
        error={undefined}
        hint={t('addMemberHint')}
        required
      />
      <div className="insights-field">
        <label htmlFor="institution-add-role">{t('role')}</label>
        <select id="institution-add-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
          <option value="instructor">{t('instructor')}</option>
          <option value="institution-manager">{t('institution-manager')}</option>
        </select>
      </div>
      <div className="insights-actions">
        <button type="submit" disabled={busy || sub.trim() === ''}>
          {t('add')}
        </button>
      </div>
    </form>
  );
}

function InviteForm({ institutionId, onInvited }: { institutionId: string; onInvited: () => void }) {
  const api = useApi();
  const t = useT(messages);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [problem, setProblem] = useState<Problem>();
  const [outcome, setOutcome] = useState('');
  const [sending, setSending] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    setOutcome('');
    setSending(true);
    try {
      const { data, error, response } = await api.POST('/invitations/instructors', {
        body: { institutionId, invitees: [{ name: name.trim(), email: email.trim() }] },
      });
      if (!response.ok) throw asProblem(error, response);
      // The route's answer is not described in the API's schema: read it as invite-people.ts writes it.
      const row = (data as unknown as InvitationAnswer | undefined)?.rows?.[0];
      const sent = row?.email ?? email.trim();
      setOutcome(
        row?.outcome === 'invited'
          ? t('invited', { email: sent })
          : row?.outcome === 'existing'
            ? t('existing', { email: sent })
            : t('notInvited', { email: sent }),
      );
      if (row?.outcome === 'invited' || row?.outcome === 'existing') {
        setName('');
        setEmail('');
        onInvited();
      }
    } catch (err) {
      setProblem(asProblem(err));
    } finally {
      setSending(false);
    }
  };
  // The API names an invitee's fields by their place in the list it was sent.
  const nameError = fieldError(problem, 'body.invitees.0.name');
  const emailError = fieldError(problem, 'body.invitees.0.email');
  return (
    <form
      className="insights-form insights-section"
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-labelledby="institution-invite"
    >
      <h3 id="institution-invite" className="insights-actions">
        {t('invite')}
      </h3>
      <p className="muted insights-actions">{t('inviteHint')}</p>
      <TextField
        id="institution-invite-name"
        label={t('inviteName')}
        value={name}
        onChange={setName}
        error={nameError}
        autoComplete="off"
      />
      <TextField
        id="institution-invite-email"
        label={t('inviteEmail')}
        type="email"
        value={email}
        onChange={setEmail}
        error={emailError}
        autoComplete="off"
      />
      <div className="insights-actions">
        <ProblemAlert problem={problem && !nameError && !emailError ? problem : undefined} />
        <button type="submit" disabled={sending}>
          {t('send')}
        </button>
        <span aria-live="polite">{outcome}</span>
      </div>
    </form>
  );
}
