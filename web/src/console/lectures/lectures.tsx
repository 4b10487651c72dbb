import { useId, useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { useApi } from '../../api/api-context';
import { fieldError, type Problem } from '../../api/problem';
import { useLocale, useT, type Messages } from '../../i18n';
import { DataTable, type Column } from '../../ui/data-table';
import { FieldError, ProblemAlert } from '../../ui/problem-alert';
import { asProblem, useLoad } from '../../ui/use-load';
import { formatDay, formatMoment } from '../../ui/when';
import { liveCall, type Lecture } from '../../screens/live/live-api';
import { useMemberships } from '../memberships';
import './lectures.css';

const messages: Messages<
  | 'title'
  | 'loading'
  | 'noInstitution'
  | 'lectures'
  | 'none'
  | 'colTitle'
  | 'colCourse'
  | 'colStarts'
  | 'colState'
  | 'colSeats'
  | 'schedule'
  | 'provision'
  | 'choose'
  | 'lectureTitle'
  | 'startsAt'
  | 'endsAt'
  | 'capacity'
  | 'capacityHint'
  | 'submit'
  | 'scheduling'
  | 'noProvisions'
  | 'provisionLabel'
  | 'scheduled'
  | 'live'
  | 'ended'
  | 'cancelled'
> = {
  ko: {
    title: '실시간 강의',
    loading: '불러오는 중…',
    noInstitution: '소속된 교육기관이 없습니다.',
    lectures: '강의 목록',
    none: '예정된 실시간 강의가 없습니다.',
    colTitle: '강의',
    colCourse: '과정',
    colStarts: '시작',
    colState: '상태',
    colSeats: '입장 / 정원',
    schedule: '강의 예약',
    provision: '과정 (회사별 신청)',
    choose: '선택하세요',
    lectureTitle: '강의 제목',
    startsAt: '시작 시각',
    endsAt: '종료 시각',
    capacity: '정원 (선택)',
    capacityHint: '비우면 신청 인원과 같습니다.',
    submit: '예약하기',
    scheduling: '예약하는 중…',
    noProvisions: '승인된 과정 신청이 없어 강의를 예약할 수 없습니다.',
    provisionLabel: '{course} ({from} ~ {to}, {n}명)',
    scheduled: '예정',
    live: '방송 중',
    ended: '종료',
    cancelled: '취소',
  },
  en: {
    title: 'Live lectures',
    loading: 'Loading…',
    noInstitution: 'You belong to no institution.',
    lectures: 'Lectures',
    none: 'No live lectures are scheduled.',
    colTitle: 'Lecture',
    colCourse: 'Course',
    colStarts: 'Starts',
    colState: 'State',
    colSeats: 'Joined / seats',
    schedule: 'Schedule a lecture',
    provision: 'Course (a company’s request)',
    choose: 'Choose one',
    lectureTitle: 'Title',
    startsAt: 'Starts at',
    endsAt: 'Ends at',
    capacity: 'Seats (optional)',
    capacityHint: 'Empty: as many as the request’s attendees.',
    submit: 'Schedule',
    scheduling: 'Scheduling…',
    noProvisions: 'There is no accepted course request to schedule a lecture for.',
    provisionLabel: '{course} ({from} to {to}, {n} attendees)',
    scheduled: 'Scheduled',
    live: 'Live',
    ended: 'Ended',
    cancelled: 'Cancelled',
  },
};

interface Row extends Lecture {
  readonly courseTitle: string;
}

/** `datetime-local`'s value (the browser's zone) as an instant; as typed when it is none, for the API to refuse. */
const instant = (local: string) => {
  const at = new Date(local);
  return Number.isNaN(at.getTime()) ? local : at.toISOString();
};

/**
 * `/console/lectures`: the institution's live lectures over its accepted provisions, and a form to schedule
 * one (an IVS channel and chat room are made with it).
 */
export default function ConsoleLectures() {
  const t = useT(messages);
  const { locale } = useLocale();
  const api = useApi();
  const navigate = useNavigate();
  const memberships = useMemberships();
  const id = useId();
  const world = useLoad(async () => {
    const [provisions, courses] = await Promise.all([
      api.GET('/provisions', { params: { query: { state: 'accepted', limit: 200 } } }),
      api.GET('/courses', { params: { query: { limit: 200 } } }),
    ]);
    if (!provisions.data) return { error: provisions.error, response: provisions.response };
    if (!courses.data) return { error: courses.error, response: courses.response };
    const titles = new Map(courses.data.map((c) => [c.id, c.title]));
    const pages = await Promise.all(
      provisions.data.map(async (p) => {
        const page = await liveCall(
          (a) => a.GET('/lectures', { params: { query: { provisionId: p.id, limit: 100 } } }),
          api,
        );
        if (page.problem) throw new Error(page.problem.detail ?? page.problem.title);
        return page.data.lectures.map((l): Row => ({
          ...l,
          courseTitle: titles.get(l.courseId) ?? l.courseId,
        }));
      }),
    );
    return {
      data: {
        provisions: provisions.data.map((p) => ({ ...p, courseTitle: titles.get(p.courseId) ?? p.courseId })),
        lectures: pages.flat().sort((a, b) => b.startsAt.localeCompare(a.startsAt)),
      },
      response: provisions.response,
    };
  }, [api]);

  const [form, setForm] = useState({ provisionId: '', title: '', startsAt: '', endsAt: '', capacity: '' });
  const [problem, setProblem] = useState<Problem>();
  const [busy, setBusy] = useState(false);
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) =>
    setForm((f) => ({ ...f, [k]: e.target.value }));

  const schedule = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    try {
      const { data, error, response } = await api.POST('/lectures', {
        body: {
          provisionId: form.provisionId,
          title: form.title,
          startsAt: instant(form.startsAt),
          endsAt: instant(form.endsAt),
          ...(form.capacity ? { capacity: Number(form.capacity) } : {}),
        },
      });
      if (!data) return setProblem(asProblem(error, response));
      await navigate(`/console/lectures/${data.lectureId}`);
    } catch (err) {
      setProblem(asProblem(err));
    } finally {
      setBusy(false);
    }
  };

  if (memberships.status === 'loading' || world.status === 'loading')
    return <p aria-live="polite">{t('loading')}</p>;
  if (memberships.status === 'failed') return <ProblemAlert problem={memberships.problem} />;
  if (!memberships.data.institution)
    return (
      <>
        <h1>{t('title')}</h1>
        <p>{t('noInstitution')}</p>
      </>
    );
  if (world.status === 'failed') return <ProblemAlert problem={world.problem} />;

  const columns: Column<Row>[] = [
    {
      key: 'title',
      header: t('colTitle'),
      value: (r) => r.title,
      render: (r) => <Link to={`/console/lectures/${r.lectureId}`}>{r.title}</Link>,
    },
    { key: 'course', header: t('colCourse'), value: (r) => r.courseTitle },
    {
      key: 'starts',
      header: t('colStarts'),
      value: (r) => r.startsAt,
      render: (r) => formatMoment(r.startsAt, locale),
    },
    { key: 'state', header: t('colState'), value: (r) => t(r.state) },
    { key: 'seats', header: t('colSeats'), value: (r) => `${r.joinedCount} / ${r.capacity}` },
  ];
  const field = (name: keyof typeof form) => {
    const message = fieldError(problem, `body.${name}`);
    return {
      id: `${id}-${name}`,
      'aria-invalid': message ? true : undefined,
      'aria-describedby': message ? `${id}-${name}-error` : undefined,
      message,
    };
  };
  const input = (name: keyof typeof form) => {
    const { id: inputId, 'aria-invalid': invalid, 'aria-describedby': describedBy } = field(name);
    return { id: inputId, 'aria-invalid': invalid, 'aria-describedby': describedBy };
  };

  const { provisions, lectures } = world.data;
  return (
    <>
      <h1>{t('title')}</h1>
      <section aria-labelledby={`${id}-list`}>
        <h2 id={`${id}-list`}>{t('lectures')}</h2>
        <DataTable
          caption={t('lectures')}
          columns={columns}
          rows={lectures}
          rowKey={(r) => r.lectureId}
          fileName="lectures"
          empty={t('none')}
        />
      </section>
      <section aria-labelledby={`${id}-schedule`}>
        <h2 id={`${id}-schedule`}>{t('schedule')}</h2>
        {provisions.length === 0 ? (
          <p>{t('noProvisions')}</p>
        ) : (
          <form className="lecture-form" onSubmit={(e) => void schedule(e)} noValidate>
            <label htmlFor={`${id}-provisionId`}>{t('provision')}</label>
            <select {...input('provisionId')} value={form.provisionId} onChange={set('provisionId')}>
              <option value="">{t('choose')}</option>
              {provisions.map((p) => (
                <option key={p.id} value={p.id}>
                  {t('provisionLabel', {
                    course: p.courseTitle,
                    from: formatDay(p.startsOn, locale),
                    to: formatDay(p.endsOn, locale),
                    n: p.attendeeCount,
                  })}
                </option>
              ))}
            </select>
            <FieldError id={`${id}-provisionId-error`} message={field('provisionId').message} />
            <label htmlFor={`${id}-title`}>{t('lectureTitle')}</label>
            <input {...input('title')} value={form.title} onChange={set('title')} maxLength={200} />
            <FieldError id={`${id}-title-error`} message={field('title').message} />
            <label htmlFor={`${id}-startsAt`}>{t('startsAt')}</label>
            <input
              {...input('startsAt')}
              type="datetime-local"
              value={form.startsAt}
              onChange={set('startsAt')}
            />
            <FieldError id={`${id}-startsAt-error`} message={field('startsAt').message} />
            <label htmlFor={`${id}-endsAt`}>{t('endsAt')}</label>
            <input {...input('endsAt')} type="datetime-local" value={form.endsAt} onChange={set('endsAt')} />
            <FieldError id={`${id}-endsAt-error`} message={field('endsAt').message} />
            <label htmlFor={`${id}-capacity`}>{t('capacity')}</label>
            <input
              {...input('capacity')}
              type="number"
              min={1}
              inputMode="numeric"
              value={form.capacity}
              onChange={set('capacity')}
              aria-describedby={[input('capacity')['aria-describedby'], `${id}-capacity-hint`]
                .filter(Boolean)
                .join(' ')}
            />
            <span id={`${id}-capacity-hint`} className="muted">
              {t('capacityHint')}
            </span>
            <FieldError id={`${id}-capacity-error`} message={field('capacity').message} />
            <div>
              <button type="submit" disabled={busy}>
                {busy ? t('scheduling') : t('submit')}
              </button>
            </div>
            {problem &&
            !['provisionId', 'title', 'startsAt', 'endsAt', 'capacity'].some((f) =>
              fieldError(problem, `body.${f}`),
            ) ? (
              <ProblemAlert problem={problem} />
            ) : null}
          </form>
        )}
      </section>
    </>
  );
}
