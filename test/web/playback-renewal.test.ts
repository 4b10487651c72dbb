import { playbackRenewal } from '../../web/src/screens/playback-renewal';

/** The player's side, recorded in order: each renewal asked of the API, each reload, each time it gave up. */
function player() {
  const calls: string[] = [];
  const answers: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  const renewal = playbackRenewal({
    renew: () => {
      calls.push('renew');
      return new Promise<void>((resolve, reject) => answers.push({ resolve, reject }));
    },
    reload: () => calls.push('reload'),
    giveUp: (e) => calls.push(e === undefined ? 'give up' : `give up: ${String(e)}`),
  });
  /** Lets the API answer the latest renewal, and the promise callbacks run. */
  const answer = async (outcome: 'ok' | Error = 'ok') => {
    const latest = answers.at(-1)!;
    if (outcome === 'ok') latest.resolve();
    else latest.reject(outcome);
    await Promise.resolve();
    await Promise.resolve();
  };
  return { calls, renewal, answer };
}

describe('the player when the video origin refuses the stream', () => {
  it('renews the cookies and loads again', async () => {
    const { calls, renewal, answer } = player();
    renewal.refused();
    expect(calls).toEqual(['renew']);
    await answer();
    expect(calls).toEqual(['renew', 'reload']);
  });

  it('asks the API once for the refusals that arrive while it renews', async () => {
    const { calls, renewal, answer } = player();
    renewal.refused();
    renewal.refused();
    await answer();
    expect(calls).toEqual(['renew', 'reload']);
  });

  it('gives up when the retry is refused too, instead of renewing in a loop', async () => {
    const { calls, renewal, answer } = player();
    renewal.refused();
    await answer();
    renewal.refused();
    expect(calls).toEqual(['renew', 'reload', 'give up']);
  });

  it('renews again for a refusal after the stream played on (the next lapse or rotation)', async () => {
    const { calls, renewal, answer } = player();
    renewal.refused();
    await answer();
    renewal.loaded();
    renewal.refused();
    await answer();
    expect(calls).toEqual(['renew', 'reload', 'renew', 'reload']);
  });

  it('shows why when the API refuses the renewal, and does not load again', async () => {
    const { calls, renewal, answer } = player();
    renewal.refused();
    await answer(new Error('403 enrollment ended'));
    expect(calls).toEqual(['renew', 'give up: Error: 403 enrollment ended']);
  });
});
