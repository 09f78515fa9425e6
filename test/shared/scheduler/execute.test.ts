import { describe, expect, it } from 'vitest';
import { type CityVisualClient, type ModifyResult, pacedClient } from '../../../shared/cityvisual/client.js';
import type { ModifyJobGroupRequest } from '../../../shared/cityvisual/contract.js';
import { AutopilotError } from '../../../shared/errors.js';
import { saveHold, upsertRuleHold } from '../../../shared/holds/index.js';
import type { Intent } from '../../../shared/intent/index.js';
import type { Target } from '../../../shared/jobgroup/target.js';
import { setLogSink } from '../../../shared/log.js';
import { createTokenBucket, executeChanges, splitOutcomes } from '../../../shared/scheduler/index.js';
import { holdsWatcher } from '../../../shared/scheduler/reconcile.js';
import { createMemoryStore } from '../../../shared/state/memory.js';

const REGISTRY = Object.fromEntries(
  ['1', '2', '3'].map((id) => [id, { jobGroupName: `Group-${id}`, algoLibId: '2', resourceProfileId: '23' }]),
);

/** A client whose ModifyJobGroup runs `behaviour`; no live reads (registry mode). */
function fakeClient(behaviour: (request: ModifyJobGroupRequest) => Promise<ModifyResult>): CityVisualClient {
  return {
    modifyJobGroup: behaviour,
    describeJobGroups: async () => {
      throw new Error('not used');
    },
    describeJobGroup: async () => undefined,
  };
}

const intent = (jobGroupId: string, target: Target): { intent: Intent } => ({
  intent: { jobGroupId, action: 'modify', target, identity: {} },
});

function run(changes: Array<{ intent: Intent }>, client: CityVisualClient, deadline = Date.now() + 5_000) {
  return executeChanges(changes, {
    applyDeps: { client, registry: REGISTRY },
    concurrency: 4,
    deadline,
    maxAttempts: 4,
    auditFields: { source: 'test' },
  });
}

describe('holdsWatcher', () => {
  it("starts from the tick's own read of the holds and reads again once it is a second old", async () => {
    const memory = createMemoryStore();
    const lists: string[] = [];
    const store = {
      ...memory,
      list: (prefix: string, options?: { readonly limit?: number }) => {
        lists.push(prefix);
        return memory.list(prefix, options);
      },
    };
    const clock = { now: Date.now() };
    const pin = { jobGroupId: '2', rule: 'surge', set: { planedJobCount: 40 }, ms: 3_600_000 };
    await upsertRuleHold(memory, pin, clock.now);
    const heldNow = holdsWatcher(store, () => clock.now, { at: clock.now, byGroup: new Map() });

    const seeded = await heldNow('2');
    clock.now += 999;
    const stillSeeded = await heldNow('2');
    clock.now += 1;
    const reread = await heldNow('2');

    expect([seeded, stillSeeded]).toEqual([undefined, undefined]);
    expect(lists).toHaveLength(1);
    expect([...(reread?.pinned ?? [])]).toEqual(['planedJobCount']);
  });
});

describe('executeChanges', () => {
  it("keeps a pin made while a write waits for the rate limit (an alert's holdFor) off that write", async () => {
    // Prepare: three writes paced 200 ms apart, all planned at once; while group 1 is written, a rule
    // pins group 3's count and a second and a half passes
    const previous = setLogSink(() => {});
    const store = createMemoryStore();
    const clock = { now: Date.now() };
    const sent: Array<[string, string | undefined]> = [];
    // As the real client does: the rate limit's wait, then `beforeAttempt`, then the request.
    const inner: CityVisualClient = {
      ...fakeClient(async () => ({ requestId: 'unused', attempts: 1 })),
      modifyJobGroup: async (request, options) => {
        await options?.pacer?.acquire(options.deadline);
        await options?.beforeAttempt?.({ attempt: 1, uncertain: 0 });
        sent.push([request.JobGroupId, request.Status]);
        if (request.JobGroupId === '1') {
          const pin = { jobGroupId: '3', rule: 'surge', set: { planedJobCount: 40 }, ms: 3_600_000 };
          await upsertRuleHold(store, pin, clock.now);
          clock.now += 1_500;
        }
        return { requestId: `req-${request.JobGroupId}`, attempts: 1 };
      },
    };
    const client = pacedClient(inner, createTokenBucket({ ratePerSecond: 5 }));

    // Act
    const outcomes = await executeChanges(
      [
        intent('1', { planedJobCount: 5 }),
        intent('2', { planedJobCount: 5 }),
        intent('3', { planedJobCount: 5, status: 'Running' }),
      ],
      {
        applyDeps: { client, registry: REGISTRY, store },
        concurrency: 8,
        deadline: Date.now() + 5_000,
        maxAttempts: 4,
        auditFields: { source: 'test' },
        heldNow: holdsWatcher(store, () => clock.now),
      },
    );
    setLogSink(previous);

    // Assess: group 3 was planned before the pin, but what left got only the field the pin leaves
    expect(sent.map(([id]) => id)).toEqual(['1', '2', '3']);
    expect(outcomes.map((o) => (o.status === 'applied' ? o.set : o.status))).toEqual([
      { planedJobCount: 5 },
      { planedJobCount: 5 },
      { status: 'Running' },
    ]);
  });

  it.each([
    [0, 'a pause made before a retry keeps the retry off the group (the first attempt did not land)'],
    [1, 'the retry of a write that may have landed goes on, whatever hold appeared meanwhile'],
  ])('uncertain %i: %s', async (uncertain) => {
    // Prepare: the first attempt fails; before the second leaves, an operator pauses the group
    const previous = setLogSink(() => {});
    const store = createMemoryStore();
    const clock = { now: Date.now() };
    const sent: number[] = [];
    const inner: CityVisualClient = {
      ...fakeClient(async () => ({ requestId: 'unused', attempts: 1 })),
      // As the real client does: `beforeAttempt` before each attempt, told what the earlier ones did.
      modifyJobGroup: async (_request, options) => {
        await options?.beforeAttempt?.({ attempt: 1, uncertain: 0 });
        sent.push(1);
        await saveHold(store, {
          id: '1~pause',
          jobGroupId: '1',
          kind: 'pause',
          from: new Date(clock.now - 1_000).toISOString(),
          until: new Date(clock.now + 3_600_000).toISOString(),
          reason: 'debugging',
          who: 'ops',
        });
        clock.now += 1_500;
        await options?.beforeAttempt?.({ attempt: 2, uncertain });
        sent.push(2);
        return { requestId: 'req-1', attempts: 2, ...(uncertain > 0 && { uncertain }) };
      },
    };

    // Act
    const outcomes = await executeChanges([intent('1', { status: 'Stopped' })], {
      applyDeps: { client: inner, registry: REGISTRY, store },
      concurrency: 1,
      deadline: Date.now() + 5_000,
      maxAttempts: 4,
      auditFields: { source: 'test' },
      heldNow: holdsWatcher(store, () => clock.now),
    });
    setLogSink(previous);

    // Assess
    if (uncertain === 0) {
      expect(sent).toEqual([1]);
      expect(outcomes).toEqual([{ status: 'unchanged', jobGroupId: '1', heldBy: ['1~pause'] }]);
      expect(splitOutcomes(outcomes).held).toEqual([{ jobGroupId: '1', holds: ['1~pause'] }]);
    } else {
      expect(sent).toEqual([1, 2]);
      expect(outcomes).toEqual([
        { status: 'applied', jobGroupId: '1', requestId: 'req-1', set: { status: 'Stopped' } },
      ]);
    }
  });

  it('names, for a change pins kept off, only the pins on a field it set', async () => {
    const previous = setLogSink(() => {});
    const store = createMemoryStore();
    const now = Date.now();
    const pin = (id: string, set: Record<string, unknown>) =>
      saveHold(store, {
        id,
        jobGroupId: '1',
        kind: 'pin',
        set,
        from: new Date(now - 1_000).toISOString(),
        until: new Date(now + 3_600_000).toISOString(),
        reason: '',
        who: 'ops',
      });
    await pin('1~status', { status: 'Running' });
    await pin('1~count', { planedJobCount: 9 });
    await pin('1~es', { params: { ES_ENABLE: true } });

    const outcomes = await executeChanges(
      [intent('1', { status: 'Stopped' }), intent('1', { params: { ES_ENABLE: false } })],
      {
        applyDeps: {
          client: fakeClient(async () => ({ requestId: 'x', attempts: 1 })),
          registry: REGISTRY,
          store,
        },
        concurrency: 1,
        deadline: Date.now() + 5_000,
        maxAttempts: 4,
        auditFields: { source: 'test' },
        heldNow: holdsWatcher(store, Date.now),
      },
    );
    setLogSink(previous);

    expect(outcomes).toEqual([
      { status: 'unchanged', jobGroupId: '1', heldBy: ['1~status'] },
      { status: 'unchanged', jobGroupId: '1', heldBy: ['1~es'] },
    ]);
  });

  it('runs the changes of one group in order, and different groups side by side', async () => {
    // Prepare
    const previous = setLogSink(() => {});
    const order: string[] = [];
    const client = fakeClient(async (request) => {
      order.push(`${request.JobGroupId}:${request.PlanedJobCount}`);
      await new Promise((resolve) => setTimeout(resolve, request.PlanedJobCount === 1 ? 30 : 1));
      return { requestId: `req-${request.JobGroupId}-${request.PlanedJobCount}`, attempts: 1 };
    });

    // Act
    const outcomes = await run(
      [
        intent('1', { planedJobCount: 1 }),
        intent('2', { planedJobCount: 5 }),
        intent('1', { planedJobCount: 2 }),
      ],
      client,
    );
    setLogSink(previous);

    // Assess
    expect(order).toEqual(['1:1', '2:5', '1:2']);
    expect(outcomes.map((o) => o.status === 'applied' && o.requestId)).toEqual([
      'req-1-1',
      'req-2-5',
      'req-1-2',
    ]);
  });

  it.each([
    [
      'a non-retryable table error keeps its code',
      new AutopilotError('InvalidName.Duplicate', { upstream: { attempts: 1 } }),
      { code: 'InvalidName.Duplicate', retryable: false },
    ],
    [
      'a retryable error after every attempt keeps its code',
      new AutopilotError('Throttling', { upstream: { attempts: 4 } }),
      { code: 'Throttling', retryable: true },
    ],
    [
      'a retryable error before the last attempt was cut short by the deadline',
      new AutopilotError('UPSTREAM_TIMEOUT', { upstream: { attempts: 2 } }),
      { code: 'DEADLINE_EXCEEDED', retryable: true, reason: 'deadline' },
    ],
    [
      'DEADLINE_EXCEEDED is a deadline failure',
      new AutopilotError('DEADLINE_EXCEEDED'),
      { reason: 'deadline' },
    ],
    [
      'a foreign error is INTERNAL, its message dropped',
      new Error('https://signed?Signature=x'),
      { code: 'INTERNAL' },
    ],
  ])('reports %s', async (_name, thrown, expected) => {
    const outcomes = await run(
      [intent('1', { planedJobCount: 1 })],
      fakeClient(async () => {
        throw thrown;
      }),
    );

    expect(outcomes[0]).toMatchObject({ status: 'failed', jobGroupId: '1', ...expected });
    expect(JSON.stringify(outcomes)).not.toContain('Signature');
  });

  it('sends nothing for a target that sets nothing', async () => {
    let calls = 0;
    const outcomes = await run(
      [intent('1', {})],
      fakeClient(async () => {
        calls++;
        return { requestId: 'r', attempts: 1 };
      }),
    );

    expect(calls).toBe(0);
    expect(outcomes).toEqual([{ status: 'unchanged', jobGroupId: '1' }]);
  });

  it('reports changes it had no time to start as deadline failures', async () => {
    const outcomes = await run(
      [intent('1', { planedJobCount: 1 }), intent('2', { planedJobCount: 1 })],
      fakeClient(async () => ({ requestId: 'r', attempts: 1 })),
      Date.now() + 10,
    );

    expect(outcomes).toEqual([
      expect.objectContaining({ status: 'failed', jobGroupId: '1', reason: 'deadline' }),
      expect.objectContaining({ status: 'failed', jobGroupId: '2', reason: 'deadline' }),
    ]);
  });
});
