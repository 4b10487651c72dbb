import type { Kysely } from 'kysely';
import { usersInvited } from '#contracts/platform-events';
import { affiliateEmployee } from '../companies/companies';
import type { Database } from '../db/schema';
import type { EventHandler } from '../events/queue-consumer';
import { HttpError } from '../http/errors';
import { loadCaller } from '../http/identity';
import { inviteInstructor } from '../institutions/institutions';
import type { WorkerLog } from '../shared/background-loop';

/**
 * The users domain made or found an invitee's account; the core affiliates them, with the inviter's rights
 * as they are now in this database (the users domain judged them from its own copy, which may be behind: a
 * manager removed meanwhile invites nobody). Both steps are idempotent, so a redelivery states the same
 * fact again and changes nothing else.
 */
export function invitationEventHandlers(db: Kysely<Database>, log: WorkerLog): Record<string, EventHandler> {
  return {
    'users.invited': async (e) => {
      // One that does not parse throws, so it ends in the dead-letter queue as other malformed events do.
      const invited = usersInvited.parse(e.detail);
      const inviter = await loadCaller(db, { sub: invited.invitedBy, email: undefined, roles: [] });
      try {
        const where = invited.role === 'employee' ? invited.companyId : invited.institutionId;
        if (invited.role === 'employee')
          await affiliateEmployee(db, inviter, where, invited.userSub, invited.email);
        else await inviteInstructor(db, inviter, where, invited.userSub);
        return { outcome: 'applied' as const };
      } catch (err) {
        // A refusal is final (retrying cannot make the inviter a manager again): say so and drop it.
        if (!(err instanceof HttpError) || err.status >= 500) throw err;
        log.warn('invitation not applied', {
          eventId: e.id,
          role: invited.role,
          invitedBy: invited.invitedBy,
          reason: err.message,
        });
        return { outcome: 'refused' as const, reason: err.message };
      }
    },
  };
}
