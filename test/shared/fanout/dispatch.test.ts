import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutopilotError } from '../../../shared/errors.js';
import { createInvokerFanout } from '../../../shared/fanout/dispatch.js';
import type { Invoker } from '../../../shared/fanout/invoker.js';
import { type LogSink, setLogSink } from '../../../shared/log.js';

let previousSink: LogSink;
beforeAll(() => {
  previousSink = setLogSink(() => {});
});
afterAll(() => {
  setLogSink(previousSink);
});

const TICK = { tick: new Date('2026-06-01T00:00:00Z'), trigger: 'reconcile-every-5m' };
const SHARDS = [{ jobGroupIds: ['1', '2'] }, { jobGroupIds: ['3', '4'] }, { jobGroupIds: ['5'] }];

/** An invoker that answers from a script per shard (by the shard's position in its trigger name). */
function scriptedInvoker(script: Record<number, Array<'ok' | 'busy' | 'refused'>>) {
  const calls: number[] = [];
  const invoker: Invoker = {
    kind: 'fc3',
    target: 'autopilot-scheduler',
    async invokeAsync(event) {
      const { triggerName } = JSON.parse(event.toString()) as { triggerName: string };
      const shard = Number(/#shard-(\d+)-of/.exec(triggerName)?.[1]);
      calls.push(shard);
      const step = script[shard]?.shift() ?? 'ok';
      if (step === 'busy') throw new AutopilotError('FANOUT_UNAVAILABLE');
      if (step === 'refused') throw new AutopilotError('FANOUT_REJECTED');
      return { requestId: `req-${shard}` };
    },
  };
  return { invoker, calls };
}

const fast = { sleep: async () => {}, random: () => 0.5 };

describe('createInvokerFanout', () => {
  it('submits one invocation per shard, in order, each once', async () => {
    const { invoker, calls } = scriptedInvoker({});

    await createInvokerFanout(invoker, { ...fast, concurrency: 1 })(SHARDS, TICK);

    expect(calls).toEqual([1, 2, 3]);
  });

  it('submits the shards of a fan-out all at once by default: none waits a round for the others', async () => {
    // Prepare: 50 shards (the default maxShards); an invoker that answers only once all are in flight
    let inFlight = 0;
    let most = 0;
    const release: Array<() => void> = [];
    const invoker: Invoker = {
      kind: 'fc3',
      target: 'autopilot-scheduler',
      async invokeAsync() {
        most = Math.max(most, ++inFlight);
        if (inFlight === 50) for (const wake of release.splice(0)) wake();
        else await new Promise<void>((resolve) => release.push(resolve));
        inFlight--;
        return {};
      },
    };
    const shards = Array.from({ length: 50 }, (_, i) => ({ jobGroupIds: [String(i + 1)] }));

    // Act
    await createInvokerFanout(invoker, fast)(shards, TICK);

    // Assess
    expect(most).toBe(50);
  });

  it('retries a throttled shard alone and succeeds', async () => {
    const { invoker, calls } = scriptedInvoker({ 2: ['busy', 'busy'] });

    await createInvokerFanout(invoker, { ...fast, concurrency: 1 })(SHARDS, TICK);

    expect(calls).toEqual([1, 2, 2, 2, 3]);
  });

  it('gives up on a shard after maxAttempts, naming the shards FC did accept', async () => {
    const { invoker, calls } = scriptedInvoker({ 2: ['busy', 'busy', 'busy'] });

    const error = await createInvokerFanout(invoker, { ...fast, concurrency: 1, maxAttempts: 3 })(
      SHARDS,
      TICK,
    ).then(
      () => undefined,
      (e: unknown) => e as AutopilotError,
    );

    expect(calls).toEqual([1, 2, 2, 2, 3]);
    expect(error).toMatchObject({
      code: 'FANOUT_UNAVAILABLE',
      retryable: true,
      details: { acceptedShards: [0, 2], shards: 3 },
    });
  });

  it('does not retry a refused shard', async () => {
    const { invoker, calls } = scriptedInvoker({ 1: ['refused'] });

    const error = await createInvokerFanout(invoker, { ...fast, concurrency: 1 })(SHARDS, TICK).then(
      () => undefined,
      (e: unknown) => e as AutopilotError,
    );

    expect(calls).toEqual([1, 2, 3]);
    expect(error).toMatchObject({
      code: 'FANOUT_REJECTED',
      retryable: false,
      details: { acceptedShards: [1, 2] },
    });
  });

  it('reports each failed shard with its own code, and fails retryably if any shard can still succeed', async () => {
    const { invoker } = scriptedInvoker({ 1: ['refused'], 2: ['busy'] });

    const error = await createInvokerFanout(invoker, { ...fast, concurrency: 1, maxAttempts: 1 })(
      SHARDS,
      TICK,
    ).then(
      () => undefined,
      (e: unknown) => e as AutopilotError,
    );

    expect(error).toMatchObject({
      code: 'FANOUT_UNAVAILABLE',
      retryable: true,
      details: {
        acceptedShards: [2],
        failedShards: [
          { index: 0, code: 'FANOUT_REJECTED', retryable: false },
          { index: 1, code: 'FANOUT_UNAVAILABLE', retryable: true },
        ],
      },
    });
  });

  it('submits nothing after the deadline and reports the rest as DEADLINE_EXCEEDED', async () => {
    const { invoker, calls } = scriptedInvoker({});

    const error = await createInvokerFanout(invoker, { ...fast, deadline: Date.now() - 1 })(
      SHARDS,
      TICK,
    ).then(
      () => undefined,
      (e: unknown) => e as AutopilotError,
    );

    expect(calls).toEqual([]);
    expect(error).toMatchObject({ code: 'DEADLINE_EXCEEDED', details: { acceptedShards: [] } });
  });
});
