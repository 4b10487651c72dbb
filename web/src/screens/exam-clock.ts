/*
 * The exam's clock is the server's: a sitting ends at the deadline the server fixed, by the server's time.
 * The client's clock may be minutes off, so each answer from the API bounds the difference between the two
 * (server time minus client time, in ms): the server's time lay within [low, high] at some moment between
 * sending the request and receiving its answer. Bounds from successive answers intersect, so the estimate
 * gets sharper the more answers are saved.
 */

export interface ClockOffset {
  readonly low: number;
  readonly high: number;
}

/** Nothing observed yet: the client's own clock is taken at its word. */
export const UNKNOWN_OFFSET: ClockOffset = { low: -Infinity, high: Infinity };

/** One API call, timed by the client: when it was sent and when its answer arrived (epoch ms). */
export interface Timing {
  readonly sentAt: number;
  readonly receivedAt: number;
  readonly response: Response;
}

/** Times a call of the typed client. */
export async function timed<T extends { response: Response }>(
  call: () => Promise<T>,
): Promise<T & { timing: Timing }> {
  const sentAt = Date.now();
  const result = await call();
  return { ...result, timing: { sentAt, receivedAt: Date.now(), response: result.response } };
}

/** What an answer says of the server's time while it answered. */
export interface ServerTimes {
  /** A timestamp the server took while answering (`savedAt`, a new sitting's `startedAt`), to the ms. */
  readonly exact?: string | null | undefined;
  /** The sitting's deadline with its whole `secondsLeft` (rounded up by the server). */
  readonly deadlineAt?: string | null | undefined;
  readonly secondsLeft?: number | null | undefined;
}

/** The server's time in [low, high] (epoch ms), from the `Date` header and the answer's own times. */
function serverTimeBounds(response: Response, times: ServerTimes): [number, number] {
  let low = -Infinity;
  let high = Infinity;
  const narrow = (l: number, h: number) => {
    low = Math.max(low, l);
    high = Math.min(high, h);
  };
  // The Date header has whole seconds (truncated); a cross-origin API may not expose it at all.
  const date = Date.parse(response.headers.get('date') ?? '');
  if (Number.isFinite(date)) narrow(date, date + 999);
  const exact = Date.parse(times.exact ?? '');
  if (Number.isFinite(exact)) narrow(exact, exact);
  const deadline = Date.parse(times.deadlineAt ?? '');
  const s = times.secondsLeft;
  // secondsLeft = ceil((deadline - now) / 1000), at least 0: now in [deadline - s s, deadline - (s - 1) s).
  if (Number.isFinite(deadline) && typeof s === 'number' && s > 0)
    narrow(deadline - s * 1000, deadline - (s - 1) * 1000);
  return [low, high];
}

/** The offset narrowed by one more answer. */
export function observe(previous: ClockOffset, timing: Timing, times: ServerTimes = {}): ClockOffset {
  const [serverLow, serverHigh] = serverTimeBounds(timing.response, times);
  if (serverLow > serverHigh || !Number.isFinite(serverLow) || !Number.isFinite(serverHigh)) return previous;
  const low = serverLow - timing.receivedAt;
  const high = serverHigh - timing.sentAt;
  const both = { low: Math.max(previous.low, low), high: Math.min(previous.high, high) };
  // Disjoint: the client's clock was changed or the computer slept; the new answer alone is right.
  return both.low <= both.high ? both : { low, high };
}

/** The best guess of server time minus client time, in ms. */
export function offsetEstimate(offset: ClockOffset): number {
  if (!Number.isFinite(offset.low) || !Number.isFinite(offset.high)) return 0;
  return (offset.low + offset.high) / 2;
}

/** Milliseconds to a deadline by the server's clock. */
export function msLeft(deadlineAt: string, offset: ClockOffset, clientNow: number = Date.now()): number {
  return Date.parse(deadlineAt) - (clientNow + offsetEstimate(offset));
}
