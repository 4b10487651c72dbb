import { eventQueueHandler } from '../shared/event-queue';
import { tellDeps } from './notifications-deps';
import { tellFact } from './tell';
import { toldFact } from './told-facts';

const deps = tellDeps();

/**
 * The queue a rule on the platform bus fills with every fact someone is told of: each becomes its people's
 * notifications and e-mails. A fact that breaks its contract fails, so it waits in the dead-letter queue.
 */
export const handler = eventQueueHandler({ done: 'Told', failed: 'Not told' }, async (envelope) => {
  const fact = toldFact(envelope['detail-type'], envelope.detail);
  return { eventId: fact.eventId, kind: fact.kind, told: await tellFact(deps, fact) };
});
