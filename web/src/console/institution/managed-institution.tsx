import type { ReactNode } from 'react';
import { useT, type Messages } from '../../i18n';
import { ProblemAlert } from '../../ui/problem-alert';
import { useMemberships } from '../memberships';

const messages: Messages<'loading' | 'notManager'> = {
  ko: {
    loading: '불러오는 중…',
    notManager: '이 화면은 교육기관의 관리자만 볼 수 있습니다.',
  },
  en: {
    loading: 'Loading…',
    notManager: 'Only an institution’s managers see this screen.',
  },
};

/**
 * Shows `children` for the institution the person manages, or says why not: the institution screens act for
 * that one institution (the API refuses the others all the same).
 */
export function ManagedInstitution({
  title,
  children,
}: {
  title: string;
  children: (institution: { id: string; name: string }) => ReactNode;
}) {
  const t = useT(messages);
  const memberships = useMemberships();
  if (memberships.status === 'loading') return <p aria-live="polite">{t('loading')}</p>;
  if (memberships.status === 'failed') return <ProblemAlert problem={memberships.problem} />;
  const { institution } = memberships.data;
  if (!institution || institution.role !== 'institution-manager')
    return (
      <>
        <h1>{title}</h1>
        <p>{t('notManager')}</p>
      </>
    );
  return <>{children(institution)}</>;
}
