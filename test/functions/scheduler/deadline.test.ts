import { describe, expect, it } from 'vitest';
import { createSchedulerHandler } from '../../../functions/scheduler/handler.js';
import type { TickSummary } from '../../../shared/scheduler/index.js';
import { useEmulator } from '../../support/emulator.js';
import { useLogCapture } from '../../support/logs.js';
import { DEMO_REGISTRY, fcContext, modifyCalls, rejection, testRuntime, timerEvent } from './helpers.js';

const GROUPS = ['1', '2', '3', '4', '7'];
// Monday 07:30 Asia/Shanghai: every group of the schedule is due.
const TICK = '2026-05-31T23:30:00Z';

const emu = useEmulator({ port: 0 });
const _logs = useLogCapture('test');

function scheduler(concurrency: number) {
  const runtime = testRuntime({
    emu,
    config: {
      timezone: 'Asia/Shanghai',
      jobGroups: DEMO_REGISTRY,
      reconcile: { concurrency },
      schedules: [
        {
          name: 'all-day',
          jobGroupIds: GROUPS,
          windows: [{ days: 'mon-fri', from: '07:30', to: '21:00', set: { planedJobCount: 5 } }],
        },
      ],
    },
  });
  return createSchedulerHandler({ runtime: () => runtime, now: () => Date.parse(TICK) });
}

describe('reconcile: the invocation deadline', () => {
  it('reports every group failed with reason deadline when CityVisual never answers, and returns in time', async () => {
    // Prepare: every request hangs; a 3 s function timeout leaves a 1 s deadline
    emu.setFaults({ hangRate: 1 });
    const started = Date.now();

    // Act
    const error = await rejection(
      scheduler(2)(timerEvent(TICK, { action: 'reconcile' }), fcContext({ timeout: 3 })),
    );

    // Assess
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(2_500);
    expect(error).toMatchObject({ code: 'RECONCILE_INCOMPLETE', retryable: true });
    const summary = (error.details as { summary: TickSummary }).summary;
    expect(summary.due).toEqual(GROUPS);
    expect(summary.applied).toEqual([]);
    expect(summary.failed).toEqual(
      GROUPS.map((jobGroupId) => ({
        jobGroupId,
        code: 'DEADLINE_EXCEEDED',
        retryable: true,
        reason: 'deadline',
        message: expect.any(String),
      })),
    );
    expect(modifyCalls(emu)).toEqual([]);
  });

  it('applies what fits before the deadline and reports the rest as deadline failures, none dropped', async () => {
    // Prepare: 300 ms per request, one group at a time, a 1 s deadline
    emu.setFaults({ latencyMs: 300 });

    // Act
    const error = await rejection(
      scheduler(1)(timerEvent(TICK, { action: 'reconcile' }), fcContext({ timeout: 3 })),
    );

    // Assess
    const summary = (error.details as { summary: TickSummary }).summary;
    const applied = summary.applied.map((entry) => entry.jobGroupId);
    const failed = summary.failed.map((entry) => entry.jobGroupId);
    expect(applied.length).toBeGreaterThanOrEqual(1);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect([...applied, ...failed].sort()).toEqual(GROUPS);
    expect(summary.failed.every((entry) => entry.reason === 'deadline')).toBe(true);
    // Each reported write reached CityVisual; a call cut off in flight may land too (same values, harmless).
    const reached = modifyCalls(emu).map((call) => call.JobGroupId);
    expect(reached).toEqual(expect.arrayContaining(applied));
    expect(reached.length).toBeLessThanOrEqual(applied.length + 1);
  });
});
