import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { createSchedulerHandler } from '../../../functions/scheduler/handler.js';
import { DEMO_CREDENTIAL } from '../../../local/emulator/index.js';
import { createCityVisualClient } from '../../../shared/cityvisual/client.js';
import type { ConfigFileSchema } from '../../../shared/config/file.js';
import { readHistory } from '../../../shared/history/index.js';
import type { Runtime } from '../../../shared/runtime.js';
import type { TickSummary } from '../../../shared/scheduler/index.js';
import { createMemoryStore } from '../../../shared/state/memory.js';
import { useMemoryStore } from '../../../shared/state/select.js';
import { downStore } from '../../support/down-store.js';
import { useEmulator } from '../../support/emulator.js';
import { useLogCapture } from '../../support/logs.js';
import {
  DEMO_REGISTRY,
  fcContext,
  modifyCalls,
  rejection,
  testRuntime,
  timerEvent,
  timerFixture,
} from './helpers.js';

const INSTANCE = 'cv-demo-instance';
const RECONCILE = { action: 'reconcile' };

// Monday 2026-06-01 in Asia/Shanghai: weekday-peak starts 07:30 local = 2026-05-31T23:30Z, ends 21:00
// local = 13:00Z. Ticks every 5 minutes, lookback 2 ticks (10 minutes).
const PEAK_START = '2026-05-31T23:30:00Z';

function eastDistrict(overrides: { enforce?: boolean; to?: string } = {}): z.input<typeof ConfigFileSchema> {
  return {
    timezone: 'Asia/Shanghai',
    jobGroups: { '3': DEMO_REGISTRY['3'], '4': DEMO_REGISTRY['4'] },
    schedules: [
      {
        name: 'east-district',
        jobGroupIds: ['3', '4'],
        enforce: overrides.enforce ?? false,
        windows: [
          {
            name: 'weekday-peak',
            days: 'mon-fri',
            from: '07:30',
            to: overrides.to ?? '21:00',
            set: { planedJobCount: 20, status: 'Running' },
          },
        ],
        otherwise: { planedJobCount: 2 },
      },
    ],
  };
}

const emu = useEmulator({ port: 0 });
const _logs = useLogCapture('test');

/**
 * One tick of a warm instance (`runtime` keeps its applied-memory): the timer event says `triggerTime`,
 * and the invocation starts at `now` (default: the trigger time itself).
 */
async function tick(runtime: Runtime, triggerTime: string, now = triggerTime): Promise<TickSummary> {
  const scheduler = createSchedulerHandler({ runtime: () => runtime, now: () => Date.parse(now) });
  return (await scheduler(timerEvent(triggerTime, RECONCILE), fcContext())) as TickSummary;
}

describe('reconcile: what is due', () => {
  it('sends the window state to every group of the schedule on the tick of the transition', async () => {
    // Prepare
    const runtime = testRuntime({ emu, config: eastDistrict() });

    // Act
    const summary = await tick(runtime, PEAK_START);

    // Assess: registry mode, nothing known about the live state: every target field is sent
    expect(modifyCalls(emu)).toEqual([
      { JobGroupId: '3', PlanedJobCount: '20', Status: 'Running' },
      { JobGroupId: '4', PlanedJobCount: '20', Status: 'Running' },
    ]);
    expect(summary).toMatchObject({
      action: 'reconcile',
      tick: '2026-05-31T23:30:00.000Z',
      evaluatedAt: '2026-05-31T23:30:00.000Z',
      due: ['3', '4'],
      unchanged: [],
      failed: [],
    });
    expect(summary.applied.map(({ jobGroupId, set }) => ({ jobGroupId, set }))).toEqual([
      { jobGroupId: '3', set: { planedJobCount: 20, status: 'Running' } },
      { jobGroupId: '4', set: { planedJobCount: 20, status: 'Running' } },
    ]);
  });

  it('a first deploy mid-window sends the desired state at once, then nothing while it holds', async () => {
    // Prepare: deployed at 10:00 local, hours after the 07:30 transition
    const runtime = testRuntime({ emu, config: eastDistrict() });

    // Act
    const first = await tick(runtime, '2026-06-01T02:00:00Z');
    const second = await tick(runtime, '2026-06-01T02:05:00Z');

    // Assess: converged on the first tick; the record makes the next one free
    expect(modifyCalls(emu)).toEqual([
      { JobGroupId: '3', PlanedJobCount: '20', Status: 'Running' },
      { JobGroupId: '4', PlanedJobCount: '20', Status: 'Running' },
    ]);
    expect(first.counts.applied).toBe(2);
    expect(second.counts).toEqual({ due: 0, applied: 0, unchanged: 0, failed: 0, delegated: 0 });
  });

  it('sends each change of the desired state once, however many ticks follow', async () => {
    const runtime = testRuntime({ emu, config: eastDistrict() });

    const summaries = [];
    for (const at of ['2026-05-31T23:25:00Z', PEAK_START, '2026-05-31T23:35:00Z', '2026-05-31T23:40:00Z']) {
      summaries.push(await tick(runtime, at));
    }

    // 23:25 converges to `otherwise` (first tick), 23:30 sends the window, then nothing is due
    expect(modifyCalls(emu).map((call) => call.PlanedJobCount)).toEqual(['2', '2', '20', '20']);
    expect(summaries.map((s) => s.counts.applied)).toEqual([2, 2, 0, 0]);
    expect(summaries[2]?.due).toEqual([]);
    expect(summaries[3]?.due).toEqual([]);
  });

  it('records each applied change in the history, naming the schedule and window', async () => {
    const store = createMemoryStore();
    useMemoryStore(store);

    await tick(testRuntime({ emu, config: eastDistrict() }), PEAK_START);

    const { records: history } = await readHistory(store, { jobGroupId: '3' });
    expect(history).toEqual([
      expect.objectContaining({
        jobGroupId: '3',
        source: { kind: 'schedule', schedule: 'east-district', window: 'weekday-peak' },
        sent: expect.objectContaining({ PlanedJobCount: '20', Status: 'Running' }),
        requestId: expect.any(String),
      }),
    ]);
  });

  it('a config edit makes its groups due at the next tick, without waiting for a transition', async () => {
    // Prepare: applied at 07:30; then the window's count is edited to 25
    await tick(testRuntime({ emu, config: eastDistrict() }), PEAK_START);
    const edited = eastDistrict();
    const window = edited.schedules?.[0]?.windows?.[0] as { set: Record<string, unknown> };
    window.set = { planedJobCount: 25, status: 'Running' };

    // Act: a tick with no transition near
    const summary = await tick(testRuntime({ emu, config: edited }), '2026-06-01T02:00:00Z');

    // Assess
    expect(modifyCalls(emu).slice(2)).toEqual([
      { JobGroupId: '3', PlanedJobCount: '25', Status: 'Running' },
      { JobGroupId: '4', PlanedJobCount: '25', Status: 'Running' },
    ]);
    expect(summary.due).toEqual(['3', '4']);
  });

  it('fails the tick retryably and sends nothing when the state store cannot be read', async () => {
    useMemoryStore(downStore());
    const runtime = testRuntime({ emu, config: eastDistrict() });

    const failure = await tick(runtime, PEAK_START).then(
      () => undefined,
      (error: unknown) => error as { code: string; retryable: boolean },
    );

    expect(failure).toMatchObject({ code: 'STATE_UNAVAILABLE', retryable: true });
    expect(emu.stats.requests).toBe(0);
  });

  it('reconciles only the groups of a fan-out shard payload', async () => {
    const runtime = testRuntime({ emu, config: eastDistrict() });
    const scheduler = createSchedulerHandler({ runtime: () => runtime, now: () => Date.parse(PEAK_START) });

    const summary = (await scheduler(timerFixture('reconcile-shard.json'), fcContext())) as TickSummary;

    expect(modifyCalls(emu)).toEqual([{ JobGroupId: '3', PlanedJobCount: '20', Status: 'Running' }]);
    expect(summary).toMatchObject({ shard: ['3'], due: ['3'] });
  });

  it("a shard reads only its own groups' schedule records, by key, not the whole fleet's", async () => {
    // Prepare: a tick applied groups 3 and 4 and recorded both; the store is watched from then on
    const memory = createMemoryStore();
    useMemoryStore(memory);
    await tick(testRuntime({ emu, config: eastDistrict() }), PEAK_START);
    const asked: string[][] = [];
    const listed: string[] = [];
    useMemoryStore({
      ...memory,
      kind: 'memory',
      get: memory.get,
      create: memory.create,
      update: memory.update,
      delete: memory.delete,
      getMany: (keys) => {
        asked.push([...keys]);
        return memory.getMany(keys);
      },
      list: (prefix, options) => {
        listed.push(prefix);
        return memory.list(prefix, options);
      },
    });
    const runtime = testRuntime({ emu, config: eastDistrict() });
    const scheduler = createSchedulerHandler({ runtime: () => runtime, now: () => Date.parse(PEAK_START) });

    // Act: the shard of group 3, at the same instant
    const summary = (await scheduler(timerFixture('reconcile-shard.json'), fcContext())) as TickSummary;

    // Assess: its record was read (so it is not due again) and no other group's
    expect(asked).toEqual([['sched/3']]);
    expect(listed.filter((prefix) => prefix.startsWith('sched/'))).toEqual([]);
    expect(summary).toMatchObject({ shard: ['3'], due: [] });
    expect(modifyCalls(emu)).toHaveLength(2);
  });
});

describe('reconcile: missed, late and cold-start ticks lose nothing and send nothing wrong', () => {
  it('missed ticks, for any length of time: the next tick still sends the change they missed', async () => {
    // Prepare: converged at 07:25 local; every tick from 07:30 to 10:00 never comes (past any lookback)
    const runtime = testRuntime({ emu, config: eastDistrict() });
    await tick(runtime, '2026-05-31T23:25:00Z');
    const before = modifyCalls(emu).length;

    // Act
    const summary = await tick(runtime, '2026-06-01T02:00:00Z');

    // Assess
    expect(modifyCalls(emu).slice(before)).toEqual([
      { JobGroupId: '3', PlanedJobCount: '20', Status: 'Running' },
      { JobGroupId: '4', PlanedJobCount: '20', Status: 'Running' },
    ]);
    expect(summary.counts.applied).toBe(2);
  });

  it('a late tick: sends the transition it came late for', async () => {
    const runtime = testRuntime({ emu, config: eastDistrict() });

    await tick(runtime, '2026-05-31T23:33:41Z');

    expect(modifyCalls(emu)).toEqual([
      { JobGroupId: '3', PlanedJobCount: '20', Status: 'Running' },
      { JobGroupId: '4', PlanedJobCount: '20', Status: 'Running' },
    ]);
  });

  it('a late tick after two transitions: sends the current state, never the stale one in between', async () => {
    // Prepare: a two-minute window, 07:30-07:32 local; the tick arrives at 07:34
    const runtime = testRuntime({ emu, config: eastDistrict({ to: '07:32' }) });

    // Act
    const summary = await tick(runtime, '2026-05-31T23:34:00Z');

    // Assess: only `otherwise` is sent; planedJobCount 20 never reaches CityVisual
    expect(modifyCalls(emu)).toEqual([
      { JobGroupId: '3', PlanedJobCount: '2' },
      { JobGroupId: '4', PlanedJobCount: '2' },
    ]);
    expect(summary.applied[0]?.set).toEqual({ planedJobCount: 2 });
  });

  it('a tick delivered long after its trigger time (async retry) evaluates now, not the stale tick', async () => {
    // Prepare: window 07:30-08:00 local; the 07:30 tick is delivered at 09:30 local
    const runtime = testRuntime({ emu, config: eastDistrict({ to: '08:00' }) });

    // Act
    const summary = await tick(runtime, PEAK_START, '2026-06-01T01:30:00Z');

    // Assess
    expect(summary.evaluatedAt).toBe('2026-06-01T01:30:00.000Z');
    expect(modifyCalls(emu)).toEqual([
      { JobGroupId: '3', PlanedJobCount: '2' },
      { JobGroupId: '4', PlanedJobCount: '2' },
    ]);
  });

  it('refuses a tick stamped in the future (beyond clock skew) before any call, naming triggerTime', async () => {
    // Prepare: 07:30 local, window open; an event claims 21:00 local (after the window closes)
    const runtime = testRuntime({ emu, config: eastDistrict() });

    // Act
    const refused = await tick(runtime, '2026-06-01T13:00:00Z', PEAK_START).then(
      () => undefined,
      (error: unknown) => error as { code: string; field: string; status: number },
    );
    const skewed = await tick(runtime, '2026-05-31T23:30:45Z', PEAK_START);

    // Assess
    expect(refused).toMatchObject({ code: 'INVALID_INPUT', field: 'triggerTime' });
    expect(skewed.evaluatedAt).toBe('2026-05-31T23:30:45.000Z'); // 45 s of skew is accepted
    expect(modifyCalls(emu)).toEqual([
      { JobGroupId: '3', PlanedJobCount: '20', Status: 'Running' },
      { JobGroupId: '4', PlanedJobCount: '20', Status: 'Running' },
    ]);
  });

  it('a new instance (cold start) knows from the store what was applied, and sends nothing again', async () => {
    // Prepare: one instance applied the transition, then a new instance takes over
    await tick(testRuntime({ emu, config: eastDistrict() }), PEAK_START);
    const cold = testRuntime({ emu, config: eastDistrict() });

    // Act
    const summary = await tick(cold, '2026-05-31T23:35:00Z');

    // Assess
    expect(modifyCalls(emu)).toHaveLength(2);
    expect(summary.due).toEqual([]);
  });

  it('a cold start with live reads sends nothing when CityVisual already has the state', async () => {
    await tick(testRuntime({ emu, config: eastDistrict(), instanceId: INSTANCE }), PEAK_START);
    const cold = testRuntime({ emu, config: eastDistrict(), instanceId: INSTANCE });
    const before = modifyCalls(emu).length;

    const summary = await tick(cold, '2026-05-31T23:35:00Z');

    expect(modifyCalls(emu)).toHaveLength(before);
    expect(summary.due).toEqual([]);
  });
});

describe('reconcile: live reads, registry and enforce', () => {
  it('with live reads, reads the due groups in one listing page and sends only the fields that differ', async () => {
    // Prepare: group 3 is running with 10 planned, group 4 is stopped with 6
    const runtime = testRuntime({ emu, config: eastDistrict(), instanceId: INSTANCE });

    // Act
    await tick(runtime, PEAK_START);

    // Assess: one page of the listing (the demo instance fits in it), not one read per group
    expect(emu.calls.map((call) => call.action)).toEqual([
      'DescribeJobGroups',
      'ModifyJobGroup',
      'ModifyJobGroup',
    ]);
    expect(emu.calls[0]?.params).toMatchObject({ InstanceId: INSTANCE, PageNumber: '1', PageSize: '100' });
    expect(emu.calls[0]?.params).not.toHaveProperty('JobGroupId');
    expect(modifyCalls(emu)).toEqual(
      expect.arrayContaining([
        { JobGroupId: '3', PlanedJobCount: '20' },
        { JobGroupId: '4', PlanedJobCount: '20', Status: 'Running' },
      ]),
    );
  });

  it('with live reads, a group the listing lacks fails alone with InvalidJobGroupId.NotFound', async () => {
    // Prepare: the schedule names a group the instance does not have
    const config = eastDistrict();
    const schedule = config.schedules?.[0] as { jobGroupIds: string[] };
    schedule.jobGroupIds = ['3', '4', 'retired-9'];
    const runtime = testRuntime({ emu, config, instanceId: INSTANCE });

    // Act
    const error = await rejection(tick(runtime, PEAK_START));

    // Assess: one listing read for all three; 3 and 4 applied, only retired-9 failed, for good
    expect(emu.calls.map((call) => call.action)).toEqual([
      'DescribeJobGroups',
      'ModifyJobGroup',
      'ModifyJobGroup',
    ]);
    const summary = (error.details as { summary: TickSummary }).summary;
    expect(error.code).toBe('RECONCILE_FAILED');
    expect(summary.counts).toMatchObject({ due: 3, applied: 2, failed: 1 });
    expect(summary.failed).toEqual([
      expect.objectContaining({
        jobGroupId: 'retired-9',
        code: 'InvalidJobGroupId.NotFound',
        retryable: false,
      }),
    ]);
  });

  it('with enforce and live reads, reverts a manual change on the next tick, sending only that field', async () => {
    // Prepare: enforced schedule already applied; then someone sets group 3 to 9 by hand
    const runtime = testRuntime({ emu, config: eastDistrict({ enforce: true }), instanceId: INSTANCE });
    await tick(runtime, '2026-06-01T02:00:00Z');
    const client = createCityVisualClient({ endpoint: emu.url, credentials: DEMO_CREDENTIAL });
    await client.modifyJobGroup({
      AlgoLibId: '2',
      JobGroupId: '3',
      JobGroupName: 'JobGroupName',
      ResourceProfileId: '23',
      PlanedJobCount: 9,
    });
    const before = modifyCalls(emu).length;

    // Act: a tick with no transition anywhere near
    const summary = await tick(runtime, '2026-06-01T02:05:00Z');

    // Assess
    expect(modifyCalls(emu).slice(before)).toEqual([{ JobGroupId: '3', PlanedJobCount: '20' }]);
    expect(emu.jobGroup('3')?.PlanedJobCount).toBe(20);
    expect(summary).toMatchObject({ due: ['3', '4'], unchanged: ['4'] });
  });

  it('without enforce, leaves the same manual change alone', async () => {
    const runtime = testRuntime({ emu, config: eastDistrict(), instanceId: INSTANCE });
    await tick(runtime, PEAK_START);
    const client = createCityVisualClient({ endpoint: emu.url, credentials: DEMO_CREDENTIAL });
    await client.modifyJobGroup({
      AlgoLibId: '2',
      JobGroupId: '3',
      JobGroupName: 'JobGroupName',
      ResourceProfileId: '23',
      PlanedJobCount: 9,
    });
    const before = emu.calls.length;

    await tick(runtime, '2026-06-01T02:05:00Z');

    expect(emu.calls.length).toBe(before);
    expect(emu.jobGroup('3')?.PlanedJobCount).toBe(9);
  });

  it('with enforce and no live reads, re-asserts every tick (nothing remembered decides a write is unneeded)', async () => {
    const runtime = testRuntime({ emu, config: eastDistrict({ enforce: true }) });

    await tick(runtime, '2026-06-01T02:00:00Z');
    await tick(runtime, '2026-06-01T02:05:00Z');

    const sent = { PlanedJobCount: '20', Status: 'Running' };
    expect(modifyCalls(emu)).toEqual([
      { JobGroupId: '3', ...sent },
      { JobGroupId: '4', ...sent },
      { JobGroupId: '3', ...sent },
      { JobGroupId: '4', ...sent },
    ]);
  });

  it('sends nothing for a schedule that wants nothing at this time', async () => {
    // Prepare: windows only, no `otherwise`; the window ends at 21:00 local (13:00Z)
    const config = eastDistrict();
    const [schedule] = config.schedules ?? [];
    const runtime = testRuntime({
      emu,
      config: { ...config, schedules: [{ ...schedule!, otherwise: undefined }] },
    });

    const summary = await tick(runtime, '2026-06-01T13:00:00Z');

    expect(emu.stats.requests).toBe(0);
    expect(summary).toMatchObject({ due: ['3', '4'], unchanged: ['3', '4'] });
  });
});
