import type { NotificationKind } from './notifications';
import type { LOCALES } from './users';

/*
 * Apart from the notifications contract, and with types only from it, so the web app takes the names without
 * zod in its bundle.
 */

/** What the inbox and the e-mail footer call each kind (the web app's preferences page lists them so). */
export const KIND_NAMES: Readonly<
  Record<NotificationKind, Readonly<Record<(typeof LOCALES)[number], string>>>
> = {
  'enrollment-created': { ko: '수강 등록', en: 'Enrollments' },
  'waitlist-promoted': { ko: '대기자 좌석 배정', en: 'Seats from a waitlist' },
  'provision-requested': { ko: '기업의 과정 신청', en: 'Course requests from companies' },
  'provision-decided': { ko: '과정 신청 결과', en: 'Answers to course requests' },
  'exam-graded': { ko: '시험 채점 결과', en: 'Exam results' },
  'pace-reminder': { ko: '학습 진도 알림', en: 'Pace reminders' },
  'pace-digest': { ko: '주간 학습 현황', en: 'Weekly progress digest' },
  'certificate-issued': { ko: '수료증 발급', en: 'Certificates issued' },
  'certificate-revoked': { ko: '수료증 취소', en: 'Certificates revoked' },
  'lecture-scheduled': { ko: '실시간 강의 일정', en: 'Live lectures scheduled' },
  'lecture-started': { ko: '실시간 강의 시작', en: 'Live lectures starting' },
};
