import { randomUUID } from 'node:crypto';
import type { EventEnvelope } from '#contracts/platform-events';
import type { EventPublisher, OutgoingEvent } from '#service/events/publisher';
import type { EventHandler } from '#service/events/queue-consumer';

/** EventBridge's limit on one PutEvents entry. */
export const MAX_ENTRY_BYTES = 256 * 1024;

/** An entry's size, close to EventBridge's own reckoning (its fields as sent). */
export const entryBytes = (entry: { Source: string; DetailType: string; Detail: string }) =>
  Buffer.byteLength(JSON.stringify(entry), 'utf8');

/**
 * The platform bus on one machine: what EventBridge, its rules and the consumers' SQS queues do in AWS,
 * in memory. Publishers get the same EventPublisher interface; subscribers get the same envelope an SQS
 * message body carries. Delivery is after publish returns, as in AWS, so a publisher's transaction is
 * never waiting on its consumers (PGlite has one connection).
 */
export class LocalEventBus {
  /** Every event published, in order, for the runner's log and for tests. */
  readonly published: EventEnvelope[] = [];
  /** A subscriber without a detail type takes every one of its source's. */
  private readonly subscribers: { source: string; detailType?: string; handler: EventHandler }[] = [];
  private inFlight = new Set<Promise<unknown>>();

  constructor(private readonly log: (line: string) => void = () => undefined) {}

  /** Like an EventBridge rule on source and detail types, with one target. */
  subscribe(source: string, types: readonly string[], handlers: Readonly<Record<string, EventHandler>>) {
    for (const type of types) {
      const handler = handlers[type];
      if (!handler) throw new Error(`no handler for ${type}`);
      this.subscribers.push({ source, detailType: type, handler });
    }
  }

  /** Like an EventBridge rule on sources alone (every detail type they publish), with one target. */
  subscribeSources(sources: readonly string[], handler: EventHandler) {
    for (const source of sources) this.subscribers.push({ source, handler });
  }

  /** While false, publishing fails as PutEvents does when EventBridge cannot be reached (fault tests). */
  reachable = true;

  readonly publish: EventPublisher = async (events) => {
    if (!this.reachable) throw new Error('connect ECONNREFUSED: the event bus is unreachable');
    // An entry over EventBridge's limit fails alone, as PutEvents reports it; the rest are taken.
    const taken: number[] = [];
    events.forEach((e, i) => {
      const entry = { Source: e.source, DetailType: e.detailType, Detail: JSON.stringify(e.detail) };
      if (entryBytes(entry) > MAX_ENTRY_BYTES) return;
      this.deliver(e);
      taken.push(i);
    });
    return taken;
  };

  /** Resolves when every delivery started so far has finished. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  private deliver(e: OutgoingEvent): void {
    const envelope: EventEnvelope = {
      id: randomUUID(),
      source: e.source,
      'detail-type': e.detailType,
      time: e.time.toISOString(),
      detail: e.detail,
    };
    this.published.push(envelope);
    this.log(`event ${e.source} ${e.detailType}`);
    for (const s of this.subscribers.filter(
      (x) => x.source === e.source && (x.detailType === undefined || x.detailType === e.detailType),
    )) {
      const delivery = new Promise((resolve) => setImmediate(resolve))
        .then(() => s.handler(envelope))
        .catch((error: Error) => this.log(`event ${e.detailType} not handled: ${error.message}`))
        .finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
  }
}
