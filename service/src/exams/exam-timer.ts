import type { Kysely } from 'kysely';
import type { ComplianceProfile } from '#contracts/compliance-profiles';
import type { Database } from '../db/schema';
import { startLoops, type LoopOptions, type Worker } from '../shared/background-loop';
import { DUE_BATCH, submitDueSittings } from './sittings';

export interface ExamTimerOptions extends LoopOptions {
  readonly db: Kysely<Database>;
  /** The institution's profile, whose `examMinutes` set each sitting's deadline. */
  readonly compliance: ComplianceProfile;
  /** @default the system clock */
  readonly clock?: () => Date;
}

/**
 * Submits exam sittings whose time is up, in the service's process. A learner's own requests submit their
 * sittings past the deadline too; this covers those who left.
 */
export function startExamTimer(options: ExamTimerOptions): Worker {
  const clock = options.clock ?? (() => new Date());
  return startLoops(
    {
      'exam timer': async () =>
        (await submitDueSittings(options.db, options.compliance, clock())) === DUE_BATCH,
    },
    options,
  );
}
