import { randomUUID } from 'node:crypto';
import { WEB_APP } from '#contracts/web-app';
import { messageFor } from '#lambda/notifications/messages';
import { toldFact } from '#lambda/notifications/told-facts';

/*
 * Where a learner's notification leads: a screen of the web app (the inbox and the e-mail both link there),
 * never an API path such as `/courses/<id>`, which the app's origin answers with JSON.
 */

const base = { occurredAt: '2026-03-02T09:00:00.000Z', userSub: 'learner-1', courseTitle: 'Ladder safety' };
const enrollmentId = randomUUID();
const courseId = randomUUID();

const facts: Record<string, Record<string, unknown>> = {
  'enrollment.created': { enrollmentId, provisionId: randomUUID(), courseId },
  'waitlist.promoted': { registrationId: randomUUID(), sessionId: randomUUID(), courseId, enrollmentId },
  'exam.graded': {
    sittingId: randomUUID(),
    contentId: randomUUID(),
    enrollmentId,
    courseId,
    examTitle: 'Final',
    score: 80,
    passed: true,
  },
  'pace.reminder-due': {
    enrollmentId,
    provisionId: randomUUID(),
    courseId,
    companyId: null,
    day: '2026-03-02',
    verdict: 'behind',
    lessonsNeeded: 3,
    daysLeft: 5,
  },
};

const linkOf = (detailType: string, detail: Record<string, unknown>, locale: 'ko' | 'en') => {
  const fact = toldFact(detailType, { eventId: randomUUID(), ...base, ...detail });
  return messageFor(fact.kind, fact.params, locale, 'Asia/Seoul').link;
};

const isAppPath = (path: string) =>
  path === '/' || WEB_APP.screens.some((s) => path === s || path.startsWith(`${s}/`));

describe('a learner’s notification links', () => {
  it.each(Object.keys(facts))('%s leads to the course page of the fact’s enrollment', (detailType) => {
    for (const locale of ['ko', 'en'] as const) {
      const link = linkOf(detailType, facts[detailType]!, locale);
      expect(link).toBe(`/learn/${enrollmentId}`);
      expect(isAppPath(link)).toBe(true);
    }
  });

  it('a certificate’s lead to the learner’s certificates, a lecture’s to its live page', () => {
    const certificate = {
      number: 'LMS-ABCD-EFGH-JKMN-PQRS-TVWX',
      enrollmentId,
      institutionId: randomUUID(),
      companyId: null,
    };
    expect(linkOf('certificate.issued', certificate, 'ko')).toBe('/learn/certificates');
    for (const kind of ['lecture-scheduled', 'lecture-started'] as const) {
      const params = { lectureId: randomUUID(), title: 'Q&A', startsAt: base.occurredAt, endsAt: null };
      for (const locale of ['ko', 'en'] as const) {
        const link = messageFor(kind, params, locale, 'Asia/Seoul').link;
        expect(link).toBe(`/live/${params.lectureId}`);
        expect(isAppPath(link)).toBe(true);
      }
    }
  });
});
