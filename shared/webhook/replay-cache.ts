/**
 * `webhook-id`s this instance has accepted, kept until their signature timestamp leaves the tolerance
 * window (after that the signature check rejects a replay by itself). Bounded: when full, expired ids
 * go first, then the oldest. Per instance, as FC gives no shared memory; a cold start forgets.
 */
export class ReplayCache {
  readonly #expiresAt = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    this.#maxEntries = Math.max(1, options.maxEntries ?? 10_000);
    this.#now = options.now ?? Date.now;
  }

  /** Records `id` until `expiresAtMs`; false when it is already recorded and not yet expired. */
  claim(id: string, expiresAtMs: number): boolean {
    const now = this.#now();
    const seen = this.#expiresAt.get(id);
    if (seen !== undefined && seen > now) return false;
    this.#expiresAt.delete(id);
    if (this.#expiresAt.size >= this.#maxEntries) this.#evict(now);
    this.#expiresAt.set(id, expiresAtMs);
    return true;
  }

  /** Forgets `id`, so a sender may retry the same message (after a failure it can retry past). */
  release(id: string): void {
    this.#expiresAt.delete(id);
  }

  get size(): number {
    return this.#expiresAt.size;
  }

  /**
   * Makes room when full: every expired id goes first, then the oldest (Map iteration is insertion
   * order) until the cache is at 90 % of its bound. The slack is what keeps this cheap: a full sweep runs
   * at most once per tenth of the bound of new ids, not on every claim of a full cache (~50 µs at
   * 10,000 ids, on the request path).
   */
  #evict(now: number): void {
    for (const [id, expiresAt] of this.#expiresAt) if (expiresAt <= now) this.#expiresAt.delete(id);
    const lowWater = Math.floor(this.#maxEntries * 0.9);
    for (const id of this.#expiresAt.keys()) {
      if (this.#expiresAt.size <= lowWater) break;
      this.#expiresAt.delete(id);
    }
  }
}
