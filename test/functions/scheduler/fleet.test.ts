import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSchedulerHandler } from '../../../functions/scheduler/handler.js';
import { type Emulator, makeFleetSeed, startEmulator } from '../../../local/emulator/index.js';
import type { Runtime } from '../../../shared/runtime.js';
import { dueGroups, type TickSummary } from '../../../shared/scheduler/index.js';
import { createMemoryStore } from '../../../shared/state/memory.js';
import { useMemoryStore } from '../../../shared/state/select.js';
import { captureLogs, fcContext, modifyCalls, testRuntime, timerEvent } from './helpers.js';

const FLEET = 1_000;
const seed = makeFleetSeed(FLEET);
const IDS = seed.jobGroups.map((group) => group.JobGroupId);
// Monday 07:30 Asia/Shanghai: the whole fleet goes to peak.
const TICK = '2026-05-31T23:30:00Z';

let emu: Emulator;
let logs: ReturnType<typeof captureLogs>;
let runtime: Runtime;

// The second tick of this file follows the first, as on one deployment: one store for both.
const store = createMemoryStore();
beforeEach(() => useMemoryStore(store));

beforeAll(async () => {
  // A CityVisual that admits 100 requests per sliding second, throttles 20% and resets 5% of the rest.
  emu = await startEmulator({
    port: 0,
    seed,
    faults: { qpsLimit: 100, throttleRate: 0.2, resetRate: 0.05, latencyMs: 5, seed: 20260601 },
  });
  logs = captureLogs();
  runtime = testRuntime({
    emu,
    env: { CITYVISUAL_MAX_ATTEMPTS: '10' },
    config: {
      timezone: 'Asia/Shanghai',
      // Registry mode: every group's identity from config, no live reads.
      jobGroups: Object.fromEntries(
        seed.jobGroups.map((g) => [
          g.JobGroupId,
          { jobGroupName: g.JobGroupName, algoLibId: g.AlgoLibId, resourceProfileId: g.ResourceProfileId },
        ]),
      ),
      // Lanes enough for the throttled ones sleeping out their backoff (1 s and up) while the rest go on.
      reconcile: { concurrency: 48, qps: 90 },
      schedules: [
        {
          name: 'citywide',
          jobGroupIds: IDS,
          windows: [
            {
              name: 'weekday-peak',
              days: 'mon-fri',
              from: '07:30',
              to: '21:00',
              set: { planedJobCount: 20, status: 'Running' },
            },
          ],
          otherwise: { planedJobCount: 2 },
        },
      ],
    },
  });
});
afterAll(async () => {
  logs.restore();
  await emu.close();
});

function tick(at: string): Promise<TickSummary> {
  const scheduler = createSchedulerHandler({ runtime: () => runtime, now: () => Date.parse(at) });
  return scheduler(
    timerEvent(at, { action: 'reconcile' }),
    fcContext({ timeout: 120 }),
  ) as Promise<TickSummary>;
}

describe('reconcile a fleet of 1,000 job groups under throttling and resets', () => {
  it('applies every due change exactly as planned, loses none, and accounts for every group', async () => {
    // Prepare
    const planned = dueGroups({ config: runtime.config, tick: new Date(TICK) });
    const started = Date.now();

    // Act
    const summary = await tick(TICK);

    // Assess
    const seconds = (Date.now() - started) / 1000;
    console.info(
      `fleet: ${FLEET} groups in ${seconds.toFixed(1)} s; emulator saw ${emu.stats.requests} requests, ` +
        `${emu.stats.throttled} throttled, ${emu.stats.faults} reset`,
    );
    expect(emu.stats.throttled).toBeGreaterThan(100);
    expect(emu.stats.faults).toBeGreaterThan(10);
    expect(planned).toHaveLength(FLEET);
    expect(summary.counts).toEqual({ due: FLEET, applied: FLEET, unchanged: 0, failed: 0, delegated: 0 });
    expect(new Set([...summary.applied.map((a) => a.jobGroupId), ...summary.unchanged])).toEqual(
      new Set(IDS),
    );
    // Exactly one accepted write per group, carrying exactly the planned fields.
    const calls = modifyCalls(emu);
    expect(calls).toHaveLength(FLEET);
    expect(calls.map((call) => call.JobGroupId).sort()).toEqual([...IDS].sort());
    expect(calls.every((call) => call.PlanedJobCount === '20' && call.Status === 'Running')).toBe(true);
    expect(Object.keys(calls[0]!).sort()).toEqual(['JobGroupId', 'PlanedJobCount', 'Status']);
    // The summary's request ids are the ones CityVisual issued for those writes.
    const issued = new Map(emu.calls.map((call) => [call.params.JobGroupId, call.requestId]));
    expect(summary.applied.every((entry) => issued.get(entry.jobGroupId) === entry.requestId)).toBe(true);
    for (const id of IDS) {
      const group = emu.jobGroup(id)!;
      expect(group.PlanedJobCount, id).toBe(20);
      expect(group.Status, id).toMatch(/^(running|starting)$/);
    }
    // One audit line per change; one summary line, cut down to fit FC's log line limit.
    expect(logs.lines.filter((line) => line.audit === true)).toHaveLength(FLEET);
    const line = logs.lines.find((l) => l.msg === 'scheduler tick')!;
    expect(line).toMatchObject({ truncated: true, counts: summary.counts });
    expect(JSON.stringify(line).length).toBeLessThan(32 * 1024);
  }, 45_000);

  it('sends nothing more on the next tick: every group has its record of what was applied', async () => {
    const before = emu.calls.length;

    const summary = await tick('2026-05-31T23:35:00Z');

    expect(emu.calls.length).toBe(before);
    expect(summary.counts).toMatchObject({ due: 0, unchanged: 0, failed: 0 });
  });
});
