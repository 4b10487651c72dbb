/**
 * Reads shared by the requests of one execution environment: concurrent callers wait for the same read, and
 * its result is kept for `keepMs` if `keep` says so. A burst on one lecture (a whole class joining, or
 * answering a quiz within seconds of its send) runs on a few warm environments; each reads what does not
 * change once, not once per request.
 */
export class SharedReads<T> {
  private readonly entries = new Map<string, { readonly at: number; readonly value: Promise<T> }>();

  constructor(
    private readonly keepMs: number,
    private readonly keep: (value: T) => boolean,
  ) {}

  get(key: string, now: Date, read: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit && now.getTime() - hit.at < this.keepMs) return hit.value;
    // A bound, not an LRU: a function serves a few lectures at a time.
    if (this.entries.size >= 1000) this.entries.clear();
    const value = read();
    this.entries.set(key, { at: now.getTime(), value });
    value.then(
      (v) => {
        if (!this.keep(v) && this.entries.get(key)?.value === value) this.entries.delete(key);
      },
      () => {
        if (this.entries.get(key)?.value === value) this.entries.delete(key);
      },
    );
    return value;
  }
}
