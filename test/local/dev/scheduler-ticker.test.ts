import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSchedulerTicker } from '../../../local/dev/scheduler-ticker.js';
import { DEMO_CREDENTIAL, type Emulator, startEmulator } from '../../../local/emulator/index.js';
import { setLogSink } from '../../../shared/log.js';
import type { TickSummary } from '../../../shared/scheduler/index.js';

let emu: Emulator;
let restore: ReturnType<typeof setLogSink>;
beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  restore = setLogSink(() => {});
});
afterAll(async () => {
  setLogSink(restore);
  await emu.close();
});

describe('startSchedulerTicker', () => {
  it('invokes the scheduler with timer events against the emulator, with the demo config', async () => {
    // Prepare
    const results: Array<{ summary?: TickSummary; error?: unknown }> = [];
    const ticker = startSchedulerTicker({
      intervalMs: 60_000,
      immediate: false,
      env: {
        CITYVISUAL_ENDPOINT: emu.url,
        CITYVISUAL_INSTANCE_ID: 'cv-demo-instance',
        AUTOPILOT_CONFIG: 'config/autopilot.yaml',
        ALIBABA_CLOUD_ACCESS_KEY_ID: DEMO_CREDENTIAL.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: DEMO_CREDENTIAL.accessKeySecret,
      },
      onTick: (result) => results.push(result),
    });

    // Act
    const summary = await ticker.tick();
    await ticker.stop();

    // Assess: the enforced night-shift schedule is always due; the tick is a whole-second UTC time
    expect(results).toHaveLength(1);
    expect(results[0]?.error).toBeUndefined();
    expect(summary?.action).toBe('reconcile');
    expect(summary?.trigger).toBe('dev-reconcile');
    expect(summary?.tick).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    expect(summary?.due).toContain('7');
    expect(emu.calls.some((call) => call.action === 'DescribeJobGroups')).toBe(true);
  });

  it('reports a tick whose config is invalid as an error and keeps going', async () => {
    const results: Array<{ summary?: TickSummary; error?: unknown }> = [];
    const ticker = startSchedulerTicker({
      intervalMs: 60_000,
      immediate: false,
      env: { CITYVISUAL_ENDPOINT: emu.url, AUTOPILOT_CONFIG: 'does/not/exist.yaml' },
      onTick: (result) => results.push(result),
    });

    await ticker.tick();
    await ticker.stop();

    expect(results[0]?.error).toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
