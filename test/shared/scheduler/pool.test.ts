import { describe, expect, it } from 'vitest';
import { runBounded } from '../../../shared/scheduler/index.js';

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('runBounded', () => {
  it('never runs more than `concurrency` at once and returns outcomes in item order', async () => {
    // Prepare
    let inFlight = 0;
    let peak = 0;
    const items = Array.from({ length: 20 }, (_, i) => i);

    // Act
    const outcomes = await runBounded(
      items,
      async (item) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await wait(5 + (item % 3) * 5);
        inFlight--;
        return item * 2;
      },
      { concurrency: 4 },
    );

    // Assess
    expect(peak).toBe(4);
    expect(outcomes).toEqual(items.map((item) => ({ state: 'done', value: item * 2 })));
  });

  it('captures a failing item without stopping the others', async () => {
    const outcomes = await runBounded(
      [1, 2, 3],
      async (item) => {
        if (item === 2) throw new Error('boom');
        return item;
      },
      { concurrency: 2 },
    );

    expect(outcomes.map((outcome) => outcome.state)).toEqual(['done', 'error', 'done']);
  });

  it('starts nothing after the deadline and reports those items not started', async () => {
    const started: number[] = [];

    const outcomes = await runBounded(
      [1, 2, 3, 4],
      async (item) => {
        started.push(item);
        await wait(100);
        return item;
      },
      { concurrency: 1, deadline: Date.now() + 250, minStartMs: 0, graceMs: 200 },
    );

    expect(started).toEqual([1, 2, 3]);
    expect(outcomes.map((outcome) => outcome.state)).toEqual(['done', 'done', 'done', 'not-started']);
  });

  it('returns at the deadline plus grace even when a worker hangs, marking it unfinished', async () => {
    const started = Date.now();

    const outcomes = await runBounded([1, 2], () => new Promise<number>(() => {}), {
      concurrency: 1,
      deadline: Date.now() + 50,
      minStartMs: 0,
      graceMs: 20,
    });

    expect(Date.now() - started).toBeLessThan(500);
    expect(outcomes).toEqual([{ state: 'unfinished' }, { state: 'not-started' }]);
  });

  it('handles an empty list', async () => {
    expect(await runBounded([], async () => 1, { concurrency: 3, deadline: Date.now() + 1000 })).toEqual([]);
  });
});
