import { certificateIssued, certificateRevoked } from '#contracts/certificates';
import type { NotificationKind } from '#contracts/notifications';
import {
  companyPaceDigestDue,
  enrollmentCreated,
  examGraded,
  lectureScheduled,
  lectureStarted,
  paceReminderDue,
  provisionDecided,
  provisionRequested,
  waitlistPromoted,
} from '#contracts/platform-events';

/** Who a fact is told to. */
export type Audience =
  | { readonly learner: string }
  | { readonly institutionManagers: string }
  | { readonly companyManagers: string }
  | { readonly provisionLearners: { readonly courseId: string; readonly provisionId: string } };

/** What a notification's text is made of: names and numbers as the fact said them. */
export type MessageParams = Readonly<Record<string, string | number | boolean | null>>;

/** A fact as the notifications domain tells it. */
export interface ToldFact {
  readonly eventId: string;
  readonly occurredAt: string;
  readonly kind: NotificationKind;
  readonly audience: Audience;
  readonly params: MessageParams;
}

/** A fact the domain does not consume, or one that breaks its contract: the message goes to the DLQ. */
export class UntellableFact extends Error {}

/**
 * Turns a bus event's detail into what is told and to whom, by its detail-type (EVENTS.notificationsConsumes
 * lists them). Each fact's contract is checked here, at the domain's edge.
 */
export function toldFact(detailType: string, detail: unknown): ToldFact {
  const at = (f: { eventId: string; occurredAt: string }) => ({
    eventId: f.eventId,
    occurredAt: f.occurredAt,
  });
  switch (detailType) {
    case 'enrollment.created': {
      const f = enrollmentCreated.parse(detail);
      return {
        ...at(f),
        kind: 'enrollment-created',
        audience: { learner: f.userSub },
        params: {
          courseId: f.courseId,
          enrollmentId: f.enrollmentId,
          courseTitle: f.courseTitle ?? null,
        },
      };
    }
    case 'waitlist.promoted': {
      const f = waitlistPromoted.parse(detail);
      return {
        ...at(f),
        kind: 'waitlist-promoted',
        audience: { learner: f.userSub },
        params: {
          courseId: f.courseId,
          sessionId: f.sessionId,
          enrollmentId: f.enrollmentId,
          courseTitle: f.courseTitle ?? null,
        },
      };
    }
    case 'provision.requested': {
      const f = provisionRequested.parse(detail);
      return {
        ...at(f),
        kind: 'provision-requested',
        audience: { institutionManagers: f.institutionId },
        params: {
          provisionId: f.provisionId,
          courseTitle: f.courseTitle,
          companyName: f.companyName,
          attendeeCount: f.attendeeCount,
          startsOn: f.startsOn,
          endsOn: f.endsOn,
        },
      };
    }
    case 'provision.accepted':
    case 'provision.rejected': {
      const f = provisionDecided.parse(detail);
      return {
        ...at(f),
        kind: 'provision-decided',
        audience: { companyManagers: f.companyId },
        params: {
          provisionId: f.provisionId,
          courseTitle: f.courseTitle,
          institutionName: f.institutionName,
          decision: f.decision,
          reason: f.reason,
          startsOn: f.startsOn,
          endsOn: f.endsOn,
        },
      };
    }
    case 'exam.graded': {
      const f = examGraded.parse(detail);
      return {
        ...at(f),
        kind: 'exam-graded',
        audience: { learner: f.userSub },
        params: {
          courseId: f.courseId,
          enrollmentId: f.enrollmentId,
          contentId: f.contentId,
          courseTitle: f.courseTitle,
          examTitle: f.examTitle,
          score: f.score,
          passed: f.passed,
        },
      };
    }
    case 'pace.reminder-due': {
      const f = paceReminderDue.parse(detail);
      return {
        ...at(f),
        kind: 'pace-reminder',
        audience: { learner: f.userSub },
        params: {
          courseId: f.courseId,
          enrollmentId: f.enrollmentId,
          courseTitle: f.courseTitle,
          verdict: f.verdict,
          lessonsNeeded: f.lessonsNeeded,
          daysLeft: f.daysLeft,
        },
      };
    }
    case 'company.pace-digest-due': {
      const f = companyPaceDigestDue.parse(detail);
      return {
        ...at(f),
        kind: 'pace-digest',
        audience: { companyManagers: f.companyId },
        params: {
          companyId: f.companyId,
          week: f.week,
          enrollments: f.enrollments,
          notStarted: f.notStarted,
          behind: f.behind,
          unreachable: f.unreachable,
        },
      };
    }
    case 'certificate.issued': {
      const f = certificateIssued.parse(detail);
      return {
        ...at(f),
        kind: 'certificate-issued',
        audience: { learner: f.userSub },
        params: { number: f.number, courseTitle: f.courseTitle },
      };
    }
    case 'certificate.revoked': {
      const f = certificateRevoked.parse(detail);
      return {
        ...at(f),
        kind: 'certificate-revoked',
        audience: { learner: f.userSub },
        params: { number: f.number, courseTitle: f.courseTitle, reason: f.reason },
      };
    }
    case 'lecture.scheduled':
    case 'lecture.started': {
      const f = (detailType === 'lecture.scheduled' ? lectureScheduled : lectureStarted).parse(detail);
      return {
        ...at(f),
        kind: detailType === 'lecture.scheduled' ? 'lecture-scheduled' : 'lecture-started',
        audience: { provisionLearners: { courseId: f.courseId, provisionId: f.provisionId } },
        params: { lectureId: f.lectureId, title: f.title, startsAt: f.startsAt, endsAt: f.endsAt },
      };
    }
    default:
      throw new UntellableFact(`Notifications do not tell ${detailType}`);
  }
}
