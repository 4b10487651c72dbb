import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import Fastify, { type FastifyInstance } from 'fastify';
import { LOCAL_AWS } from '#local/dynamodb-local';
import { LocalEventBus } from '#local/event-bus';
import { registerLocalEventBridge } from '#local/eventbridge';

/* The local PutEvents, spoken to by the real SDK client: what it puts on the bus and what it refuses. */

const BUS = 'lms-local';
let app: FastifyInstance;
let bus: LocalEventBus;
let endpoint: string;

const client = (credentials = LOCAL_AWS.credentials) =>
  new EventBridgeClient({ endpoint, region: LOCAL_AWS.region, credentials, maxAttempts: 1 });

beforeAll(async () => {
  app = Fastify();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));
  bus = new LocalEventBus();
  registerLocalEventBridge(app, '/local/eventbridge', { busName: BUS, publish: bus.publish });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  endpoint = `${address}/local/eventbridge`;
});
afterAll(() => app.close());

const entry = (detail: unknown, over: Record<string, unknown> = {}) => ({
  EventBusName: BUS,
  Source: 'lms.live',
  DetailType: 'live.ended',
  Detail: JSON.stringify(detail),
  Time: new Date('2026-12-10T02:00:00Z'),
  ...over,
});

describe('the local EventBridge', () => {
  it('puts each entry on the bus with its time, and fails only the entries EventBridge would', async () => {
    const before = bus.published.length;
    const answer = await client().send(
      new PutEventsCommand({
        Entries: [
          entry({ lectureId: 'a' }),
          { ...entry({}), Detail: '[1]' },
          entry({ pad: 'x'.repeat(300 * 1024) }),
        ],
      }),
    );
    expect(answer.FailedEntryCount).toBe(2);
    expect(answer.Entries?.map((e) => e.ErrorCode ?? 'ok')).toEqual([
      'ok',
      'MalformedDetail',
      'EntryTooLarge',
    ]);
    expect(bus.published.slice(before)).toEqual([
      expect.objectContaining({
        source: 'lms.live',
        'detail-type': 'live.ended',
        time: '2026-12-10T02:00:00.000Z',
        detail: { lectureId: 'a' },
      }),
    ]);
  });

  it('refuses another bus, more than 10 entries and a request not signed with the local key', async () => {
    const before = bus.published.length;
    await expect(
      client().send(new PutEventsCommand({ Entries: [entry({}, { EventBusName: 'someone-else' })] })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(
      client().send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry({})) })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      client({ accessKeyId: 'local', secretAccessKey: 'wrong' }).send(
        new PutEventsCommand({ Entries: [entry({})] }),
      ),
    ).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
    expect(bus.published.length).toBe(before);
  });

  it('takes from the service’s publisher only the entries EventBridge would, as PutEvents answers', async () => {
    const before = bus.published.length;
    const event = (text: string) => ({
      source: 'lms.core',
      detailType: 'enrollment.created',
      detail: { text },
      time: new Date('2026-12-10T02:00:00Z'),
    });
    // The outbox relay publishes straight to the bus: an entry over 256 KB stays unpublished, as in AWS.
    expect(await bus.publish([event('x'.repeat(256 * 1024)), event('small')])).toEqual([1]);
    expect(bus.published.slice(before).map((e) => e.detail)).toEqual([{ text: 'small' }]);
  });
});
