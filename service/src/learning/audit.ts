import type { Transaction } from 'kysely';
import type { Database, LearningAuditTable } from '../db/schema';

export interface AuditEntry {
  readonly enrollmentId: string;
  readonly userSub: string;
  readonly kind: LearningAuditTable['kind'];
  /** The content (lesson or exam) the entry is about; none for the course's completion. */
  readonly contentId: string | null;
  readonly at: Date;
}

/** Appends to the learner's audit trail, in the transaction of the change it records. */
export async function appendAudit(
  trx: Transaction<Database>,
  entry: AuditEntry,
  detail: Record<string, unknown>,
): Promise<void> {
  await trx
    .insertInto('learning_audit')
    .values({
      enrollment_id: entry.enrollmentId,
      user_sub: entry.userSub,
      kind: entry.kind,
      content_id: entry.contentId,
      detail: JSON.stringify(detail),
      at: entry.at,
    })
    .execute();
}
