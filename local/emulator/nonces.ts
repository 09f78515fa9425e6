/** Remembers `SignatureNonce`s per AccessKey for a time-to-live, to reject replays. */
export class NonceCache {
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly clock: () => number,
  ) {}

  /** Records the nonce; false when it was already used within the TTL. */
  claim(accessKeyId: string, nonce: string): boolean {
    const now = this.clock();
    this.prune(now);
    const key = `${accessKeyId}\n${nonce}`;
    const expiresAt = this.seen.get(key);
    if (expiresAt !== undefined && expiresAt > now) return false;
    this.seen.delete(key);
    this.seen.set(key, now + this.ttlMs);
    return true;
  }

  clear(): void {
    this.seen.clear();
  }

  // Entries are kept in insertion order, which is expiry order while the clock moves forward.
  private prune(now: number): void {
    for (const [key, expiresAt] of this.seen) {
      if (expiresAt > now) break;
      this.seen.delete(key);
    }
  }
}
