import type { SNSEvent } from 'aws-lambda';
import { sesFeedbackEvent } from '#contracts/notifications';
import { documentClient } from '../shared/clients';
import { readEnv } from '../shared/env';
import { logger } from '../shared/observability';
import { suppressAddress } from './inbox';

const deps = {
  ddb: documentClient(),
  notificationsTable: readEnv('notificationsTable').notificationsTable,
  now: () => new Date(),
};

/**
 * SES's bounces and complaints, as the configuration set's event destination publishes them to SNS: a
 * permanent bounce or a complaint suppresses each address it names. A transient bounce (a full mailbox)
 * suppresses nothing. A throw makes SNS deliver again; suppressing twice is harmless.
 */
export const handler = async (event: SNSEvent): Promise<void> => {
  for (const record of event.Records) {
    let message: unknown;
    try {
      message = JSON.parse(record.Sns.Message);
    } catch {
      message = undefined;
    }
    const parsed = sesFeedbackEvent.safeParse(message);
    if (!parsed.success) {
      logger.warn('Not an SES event', { messageId: record.Sns.MessageId });
      continue;
    }
    const { eventType, mail, bounce, complaint } = parsed.data;
    const addresses =
      eventType === 'Bounce' && bounce?.bounceType === 'Permanent'
        ? bounce.bouncedRecipients.map((r) => r.emailAddress)
        : eventType === 'Complaint' && complaint
          ? complaint.complainedRecipients.map((r) => r.emailAddress)
          : [];
    for (const address of addresses) {
      const suppressed = await suppressAddress(
        deps,
        address,
        eventType === 'Bounce' ? 'bounce' : 'complaint',
        mail.messageId,
      );
      logger.info('Address suppressed', { eventType, messageId: mail.messageId, suppressed });
    }
  }
};
