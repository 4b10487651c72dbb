import { enrollmentCompleted } from '#contracts/platform-events';
import { eventQueueHandler } from '../shared/event-queue';
import { issueCertificate } from './certificates';
import { certificateDeps } from './certificates-deps';

const deps = certificateDeps();

/** The queue a rule on the platform bus fills with the core's completions: each gets its certificate. */
export const handler = eventQueueHandler(
  { done: 'Certificate', failed: 'Certificate not issued' },
  async (envelope) => {
    const fact = enrollmentCompleted.parse(envelope.detail);
    return { enrollmentId: fact.enrollmentId, ...(await issueCertificate(deps, fact)) };
  },
);
