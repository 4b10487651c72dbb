import { useApi } from '../../api/api-context';
import { useT, type Messages } from '../../i18n';
import { ProblemAlert } from '../../ui/problem-alert';
import { useLoad } from '../../ui/use-load';

const messages: Messages<'loading' | 'caption' | 'none' | 'minute' | 'questions' | 'range' | 'total'> = {
  ko: {
    loading: '불러오는 중…',
    caption: '{video}: 분별 질문 수',
    none: '{video}: 영상에 연결된 질문이 없습니다.',
    minute: '구간',
    questions: '질문 수',
    range: '{from}–{to}',
    total: '모두 {n}개',
  },
  en: {
    loading: 'Loading…',
    caption: '{video}: questions by minute',
    none: '{video}: no questions are tied to this video.',
    minute: 'Minute',
    questions: 'Questions',
    range: '{from}–{to}',
    total: '{n} in all',
  },
};

/**
 * A video's questions per minute as a bar list: a table (readable as numbers by anyone) whose last column
 * draws each count as a bar, scaled to the busiest minute.
 */
export function QuestionMinutes({ contentId, title }: { contentId: string; title: string }) {
  const api = useApi();
  const t = useT(messages);
  const minutes = useLoad(
    () => api.GET('/contents/{contentId}/question-minutes', { params: { path: { contentId } } }),
    [api, contentId],
  );
  if (minutes.status === 'loading') return <p aria-live="polite">{t('loading')}</p>;
  if (minutes.status === 'failed') return <ProblemAlert problem={minutes.problem} />;
  const { minutes: rows, questions } = minutes.data;
  if (rows.length === 0) return <p className="muted">{t('none', { video: title })}</p>;
  const most = Math.max(...rows.map((r) => r.questions));
  return (
    <table className="question-minutes">
      <caption>
        {t('caption', { video: title })} ({t('total', { n: questions })})
      </caption>
      <thead>
        <tr>
          <th scope="col">{t('minute')}</th>
          <th scope="col">{t('questions')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.minute}>
            <th scope="row">{t('range', { from: `${r.minute}:00`, to: `${r.minute}:59` })}</th>
            <td>
              <span className="question-minutes-bar" style={{ width: `${(r.questions / most) * 12}rem` }} />{' '}
              {r.questions}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
