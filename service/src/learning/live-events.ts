import type { Kysely } from 'kysely';
import { applyLiveRecorded, liveRecordedReport } from '../courses/live-recordings';
import type { Database } from '../db/schema';
import type { EventHandler } from '../events/queue-consumer';
import type { WorkerLog } from '../shared/background-loop';
import { applyLiveEnded, liveEndedReport } from './live-attendance';

/** The core service's handlers of the live domain's events, by detail type. */
export function liveEventHandlers(db: Kysely<Database>, log: WorkerLog): Record<string, EventHandler> {
  return {
    // A report that does not parse throws, so its message stays on the queue and ends in the dead-letter
    // queue, as a malformed video event does.
    'live.ended': async (e) => {
      const report = liveEndedReport.parse(e.detail);
      const result = await applyLiveEnded(db, e.id, report);
      // Skipping is right (a stale or foreign id must not write anyone's record) but someone should know.
      if (result.outcome === 'applied' && result.skipped.length > 0)
        log.warn('live attendees skipped: no enrollment of theirs in the lecture’s provision', {
          eventId: e.id,
          lectureId: report.lectureId,
          part: report.part,
          skipped: result.skipped,
        });
      return result;
    },
    // A recording becomes a content of the course: the courses domain's rules (its own module) apply it.
    'live.recorded': async (e) => {
      const report = liveRecordedReport.parse(e.detail);
      const result = await applyLiveRecorded(db, e.id, report);
      if (result.outcome === 'archived-course')
        log.warn('live recording not added: its course is archived', {
          eventId: e.id,
          lectureId: report.lectureId,
          courseId: report.courseId,
        });
      return result;
    },
  };
}
