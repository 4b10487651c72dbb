import { GetStreamCommand, IvsClient } from '@aws-sdk/client-ivs';
import { IvschatClient } from '@aws-sdk/client-ivschat';
import { mockClient } from 'aws-sdk-client-mock';
import { IvsBusy, resourceName, streamOf, withIvsRetry } from '#lambda/live/ivs-resources';
import { isServiceUnavailable } from '#lambda/shared/unavailable';

/* The IVS helpers on their own: names within IVS's rules, and which failures are retried. */

const ivs = mockClient(IvsClient);
const region = { region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } };
const error = (name: string) => Object.assign(new Error(name), { name, $metadata: {} });

function deps() {
  const sleeps: number[] = [];
  return {
    ivs: new IvsClient(region),
    chat: new IvschatClient(region),
    sleep: async (ms: number) => {
      sleeps.push(ms);
    },
    random: () => 0.999,
    sleeps,
  };
}

beforeEach(() => ivs.reset());

describe('resourceName', () => {
  const id = '0b5e3c1e-8f7a-4d2b-9c41-2f6e1a7b9d00';
  it('keeps a valid prefix and makes any other fit IVS’s characters and 128 characters', () => {
    expect(resourceName('lms-prod_kr', id)).toBe(`lms-prod_kr-${id}`);
    expect(resourceName('lms.prod/kr', id)).toBe(`lms-prod-kr-${id}`);
    const long = resourceName('x'.repeat(300), id);
    expect(long).toHaveLength(128);
    expect(long.endsWith(`-${id}`)).toBe(true);
    expect(resourceName('', id)).toBe(id);
  });
});

describe('withIvsRetry', () => {
  it('does not retry what waiting cannot fix', async () => {
    const d = deps();
    let calls = 0;
    await expect(
      withIvsRetry(d, 'CreateChannel', async () => {
        calls++;
        throw error('ValidationException');
      }),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    expect([calls, d.sleeps]).toEqual([1, []]);
  });

  it('caps each wait and gives up with an error the HTTP wrapper answers 503', async () => {
    const d = deps();
    const e = await withIvsRetry(d, 'GetStream', async () => {
      throw error('ThrottlingException');
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(IvsBusy);
    expect(isServiceUnavailable(e)).toBe(true);
    expect((e as Error).message).toBe(
      'Amazon IVS is taking no more calls for now (GetStream was throttled 5 times); try again in a few seconds',
    );
    expect(d.sleeps).toEqual([199, 399, 799, 1598]);
  });
});

describe('streamOf', () => {
  it('reads LIVE as live, and a channel not broadcasting or gone as not live', async () => {
    const d = deps();
    const startTime = new Date('2026-12-01T09:00:00Z');
    ivs
      .on(GetStreamCommand)
      .resolvesOnce({ stream: { state: 'LIVE', startTime } })
      .resolvesOnce({ stream: { state: 'OFFLINE' } })
      .rejectsOnce(error('ChannelNotBroadcasting'))
      .rejectsOnce(error('ResourceNotFoundException'))
      .rejectsOnce(error('AccessDeniedException'));
    await expect(streamOf(d, 'arn:c')).resolves.toEqual({ live: true, startedAt: startTime });
    await expect(streamOf(d, 'arn:c')).resolves.toEqual({ live: false });
    await expect(streamOf(d, 'arn:c')).resolves.toEqual({ live: false });
    await expect(streamOf(d, 'arn:c')).resolves.toEqual({ live: false });
    await expect(streamOf(d, 'arn:c')).rejects.toMatchObject({ name: 'AccessDeniedException' });
    expect(ivs).toHaveReceivedCommandWith(GetStreamCommand, { channelArn: 'arn:c' });
  });
});
