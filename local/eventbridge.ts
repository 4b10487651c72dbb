import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as z from 'zod';
import type { EventPublisher } from '#service/events/publisher';
import { entryBytes, MAX_ENTRY_BYTES } from './event-bus';
import { verifyLocalSignature } from './local-signature';

/**
 * EventBridge's PutEvents on one machine, for Lambda handlers that publish with the real SDK client (pointed
 * here by AWS_ENDPOINT_URL_EVENTBRIDGE): the JSON 1.1 protocol, SigV4 checked, entries put on the local bus.
 * It refuses what EventBridge refuses of a call: more than 10 entries, an unknown bus, a detail that is not a
 * JSON object, an entry over 256 KB (then that entry alone fails, as PutEvents reports it).
 */

/** EventBridge's documented limit of entries a PutEvents call takes. */
const MAX_ENTRIES = 10;

const putEvents = z.object({
  Entries: z
    .array(
      z.object({
        Source: z.string().min(1).max(256),
        DetailType: z.string().min(1).max(128),
        Detail: z.string().min(1),
        EventBusName: z.string().min(1).max(1600).optional(),
        Resources: z.array(z.string()).optional(),
        // The SDK sends epoch seconds.
        Time: z.number().optional(),
      }),
    )
    .min(1)
    .max(MAX_ENTRIES),
});

export interface LocalEventBridgeOptions {
  /** The platform bus's name: entries for any other bus are refused. */
  readonly busName: string;
  readonly publish: EventPublisher;
  /** @default the system clock */
  readonly clock?: () => Date;
}

export function registerLocalEventBridge(
  app: FastifyInstance,
  path: string,
  options: LocalEventBridgeOptions,
): void {
  const json = { 'content-type': 'application/x-amz-json-1.1' };
  const fail = (reply: FastifyReply, status: number, type: string, message: string) =>
    reply.code(status).headers(json).send({ __type: type, message });
  const handler = async (req: FastifyRequest, reply: FastifyReply) => {
    const body = typeof req.body === 'string' ? req.body : '';
    const verdict = verifyLocalSignature(
      { method: req.method, url: req.url, headers: req.headers },
      'events',
      Buffer.from(body, 'utf8'),
    );
    if (!verdict.ok) return fail(reply, 403, verdict.code, verdict.message);
    const action = String(req.headers['x-amz-target'] ?? '');
    if (action !== 'AWSEvents.PutEvents') {
      return fail(reply, 400, 'UnknownOperationException', `${action} is not served locally`);
    }
    let input: unknown;
    try {
      input = JSON.parse(body);
    } catch {
      return fail(reply, 400, 'SerializationException', 'The body is not JSON');
    }
    const parsed = putEvents.safeParse(input);
    if (!parsed.success) return fail(reply, 400, 'ValidationException', z.prettifyError(parsed.error));
    const unknownBus = parsed.data.Entries.find((e) => (e.EventBusName ?? 'default') !== options.busName);
    if (unknownBus) {
      return fail(
        reply,
        400,
        'ResourceNotFoundException',
        `Event bus ${unknownBus.EventBusName} does not exist.`,
      );
    }
    const results: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[] = [];
    for (const entry of parsed.data.Entries) {
      let detail: unknown;
      try {
        detail = JSON.parse(entry.Detail);
      } catch {
        detail = undefined;
      }
      if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
        results.push({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
        continue;
      }
      if (entryBytes(entry) > MAX_ENTRY_BYTES) {
        results.push({ ErrorCode: 'EntryTooLarge', ErrorMessage: 'The entry exceeds 256 KB.' });
        continue;
      }
      const time = entry.Time === undefined ? (options.clock?.() ?? new Date()) : new Date(entry.Time * 1000);
      await options.publish([
        {
          source: entry.Source,
          detailType: entry.DetailType,
          detail: detail as Record<string, unknown>,
          time,
        },
      ]);
      results.push({ EventId: randomUUID() });
    }
    return reply
      .headers(json)
      .send({ FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results });
  };
  app.post(path, handler);
  app.post(`${path}/`, handler);
}
