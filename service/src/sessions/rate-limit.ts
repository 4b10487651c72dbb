/** How often one learner may call the registration routes: a bucket of `burst`, refilled at `perSecond`. */
export interface RateLimit {
  readonly burst: number;
  readonly perSecond: number;
}

/** Buckets kept before full ones are forgotten (a full bucket is what a new learner gets anyway). */
const SWEEP_AT = 50_000;

/**
 * Per-learner token buckets, in this process, on the server's clock. One client cannot crowd others out
 * of an opening burst by repeating itself; each task of the service keeps its own buckets, so the
 * platform-wide limit is this one times the number of tasks.
 */
export class LearnerRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => Date,
  ) {}

  /** Takes a token for `sub`: undefined when granted, or the whole seconds to wait for the next one. */
  take(sub: string): number | undefined {
    const at = this.now().getTime();
    const b = this.refilled(this.buckets.get(sub), at);
    if (b.tokens < 1) {
      this.buckets.set(sub, b);
      return Math.max(1, Math.ceil((1 - b.tokens) / this.limit.perSecond));
    }
    this.buckets.set(sub, { tokens: b.tokens - 1, at });
    if (this.buckets.size > SWEEP_AT) this.sweep(at);
    return undefined;
  }

  private refilled(b: { tokens: number; at: number } | undefined, at: number) {
    if (!b) return { tokens: this.limit.burst, at };
    const gained = (Math.max(0, at - b.at) / 1000) * this.limit.perSecond;
    return { tokens: Math.min(this.limit.burst, b.tokens + gained), at };
  }

  private sweep(at: number) {
    for (const [sub, b] of this.buckets)
      if (this.refilled(b, at).tokens >= this.limit.burst) this.buckets.delete(sub);
  }
}
