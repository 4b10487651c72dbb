import { msLeft, observe, offsetEstimate, UNKNOWN_OFFSET } from '../../web/src/screens/exam-clock';

/** An API answer, with the server's Date header or none (a cross-origin API may not expose it). */
const answer = (date: string | null) =>
  new Response(null, { headers: date === null ? {} : { date: new Date(date).toUTCString() } });

describe('the exam clock', () => {
  const server = Date.parse('2026-12-06T10:00:00.400Z');
  const skew = -90_000; // the learner's computer is 90 s slow

  it('counts to the deadline by the server’s time, from a sitting’s exact start, whatever the client clock says', () => {
    const sentAt = server + skew - 40;
    const receivedAt = server + skew + 60;
    const deadlineAt = new Date(server + 3_600_000).toISOString();
    const offset = observe(
      UNKNOWN_OFFSET,
      { sentAt, receivedAt, response: answer(new Date(server).toISOString()) },
      { exact: new Date(server).toISOString(), deadlineAt, secondsLeft: 3600 },
    );
    // Known within the round trip: the server answered between sending and receiving.
    expect(offset.high - offset.low).toBeLessThanOrEqual(100);
    expect(Math.abs(offsetEstimate(offset) + skew)).toBeLessThanOrEqual(60);
    // At the client's "now" right after receiving: an hour minus the round trip, not an hour and 90 s.
    const left = msLeft(deadlineAt, offset, receivedAt);
    expect(left).toBeGreaterThan(3_600_000 - 160);
    expect(left).toBeLessThanOrEqual(3_600_000);
  });

  it('narrows with the Date header and whole seconds left when no exact time is given, and sharpens with more answers', () => {
    const deadline = server + 1_800_000;
    const first = observe(
      UNKNOWN_OFFSET,
      {
        sentAt: server + skew - 10,
        receivedAt: server + skew + 10,
        response: answer(new Date(server).toISOString()),
      },
      { deadlineAt: new Date(deadline).toISOString(), secondsLeft: Math.ceil((deadline - server) / 1000) },
    );
    // Date has whole seconds and secondsLeft is rounded up: within a second, and the truth inside it.
    expect(first.high - first.low).toBeLessThan(1020);
    expect(first.low).toBeLessThanOrEqual(-skew);
    expect(first.high).toBeGreaterThanOrEqual(-skew);
    const saved = server + 5_000;
    const second = observe(
      first,
      { sentAt: saved + skew - 5, receivedAt: saved + skew + 5, response: answer(null) },
      { exact: new Date(saved).toISOString() },
    );
    expect(second.high - second.low).toBeLessThanOrEqual(10);
    expect(Math.abs(offsetEstimate(second) + skew)).toBeLessThanOrEqual(5);
  });

  it('starts over when the client’s clock jumps, and trusts the client while nothing is known', () => {
    const before = observe(
      UNKNOWN_OFFSET,
      { sentAt: server - 5, receivedAt: server + 5, response: answer(null) },
      { exact: new Date(server).toISOString() },
    );
    // The learner set their clock an hour ahead between two answers.
    const later = server + 10_000;
    const after = observe(
      before,
      { sentAt: later + 3_600_000 - 5, receivedAt: later + 3_600_000 + 5, response: answer(null) },
      { exact: new Date(later).toISOString() },
    );
    expect(Math.abs(offsetEstimate(after) + 3_600_000)).toBeLessThanOrEqual(5);
    expect(offsetEstimate(UNKNOWN_OFFSET)).toBe(0);
    // An answer that says nothing of the time changes nothing.
    expect(observe(before, { sentAt: 0, receivedAt: 1, response: answer(null) })).toBe(before);
  });
});
