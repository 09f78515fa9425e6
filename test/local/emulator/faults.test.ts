import { afterEach, describe, expect, it } from 'vitest';
import { type Emulator, type FaultConfig, mulberry32, startEmulator } from '../../../local/emulator/index.js';
import { GROUP_3, popCall, popClient } from './helpers.js';

describe('emulator fault injection', () => {
  let emu: Emulator | undefined;
  afterEach(async () => {
    await emu?.close();
    emu = undefined;
  });

  const modify = (e: Emulator, timeout?: number) =>
    popCall(popClient(e), 'ModifyJobGroup', GROUP_3, 'POST', timeout);

  it.each([
    { step: 'throttle', status: 400, code: 'Throttling', stat: 'throttled' },
    { step: 'unavailable', status: 503, code: 'ServiceUnavailable', stat: 'faults' },
    { step: 'internal', status: 500, code: 'InternalError', stat: 'faults' },
  ] as const)(
    'answers script step $step with $code $status, then serves normally',
    async ({ step, status, code, stat }) => {
      // Prepare
      emu = await startEmulator({ faults: { script: [step] } });

      // Act
      const faulted = await modify(emu);
      const next = await modify(emu);

      // Assess
      expect({ status: faulted.status, code: faulted.body.Code }).toEqual({ status, code });
      expect(next.status).toBe(200);
      expect(emu.stats[stat]).toBe(1);
      expect(emu.calls).toHaveLength(1);
    },
  );

  it('destroys the socket for script step reset', async () => {
    // Prepare
    emu = await startEmulator({ faults: { script: ['reset', 'ok'] } });

    // Act
    const reset = modify(emu);

    // Assess
    await expect(reset).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect((await modify(emu)).status).toBe(200);
    expect(emu.stats.faults).toBe(1);
  });

  it('never answers script step hang, and close() still returns promptly', async () => {
    // Prepare
    emu = await startEmulator({ faults: { script: ['hang'] } });

    // Act
    const hung = modify(emu, 200);

    // Assess
    await expect(hung).rejects.toMatchObject({ name: 'RequestTimeoutError' });
    expect(emu.stats.faults).toBe(1);
    const started = Date.now();
    await emu.close();
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('close() ends a request that is still hanging', async () => {
    // Prepare
    emu = await startEmulator({ faults: { script: ['hang'] } });
    const pending = fetch(`${emu.url}/`).then(
      () => 'answered',
      () => 'socket closed',
    );
    await waitFor(() => emu!.stats.faults === 1);

    // Act
    await emu.close();

    // Assess
    expect(await pending).toBe('socket closed');
  });

  it('throttles requests above qpsLimit in a sliding second with Throttling.User', async () => {
    // Prepare
    let now = Date.now();
    emu = await startEmulator({ faults: { qpsLimit: 2 }, clock: () => now });

    // Act
    const burst = await Promise.all([1, 2, 3, 4].map(() => modify(emu!)));
    now += 1001;
    const afterWindow = await modify(emu);

    // Assess
    const codes = burst.map((r) => r.body.Code ?? 'ok').sort();
    expect(codes).toEqual(['Throttling.User', 'Throttling.User', 'ok', 'ok']);
    expect(burst.filter((r) => r.body.Code).every((r) => r.status === 400)).toBe(true);
    expect(afterWindow.status).toBe(200);
    expect(emu.stats.throttled).toBe(2);
  });

  it('reports every arrival to onRequest, throttled ones included, at the clock of arrival', async () => {
    // Prepare
    const now = 1_780_000_000_000;
    const arrivals: number[] = [];
    emu = await startEmulator({
      faults: { qpsLimit: 1 },
      clock: () => now,
      onRequest: (at) => arrivals.push(at),
      timestampSkewSeconds: 10 ** 9,
    });

    // Act
    const results = await Promise.all([1, 2, 3].map(() => modify(emu!)));

    // Assess
    expect(results.filter((r) => r.body.Code === 'Throttling.User')).toHaveLength(2);
    expect(arrivals).toEqual([now, now, now]);
  });

  it('adds latencyMs before answering', async () => {
    // Prepare
    emu = await startEmulator({ faults: { latencyMs: 120 } });

    // Act
    const started = performance.now();
    const result = await modify(emu);

    // Assess
    expect(result.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(115);
  });

  it('holds many requests in latencyMs at once without piling listeners on one signal', async () => {
    // Prepare: a fleet's worth of calls in flight together, each waiting out the latency
    emu = await startEmulator({ faults: { latencyMs: 50 } });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    const client = popClient(emu);

    // Act
    let results: Awaited<ReturnType<typeof popCall>>[];
    try {
      results = await Promise.all(
        Array.from({ length: 24 }, () => popCall(client, 'ModifyJobGroup', GROUP_3)),
      );
      // Warnings are emitted on the next tick.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }

    // Assess
    expect(results.every((result) => result.status === 200)).toBe(true);
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });

  it('close() ends requests still waiting out latencyMs', async () => {
    // Prepare
    emu = await startEmulator({ faults: { latencyMs: 60_000 } });
    const pending = fetch(`${emu.url}/`).then(
      () => 'answered',
      () => 'socket closed',
    );
    await waitFor(() => emu!.stats.requests === 1);

    // Act
    const started = Date.now();
    await emu.close();

    // Assess
    expect(await pending).toBe('socket closed');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('draws the same random faults for the same seed', async () => {
    // Prepare
    emu = await startEmulator();
    const faults: FaultConfig = { throttleRate: 0.3, errorRate: 0.3, seed: 42 };
    const run = async () => {
      emu!.setFaults(faults);
      const outcomes: string[] = [];
      for (let i = 0; i < 12; i++) outcomes.push(String((await modify(emu!)).body.Code ?? 'ok'));
      return outcomes;
    };

    // Act
    const first = await run();
    const second = await run();

    // Assess
    expect(second).toEqual(first);
    expect(new Set(first).size).toBeGreaterThan(1);
  });

  it.each([
    { faults: { errorRate: 1 }, codes: ['InternalError', 'ServiceUnavailable'] },
    { faults: { throttleRate: 1 }, codes: ['Throttling'] },
  ])('answers only $codes with $faults', async ({ faults, codes }) => {
    // Prepare
    emu = await startEmulator({ faults: { ...faults, seed: 7 } });

    // Act
    const results = await Promise.all(Array.from({ length: 10 }, () => modify(emu!)));

    // Assess
    const seen = [...new Set(results.map((r) => r.body.Code))].sort();
    expect(seen).toEqual(codes);
  });

  it('script steps run before random faults', async () => {
    // Prepare
    emu = await startEmulator({ faults: { script: ['ok'], errorRate: 1 } });

    // Act
    const first = await modify(emu);
    const second = await modify(emu);

    // Assess
    expect(first.status).toBe(200);
    expect([500, 503]).toContain(second.status);
  });

  it.each([{ errorRate: 2 }, { latencyMs: -1 }, { qpsLimit: 0 }, { script: ['explode'] }])(
    'setFaults refuses %j',
    async (faults) => {
      emu = await startEmulator();
      expect(() => emu!.setFaults(faults as FaultConfig)).toThrow(/Invalid fault config/);
    },
  );

  it('reset() clears faults, calls, stats and state', async () => {
    // Prepare
    emu = await startEmulator();
    await popCall(popClient(emu), 'ModifyJobGroup', { ...GROUP_3, PlanedJobCount: 1 });
    emu.setFaults({ errorRate: 1 });

    // Act
    emu.reset();

    // Assess
    expect(emu.calls).toEqual([]);
    expect(emu.stats).toEqual({ requests: 0, throttled: 0, faults: 0, rejected: 0 });
    expect(emu.jobGroup('3')?.PlanedJobCount).toBe(10);
    expect((await modify(emu)).status).toBe(200);
  });

  it('mulberry32 is deterministic and uniform-ish', () => {
    const a = mulberry32(1);
    const b = mulberry32(1);
    const draws = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(draws);
    expect(draws.every((u) => u >= 0 && u < 1)).toBe(true);
    const mean = draws.reduce((s, u) => s + u, 0) / draws.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
