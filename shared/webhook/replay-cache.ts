/**
 * `webhook-id`s this instance has accepted, kept until their signature timestamp leaves the tolerance
 * window (after that the signature check rejects a replay by itself). Bounded, and never by forgetting:
 * a full cache drops only expired ids, and while none has expired it takes no new id — an id forgotten
 * early could be replayed. Per instance, as FC gives no shared memory; a cold start forgets.
 */
export type ClaimResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'replayed' }
  /** No room until the earliest kept id expires, `retryAfterMs` from now. */
  | { readonly ok: false; readonly reason: 'full'; readonly retryAfterMs: number };

const CLAIMED: ClaimResult = { ok: true };
const REPLAYED: ClaimResult = { ok: false, reason: 'replayed' };

export class ReplayCache {
  readonly #expiresAt = new Map<string, number>();
  readonly #maxEntries: number;
  readonly #now: () => number;
  /** The earliest expiry among kept ids (as of the last sweep, lowered by every claim since): no sweep frees anything before it. */
  #nextExpiry = Number.NEGATIVE_INFINITY;

  constructor(options: { maxEntries?: number; now?: () => number } = {}) {
    this.#maxEntries = Math.max(1, options.maxEntries ?? 10_000);
    this.#now = options.now ?? Date.now;
  }

  /** Records `id` until `expiresAtMs`, unless it is recorded and not yet expired, or there is no room. */
  claim(id: string, expiresAtMs: number): ClaimResult {
    const now = this.#now();
    const seen = this.#expiresAt.get(id);
    if (seen !== undefined && seen > now) return REPLAYED;
    this.#expiresAt.delete(id);
    if (this.#expiresAt.size >= this.#maxEntries) {
      // A sweep visits every id: run it only once something can have expired since the last one.
      if (now >= this.#nextExpiry) this.#sweep(now);
      if (this.#expiresAt.size >= this.#maxEntries) {
        return { ok: false, reason: 'full', retryAfterMs: Math.max(1, this.#nextExpiry - now) };
      }
    }
    this.#expiresAt.set(id, expiresAtMs);
    // An id accepted after the last sweep may expire before the ones that sweep kept.
    if (expiresAtMs < this.#nextExpiry) this.#nextExpiry = expiresAtMs;
    return CLAIMED;
  }

  /** Forgets `id`, so a sender may retry the same message (after a failure it can retry past). */
  release(id: string): void {
    this.#expiresAt.delete(id);
  }

  get size(): number {
    return this.#expiresAt.size;
  }

  /** Drops every expired id and notes when the earliest kept one expires. */
  #sweep(now: number): void {
    let next = Number.POSITIVE_INFINITY;
    for (const [id, expiresAt] of this.#expiresAt) {
      if (expiresAt <= now) this.#expiresAt.delete(id);
      else if (expiresAt < next) next = expiresAt;
    }
    this.#nextExpiry = next;
  }
}
