import type { CallPacer } from '../cityvisual/client.js';

/** A client-side rate limit: `acquire()` resolves when the caller may send one request. */
export interface RateLimiter extends CallPacer {
  /**
   * Waits for the next free slot. When that slot lies after `deadline` (epoch ms), resolves at the
   * deadline without taking it, so the caller's own deadline check stops the attempt. A slot free now
   * is taken without a promise (`undefined`).
   */
  acquire(deadline?: number): Promise<void> | undefined;
}

export interface TokenBucketOptions {
  /** Sustained requests per second. */
  readonly ratePerSecond: number;
  /**
   * Requests that may go back to back after an idle spell. Default 1: evenly spaced requests, so a
   * server counting per sliding second never sees more than `ratePerSecond` from us.
   */
  readonly burst?: number;
  /** Seams for deterministic tests. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Lateness always tolerated, ms: timers are this coarse, and a high rate's interval is shorter. */
const MIN_LATE_MS = 20;

/**
 * A token bucket in its GCRA form (one "theoretical arrival time" instead of a token count): slots are
 * handed out in call order, `1000 / ratePerSecond` ms apart, with up to `burst` at once after idling.
 * One bucket is shared by every call of one invocation (the `pacer` of its calls, see `pacedClient`), so
 * retries and DescribeJobGroups reads count against the same budget as writes.
 *
 * @example
 * const client = pacedClient(clientFor(invocation, runtime), createTokenBucket({ ratePerSecond: 20 }));
 */
export function createTokenBucket(options: TokenBucketOptions): RateLimiter {
  if (!(options.ratePerSecond > 0)) throw new RangeError('ratePerSecond must be positive');
  const interval = 1000 / options.ratePerSecond;
  const tolerance = (Math.max(1, Math.floor(options.burst ?? 1)) - 1) * interval;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  let theoreticalArrival = Number.NEGATIVE_INFINITY;
  // How late a sleeper may wake and still use its slot: past it, the slot is stale.
  const lateMs = Math.max(interval, MIN_LATE_MS);
  /**
   * Takes the next slot, or answers `undefined` when it is past `deadline` (not taken: a slot past the
   * deadline would only delay the callers that can still use theirs); else when it may go (epoch ms).
   */
  function take(t: number, deadline: number): number | undefined {
    const arrival = Math.max(theoreticalArrival, t);
    const allowedAt = arrival - tolerance;
    if (allowedAt > deadline) return undefined;
    theoreticalArrival = arrival + interval;
    return allowedAt;
  }
  const untilDeadline = (deadline: number, t: number) => (deadline > t ? sleep(deadline - t) : undefined);
  /** An acquire whose slot lies ahead: sleeps to it; a stale slot is given up for a new one, once. */
  async function waitFor(allowedAt: number, t: number, deadline: number): Promise<void> {
    await sleep(allowedAt - t);
    // Woken late (the event loop was busy): every sleeper whose slot passed meanwhile would go at
    // once, a burst a server counting per second throttles. A stale slot is given up for a new one,
    // once, so the requests after a stall go out paced again.
    if (now() - allowedAt <= lateMs) return;
    const again = now();
    const next = take(again, deadline);
    if (next === undefined) return untilDeadline(deadline, again);
    if (next > again) await sleep(next - again);
  }
  return {
    // Not async: a free slot (the usual case) answers without a promise; only a wait makes one.
    acquire(deadline = Number.POSITIVE_INFINITY) {
      const t = now();
      const allowedAt = take(t, deadline);
      if (allowedAt === undefined) return untilDeadline(deadline, t);
      return allowedAt <= t ? undefined : waitFor(allowedAt, t, deadline);
    },
  };
}
