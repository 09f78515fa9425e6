import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { CityVisualClient } from '../../../shared/cityvisual/client.js';
import type { ModifyJobGroupRequest } from '../../../shared/cityvisual/contract.js';
import { AutopilotError, type ErrorCode } from '../../../shared/errors.js';
import {
  classifyFailure,
  type DeliveryEntry,
  deliveryEntries,
  type EventOutcome,
  lazyDeps,
  processEvents,
  worseOutcome,
} from '../../../shared/events/index.js';
import { eventKey, leaseOf } from '../../../shared/events/order.js';
import type { CloudEvent } from '../../../shared/fc/eventbridge.js';
import type { ApplyDeps } from '../../../shared/jobgroup/apply.js';
import { COMMAND_EVENT_TYPE } from '../../../shared/rules/index.js';
import { KEYS } from '../../../shared/state/keys.js';
import { createMemoryStore } from '../../../shared/state/memory.js';
import { downStore } from '../../support/down-store.js';
import { cloudEvent, rulesFromYaml } from '../rules/helpers.js';

const RULES = rulesFromYaml(`
- name: per-group-command
  match: { type: com.example.jobgroup.scale }
  then: { action: scale, jobGroupId: { from: data.jobGroupId }, planedJobCount: { from: data.count } }
`);

const REGISTRY = Object.fromEntries(
  ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'].map((id) => [
    id,
    { jobGroupName: `Group-${id}`, algoLibId: '2', resourceProfileId: '23' },
  ]),
);

/** A CityVisual stand-in at the client seam: records writes, counts concurrency, fails on demand. */
class FakeCityVisual implements CityVisualClient {
  readonly writes: ModifyJobGroupRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;

  constructor(private readonly behave: (request: ModifyJobGroupRequest) => Promise<void> = async () => {}) {}

  async modifyJobGroup(request: ModifyJobGroupRequest) {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.behave(request);
      this.writes.push(request);
      return { requestId: `RQ-${this.writes.length}`, attempts: 1 };
    } finally {
      this.inFlight--;
    }
  }

  async describeJobGroups(): Promise<never> {
    throw new Error('registry mode: no live reads');
  }

  async describeJobGroup(): Promise<never> {
    throw new Error('registry mode: no live reads');
  }
}

const depsOf = (client: CityVisualClient): ApplyDeps => ({
  client,
  registry: REGISTRY,
});

const scaleEvent = (id: string, jobGroupId: unknown, count: unknown): CloudEvent =>
  cloudEvent({ id, type: 'com.example.jobgroup.scale', data: { jobGroupId, count } as never });

const entries = (...events: CloudEvent[]): DeliveryEntry[] =>
  events.map((event, index) => ({ index, event }));

const inAMinute = () => Date.now() + 60_000;

describe('deliveryEntries', () => {
  it('puts each event back at its position between the invalid entries', () => {
    // Prepare
    const a = cloudEvent({ id: 'a' });
    const b = cloudEvent({ id: 'b' });
    const invalid = [
      { index: 0, code: 'INVALID_JSON', message: 'x' },
      { index: 2, code: 'INVALID_INPUT', message: 'y' },
    ] as const;

    // Act
    const result = deliveryEntries({ events: [a, b], invalid: [...invalid] });

    // Assess
    expect(result.map((entry) => [entry.index, 'event' in entry ? entry.event.id : 'invalid'])).toEqual([
      [0, 'invalid'],
      [1, 'a'],
      [2, 'invalid'],
      [3, 'b'],
    ]);
  });
});

describe('processEvents', () => {
  it('merges the changes to one group in delivery order into one write: the last event wins', async () => {
    // Prepare
    const client = new FakeCityVisual();

    // Act
    const reports = await processEvents(
      entries(scaleEvent('e1', '3', 5), scaleEvent('e2', '3', 6), scaleEvent('e3', '3', 7)),
      { rules: RULES, deps: () => depsOf(client), deadline: inAMinute() },
    );

    // Assess: one write, of the last value; every event reports it
    expect(client.writes.map((write) => write.PlanedJobCount)).toEqual([7]);
    expect(reports.map((report) => report.changes[0]?.outcome)).toEqual(['applied', 'applied', 'applied']);
    expect(new Set(reports.map((report) => report.changes[0]?.requestId)).size).toBe(1);
  });

  it('sends nothing when the same batch is delivered again (no flapping through earlier values)', async () => {
    // Prepare: the shared store, two timed events for group 3
    const client = new FakeCityVisual();
    const deps = { ...depsOf(client), store: createMemoryStore() };
    const batch = () =>
      entries(
        { ...scaleEvent('a', '3', 5), time: '2026-12-02T09:15:00Z' },
        { ...scaleEvent('b', '3', 7), time: '2026-12-02T09:16:00Z' },
      );

    // Act
    await processEvents(batch(), { rules: RULES, deps: () => deps, deadline: inAMinute() });
    const again = await processEvents(batch(), { rules: RULES, deps: () => deps, deadline: inAMinute() });

    // Assess
    expect(client.writes.map((write) => write.PlanedJobCount)).toEqual([7]);
    expect(again.map((report) => report.outcome)).toEqual(['unchanged', 'unchanged']);
  });

  it('a change refused for good does not take the other changes to the group down with it', async () => {
    // Prepare: registry mode; a scale, then a rename the registry would undo (refused)
    const client = new FakeCityVisual();
    const command = (id: string, change: Record<string, unknown>) =>
      cloudEvent({ id, type: COMMAND_EVENT_TYPE, data: { changes: [change] } as never });

    // Act
    const reports = await processEvents(
      entries(
        command('scale', { action: 'scale', jobGroupId: '3', planedJobCount: 5 }),
        command('rename', { action: 'modify', jobGroupId: '3', jobGroupName: 'Other' }),
      ),
      {
        rules: RULES,
        commandSources: ['com.example.test'],
        deps: () => depsOf(client),
        deadline: inAMinute(),
      },
    );

    // Assess: the scale is applied, only the rename is refused
    expect(client.writes.map((write) => write.PlanedJobCount)).toEqual([5]);
    expect(reports.map((report) => report.outcome)).toEqual(['applied', 'invalid']);
    expect(reports[1]?.changes[0]).toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('tells events apart by source and id exactly (no key built by joining them)', async () => {
    const client = new FakeCityVisual();
    const a = cloudEvent({ ...scaleEvent('y', '3', 5), source: 'ops\nx' });
    const b = cloudEvent({ ...scaleEvent('x\ny', '4', 6), source: 'ops' });

    const reports = await processEvents(entries(a, b), {
      rules: RULES,
      deps: () => depsOf(client),
      deadline: inAMinute(),
    });

    expect(reports.map((report) => report.outcome)).toEqual(['applied', 'applied']);
  });

  it('does not apply a copy of an event (same source and id) again later in the delivery', async () => {
    // Prepare
    const client = new FakeCityVisual();

    // Act
    const reports = await processEvents(
      entries(scaleEvent('a', '3', 5), scaleEvent('b', '3', 7), scaleEvent('a', '3', 5)),
      { rules: RULES, deps: () => depsOf(client), deadline: inAMinute() },
    );

    // Assess: b's 7 stands
    expect(client.writes.map((write) => write.PlanedJobCount)).toEqual([7]);
    expect(reports[2]).toMatchObject({
      outcome: 'unchanged',
      changes: [],
      message: expect.stringContaining('Duplicate of the event at index 0'),
    });
  });

  it.each([
    [undefined, 4],
    [2, 2],
    [1, 1],
  ])('runs different groups at most %s (default 4) at a time', async (concurrency, bound) => {
    // Prepare
    const client = new FakeCityVisual(() => sleep(5).then(() => undefined));
    const deps = depsOf(client);
    const events = Array.from({ length: 10 }, (_, i) => scaleEvent(`e${i}`, String(i + 1), 3));

    // Act
    const reports = await processEvents(entries(...events), {
      rules: RULES,
      deps: () => deps,
      deadline: inAMinute(),
      ...(concurrency !== undefined && { concurrency }),
    });

    // Assess
    expect(reports.every((report) => report.outcome === 'applied')).toBe(true);
    expect(client.maxInFlight).toBe(bound);
  });

  it('keeps going when one group fails: the others are applied and each event has its own outcome', async () => {
    // Prepare
    const client = new FakeCityVisual(async (request) => {
      if (request.JobGroupId === '3') throw new AutopilotError('Throttling');
      if (request.JobGroupId === '4') throw new AutopilotError('InvalidJobGroupId.NotFound');
    });

    // Act
    const reports = await processEvents(
      entries(scaleEvent('e1', '3', 5), scaleEvent('e2', '4', 5), scaleEvent('e3', '5', 5)),
      { rules: RULES, deps: () => depsOf(client), deadline: inAMinute() },
    );

    // Assess
    expect(reports.map((report) => report.outcome)).toEqual([
      'failed-retryable',
      'failed-permanent',
      'applied',
    ]);
    expect(reports[0]?.changes[0]).toMatchObject({ code: 'Throttling', reason: 'throttled' });
    expect(client.writes.map((write) => write.JobGroupId)).toEqual(['5']);
  });

  it('starts nothing once the deadline has passed: every change is retryable with reason deadline', async () => {
    // Prepare
    const client = new FakeCityVisual();

    // Act
    const reports = await processEvents(entries(scaleEvent('e1', '3', 5), scaleEvent('e2', '4', 5)), {
      rules: RULES,
      deps: () => depsOf(client),
      deadline: Date.now() - 1,
    });

    // Assess
    expect(reports.flatMap((report) => report.changes)).toEqual([
      expect.objectContaining({ outcome: 'failed-retryable', code: 'DEADLINE_EXCEEDED', reason: 'deadline' }),
      expect.objectContaining({ outcome: 'failed-retryable', code: 'DEADLINE_EXCEEDED', reason: 'deadline' }),
    ]);
    expect(client.writes).toEqual([]);
  });

  it('never builds the dependencies for events that need no call', async () => {
    // Prepare
    let built = 0;
    const deps = lazyDeps(() => {
      built++;
      return depsOf(new FakeCityVisual());
    });

    // Act
    const reports = await processEvents(
      [
        { index: 0, invalid: { index: 0, code: 'INVALID_JSON', message: 'not JSON' } },
        { index: 1, event: cloudEvent({ id: 'other', type: 'com.example.other' }) },
        { index: 2, event: scaleEvent('bad', '3', -1) },
      ],
      { rules: RULES, deps, deadline: inAMinute() },
    );

    // Assess
    expect(reports.map((report) => report.outcome)).toEqual(['invalid', 'unmatched', 'invalid']);
    expect(built).toBe(0);
  });

  it('reports missing credentials as a permanent failure of each change, building them once', async () => {
    // Prepare
    let built = 0;
    const deps = lazyDeps(() => {
      built++;
      throw new AutopilotError('CREDENTIALS_MISSING');
    });

    // Act
    const reports = await processEvents(entries(scaleEvent('e1', '3', 5), scaleEvent('e2', '4', 5)), {
      rules: RULES,
      deps,
      deadline: inAMinute(),
    });

    // Assess
    expect(reports.map((report) => report.changes[0]?.code)).toEqual([
      'CREDENTIALS_MISSING',
      'CREDENTIALS_MISSING',
    ]);
    expect(reports.map((report) => report.outcome)).toEqual(['failed-permanent', 'failed-permanent']);
    expect(built).toBe(1);
  });

  it('gives a command event the most severe outcome of its changes, each change keeping its own', async () => {
    // Prepare
    const client = new FakeCityVisual();
    const command = cloudEvent({
      id: 'cmd',
      type: COMMAND_EVENT_TYPE,
      data: {
        changes: [
          { action: 'scale', jobGroupId: '1', planedJobCount: 3 },
          { action: 'launch', jobGroupId: '2' },
          { action: 'stop', jobGroupId: '3' },
        ],
      },
    });

    // Act
    const [report] = await processEvents(entries(command), {
      rules: RULES,
      commandSources: ['com.example.test'],
      deps: () => depsOf(client),
      deadline: inAMinute(),
    });

    // Assess
    expect(report?.outcome).toBe('invalid');
    expect(report?.rules.map((rule) => [rule.changeIndex, rule.ok])).toEqual([
      [0, true],
      [1, false],
      [2, true],
    ]);
    expect(report?.changes.map((change) => [change.changeIndex, change.outcome, change.requestId])).toEqual([
      [0, 'applied', 'RQ-1'],
      [2, 'applied', 'RQ-2'],
    ]);
  });

  it.each([
    ['no source is listed', undefined],
    ['only other sources are listed', ['com.example.test.other', 'com.example']],
  ])('acknowledges a command event without applying it when %s', async (_, commandSources) => {
    // Prepare
    const client = new FakeCityVisual();
    const command = cloudEvent({
      id: 'cmd',
      type: COMMAND_EVENT_TYPE,
      data: { changes: [{ action: 'scale', jobGroupId: '1', planedJobCount: 3 }] },
    });

    // Act
    const [report] = await processEvents(entries(command), {
      rules: RULES,
      ...(commandSources && { commandSources }),
      deps: () => depsOf(client),
      deadline: inAMinute(),
    });

    // Assess
    expect(client.writes).toEqual([]);
    expect(report).toMatchObject({
      outcome: 'unmatched',
      source: 'com.example.test',
      code: 'COMMAND_SOURCE_NOT_ALLOWED',
      changes: [],
    });
  });

  it('applies a command event from a listed source, compared exactly', async () => {
    // Prepare
    const client = new FakeCityVisual();
    const command = (source: string) =>
      cloudEvent({
        id: `cmd-${source}`,
        source,
        type: COMMAND_EVENT_TYPE,
        data: { changes: [{ action: 'scale', jobGroupId: '1', planedJobCount: 3 }] },
      });

    // Act
    const reports = await processEvents(entries(command('ops'), command('OPS'), command('ops ')), {
      rules: RULES,
      commandSources: ['ops'],
      deps: () => depsOf(client),
      deadline: inAMinute(),
    });

    // Assess
    expect(reports.map((report) => report.outcome)).toEqual(['applied', 'unmatched', 'unmatched']);
    expect(client.writes).toHaveLength(1);
  });

  it('reports a redelivered event unchanged, with no second write (registry + store)', async () => {
    // Prepare
    const client = new FakeCityVisual();
    const deps = { ...depsOf(client), store: createMemoryStore() };
    const options = { rules: RULES, deps: () => deps, deadline: inAMinute() };
    const event = { ...scaleEvent('e1', '3', 5), time: '2026-12-02T09:15:00Z' };

    // Act
    const first = await processEvents(entries(event), options);
    const second = await processEvents(entries(event), options);

    // Assess
    expect([first[0]?.outcome, second[0]?.outcome]).toEqual(['applied', 'unchanged']);
    expect(client.writes).toHaveLength(1);
  });

  it('without a time an event cannot be ordered: its redelivery is sent again (absolute, harmless)', async () => {
    const client = new FakeCityVisual();
    const deps = { ...depsOf(client), store: createMemoryStore() };
    const options = { rules: RULES, deps: () => deps, deadline: inAMinute() };

    await processEvents(entries(scaleEvent('e1', '3', 5)), options);
    await processEvents(entries(scaleEvent('e1', '3', 5)), options);

    expect(client.writes.map((write) => write.PlanedJobCount)).toEqual([5, 5]);
  });

  it('an old event redelivered after a newer one was applied is stale: acknowledged, nothing sent', async () => {
    // Prepare: the 09:15 ALERT (scale to 20) failed retryably; the 09:42 OK (scale to 2) was applied
    const client = new FakeCityVisual();
    const deps = { ...depsOf(client), store: createMemoryStore() };
    const options = { rules: RULES, deps: () => deps, deadline: inAMinute() };
    await processEvents(entries({ ...scaleEvent('ok', '3', 2), time: '2026-12-02T09:42:00Z' }), options);

    // Act: FC redelivers the ALERT
    const [report] = await processEvents(
      entries({ ...scaleEvent('alert', '3', 20), time: '2026-12-02T09:15:00Z' }),
      options,
    );

    // Assess
    expect(client.writes.map((write) => write.PlanedJobCount)).toEqual([2]);
    expect(report?.outcome).toBe('unchanged');
    expect(report?.changes[0]).toMatchObject({
      outcome: 'unchanged',
      requestId: null,
      stale: { eventTime: '2026-12-02T09:15:00.000Z', newestApplied: '2026-12-02T09:42:00.000Z' },
    });
  });

  it('merges one delivery in time order: an older ALERT after the newer OK does not win', async () => {
    const client = new FakeCityVisual();
    const deps = { ...depsOf(client), store: createMemoryStore() };
    const options = { rules: RULES, deps: () => deps, deadline: inAMinute() };

    await processEvents(
      entries(
        { ...scaleEvent('ok', '3', 2), time: '2026-12-02T09:42:00Z' },
        { ...scaleEvent('alert', '3', 20), time: '2026-12-02T09:15:00Z' },
      ),
      options,
    );
    const [redelivered] = await processEvents(
      entries({ ...scaleEvent('ok', '3', 2), time: '2026-12-02T09:42:00Z' }),
      options,
    );

    expect(client.writes.map((write) => write.PlanedJobCount)).toEqual([2]);
    expect(redelivered?.outcome).toBe('unchanged');
  });

  it('does not let an event stamped in the future block the group: it is applied, not used to order', async () => {
    const client = new FakeCityVisual();
    const deps = { ...depsOf(client), store: createMemoryStore() };
    const options = { rules: RULES, deps: () => deps, deadline: inAMinute() };

    await processEvents(entries({ ...scaleEvent('future', '3', 9), time: '2099-01-01T00:00:00Z' }), options);
    await processEvents(entries({ ...scaleEvent('now', '3', 4), time: new Date().toISOString() }), options);

    expect(client.writes.map((write) => write.PlanedJobCount)).toEqual([9, 4]);
  });

  it('fails the group retryably and sends nothing when the store cannot be read', async () => {
    const client = new FakeCityVisual();
    const deps = { ...depsOf(client), store: downStore() };

    const [report] = await processEvents(
      entries({ ...scaleEvent('e1', '3', 5), time: '2026-12-02T09:15:00Z' }),
      { rules: RULES, deps: () => deps, deadline: inAMinute() },
    );

    expect(report).toMatchObject({ outcome: 'failed-retryable', changes: [{ code: 'STATE_UNAVAILABLE' }] });
    expect(client.writes).toHaveLength(0);
  });
});

describe('processEvents: two deliveries to one group at once', () => {
  /** A CityVisual that holds the write of `count` until released, and says when it has it. */
  function holding(count: number) {
    let release = () => {};
    let entered = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    const inFlight = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const client = new FakeCityVisual(async (request) => {
      if (request.PlanedJobCount !== count) return;
      entered();
      await released;
    });
    return { client, inFlight, release: () => release() };
  }
  const ok = { ...scaleEvent('ok', '3', 2), time: '2026-12-02T09:42:00Z' };
  const alert = { ...scaleEvent('alert', '3', 20), time: '2026-12-02T09:15:00Z' };
  /**
   * `first` is delivered and its write of `count` held at CityVisual; `second` is delivered meanwhile;
   * 50 ms later the write lands. Both reports, and the CityVisual stand-in.
   */
  async function whileInFlight(count: number, first: CloudEvent, second: CloudEvent) {
    const { client, inFlight, release } = holding(count);
    const deps = { ...depsOf(client), store: createMemoryStore() };
    const options = { rules: RULES, deps: () => deps, deadline: inAMinute() };
    const sending = processEvents(entries(first), options);
    await inFlight;
    const meanwhile = processEvents(entries(second), options);
    await sleep(50);
    release();
    const [[a], [b]] = await Promise.all([sending, meanwhile]);
    return { first: a, second: b, client };
  }
  /** A write that got no answer, as the client reports it (one attempt whose outcome is unknown). */
  const unanswered = (code: 'UPSTREAM_TIMEOUT' | 'Throttling' | 'Forbidden.RAM' = 'UPSTREAM_TIMEOUT') =>
    new AutopilotError(code, { upstream: { attempts: 1, uncertain: 1 } });
  /** Two changes to group 3 (09:15 and 09:16) in one delivery, CityVisual failing each call with `fail(n)`. */
  async function twoChanges(fail: (call: number) => AutopilotError) {
    let calls = 0;
    const client = new FakeCityVisual(async () => {
      throw fail(++calls);
    });
    const store = createMemoryStore();
    const reports = await processEvents(
      entries(
        { ...scaleEvent('a', '3', 5), time: '2026-12-02T09:15:00Z' },
        { ...scaleEvent('b', '3', 6), time: '2026-12-02T09:16:00Z' },
      ),
      { rules: RULES, deps: () => ({ ...depsOf(client), store }), deadline: noTimeToWait() },
    );
    const lease = leaseOf(await store.get(KEYS.eventOrder('3')), Date.now());
    return { calls, reports, lease };
  }
  /** A deadline that leaves no time to wait for another delivery's lease (10 s are kept for the send). */
  const noTimeToWait = () => Date.now() + 10_300;

  it('makes the older event wait while the newer one is sent, then acknowledges it as stale', async () => {
    // Act: the 09:42 OK (scale to 2) is in flight when the 09:15 ALERT arrives on another instance
    const { first: applied, second: during, client } = await whileInFlight(2, ok, alert);

    // Assess: only the OK was sent; the group is not scaled back up
    expect(client.writes.map((write) => write.PlanedJobCount)).toEqual([2]);
    expect(applied?.outcome).toBe('applied');
    expect(during?.changes[0]).toMatchObject({
      outcome: 'unchanged',
      stale: { eventTime: '2026-12-02T09:15:00.000Z', newestApplied: '2026-12-02T09:42:00.000Z' },
    });
  });

  it('fails retryably, sending nothing, when there is no time left to wait for the other delivery', async () => {
    const { client, inFlight, release } = holding(2);
    const deps = { ...depsOf(client), store: createMemoryStore() };
    const newer = processEvents(entries(ok), { rules: RULES, deps: () => deps, deadline: inAMinute() });
    await inFlight;

    const [during] = await processEvents(entries(alert), {
      rules: RULES,
      deps: () => deps,
      deadline: noTimeToWait(),
    });
    release();
    await newer;

    expect(during).toMatchObject({
      outcome: 'failed-retryable',
      changes: [{ outcome: 'failed-retryable', code: 'GROUP_CHANGE_IN_PROGRESS', reason: 'contended' }],
    });
    expect(during?.changes[0]?.message).toContain('job group 3');
    expect(client.writes.map((write) => write.PlanedJobCount)).toEqual([2]);
  });

  it('makes the newer event wait for the older one in flight, so the newer is written last', async () => {
    const { first, second, client } = await whileInFlight(20, alert, ok);

    expect([first?.outcome, second?.outcome]).toEqual(['applied', 'applied']);
    expect(client.writes.map((write) => write.PlanedJobCount)).toEqual([20, 2]);
    expect(client.maxInFlight).toBe(1);
  });

  it('holds an event without a time back too: it is sent after the write in flight, never beside it', async () => {
    const { second: report, client } = await whileInFlight(2, ok, scaleEvent('no-time', '3', 20));

    expect(report?.outcome).toBe('applied');
    expect(client.writes.map((write) => write.PlanedJobCount)).toEqual([2, 20]);
    expect(client.maxInFlight).toBe(1);
  });

  it('ends the lease when the write is refused, so the redelivery applies at once', async () => {
    let calls = 0;
    const client = new FakeCityVisual(async () => {
      if (calls++ === 0) throw new AutopilotError('Forbidden.RAM');
    });
    const store = createMemoryStore();
    const deps = { ...depsOf(client), store };
    const options = { rules: RULES, deps: () => deps, deadline: noTimeToWait() };

    const [failed] = await processEvents(entries(ok), options);
    const record = await store.get(KEYS.eventOrder('3'));
    const [redelivered] = await processEvents(entries(ok), options);

    expect(failed?.outcome).toBe('failed-permanent');
    expect(record?.value).toEqual({ time: null, events: [] });
    expect(redelivered?.outcome).toBe('applied');
    expect(client.writes.map((write) => write.PlanedJobCount)).toEqual([2]);
  });

  it('keeps the lease 10 s after a timed-out send (it may still land): no delivery writes before it ends', async () => {
    // Prepare: the ALERT's send times out; the clock of this test can be moved
    let calls = 0;
    const client = new FakeCityVisual(async () => {
      if (calls++ === 0) throw unanswered();
    });
    const store = createMemoryStore();
    const clock = { offset: 0 };
    const now = () => Date.now() + clock.offset;
    const deps = { ...depsOf(client), store };
    const options = (deadline: number) => ({ rules: RULES, deps: () => deps, deadline, now });

    // Act
    const [timedOut] = await processEvents(entries(alert), options(now() + 60_000));
    const [during] = await processEvents(entries(ok), options(now() + 10_300));
    const [retry] = await processEvents(entries(alert), options(now() + 10_300));
    clock.offset += 10_001;
    const [after] = await processEvents(entries(ok), options(now() + 60_000));
    const [alertAgain] = await processEvents(entries(alert), options(now() + 60_000));

    // Assess: nothing was written inside the linger, its own retry included; then the OK, and the
    // ALERT is stale
    expect(timedOut?.changes[0]?.code).toBe('UPSTREAM_TIMEOUT');
    expect([during, retry].map((r) => r?.changes[0]?.code)).toEqual([
      'GROUP_CHANGE_IN_PROGRESS',
      'GROUP_CHANGE_IN_PROGRESS',
    ]);
    expect(after?.outcome).toBe('applied');
    expect(alertAgain?.changes[0]).toMatchObject({ outcome: 'unchanged', stale: {} });
    expect(client.writes.map((write) => write.PlanedJobCount)).toEqual([2]);
    expect((await store.get(KEYS.eventOrder('3')))?.value).not.toHaveProperty('lease');
  });

  it('after a change sent one by one may still land, sends no later one to the group and keeps the lease', async () => {
    // The merged change is refused for good; sent one by one, the first gets no answer
    const { calls, reports, lease } = await twoChanges((call) =>
      call === 2 ? unanswered() : new AutopilotError('Forbidden.RAM'),
    );

    // Assess: the newer change was not sent after the older one that may still land
    expect(calls).toBe(2);
    expect(reports.map((r) => r.changes[0]?.code)).toEqual(['UPSTREAM_TIMEOUT', 'GROUP_CHANGE_IN_PROGRESS']);
    expect(lease).toBeDefined();
  });

  it.each([
    ['a refusal after an attempt with no answer', () => unanswered('Throttling')],
    ['a merged change refused for good after an attempt with no answer', () => unanswered('Forbidden.RAM')],
  ])('keeps the lease after %s, and sends nothing more to the group', async (_, error) => {
    const { calls, reports, lease } = await twoChanges(error);

    expect(calls).toBe(1);
    // Each change reports the answer it got, retryable (the retry tries again)
    const code = error().code;
    expect(reports.map((r) => [r.outcome, r.changes[0]?.code])).toEqual([
      ['failed-retryable', code],
      ['failed-retryable', code],
    ]);
    expect(lease?.until).toBeGreaterThan(Date.now() + 9_000);
  });

  it("makes the lease last the sends' 30 s, one attempt timeout and 5 s", async () => {
    const { client, inFlight, release } = holding(2);
    const store = createMemoryStore();
    const deps = { ...depsOf(client), store };
    const before = Date.now();
    const sending = processEvents(entries(ok), {
      rules: RULES,
      deps: () => deps,
      deadline: before + 120_000,
      attemptTimeoutMs: 7_000,
    });
    await inFlight;

    const lease = leaseOf(await store.get(KEYS.eventOrder('3')), Date.now());
    release();
    await sending;

    expect(lease?.until).toBeGreaterThanOrEqual(before + 42_000);
    expect(lease?.until).toBeLessThanOrEqual(Date.now() + 42_000);
  });

  it('keeps the 10 s linger even when the timed-out send ended at the lease deadline', async () => {
    // Prepare: the ALERT is claimed with 10.5 s left; its send times out 9.5 s later
    const clock = { offset: 0 };
    const now = () => Date.now() + clock.offset;
    const client = new FakeCityVisual(async () => {
      clock.offset += 9_500;
      throw unanswered();
    });
    const deps = { ...depsOf(client), store: createMemoryStore() };
    const options = (deadline: number) => ({ rules: RULES, deps: () => deps, deadline, now });
    await processEvents(entries(alert), options(now() + 10_500));

    // Act: 8.5 s after the timeout (past the lease's own end), the OK arrives with no time to wait
    clock.offset += 8_500;
    const [during] = await processEvents(entries(ok), options(now() + 10_300));

    // Assess: held back, as the ALERT's request may still land
    expect(during?.changes[0]?.code).toBe('GROUP_CHANGE_IN_PROGRESS');
    expect(client.writes).toHaveLength(0);
  });

  it('keeps the lease after a change that applied on a retry of an uncertain attempt (it may still land)', async () => {
    const store = createMemoryStore();
    const retried: CityVisualClient = {
      modifyJobGroup: async () => ({ requestId: 'RQ-retried', attempts: 2, uncertain: 1 }),
      describeJobGroups: async () => {
        throw new Error('registry mode: no live reads');
      },
      describeJobGroup: async () => {
        throw new Error('registry mode: no live reads');
      },
    };
    const deps = { ...depsOf(retried), store };

    const [report] = await processEvents(entries(ok), {
      rules: RULES,
      deps: () => deps,
      deadline: noTimeToWait(),
    });

    expect(report?.outcome).toBe('applied');
    const record = await store.get(KEYS.eventOrder('3'));
    expect(record?.value).toMatchObject({ time: '2026-12-02T09:42:00.000Z' });
    expect(leaseOf(record, Date.now())?.until).toBeGreaterThan(Date.now() + 9_000);
  });

  it("writes a rule's pin before it releases the lease: a delivery waiting for it finds the pin", async () => {
    // Prepare: surge (40, pinned 1 h) is in flight; the store's hold writes take 100 ms
    const rules = rulesFromYaml(`
- name: surge
  match: { type: com.example.surge }
  then: { action: scale, jobGroupId: "3", planedJobCount: 40, holdFor: 1h }
- name: calm
  match: { type: com.example.calm }
  then: { action: scale, jobGroupId: "3", planedJobCount: 5 }
`);
    const { client, inFlight, release } = holding(40);
    const memory = createMemoryStore();
    const store = {
      ...memory,
      kind: 'memory' as const,
      get: memory.get,
      getMany: memory.getMany,
      list: memory.list,
      update: memory.update,
      delete: memory.delete,
      create: async (...args: Parameters<typeof memory.create>) => {
        if (args[0].startsWith('hold/')) await sleep(100);
        return memory.create(...args);
      },
    };
    const deps = { ...depsOf(client), store };
    const options = { rules, deps: () => deps, deadline: inAMinute() };
    const surge = processEvents(
      entries(cloudEvent({ id: 'surge', type: 'com.example.surge', time: '2026-12-02T09:15:00Z' })),
      options,
    );
    await inFlight;

    // Act: calm (newer) arrives and waits; surge lands
    const calm = processEvents(
      entries(cloudEvent({ id: 'calm', type: 'com.example.calm', time: '2026-12-02T09:20:00Z' })),
      options,
    );
    await sleep(30);
    release();
    const [, [report]] = await Promise.all([surge, calm]);

    // Assess: the pin kept calm off the count
    expect(client.writes.map((write) => write.PlanedJobCount)).toEqual([40]);
    expect(report?.changes[0]?.message).toContain('Held');
  });

  it('ends the lease at once after an answered refusal such as throttling (it was not applied)', async () => {
    let calls = 0;
    const client = new FakeCityVisual(async () => {
      if (calls++ === 0) throw new AutopilotError('Throttling');
    });
    const deps = { ...depsOf(client), store: createMemoryStore() };
    const options = { rules: RULES, deps: () => deps, deadline: noTimeToWait() };

    const [throttled] = await processEvents(entries(alert), options);
    const [next] = await processEvents(entries(ok), options);

    expect(throttled?.changes[0]?.code).toBe('Throttling');
    expect(next?.outcome).toBe('applied');
  });

  it.each([
    ['has ended (its holder died)', -1_000, 'applied'],
    ['is still in force', 30_000, 'failed-retryable'],
  ] as const)('judges a lease that %s by its end', async (_, untilIn, outcome) => {
    const client = new FakeCityVisual();
    const store = createMemoryStore();
    const until = new Date(Date.now() + untilIn).toISOString();
    await store.create(
      KEYS.eventOrder('3'),
      { time: '2026-12-02T09:00:00.000Z', events: [], lease: { until, by: 'someone-else' } },
      { expiresAt: Date.now() + 86_400_000 },
    );
    const deps = { ...depsOf(client), store };

    const [report] = await processEvents(entries(ok), {
      rules: RULES,
      deps: () => deps,
      deadline: noTimeToWait(),
    });

    expect(report?.outcome).toBe(outcome);
    expect(client.writes).toHaveLength(outcome === 'applied' ? 1 : 0);
    const after = (await store.get(KEYS.eventOrder('3')))?.value;
    expect(after).toEqual(
      outcome === 'applied'
        ? { time: '2026-12-02T09:42:00.000Z', events: [eventKey(ok.source, ok.id)] }
        : { time: '2026-12-02T09:00:00.000Z', events: [], lease: { until, by: 'someone-else' } },
    );
  });

  it('sends nothing when the lease cannot be written (the store reads but refuses writes)', async () => {
    const client = new FakeCityVisual();
    const memory = createMemoryStore();
    const down = async () => {
      throw new AutopilotError('STATE_UNAVAILABLE');
    };
    const store = {
      ...memory,
      kind: 'memory' as const,
      get: memory.get,
      list: memory.list,
      create: down,
      update: down,
    };
    const deps = { ...depsOf(client), store };

    const [report] = await processEvents(entries(ok), {
      rules: RULES,
      deps: () => deps,
      deadline: inAMinute(),
    });

    expect(report).toMatchObject({ outcome: 'failed-retryable', changes: [{ code: 'STATE_UNAVAILABLE' }] });
    expect(client.writes).toHaveLength(0);
  });
});

describe('outcomes', () => {
  it.each([
    ['unmatched', 'unchanged', 'unchanged'],
    ['unchanged', 'applied', 'applied'],
    ['applied', 'invalid', 'invalid'],
    ['invalid', 'failed-permanent', 'failed-permanent'],
    ['failed-permanent', 'failed-retryable', 'failed-retryable'],
    ['failed-retryable', 'applied', 'failed-retryable'],
  ] as const)('%s combined with %s is %s', (a, b, expected: EventOutcome) => {
    expect(worseOutcome(a, b)).toBe(expected);
    expect(worseOutcome(b, a)).toBe(expected);
  });

  it.each([
    ['INVALID_INPUT', 'invalid', undefined],
    ['INVALID_JOB_GROUP_ID', 'invalid', undefined],
    ['RULE_PATH_MISSING', 'invalid', undefined],
    ['InvalidJobGroupId.NotFound', 'failed-permanent', undefined],
    ['JOB_GROUP_NOT_REGISTERED', 'failed-permanent', undefined],
    ['Forbidden.RAM', 'failed-permanent', undefined],
    ['CREDENTIALS_MISSING', 'failed-permanent', undefined],
    ['Throttling', 'failed-retryable', 'throttled'],
    ['Throttling.User', 'failed-retryable', 'throttled'],
    ['ServiceUnavailable', 'failed-retryable', 'upstream'],
    ['InternalError', 'failed-retryable', 'upstream'],
    ['UPSTREAM_NETWORK', 'failed-retryable', 'upstream'],
    ['UPSTREAM_TIMEOUT', 'failed-retryable', 'timeout'],
    ['DEADLINE_EXCEEDED', 'failed-retryable', 'deadline'],
  ] as const)('classifies %s as %s (%s)', (code: ErrorCode, outcome, reason) => {
    const failure = classifyFailure(new AutopilotError(code), Date.now() + 60_000);
    expect([failure.outcome, failure.reason]).toEqual([outcome, reason]);
  });

  it('classifies a retryable failure at the deadline as reason deadline', () => {
    const now = 1_000_000;
    expect(classifyFailure(new AutopilotError('UPSTREAM_TIMEOUT'), now + 50, now).reason).toBe('deadline');
  });

  it('classifies a foreign error as a permanent INTERNAL failure, never keeping its message', () => {
    const failure = classifyFailure(new Error('https://cityvisual?Signature=secret'), Date.now() + 60_000);
    expect(failure.outcome).toBe('failed-permanent');
    expect(failure.error.code).toBe('INTERNAL');
    expect(failure.error.toPublic().message).not.toContain('Signature');
  });
});
