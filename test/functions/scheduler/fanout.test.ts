import { describe, expect, it, vi } from 'vitest';
import { createSchedulerHandler } from '../../../functions/scheduler/handler.js';
import { DEMO_CREDENTIAL, makeFleetSeed } from '../../../local/emulator/index.js';
import { createCityVisualClient } from '../../../shared/cityvisual/client.js';
import { AutopilotError } from '../../../shared/errors.js';
import { buildShardEvent, type Fanout, type TickSummary } from '../../../shared/scheduler/index.js';
import { useEmulator } from '../../support/emulator.js';
import { useLogCapture } from '../../support/logs.js';
import { fcContext, modifyCalls, rejection, testRuntime, timerEvent } from './helpers.js';

const IDS = Array.from({ length: 12 }, (_, i) => String(i + 1));
const TICK = '2026-05-31T23:30:00Z';

const emu = useEmulator({ port: 0, seed: makeFleetSeed(12) });
const _logs = useLogCapture('test');

function fleetRuntime(reconcile: { maxShards?: number; qps?: number } = {}) {
  return testRuntime({
    emu,
    instanceId: 'cv-fleet-instance',
    config: {
      timezone: 'Asia/Shanghai',
      reconcile: { shardSize: 5, ...reconcile },
      schedules: [
        {
          name: 'fleet',
          // Deliberately unsorted: shards are cut from the numerically sorted ids.
          jobGroupIds: [...IDS].reverse(),
          windows: [{ days: 'mon-fri', from: '07:30', to: '21:00', set: { planedJobCount: 20 } }],
        },
      ],
    },
  });
}

/** Sets groups' PlanedJobCount directly at the emulator, as someone else would. */
async function setPlanned(ids: readonly string[], planedJobCount: number): Promise<void> {
  const client = createCityVisualClient({ endpoint: emu.url, credentials: DEMO_CREDENTIAL });
  for (const id of ids) {
    const group = emu.jobGroup(id)!;
    await client.modifyJobGroup({
      AlgoLibId: group.AlgoLibId,
      JobGroupId: id,
      JobGroupName: group.JobGroupName,
      ResourceProfileId: group.ResourceProfileId,
      PlanedJobCount: planedJobCount,
    });
  }
}

describe('reconcile: the fan-out seam', () => {
  it('hands fixed, sorted shards to the fan-out, each with its share of the budget, and writes nothing itself', async () => {
    // Prepare
    const fanout = vi.fn<Fanout>(async () => {});
    const runtime = fleetRuntime();
    const scheduler = createSchedulerHandler({ runtime: () => runtime, now: () => Date.parse(TICK), fanout });

    // Act
    const summary = (await scheduler(timerEvent(TICK, { action: 'reconcile' }), fcContext())) as TickSummary;

    // Assess: one listing read (12 groups fit page 1), then three shards sharing reconcile.qps (20)
    expect(fanout).toHaveBeenCalledOnce();
    expect(fanout.mock.calls[0]?.[0]).toEqual([
      { jobGroupIds: ['1', '2', '3', '4', '5'], pages: [1] },
      { jobGroupIds: ['6', '7', '8', '9', '10'], pages: [1] },
      { jobGroupIds: ['11', '12'], pages: [1] },
    ]);
    expect(fanout.mock.calls[0]?.[1]).toEqual({
      tick: new Date(TICK),
      trigger: 'reconcile-every-5m',
      qps: 20 / 3,
    });
    expect(emu.calls.map((call) => call.action)).toEqual(['DescribeJobGroups']);
    expect(summary).toMatchObject({
      delegated: { shards: 3, jobGroupIds: 12 },
      counts: { due: 12, applied: 0, failed: 0, delegated: 12 },
    });
  });

  it('each shard event, run through the same handler, applies its groups at the parent tick', async () => {
    // Prepare: collect the shard events a fan-out would send
    const events: Buffer[] = [];
    const fanout: Fanout = async (shards, tick) => {
      events.push(...shards.map((shard, index) => buildShardEvent(tick, shard, index, shards.length)));
    };
    const runtime = fleetRuntime();
    // The shard invocations start a minute after the parent's tick.
    const parent = createSchedulerHandler({ runtime: () => runtime, now: () => Date.parse(TICK), fanout });
    const shardHandler = createSchedulerHandler({
      runtime: () => runtime,
      now: () => Date.parse(TICK) + 60_000,
      fanout,
    });
    await parent(timerEvent(TICK, { action: 'reconcile' }), fcContext());

    // Act
    const summaries = [];
    for (const event of events) summaries.push((await shardHandler(event, fcContext())) as TickSummary);

    // Assess
    expect(summaries.map((s) => s.trigger)).toEqual([
      'reconcile-every-5m#shard-1-of-3',
      'reconcile-every-5m#shard-2-of-3',
      'reconcile-every-5m#shard-3-of-3',
    ]);
    expect(summaries.every((s) => s.tick === '2026-05-31T23:30:00.000Z' && s.delegated === undefined)).toBe(
      true,
    );
    expect(
      modifyCalls(emu)
        .map((call) => call.JobGroupId)
        .sort(),
    ).toEqual([...IDS].sort());
    expect(IDS.every((id) => emu.jobGroup(id)?.PlanedJobCount === 20)).toBe(true);
    // The parent's listing, then each shard reads the page its parent saw its groups on: no per-group reads.
    const reads = emu.calls.filter((call) => call.action === 'DescribeJobGroups');
    expect(reads.map((call) => [call.params.PageNumber, call.params.JobGroupId])).toEqual([
      ['1', undefined],
      ['1', undefined],
      ['1', undefined],
      ['1', undefined],
    ]);
  });

  it('settles the groups already at their target itself and hands out only the writes', async () => {
    // Prepare: groups 1–4 already run 20 (the others do not)
    await setPlanned(['1', '2', '3', '4'], 20);
    const before = emu.calls.length;
    const fanout = vi.fn<Fanout>(async () => {});
    const runtime = fleetRuntime();
    const scheduler = createSchedulerHandler({ runtime: () => runtime, now: () => Date.parse(TICK), fanout });

    // Act
    const summary = (await scheduler(timerEvent(TICK, { action: 'reconcile' }), fcContext())) as TickSummary;

    // Assess: 8 writes in two shards, each at half the budget; 1–4 unchanged here, without a write
    expect(fanout.mock.calls[0]?.[0].map((shard) => shard.jobGroupIds)).toEqual([
      ['5', '6', '7', '8', '9'],
      ['10', '11', '12'],
    ]);
    expect(fanout.mock.calls[0]?.[1].qps).toBe(10);
    expect(summary).toMatchObject({
      unchanged: ['1', '2', '3', '4'],
      delegated: { shards: 2, jobGroupIds: 8 },
      counts: { due: 12, applied: 0, unchanged: 4, failed: 0, delegated: 8 },
    });
    expect(emu.calls.slice(before).map((call) => call.action)).toEqual(['DescribeJobGroups']);
  });

  it('works inline, without a fan-out, when no more than shardSize groups need a write', async () => {
    await setPlanned(['1', '2', '3', '4', '5', '6', '7', '8'], 20);
    const before = emu.calls.length;
    const fanout = vi.fn<Fanout>(async () => {});
    const runtime = fleetRuntime();
    const scheduler = createSchedulerHandler({ runtime: () => runtime, now: () => Date.parse(TICK), fanout });

    const summary = (await scheduler(timerEvent(TICK, { action: 'reconcile' }), fcContext())) as TickSummary;

    expect(fanout).not.toHaveBeenCalled();
    expect(summary.counts).toEqual({ due: 12, applied: 4, unchanged: 8, failed: 0, delegated: 0 });
    expect(emu.calls.slice(before).map((call) => call.action)).toEqual([
      'DescribeJobGroups',
      'ModifyJobGroup',
      'ModifyJobGroup',
      'ModifyJobGroup',
      'ModifyJobGroup',
    ]);
  });

  it('starts at most reconcile.maxShards shards: more groups make larger shards', async () => {
    const fanout = vi.fn<Fanout>(async () => {});
    const runtime = fleetRuntime({ maxShards: 2 });
    const scheduler = createSchedulerHandler({ runtime: () => runtime, now: () => Date.parse(TICK), fanout });

    await scheduler(timerEvent(TICK, { action: 'reconcile' }), fcContext());

    expect(fanout.mock.calls[0]?.[0].map((shard) => shard.jobGroupIds.length)).toEqual([6, 6]);
    expect(fanout.mock.calls[0]?.[1].qps).toBe(10);
  });

  it.each([
    { share: 5, budget: 20, spacing: 200 },
    // A share above the budget (a hand-written payload) is cut to the budget.
    { share: 100, budget: 5, spacing: 200 },
  ])(
    'a shard paces every call at its share $share of a budget of $budget',
    async ({ share, budget, spacing }) => {
      // Prepare
      const runtime = fleetRuntime({ qps: budget });
      const scheduler = createSchedulerHandler({ runtime: () => runtime, now: () => Date.parse(TICK) });
      const shard = buildShardEvent(
        { tick: new Date(TICK), trigger: 'reconcile-every-5m', qps: share },
        { jobGroupIds: ['1', '2', '3'], pages: [1] },
        0,
        1,
      );

      // Act
      await scheduler(shard, fcContext());

      // Assess: one page read and three writes, each at least 1/rate after the one before
      expect(emu.calls.map((call) => call.action)).toEqual([
        'DescribeJobGroups',
        'ModifyJobGroup',
        'ModifyJobGroup',
        'ModifyJobGroup',
      ]);
      const gaps = emu.calls.slice(1).map((call, i) => call.at - (emu.calls[i] as { at: number }).at);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(spacing - 15);
    },
  );

  it('fails the tick (retryable) when the fan-out cannot submit, so FC retries it whole', async () => {
    const fanout: Fanout = async () => {
      throw new AutopilotError('UPSTREAM_NETWORK');
    };
    const runtime = fleetRuntime();
    const scheduler = createSchedulerHandler({ runtime: () => runtime, now: () => Date.parse(TICK), fanout });

    const error = await rejection(scheduler(timerEvent(TICK, { action: 'reconcile' }), fcContext()));

    expect(error).toMatchObject({ code: 'RECONCILE_INCOMPLETE', retryable: true });
    expect((error.details as { summary: TickSummary }).summary.counts.failed).toBe(12);
    expect(modifyCalls(emu)).toEqual([]);
  });

  it('rejects a shard that names a group in no schedule, before any call', async () => {
    const runtime = fleetRuntime();
    const scheduler = createSchedulerHandler({ runtime: () => runtime, now: () => Date.parse(TICK) });

    const error = await rejection(
      scheduler(timerEvent(TICK, { action: 'reconcile', jobGroupIds: ['3', '404'] }), fcContext()),
    );

    expect(error).toMatchObject({ code: 'INVALID_INPUT', field: 'payload.jobGroupIds[1]' });
    expect(emu.stats.requests).toBe(0);
  });
});
