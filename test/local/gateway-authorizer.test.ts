import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { gatewayAuthorizer, type AuthorizerDecision } from '#local/gateway-authorizer';

const allow = (sub: string): AuthorizerDecision => ({
  isAuthorized: true,
  context: { sub, email: '', roles: 'learner' },
});
const event = {} as APIGatewayRequestAuthorizerEventV2;

function setup(answer: (cookie: string) => AuthorizerDecision) {
  const seen: string[][] = [];
  let nowMs = 1_000_000;
  const authorize = gatewayAuthorizer({
    handler: async (e) => {
      seen.push(e.identitySource);
      const cookie = e.identitySource[0]!;
      if (cookie.includes('bad')) throw new Error('Unauthorized');
      return answer(cookie);
    },
    cacheSeconds: 30,
    maxEntries: 2,
    now: () => nowMs,
  });
  return { authorize, seen, wait: (ms: number) => (nowMs += ms) };
}

describe('the local gateway around the authorizer', () => {
  it('answers 401 without the Cookie header and never asks the authorizer', async () => {
    const { authorize, seen } = setup(() => allow('u-1'));
    await expect(authorize(event, undefined)).resolves.toBe('unauthorized');
    await expect(authorize(event, '')).resolves.toBe('unauthorized');
    expect(seen).toEqual([]);
  });

  it('reuses an answer for the same header until the cache time has passed', async () => {
    const { authorize, seen, wait } = setup((cookie) => allow(cookie));
    await expect(authorize(event, 'lms_access=a')).resolves.toEqual(allow('lms_access=a'));
    wait(29_999);
    await expect(authorize(event, 'lms_access=a')).resolves.toEqual(allow('lms_access=a'));
    await expect(authorize(event, 'lms_access=b')).resolves.toEqual(allow('lms_access=b'));
    wait(1);
    await authorize(event, 'lms_access=a');
    expect(seen).toEqual([['lms_access=a'], ['lms_access=b'], ['lms_access=a']]);
  });

  it('keeps no refusal, and forgets the oldest answer beyond its size', async () => {
    const { authorize, seen } = setup((cookie) => allow(cookie));
    await expect(authorize(event, 'bad')).resolves.toBe('unauthorized');
    await expect(authorize(event, 'bad')).resolves.toBe('unauthorized');
    for (const cookie of ['a', 'b', 'c', 'b', 'a']) await authorize(event, cookie);
    expect(seen.map(([c]) => c)).toEqual(['bad', 'bad', 'a', 'b', 'c', 'a']);
  });
});
