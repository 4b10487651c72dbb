import { useState, type FormEvent } from 'react';
import { useApi } from '../../api/api-context';
import { fieldError, type Problem } from '../../api/problem';
import type { paths } from '../../api/schema';
import { useLocale, useT, type Messages } from '../../i18n';
import { useSession } from '../../session/session';
import { DataTable } from '../../ui/data-table';
import { ProblemAlert } from '../../ui/problem-alert';
import { asProblem, useLoad } from '../../ui/use-load';
import { formatMoment } from '../../ui/when';
import { TextField } from '../institution/text-field';
import '../institution/insights.css';

type InstitutionPage = paths['/institutions']['get']['responses'][200]['content']['application/json'];
type InstitutionRow = InstitutionPage['institutions'][number];
type CompanyPage = paths['/companies']['get']['responses'][200]['content']['application/json'];
type CompanyRow = CompanyPage['companies'][number];
type InstitutionInput = paths['/institutions']['post']['requestBody']['content']['application/json'];
type CompanyInput = paths['/companies']['post']['requestBody']['content']['application/json'];

const messages: Messages<
  | 'title'
  | 'notAdmin'
  | 'loading'
  | 'more'
  | 'institutions'
  | 'companies'
  | 'name'
  | 'ownerName'
  | 'businessNumber'
  | 'certificationNumber'
  | 'contactEmail'
  | 'contactPhone'
  | 'email'
  | 'phone'
  | 'managers'
  | 'created'
  | 'id'
  | 'noInstitutions'
  | 'noCompanies'
  | 'newInstitution'
  | 'newCompany'
  | 'register'
  | 'registered'
  | 'managersOf'
  | 'find'
  | 'current'
  | 'noManager'
  | 'institution'
  | 'company'
  | 'choose'
  | 'userSub'
  | 'userSubHint'
  | 'assign'
  | 'unassign'
  | 'assigned'
  | 'unassigned'
  | 'search'
> = {
  ko: {
    title: '기관과 회사',
    notAdmin: '이 화면은 플랫폼 관리자만 볼 수 있습니다.',
    loading: '불러오는 중…',
    more: '더 보기',
    institutions: '교육기관',
    companies: '회사',
    name: '이름',
    ownerName: '대표자',
    businessNumber: '사업자등록번호',
    certificationNumber: '훈련기관 인증번호',
    contactEmail: '연락처 이메일',
    contactPhone: '연락처 전화',
    email: '이메일',
    phone: '전화',
    managers: '관리자 (사용자 ID)',
    created: '등록',
    id: 'ID',
    noInstitutions: '등록된 교육기관이 없습니다.',
    noCompanies: '등록된 회사가 없습니다.',
    newInstitution: '교육기관 등록',
    newCompany: '회사 등록',
    register: '등록',
    registered: '“{name}”을 등록했습니다. 이제 관리자를 지정하세요.',
    managersOf: '{kind} 관리자 지정',
    find: '찾기',
    current: '지금 관리자',
    noManager: '아직 관리자가 없습니다.',
    institution: '교육기관',
    company: '회사',
    choose: '선택하세요',
    userSub: '사용자 ID',
    userSubHint: '상대가 설정 화면에서 보는 사용자 ID입니다.',
    assign: '관리자로 지정',
    unassign: '관리자 해제',
    assigned: '{sub}을 “{name}”의 관리자로 지정했습니다.',
    unassigned: '{sub}을 “{name}”의 관리자에서 해제했습니다.',
    search: '회사 이름으로 찾기',
  },
  en: {
    title: 'Institutions and companies',
    notAdmin: 'Only platform admins see this screen.',
    loading: 'Loading…',
    more: 'Show more',
    institutions: 'Institutions',
    companies: 'Companies',
    name: 'Name',
    ownerName: 'Owner',
    businessNumber: 'Business number',
    certificationNumber: 'Certification number',
    contactEmail: 'Contact e-mail',
    contactPhone: 'Contact phone',
    email: 'E-mail',
    phone: 'Phone',
    managers: 'Managers (user ids)',
    created: 'Registered',
    id: 'Id',
    noInstitutions: 'No institution is registered.',
    noCompanies: 'No company is registered.',
    newInstitution: 'Register an institution',
    newCompany: 'Register a company',
    register: 'Register',
    registered: '“{name}” is registered. Now name its manager.',
    managersOf: '{kind} managers',
    find: 'Find',
    current: 'Managers now',
    noManager: 'No manager yet.',
    institution: 'Institution',
    company: 'Company',
    choose: 'Choose one',
    userSub: 'User id',
    userSubHint: 'The user id they see on their settings screen.',
    assign: 'Make manager',
    unassign: 'Unassign manager',
    assigned: '{sub} now manages “{name}”.',
    unassigned: '{sub} no longer manages “{name}”.',
    search: 'Find companies by name',
  },
};

/** The platform admin's screen: the institutions and companies, registering them, and who manages them. */
export default function AdminScreen() {
  const t = useT(messages);
  const { state } = useSession();
  const isAdmin = state.status === 'signed-in' && state.me.roles.includes('platform-admin');
  return (
    <>
      <h1>{t('title')}</h1>
      {isAdmin ? (
        <>
          <InstitutionsSection />
          <CompaniesSection />
        </>
      ) : (
        <p>{t('notAdmin')}</p>
      )}
    </>
  );
}

/** Pages of a listing after its first, kept until the first is read again. */
function usePages<T>() {
  const [more, setMore] = useState<{ rows: T[]; cursor: string | undefined }>();
  const [problem, setProblem] = useState<Problem>();
  const load = async (
    call: () => Promise<{ data?: { cursor?: string }; error?: unknown; response: Response }>,
    rowsOf: (page: never) => T[],
  ) => {
    setProblem(undefined);
    try {
      const r = await call();
      if (!r.data) throw asProblem(r.error, r.response);
      const page = r.data;
      setMore((m) => ({ rows: [...(m?.rows ?? []), ...rowsOf(page as never)], cursor: page.cursor }));
    } catch (e) {
      setProblem(asProblem(e));
    }
  };
  return { more, problem, load, reset: () => setMore(undefined) };
}

function InstitutionsSection() {
  const api = useApi();
  const t = useT(messages);
  const { locale } = useLocale();
  const first = useLoad(() => api.GET('/institutions', { params: { query: { limit: 50 } } }), [api]);
  const pages = usePages<InstitutionRow>();
  const reload = () => {
    pages.reset();
    first.reload();
  };
  const rows = first.status === 'ready' ? [...first.data.institutions, ...(pages.more?.rows ?? [])] : [];
  const cursor = pages.more ? pages.more.cursor : first.status === 'ready' ? first.data.cursor : undefined;
  const [justMade, setJustMade] = useState<string>();
  return (
    <section aria-labelledby="admin-institutions" className="insights-section">
      <h2 id="admin-institutions">{t('institutions')}</h2>
      {first.status === 'loading' ? <p aria-live="polite">{t('loading')}</p> : null}
      {first.status === 'failed' ? <ProblemAlert problem={first.problem} /> : null}
      {first.status === 'ready' ? (
        <DataTable<InstitutionRow>
          caption={t('institutions')}
          fileName="institutions"
          rows={rows}
          rowKey={(r) => r.id}
          empty={t('noInstitutions')}
          columns={[
            { key: 'name', header: t('name'), value: (r) => r.name },
            { key: 'businessNumber', header: t('businessNumber'), value: (r) => r.businessNumber },
            { key: 'contactEmail', header: t('contactEmail'), value: (r) => r.contactEmail },
            {
              key: 'managers',
              header: t('managers'),
              value: (r) => r.managerSubs.join(' '),
              render: (r) => (
                <ul className="admin-subs">
                  {r.managerSubs.map((s) => (
                    <li key={s}>
                      <code>{s}</code>
                    </li>
                  ))}
                </ul>
              ),
            },
            {
              key: 'created',
              header: t('created'),
              value: (r) => r.createdAt,
              render: (r) => formatMoment(r.createdAt, locale),
            },
          ]}
        />
      ) : null}
      <ProblemAlert problem={pages.problem} />
      {cursor ? (
        <button
          type="button"
          className="secondary"
          onClick={() =>
            void pages.load(
              () => api.GET('/institutions', { params: { query: { limit: 50, cursor } } }),
              (p: InstitutionPage) => p.institutions,
            )
          }
        >
          {t('more')}
        </button>
      ) : null}
      <ManagerForm
        kind="institution"
        options={rows}
        selected={justMade}
        assign={(id, userSub) =>
          api.PUT('/institutions/{institutionId}/managers/{userSub}', {
            params: { path: { institutionId: id, userSub } },
          })
        }
        unassign={(id, userSub) =>
          api.DELETE('/institutions/{institutionId}/managers/{userSub}', {
            params: { path: { institutionId: id, userSub } },
          })
        }
        managers={async (id) => {
          const r = await api.GET('/institutions/{institutionId}/members', {
            params: { path: { institutionId: id } },
          });
          return {
            ...r,
            data: r.data?.filter((m) => m.role === 'institution-manager').map((m) => m.userSub),
          };
        }}
        onChanged={reload}
      />
      <RegistrationForm<InstitutionInput>
        id="admin-new-institution"
        title={t('newInstitution')}
        fields={[
          'name',
          'ownerName',
          'businessNumber',
          'certificationNumber',
          'contactEmail',
          'contactPhone',
        ]}
        post={(body) => api.POST('/institutions', { body })}
        onRegistered={(id) => {
          setJustMade(id);
          reload();
        }}
      />
    </section>
  );
}

function CompaniesSection() {
  const api = useApi();
  const t = useT(messages);
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const first = useLoad(
    () => api.GET('/companies', { params: { query: { limit: 50, ...(query ? { search: query } : {}) } } }),
    [api, query],
  );
  const pages = usePages<CompanyRow>();
  const reload = () => {
    pages.reset();
    first.reload();
  };
  const rows = first.status === 'ready' ? [...first.data.companies, ...(pages.more?.rows ?? [])] : [];
  const cursor = pages.more ? pages.more.cursor : first.status === 'ready' ? first.data.cursor : undefined;
  const [justMade, setJustMade] = useState<string>();
  const searchError = first.status === 'failed' ? fieldError(first.problem, 'query.search') : undefined;
  return (
    <section aria-labelledby="admin-companies" className="insights-section">
      <h2 id="admin-companies">{t('companies')}</h2>
      <form
        className="insights-form"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          pages.reset();
          setQuery(search.trim());
        }}
      >
        <TextField
          id="admin-company-search"
          label={t('search')}
          value={search}
          onChange={setSearch}
          error={searchError}
        />
        <div className="insights-actions">
          <button type="submit">{t('find')}</button>
        </div>
      </form>
      {first.status === 'loading' ? <p aria-live="polite">{t('loading')}</p> : null}
      {first.status === 'failed' && !searchError ? <ProblemAlert problem={first.problem} /> : null}
      {first.status === 'ready' ? (
        <DataTable<CompanyRow>
          caption={t('companies')}
          fileName="companies"
          rows={rows}
          rowKey={(r) => r.id}
          empty={t('noCompanies')}
          columns={[
            { key: 'name', header: t('name'), value: (r) => r.name },
            { key: 'id', header: t('id'), value: (r) => r.id, render: (r) => <code>{r.id}</code> },
          ]}
        />
      ) : null}
      <ProblemAlert problem={pages.problem} />
      {cursor ? (
        <button
          type="button"
          className="secondary"
          onClick={() =>
            void pages.load(
              () =>
                api.GET('/companies', {
                  params: { query: { limit: 50, cursor, ...(query ? { search: query } : {}) } },
                }),
              (p: CompanyPage) => p.companies,
            )
          }
        >
          {t('more')}
        </button>
      ) : null}
      <ManagerForm
        kind="company"
        options={rows}
        selected={justMade}
        assign={(id, userSub) =>
          api.PUT('/companies/{companyId}/managers/{userSub}', {
            params: { path: { companyId: id, userSub } },
          })
        }
        unassign={(id, userSub) =>
          api.DELETE('/companies/{companyId}/managers/{userSub}', {
            params: { path: { companyId: id, userSub } },
          })
        }
        managers={async (id) => {
          const r = await api.GET('/companies/{companyId}/managers', { params: { path: { companyId: id } } });
          return { ...r, data: r.data?.map((m) => m.userSub) };
        }}
        onChanged={reload}
      />
      <RegistrationForm<CompanyInput>
        id="admin-new-company"
        title={t('newCompany')}
        fields={['name', 'ownerName', 'businessNumber', 'email', 'phone']}
        post={(body) => api.POST('/companies', { body })}
        onRegistered={(id) => {
          setJustMade(id);
          reload();
        }}
      />
    </section>
  );
}

type Call = Promise<{ error?: unknown; response: Response }>;

/** Names or unassigns a manager of one institution or company, by the person's user id. */
function ManagerForm({
  kind,
  options,
  selected,
  assign,
  unassign,
  managers,
  onChanged,
}: {
  kind: 'institution' | 'company';
  options: readonly { id: string; name: string }[];
  /** The one just registered, chosen for the admin. */
  selected: string | undefined;
  assign: (id: string, userSub: string) => Call;
  unassign: (id: string, userSub: string) => Call;
  /** The chosen one's managers, as the API has them now. */
  managers: (id: string) => Promise<{ data?: string[]; error?: unknown; response: Response }>;
  onChanged: () => void;
}) {
  const t = useT(messages);
  const [chosen, setChosen] = useState<string>();
  const [userSub, setUserSub] = useState('');
  const [problem, setProblem] = useState<Problem>();
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState(false);
  const orgId = chosen ?? selected ?? '';
  const prefix = `admin-${kind}-manager`;
  const current = useLoad(
    () => (orgId ? managers(orgId) : Promise.resolve({ data: [], response: new Response(null) })),
    [orgId],
  );
  const act = async (call: typeof assign, message: 'assigned' | 'unassigned') => {
    setProblem(undefined);
    setDone('');
    setBusy(true);
    try {
      const r = await call(orgId, userSub.trim());
      if (!r.response.ok) throw asProblem(r.error, r.response);
      const name = options.find((o) => o.id === orgId)?.name ?? orgId;
      setDone(t(message, { sub: userSub.trim(), name }));
      current.reload();
      onChanged();
    } catch (e) {
      setProblem(asProblem(e));
    } finally {
      setBusy(false);
    }
  };
  const orgError = fieldError(problem, `path.${kind}Id`);
  const subError = fieldError(problem, 'path.userSub');
  const ready = orgId !== '' && userSub.trim() !== '' && !busy;
  return (
    <form
      className="insights-form insights-section"
      aria-labelledby={`${prefix}-title`}
      onSubmit={(e) => {
        e.preventDefault();
        if (ready) void act(assign, 'assigned');
      }}
      noValidate
    >
      <h3 id={`${prefix}-title`} className="insights-actions">
        {t('managersOf', { kind: t(kind) })}
      </h3>
      <div className="insights-field">
        <label htmlFor={`${prefix}-org`}>{t(kind)}</label>
        <select
          id={`${prefix}-org`}
          value={orgId}
          onChange={(e) => setChosen(e.target.value)}
          aria-invalid={orgError ? true : undefined}
          aria-describedby={orgError ? `${prefix}-org-error` : undefined}
        >
          <option value="">{t('choose')}</option>
          {options.map((o) => (
            <option key={o.id} value={o.id}>
              {o.name}
            </option>
          ))}
        </select>
        {orgError ? (
          <span id={`${prefix}-org-error`} className="field-error">
            {orgError}
          </span>
        ) : null}
      </div>
      {orgId ? (
        <div className="insights-field" aria-live="polite">
          <span id={`${prefix}-current`}>{t('current')}</span>
          {current.status === 'ready' ? (
            current.data.length === 0 ? (
              <span className="muted">{t('noManager')}</span>
            ) : (
              <ul aria-labelledby={`${prefix}-current`} className="admin-subs">
                {current.data.map((s) => (
                  <li key={s}>
                    <code>{s}</code>
                  </li>
                ))}
              </ul>
            )
          ) : null}
          {current.status === 'failed' ? <ProblemAlert problem={current.problem} /> : null}
        </div>
      ) : null}
      <TextField
        id={`${prefix}-sub`}
        label={t('userSub')}
        value={userSub}
        onChange={setUserSub}
        error={subError}
        hint={t('userSubHint')}
        autoComplete="off"
      />
      <div className="insights-actions">
        <ProblemAlert problem={problem && !orgError && !subError ? problem : undefined} />
        <button type="submit" disabled={!ready}>
          {t('assign')}
        </button>
        <button
          type="button"
          className="secondary"
          disabled={!ready}
          onClick={() => void act(unassign, 'unassigned')}
        >
          {t('unassign')}
        </button>
        <span aria-live="polite">{done}</span>
      </div>
    </form>
  );
}

/** Registers an institution or a company; each refused field is said beside it. */
function RegistrationForm<B extends object>({
  id,
  title,
  fields,
  post,
  onRegistered,
}: {
  id: string;
  title: string;
  fields: readonly (keyof B & keyof typeof messages.en)[];
  post: (body: B) => Promise<{ data?: { id: string; name: string }; error?: unknown; response: Response }>;
  onRegistered: (id: string) => void;
}) {
  const t = useT(messages);
  const empty = () => Object.fromEntries(fields.map((f) => [f, ''])) as Record<string, string>;
  const [draft, setDraft] = useState(empty);
  const [problem, setProblem] = useState<Problem>();
  const [done, setDone] = useState('');
  const [sending, setSending] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(undefined);
    setDone('');
    setSending(true);
    try {
      const body = Object.fromEntries(fields.map((f) => [f, draft[f]!.trim()])) as B;
      const r = await post(body);
      if (!r.data) throw asProblem(r.error, r.response);
      setDone(t('registered', { name: r.data.name }));
      setDraft(empty());
      onRegistered(r.data.id);
    } catch (err) {
      setProblem(asProblem(err));
    } finally {
      setSending(false);
    }
  };
  const errors = Object.fromEntries(fields.map((f) => [f, fieldError(problem, `body.${f}`)]));
  return (
    <form
      className="insights-form insights-section"
      aria-labelledby={`${id}-title`}
      onSubmit={(e) => void submit(e)}
      noValidate
    >
      <h3 id={`${id}-title`} className="insights-actions">
        {title}
      </h3>
      {fields.map((f) => (
        <TextField
          key={f}
          id={`${id}-${f}`}
          label={t(f)}
          value={draft[f] ?? ''}
          onChange={(v) => setDraft((d) => ({ ...d, [f]: v }))}
          error={errors[f]}
          type={/email/i.test(f) ? 'email' : /phone/i.test(f) ? 'tel' : 'text'}
          autoComplete="off"
          required
        />
      ))}
      <div className="insights-actions">
        <ProblemAlert problem={problem && fields.every((f) => !errors[f]) ? problem : undefined} />
        <button type="submit" disabled={sending}>
          {t('register')}
        </button>
        <span aria-live="polite">{done}</span>
      </div>
    </form>
  );
}
