import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createTokenBucket } from '../../../shared/scheduler/index.js';

/** A virtual clock: `sleep` only records when each caller would wake up. */
function virtualClock(start = 0) {
  let now = start;
  const grants: number[] = [];
  return {
    now: () => now,
    set: (t: number) => {
      now = t;
    },
    sleep: async (ms: number) => {
      grants.push(now + ms);
    },
    grants,
  };
}

describe('createTokenBucket', () => {
  it('spaces callers who arrive together 1/rate apart, in arrival order', async () => {
    // Prepare
    const clock = virtualClock(1_000);
    const bucket = createTokenBucket({ ratePerSecond: 10, now: clock.now, sleep: clock.sleep });

    // Act
    await Promise.all(Array.from({ length: 5 }, () => bucket.acquire()));

    // Assess: the first goes at once (no sleep), the rest 100 ms apart
    expect(clock.grants).toEqual([1_100, 1_200, 1_300, 1_400]);
  });

  it('answers a free slot at once, without a promise, and a slot ahead with one', async () => {
    const clock = virtualClock(0);
    const bucket = createTokenBucket({ ratePerSecond: 10, now: clock.now, sleep: clock.sleep });

    expect(bucket.acquire()).toBeUndefined();
    const next = bucket.acquire();
    expect(next).toBeInstanceOf(Promise);
    await next;
    clock.set(5_000);
    expect(bucket.acquire()).toBeUndefined();

    expect(clock.grants).toEqual([100]);
  });

  it('lets a burst through at once after an idle spell, then paces', async () => {
    const clock = virtualClock(0);
    const bucket = createTokenBucket({ ratePerSecond: 10, burst: 3, now: clock.now, sleep: clock.sleep });

    await Promise.all(Array.from({ length: 5 }, () => bucket.acquire()));

    expect(clock.grants).toEqual([100, 200]);
  });

  it('does not sleep past the deadline and does not take a slot it cannot use', async () => {
    const clock = virtualClock(0);
    const bucket = createTokenBucket({ ratePerSecond: 1, now: clock.now, sleep: clock.sleep });
    await bucket.acquire(); // slot 0
    await bucket.acquire(); // slot 1000

    await bucket.acquire(500); // the next slot (2000) is past the deadline
    clock.set(2_000);
    await bucket.acquire();

    expect(clock.grants).toEqual([1_000, 500]);
  });

  it('never grants more than rate × window + burst in any window (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer({ min: 0, max: 300 }), { minLength: 1, maxLength: 200 }),
        async (rate, burst, gaps) => {
          // Prepare: callers arrive after the given gaps; each is granted at now + its sleep
          const clock = virtualClock(0);
          const granted: number[] = [];
          const bucket = createTokenBucket({
            ratePerSecond: rate,
            burst,
            now: clock.now,
            sleep: async (ms) => {
              granted.push(clock.now() + ms);
            },
          });
          let t = 0;
          for (const gap of gaps) {
            t += gap;
            clock.set(t);
            const before = granted.length;
            await bucket.acquire();
            if (granted.length === before) granted.push(t);
          }
          // Assess: grants are in order and any 1 s window holds at most rate + burst of them
          const sorted = [...granted].sort((a, b) => a - b);
          expect(sorted).toEqual(granted);
          let low = 0;
          for (let high = 0; high < sorted.length; high++) {
            while (sorted[high]! - sorted[low]! >= 1_000) low++;
            expect(high - low + 1).toBeLessThanOrEqual(Math.ceil(rate) + burst);
          }
        },
      ),
    );
  });

  it('after a stall of the event loop, sends the waiters paced again instead of all at once', async () => {
    // Prepare: three callers get slots 100, 200 and 300; the loop then stalls until t = 1000
    let now = 0;
    const held: Array<() => void> = [];
    const resleeps: number[] = [];
    let stalled = false;
    const bucket = createTokenBucket({
      ratePerSecond: 10,
      now: () => now,
      sleep: (ms) => {
        if (!stalled) return new Promise<void>((resolve) => held.push(resolve));
        resleeps.push(now + ms);
        return Promise.resolve();
      },
    });
    await bucket.acquire(); // slot 0, at once
    const waiting = Promise.all([1, 2, 3].map(() => bucket.acquire()));

    // Act
    now = 1_000;
    stalled = true;
    for (const wake of held) wake();
    await waiting;

    // Assess: their slots passed during the stall; the first goes at 1000, the other two wait for
    // new slots 100 ms apart (without, all three would go at 1000)
    expect(held).toHaveLength(3);
    expect(resleeps).toEqual([1_100, 1_200]);
  });

  it('rejects a rate that is not positive', () => {
    expect(() => createTokenBucket({ ratePerSecond: 0 })).toThrow(RangeError);
  });
});
