import { describe, expect, it, vi } from 'vitest';
import { createSchedulerHandler } from '../../../functions/scheduler/handler.js';
import { makeFleetSeed } from '../../../local/emulator/index.js';
import { AutopilotError } from '../../../shared/errors.js';
import { buildShardEvent, type Fanout, type TickSummary } from '../../../shared/scheduler/index.js';
import { useEmulator } from '../../support/emulator.js';
import { useLogCapture } from '../../support/logs.js';
import { fcContext, modifyCalls, rejection, testRuntime, timerEvent } from './helpers.js';

const IDS = Array.from({ length: 12 }, (_, i) => String(i + 1));
const TICK = '2026-05-31T23:30:00Z';

const emu = useEmulator({ port: 0, seed: makeFleetSeed(12) });
const _logs = useLogCapture('test');

function fleetRuntime() {
  return testRuntime({
    emu,
    instanceId: 'cv-fleet-instance',
    config: {
      timezone: 'Asia/Shanghai',
      reconcile: { shardSize: 5 },
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
  });

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
