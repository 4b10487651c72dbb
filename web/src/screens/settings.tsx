import { useState, type FormEvent } from 'react';
import { KIND_NAMES } from '#contracts/notification-names';
import { useApi } from '../api/api-context';
import { fieldError, type Problem } from '../api/problem';
import type { paths } from '../api/schema';
import { useLocale, useT, type Locale, type Messages } from '../i18n';
import { appLocale } from '../session/profile-locale';
import { useMe, type Me } from '../session/session';
import { FieldError, ProblemAlert } from '../ui/problem-alert';
import { asProblem, useLoad } from '../ui/use-load';

type Profile = paths['/me/profile']['get']['responses'][200]['content']['application/json'];
type ProfileChange = NonNullable<paths['/me/profile']['patch']['requestBody']>['content']['application/json'];
type Preferences =
  paths['/me/notification-preferences']['get']['responses'][200]['content']['application/json'];
/** The kinds as the API's schema names them: a new kind fails the type check until it is named below. */
type Kind = keyof Preferences['email'];

const messages: Messages<
  | 'title'
  | 'loading'
  | 'profile'
  | 'email'
  | 'noEmail'
  | 'name'
  | 'phone'
  | 'phoneHint'
  | 'nameInvalid'
  | 'phoneInvalid'
  | 'localeInvalid'
  | 'locale'
  | 'localeNone'
  | 'saveProfile'
  | 'saving'
  | 'saved'
  | 'unchanged'
  | 'preferences'
  | 'preferencesHint'
  | 'savePreferences'
> = {
  ko: {
    title: '설정',
    loading: '불러오는 중…',
    profile: '프로필',
    email: '이메일',
    noEmail: '등록된 이메일이 없습니다.',
    name: '이름',
    phone: '휴대전화 번호',
    phoneHint: '국가 번호를 포함해 입력하세요. 예: +821012345678',
    nameInvalid: '이름을 1자 이상 100자 이하로 입력하세요.',
    phoneInvalid: '+와 국가 번호로 시작하는 번호를 숫자만 입력하세요. 예: +821012345678',
    localeInvalid: '목록에 있는 언어를 고르세요.',
    locale: '사용 언어',
    localeNone: '지정 안 함 (브라우저 언어)',
    saveProfile: '프로필 저장',
    saving: '저장하는 중…',
    saved: '저장했습니다.',
    unchanged: '바뀐 내용이 없습니다.',
    preferences: '이메일 알림',
    preferencesHint: '받을 이메일 알림을 고르세요. 끈 알림도 알림함에는 계속 표시됩니다.',
    savePreferences: '이메일 알림 설정 저장',
  },
  en: {
    title: 'Settings',
    loading: 'Loading…',
    profile: 'Profile',
    email: 'E-mail',
    noEmail: 'No e-mail address on record.',
    name: 'Name',
    phone: 'Mobile phone number',
    phoneHint: 'With the country code, e.g. +821012345678',
    nameInvalid: 'Enter a name of 1 to 100 characters.',
    phoneInvalid: 'Enter + and the country code, then digits only, e.g. +821012345678.',
    localeInvalid: 'Choose a language from the list.',
    locale: 'Language',
    localeNone: 'Not set (the browser’s language)',
    saveProfile: 'Save profile',
    saving: 'Saving…',
    saved: 'Saved.',
    unchanged: 'Nothing has changed.',
    preferences: 'E-mail notifications',
    preferencesHint:
      'Choose which notifications reach you by e-mail. The inbox shows every one all the same.',
    savePreferences: 'Save e-mail preferences',
  },
};

/** Who each kind is told to (lambda/notifications/told-facts.ts): a person sees the kinds that reach them. */
const KIND_AUDIENCE: Record<Kind, readonly Me['roles'][number][]> = {
  'enrollment-created': ['learner'],
  'waitlist-promoted': ['learner'],
  'provision-requested': ['institution-manager'],
  'provision-decided': ['company-manager'],
  'exam-graded': ['learner'],
  'pace-reminder': ['learner'],
  'pace-digest': ['company-manager'],
  'certificate-issued': ['learner'],
  'certificate-revoked': ['learner'],
  'lecture-scheduled': ['learner'],
  'lecture-started': ['learner'],
};

/** The person's profile and which notifications they get by e-mail. */
export default function SettingsScreen() {
  const t = useT(messages);
  return (
    <>
      <h1>{t('title')}</h1>
      <ProfileSection />
      <PreferencesSection />
    </>
  );
}

type Save = 'idle' | 'saving' | 'saved' | 'unchanged';

function ProfileSection() {
  const api = useApi();
  const t = useT(messages);
  const profile = useLoad(() => api.GET('/me/profile'), [api]);
  return (
    <section aria-labelledby="settings-profile" className="settings-section">
      <h2 id="settings-profile">{t('profile')}</h2>
      {profile.status === 'loading' ? <p>{t('loading')}</p> : null}
      {profile.status === 'failed' ? <ProblemAlert problem={profile.problem} /> : null}
      {profile.status === 'ready' ? <ProfileForm profile={profile.data} /> : null}
    </section>
  );
}

function ProfileForm({ profile: loaded }: { profile: Profile }) {
  const api = useApi();
  const t = useT(messages);
  const { setLocale } = useLocale();
  const [profile, setProfile] = useState(loaded);
  const [name, setName] = useState(loaded.name ?? '');
  const [phone, setPhone] = useState(loaded.phone ?? '');
  const [locale, setProfileLocale] = useState<Locale | ''>(appLocale(loaded.locale) ?? '');
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [save, setSave] = useState<Save>('idle');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    // Only what changed is sent: the API changes the fields named and leaves the others.
    const change: ProfileChange = {
      ...(name.trim() !== (profile.name ?? '') ? { name } : {}),
      ...(phone.trim() !== (profile.phone ?? '') ? { phone: phone.trim() } : {}),
      ...(locale !== '' && locale !== profile.locale ? { locale } : {}),
    };
    setProblem(undefined);
    if (Object.keys(change).length === 0) {
      setSave('unchanged');
      return;
    }
    setSave('saving');
    try {
      const { data, error, response } = await api.PATCH('/me/profile', { body: change });
      if (!data) throw asProblem(error, response);
      setProfile(data);
      setName(data.name ?? '');
      setPhone(data.phone ?? '');
      const saved = appLocale(data.locale);
      // The app speaks the profile's language from now on, this page included.
      if (saved) setLocale(saved);
      setSave('saved');
    } catch (err) {
      setProblem(asProblem(err));
      setSave('idle');
    }
  };

  // Each field's refusal is said in the app's language: the API refuses these fields for their shape alone,
  // and words it (in English) for developers.
  const nameError = fieldError(problem, 'body.name') && t('nameInvalid');
  const phoneError = fieldError(problem, 'body.phone') && t('phoneInvalid');
  const localeError = fieldError(problem, 'body.locale') && t('localeInvalid');
  // A refusal no field explains (another field, or none) is said above the button.
  const otherProblem = problem && !nameError && !phoneError && !localeError ? problem : undefined;
  return (
    <form className="settings-form" onSubmit={(e) => void submit(e)} noValidate>
      <p>
        <span className="settings-label">{t('email')}</span>{' '}
        {profile.email ?? <span className="muted">{t('noEmail')}</span>}
      </p>
      <div className="settings-field">
        <label htmlFor="settings-name" className="settings-label">
          {t('name')}
        </label>
        <input
          id="settings-name"
          name="name"
          autoComplete="name"
          value={name}
          maxLength={100}
          onChange={(e) => setName(e.target.value)}
          aria-invalid={nameError ? true : undefined}
          aria-describedby={nameError ? 'settings-name-error' : undefined}
        />
        <FieldError id="settings-name-error" message={nameError} />
      </div>
      <div className="settings-field">
        <label htmlFor="settings-phone" className="settings-label">
          {t('phone')}
        </label>
        <input
          id="settings-phone"
          name="phone"
          type="tel"
          autoComplete="tel"
          inputMode="tel"
          value={phone}
          onChange={(e) => setPhone(e.target.value)}
          aria-invalid={phoneError ? true : undefined}
          aria-describedby={phoneError ? 'settings-phone-error settings-phone-hint' : 'settings-phone-hint'}
        />
        <span id="settings-phone-hint" className="muted">
          {t('phoneHint')}
        </span>
        <FieldError id="settings-phone-error" message={phoneError} />
      </div>
      <div className="settings-field">
        <label htmlFor="settings-locale" className="settings-label">
          {t('locale')}
        </label>
        <select
          id="settings-locale"
          name="locale"
          value={locale}
          onChange={(e) => setProfileLocale(appLocale(e.target.value) ?? '')}
          aria-invalid={localeError ? true : undefined}
          aria-describedby={localeError ? 'settings-locale-error' : undefined}
        >
          {/* A profile that names no language can be left so; one that names one is changed, not cleared. */}
          {appLocale(profile.locale) ? null : <option value="">{t('localeNone')}</option>}
          <option value="ko" lang="ko">
            한국어
          </option>
          <option value="en" lang="en">
            English
          </option>
        </select>
        <FieldError id="settings-locale-error" message={localeError} />
      </div>
      <ProblemAlert problem={otherProblem} />
      <div className="settings-actions">
        <button type="submit" disabled={save === 'saving'}>
          {t('saveProfile')}
        </button>
        <span aria-live="polite" className="muted">
          {save === 'saving'
            ? t('saving')
            : save === 'saved'
              ? t('saved')
              : save === 'unchanged'
                ? t('unchanged')
                : ''}
        </span>
      </div>
    </form>
  );
}

function PreferencesSection() {
  const api = useApi();
  const t = useT(messages);
  const preferences = useLoad(() => api.GET('/me/notification-preferences'), [api]);
  return (
    <section aria-labelledby="settings-preferences" className="settings-section">
      <h2 id="settings-preferences">{t('preferences')}</h2>
      {preferences.status === 'loading' ? <p>{t('loading')}</p> : null}
      {preferences.status === 'failed' ? <ProblemAlert problem={preferences.problem} /> : null}
      {preferences.status === 'ready' ? <PreferencesForm preferences={preferences.data} /> : null}
    </section>
  );
}

function PreferencesForm({ preferences }: { preferences: Preferences }) {
  const api = useApi();
  const t = useT(messages);
  const { locale } = useLocale();
  const me = useMe();
  const [email, setEmail] = useState(preferences.email);
  const [saved, setSaved] = useState(preferences.email);
  const [problem, setProblem] = useState<Problem | undefined>(undefined);
  const [save, setSave] = useState<Save>('idle');

  const all = Object.keys(KIND_NAMES) as Kind[];
  const mine = all.filter((k) => KIND_AUDIENCE[k].some((r) => me.roles.includes(r)));
  // Someone the kinds' audiences do not name (a platform admin) sees them all rather than none.
  const kinds = mine.length > 0 ? mine : all;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const change = Object.fromEntries(kinds.filter((k) => email[k] !== saved[k]).map((k) => [k, email[k]]));
    setProblem(undefined);
    if (Object.keys(change).length === 0) {
      setSave('unchanged');
      return;
    }
    setSave('saving');
    try {
      const { data, error, response } = await api.PATCH('/me/notification-preferences', {
        body: { email: change },
      });
      if (!data) throw asProblem(error, response);
      setEmail(data.email);
      setSaved(data.email);
      setSave('saved');
    } catch (err) {
      setProblem(asProblem(err));
      setSave('idle');
    }
  };

  return (
    <form className="settings-form" onSubmit={(e) => void submit(e)}>
      <fieldset className="settings-kinds">
        <legend>{t('preferencesHint')}</legend>
        {kinds.map((k) => (
          <label key={k} className="settings-kind">
            <input
              type="checkbox"
              name={k}
              checked={email[k]}
              onChange={(e) => {
                setEmail({ ...email, [k]: e.target.checked });
                setSave('idle');
              }}
            />{' '}
            {KIND_NAMES[k][locale]}
          </label>
        ))}
      </fieldset>
      <ProblemAlert problem={problem} />
      <div className="settings-actions">
        <button type="submit" disabled={save === 'saving'}>
          {t('savePreferences')}
        </button>
        <span aria-live="polite" className="muted">
          {save === 'saving'
            ? t('saving')
            : save === 'saved'
              ? t('saved')
              : save === 'unchanged'
                ? t('unchanged')
                : ''}
        </span>
      </div>
    </form>
  );
}
