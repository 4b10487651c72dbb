import type { NotificationKind } from '#contracts/notifications';
import type { LOCALES } from '#contracts/users';
import type { MessageParams } from './told-facts';

export type Locale = (typeof LOCALES)[number];

/** A notification's words in one language, and the web app's page it leads to. */
export interface Message {
  readonly title: string;
  readonly body: string;
  /** A path of the web app. */
  readonly link: string;
}

const str = (p: MessageParams, key: string): string => {
  const v = p[key];
  return v === null || v === undefined ? '' : String(v);
};

/*
 * Links are paths of the web app (WEB_APP.screens), never of the API: the learner's course page by the
 * enrollment the fact names; a lecture's learners are many enrollments, so theirs is the lecture's live page.
 * Staff kinds lead to the console's request page and the company's progress dashboard.
 */
const learnPage = (p: MessageParams) => `/learn/${encodeURIComponent(str(p, 'enrollmentId'))}`;
const CERTIFICATES_PAGE = '/learn/certificates';
const livePage = (p: MessageParams) => `/live/${encodeURIComponent(str(p, 'lectureId'))}`;

/**
 * The words of one notification. Titles fall back to a general phrase where a fact may lack a name (an
 * enrollment announced before titles were carried).
 */
export function messageFor(
  kind: NotificationKind,
  p: MessageParams,
  locale: Locale,
  timeZone: string,
): Message {
  const ko = locale === 'ko';
  const course = str(p, 'courseTitle') || (ko ? '과정' : 'a course');
  const when = (iso: string) =>
    new Intl.DateTimeFormat(ko ? 'ko-KR' : 'en-GB', {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone,
    }).format(new Date(iso));
  switch (kind) {
    case 'enrollment-created':
      return ko
        ? {
            title: `${course} 수강이 등록되었습니다`,
            body: '지금 학습을 시작할 수 있습니다.',
            link: learnPage(p),
          }
        : {
            title: `You are enrolled in ${course}`,
            body: 'You can start learning now.',
            link: learnPage(p),
          };
    case 'waitlist-promoted':
      return ko
        ? {
            title: `${course} 좌석이 배정되었습니다`,
            body: '대기 순서가 되어 수강이 등록되었습니다.',
            link: learnPage(p),
          }
        : {
            title: `A seat in ${course} is yours`,
            body: 'Your turn on the waitlist came: you are enrolled.',
            link: learnPage(p),
          };
    case 'provision-requested':
      return ko
        ? {
            title: `${str(p, 'companyName')}에서 ${course} 과정을 신청했습니다`,
            body: `${str(p, 'attendeeCount')}명, ${str(p, 'startsOn')} ~ ${str(p, 'endsOn')}. 승인 또는 반려해 주세요.`,
            link: `/console/provisions/${str(p, 'provisionId')}`,
          }
        : {
            title: `${str(p, 'companyName')} requests ${course}`,
            body: `${str(p, 'attendeeCount')} attendees, ${str(p, 'startsOn')} to ${str(p, 'endsOn')}. Please accept or reject it.`,
            link: `/console/provisions/${str(p, 'provisionId')}`,
          };
    case 'provision-decided': {
      const accepted = p.decision === 'accepted';
      const reason = str(p, 'reason');
      const title = ko
        ? `${course} 과정 신청이 ${accepted ? '승인' : '반려'}되었습니다`
        : `Your request for ${course} was ${accepted ? 'accepted' : 'rejected'}`;
      const body = ko
        ? accepted
          ? `${str(p, 'institutionName')}: ${str(p, 'startsOn')} ~ ${str(p, 'endsOn')}. 수강자를 제출해 주세요.`
          : `${str(p, 'institutionName')}${reason ? `: ${reason}` : ''}`
        : accepted
          ? `${str(p, 'institutionName')}: ${str(p, 'startsOn')} to ${str(p, 'endsOn')}. Please submit the attendees.`
          : `${str(p, 'institutionName')}${reason ? `: ${reason}` : ''}`;
      return { title, body, link: `/console/provisions/${str(p, 'provisionId')}` };
    }
    case 'exam-graded': {
      const verdict =
        p.passed === null
          ? ''
          : ko
            ? p.passed
              ? ' (합격)'
              : ' (불합격)'
            : p.passed
              ? ' (passed)'
              : ' (not passed)';
      return ko
        ? {
            title: `${str(p, 'examTitle')} 채점 결과`,
            body: `${course}: ${str(p, 'score')}점${verdict}`,
            link: learnPage(p),
          }
        : {
            title: `Your result in ${str(p, 'examTitle')}`,
            body: `${course}: ${str(p, 'score')} of 100${verdict}`,
            link: learnPage(p),
          };
    }
    case 'pace-reminder': {
      const lastChance = p.verdict === 'last-chance';
      return ko
        ? {
            title: lastChance
              ? `${course}: 오늘부터 매일 학습해야 수료할 수 있습니다`
              : `${course} 학습이 늦어지고 있습니다`,
            body: `남은 기간 ${str(p, 'daysLeft')}일 동안 ${str(p, 'lessonsNeeded')}개 차시를 더 들어야 합니다.`,
            link: learnPage(p),
          }
        : {
            title: lastChance
              ? `${course}: study every day from today to complete it`
              : `You are falling behind in ${course}`,
            body: `${str(p, 'lessonsNeeded')} more lessons to complete in the ${str(p, 'daysLeft')} days left.`,
            link: learnPage(p),
          };
    }
    case 'pace-digest':
      return ko
        ? {
            title: `주간 학습 현황 (${str(p, 'week')})`,
            body: `진행 중 ${str(p, 'enrollments')}명: 미시작 ${str(p, 'notStarted')}명, 진도 부족 ${str(p, 'behind')}명, 수료 불가 ${str(p, 'unreachable')}명.`,
            link: `/console/companies/${str(p, 'companyId')}/progress`,
          }
        : {
            title: `Weekly progress (${str(p, 'week')})`,
            body: `${str(p, 'enrollments')} learners in progress: ${str(p, 'notStarted')} not started, ${str(p, 'behind')} behind, ${str(p, 'unreachable')} can no longer complete.`,
            link: `/console/companies/${str(p, 'companyId')}/progress`,
          };
    case 'certificate-issued':
      return ko
        ? {
            title: `${course} 과정을 수료했습니다`,
            body: `수료증 ${str(p, 'number')}을 내려받을 수 있습니다.`,
            link: CERTIFICATES_PAGE,
          }
        : {
            title: `You completed ${course}`,
            body: `Your certificate ${str(p, 'number')} is ready to download.`,
            link: CERTIFICATES_PAGE,
          };
    case 'certificate-revoked':
      return ko
        ? {
            title: `수료증 ${str(p, 'number')}이 취소되었습니다`,
            body: `${course}: ${str(p, 'reason')}`,
            link: CERTIFICATES_PAGE,
          }
        : {
            title: `Certificate ${str(p, 'number')} was revoked`,
            body: `${course}: ${str(p, 'reason')}`,
            link: CERTIFICATES_PAGE,
          };
    case 'lecture-scheduled':
      return ko
        ? {
            title: `실시간 강의 예정: ${str(p, 'title')}`,
            body: `${when(str(p, 'startsAt'))}에 시작합니다.`,
            link: livePage(p),
          }
        : {
            title: `Live lecture scheduled: ${str(p, 'title')}`,
            body: `It starts ${when(str(p, 'startsAt'))}.`,
            link: livePage(p),
          };
    case 'lecture-started':
      return ko
        ? {
            title: `실시간 강의가 시작되었습니다: ${str(p, 'title')}`,
            body: '지금 입장할 수 있습니다.',
            link: livePage(p),
          }
        : {
            title: `Live now: ${str(p, 'title')}`,
            body: 'You can join now.',
            link: livePage(p),
          };
  }
}
