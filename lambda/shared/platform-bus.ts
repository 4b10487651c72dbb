import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { EVENTS } from '#contracts/resources';

/** What putting a fact on the platform bus takes. */
export interface BusDeps {
  readonly eventBridge: EventBridgeClient;
  readonly busName: string;
}

/**
 * Puts one fact on the platform bus, timed when it happened. PutEvents answers 200 even when it drops an
 * entry; throwing then makes the caller's source (EventBridge, a retried event) deliver again.
 */
export async function putOnBus(
  deps: BusDeps,
  fact: {
    readonly source: string;
    readonly detailType: string;
    readonly detail: unknown;
    readonly time: Date;
  },
): Promise<void> {
  const answer = await deps.eventBridge.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: deps.busName,
          Source: fact.source,
          DetailType: fact.detailType,
          Detail: JSON.stringify(fact.detail),
          Time: fact.time,
        },
      ],
    }),
  );
  if ((answer.FailedEntryCount ?? 0) > 0) {
    const entry = answer.Entries?.[0];
    throw new Error(
      `PutEvents refused ${fact.detailType}: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim(),
    );
  }
}

/** The platform bus's name, as the stacks set it on every publisher; read at a handler's cold start. */
export function busNameFromEnv(): string {
  const name = process.env[EVENTS.busNameEnv];
  if (!name) throw new Error(`Missing environment: ${EVENTS.busNameEnv}`);
  return name;
}
