import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';

/** An event on its way to the platform bus. */
export interface OutgoingEvent {
  readonly source: string;
  readonly detailType: string;
  /** Carries `eventId` and `occurredAt`, so consumers deduplicate and order whatever the transport does. */
  readonly detail: Record<string, unknown>;
  readonly time: Date;
}

/** Publishes a batch and answers which of them were taken (by index); the rest are retried later. */
export type EventPublisher = (events: readonly OutgoingEvent[]) => Promise<readonly number[]>;

// PutEvents takes at most 10 entries per call.
const PUT_EVENTS_MAX = 10;

export function eventBridgePublisher(client: EventBridgeClient, busName: string): EventPublisher {
  return async (events) => {
    const taken: number[] = [];
    for (let start = 0; start < events.length; start += PUT_EVENTS_MAX) {
      const batch = events.slice(start, start + PUT_EVENTS_MAX);
      const { Entries = [] } = await client.send(
        new PutEventsCommand({
          Entries: batch.map((e) => ({
            EventBusName: busName,
            Source: e.source,
            DetailType: e.detailType,
            Detail: JSON.stringify(e.detail),
            Time: e.time,
          })),
        }),
      );
      // Entries answer in request order; a failed one has an ErrorCode instead of an EventId.
      batch.forEach((_, i) => {
        if (Entries[i]?.EventId && !Entries[i]?.ErrorCode) taken.push(start + i);
      });
    }
    return taken;
  };
}
