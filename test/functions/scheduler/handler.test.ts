import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSchedulerHandler, handler } from '../../../functions/scheduler/handler.js';
import { DEMO_CREDENTIAL } from '../../../local/emulator/index.js';
import { type Hold, saveHold } from '../../../shared/holds/index.js';
import { resetRuntime } from '../../../shared/runtime.js';
import type { TickSummary } from '../../../shared/scheduler/index.js';
import { KEYS } from '../../../shared/state/keys.js';
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

const emu = useEmulator({ port: 0 });
const logs = useLogCapture('test');

/** A scheduler with live reads against the emulator's demo instance and an empty config. */
function liveScheduler() {
  const runtime = testRuntime({ emu, config: {}, instanceId: INSTANCE });
  return createSchedulerHandler({ runtime: () => runtime });
}

describe('scheduler timer actions against the emulator', () => {
  it('stops the groups of a stop payload, sending nothing for a group that is already stopped', async () => {
    // Prepare
    const scheduler = liveScheduler();

    // Act
    const summary = (await scheduler(timerFixture('stop.json'), fcContext())) as TickSummary;

    // Assess
    expect(modifyCalls(emu)).toEqual([{ JobGroupId: '3', Status: 'Stopped' }]);
    expect(emu.jobGroup('3')?.Status).toMatch(/^stop/);
    expect(summary).toMatchObject({
      action: 'stop',
      tick: '2026-06-05T13:00:00.000Z',
      trigger: 'friday-night-stop',
      due: ['3', '7'],
      applied: [{ jobGroupId: '3', set: { status: 'Stopped' } }],
      unchanged: ['7'],
      failed: [],
      counts: { due: 2, applied: 1, unchanged: 1, failed: 0, delegated: 0 },
    });
    expect(summary.applied[0]?.requestId).toBe(emu.calls.at(-1)?.requestId);
  });

  it('scales a group to the payload count', async () => {
    const scheduler = liveScheduler();

    const summary = (await scheduler(timerFixture('scale.json'), fcContext())) as TickSummary;

    expect(modifyCalls(emu)).toEqual([{ JobGroupId: '3', PlanedJobCount: '4' }]);
    expect(emu.jobGroup('3')?.PlanedJobCount).toBe(4);
    expect(summary.counts).toEqual({ due: 1, applied: 1, unchanged: 0, failed: 0, delegated: 0 });
  });

  it('applies every change of the batch form', async () => {
    const scheduler = liveScheduler();

    const summary = (await scheduler(timerFixture('batch.json'), fcContext())) as TickSummary;

    expect(modifyCalls(emu)).toEqual(
      expect.arrayContaining([
        { JobGroupId: '1', PlanedJobCount: '6' },
        { JobGroupId: '2', Status: 'Stopped' },
        { JobGroupId: '3', 'JobGroupParams.1.Key': 'ES_ENABLE', 'JobGroupParams.1.Value': 'False' },
      ]),
    );
    expect(modifyCalls(emu)).toHaveLength(3);
    expect(emu.jobGroup('1')?.PlanedJobCount).toBe(6);
    expect(emu.jobGroup('3')?.JobGroupParams).toContainEqual({ Key: 'ES_ENABLE', Value: 'False' });
    expect(summary).toMatchObject({ action: 'batch', due: ['1', '2', '3'] });
    expect(summary.counts.applied).toBe(3);
  });

  it("keeps a timer action off a paused group and off a pin's fields, like every automation", async () => {
    // Prepare: group 2 paused, group 1's count pinned, group 3 pinned on a field the action leaves alone
    const store = createMemoryStore();
    useMemoryStore(store);
    const now = Date.now();
    const hold = (jobGroupId: string, kind: 'pin' | 'pause', set?: Record<string, unknown>): Hold => ({
      id: `${jobGroupId}~${kind}`,
      jobGroupId,
      kind,
      ...(set && { set }),
      from: new Date(now - 1_000).toISOString(),
      until: new Date(now + 3_600_000).toISOString(),
      reason: 'test',
      who: 'ops',
    });
    await saveHold(store, hold('2', 'pause'));
    await saveHold(store, hold('1', 'pin', { planedJobCount: 9 }));
    await saveHold(store, hold('3', 'pin', { status: 'Running' }));
    const scheduler = liveScheduler();

    try {
      // Act
      const summary = (await scheduler(timerFixture('batch.json'), fcContext())) as TickSummary;

      // Assess: only group 3's params change is sent
      expect(modifyCalls(emu)).toEqual([
        { JobGroupId: '3', 'JobGroupParams.1.Key': 'ES_ENABLE', 'JobGroupParams.1.Value': 'False' },
      ]);
      expect(summary).toMatchObject({
        due: ['1', '2', '3'],
        applied: [{ jobGroupId: '3' }],
        unchanged: ['1', '2'],
        held: [
          { jobGroupId: '1', holds: ['1~pin'] },
          { jobGroupId: '2', holds: ['2~pause'] },
        ],
        failed: [],
      });
    } finally {
      useMemoryStore(undefined);
    }
  });

  it('fails a timer action retryably, sending nothing, when the holds cannot be read', async () => {
    useMemoryStore(downStore());
    const scheduler = liveScheduler();

    try {
      const error = await rejection(scheduler(timerFixture('scale.json'), fcContext()));

      expect(error).toMatchObject({ code: 'RECONCILE_INCOMPLETE', retryable: true });
      expect((error.details as { summary: TickSummary }).summary.failed).toEqual([
        expect.objectContaining({ jobGroupId: '3', code: 'STATE_UNAVAILABLE', retryable: true }),
      ]);
      expect(modifyCalls(emu)).toEqual([]);
    } finally {
      useMemoryStore(undefined);
    }
  });

  it('writes one summary line (info) and one audit line per change', async () => {
    const scheduler = liveScheduler();

    await scheduler(timerFixture('batch.json'), fcContext());

    const summaries = logs.lines.filter((line) => line.msg === 'scheduler tick');
    const audits = logs.lines.filter((line) => line.audit === true);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ level: 'info', action: 'batch', counts: { applied: 3 } });
    expect(audits.map((line) => line.jobGroupId).sort()).toEqual(['1', '2', '3']);
    expect(audits[0]).toMatchObject({
      msg: 'job group changed',
      source: 'scheduler',
      action: 'batch',
      trigger: 'weekday-batch',
      tick: '2026-06-01T00:00:00.000Z',
    });
    expect(JSON.stringify(logs.lines)).not.toContain(DEMO_CREDENTIAL.accessKeySecret);
  });

  it('paces a timer action at limits.qps, like a webhook batch', async () => {
    // Prepare: registry mode (one write per group) at 5 calls a second
    const runtime = testRuntime({ emu, config: { jobGroups: DEMO_REGISTRY, limits: { qps: 5 } } });
    const scheduler = createSchedulerHandler({ runtime: () => runtime });
    const payload = { action: 'scale', jobGroupIds: ['1', '2', '3', '4'], planedJobCount: 7 };

    // Act
    await scheduler(timerEvent('2026-06-01T02:00:00Z', payload, 'scale-up'), fcContext());

    // Assess: four writes; a burst of two, then one every 200 ms
    const at = emu.calls.map((call) => call.at).sort((a, b) => a - b);
    expect(at).toHaveLength(4);
    expect((at[3] as number) - (at[0] as number)).toBeGreaterThanOrEqual(400 - 15);
  });

  it('accepts the single-group form with jobGroupId', async () => {
    const scheduler = liveScheduler();

    await scheduler(timerEvent('2026-06-01T00:00:00Z', { action: 'start', jobGroupId: '4' }), fcContext());

    expect(modifyCalls(emu)).toEqual([{ JobGroupId: '4', Status: 'Running' }]);
  });
});

describe('scheduler timer actions: invalid payloads', () => {
  it.each([
    ['a negative count', timerFixture('invalid-scale.json'), 'payload.planedJobCount'],
    ['a payload that is not JSON', timerFixture('not-json.json'), 'payload'],
    ['an empty payload', timerEvent('2026-06-01T00:00:00Z', ''), 'payload'],
    [
      'an unknown action',
      timerEvent('2026-06-01T00:00:00Z', { action: 'pause', jobGroupIds: ['3'] }),
      'payload.action',
    ],
    [
      'a bad job group id',
      timerEvent('2026-06-01T00:00:00Z', { action: 'stop', jobGroupIds: ['3', 'x/y'] }),
      'payload.jobGroupIds[1]',
    ],
    [
      'a misspelt field',
      timerEvent('2026-06-01T00:00:00Z', { action: 'stop', jobGroupIDs: ['3'] }),
      'payload.jobGroupIDs',
    ],
    [
      'a bad change in a batch',
      timerEvent('2026-06-01T00:00:00Z', {
        changes: [
          { action: 'stop', jobGroupId: '1' },
          { action: 'scale', jobGroupId: '2', planedJobCount: 'four' },
        ],
      }),
      'payload.changes[1].planedJobCount',
    ],
    ['an empty batch', timerEvent('2026-06-01T00:00:00Z', { changes: [] }), 'payload.changes'],
    [
      'an unknown reconcile option',
      timerEvent('2026-06-01T00:00:00Z', { action: 'reconcile', force: true }),
      'payload.force',
    ],
  ])('rejects %s with INVALID_INPUT naming %s, before any upstream call', async (_name, event, field) => {
    // Prepare
    const scheduler = liveScheduler();

    // Act
    const error = await rejection(scheduler(event, fcContext()));

    // Assess
    expect(error).toMatchObject({ name: 'AutopilotError', code: 'INVALID_INPUT', field, retryable: false });
    expect(emu.stats.requests).toBe(0);
  });

  it('rejects a timer event without triggerTime', async () => {
    const scheduler = liveScheduler();

    const error = await rejection(scheduler(Buffer.from('{"triggerName":"x","payload":"{}"}'), fcContext()));

    expect(error).toMatchObject({ code: 'INVALID_INPUT', field: 'event' });
    expect(emu.stats.requests).toBe(0);
  });
});

describe('scheduler timer actions: failures fail the invocation with the summary', () => {
  it('applies what it can and fails with RECONCILE_FAILED when a group is unknown (not retryable)', async () => {
    // Prepare: no live reads, and only group 3 in the registry
    const runtime = testRuntime({ emu, config: { jobGroups: { '3': DEMO_REGISTRY['3'] } } });
    const scheduler = createSchedulerHandler({ runtime: () => runtime });

    // Act
    const error = await rejection(
      scheduler(
        timerEvent('2026-06-01T00:00:00Z', { action: 'stop', jobGroupIds: ['3', '99'] }),
        fcContext(),
      ),
    );

    // Assess
    expect(modifyCalls(emu)).toEqual([{ JobGroupId: '3', Status: 'Stopped' }]);
    expect(error).toMatchObject({ code: 'RECONCILE_FAILED', retryable: false });
    const summary = (error.details as { summary: TickSummary }).summary;
    expect(summary.applied.map((entry) => entry.jobGroupId)).toEqual(['3']);
    expect(summary.failed).toEqual([
      { jobGroupId: '99', code: 'JOB_GROUP_NOT_REGISTERED', retryable: false, message: expect.any(String) },
    ]);
    expect(String(error.message)).toContain('99 JOB_GROUP_NOT_REGISTERED');
  });

  it('fails with RECONCILE_INCOMPLETE (retryable) when throttling outlasts the retries', async () => {
    // Prepare: every request throttled, two attempts per call
    emu.setFaults({ throttleRate: 1, seed: 1 });
    const runtime = testRuntime({
      emu,
      config: { jobGroups: DEMO_REGISTRY },
      env: { CITYVISUAL_MAX_ATTEMPTS: '2' },
    });
    const scheduler = createSchedulerHandler({ runtime: () => runtime });

    // Act
    const error = await rejection(scheduler(timerFixture('scale.json'), fcContext()));

    // Assess
    expect(error).toMatchObject({ code: 'RECONCILE_INCOMPLETE', retryable: true });
    expect((error.details as { summary: TickSummary }).summary.failed).toEqual([
      { jobGroupId: '3', code: 'Throttling', retryable: true, message: expect.any(String) },
    ]);
    expect(emu.stats.requests).toBe(2);
  });
});

describe('scheduler credentials', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('needs no credentials for a tick with nothing to send, and reports every group when they are missing', async () => {
    // The store already holds what the schedule wants now: the reconcile has nothing to send.
    const store = createMemoryStore();
    useMemoryStore(store);
    for (const id of ['1', '2']) {
      const record = {
        set: { planedJobCount: 5 },
        schedule: 'peak',
        window: 'window-1',
        configDigest: 'x',
        at: '',
      };
      await store.create(KEYS.scheduled(id), record, { expiresAt: undefined });
    }
    // Prepare: a function without a role (empty context credentials) and no local keys
    vi.stubEnv('ALIBABA_CLOUD_ACCESS_KEY_ID', '');
    vi.stubEnv('ALIBABA_CLOUD_ACCESS_KEY_SECRET', '');
    const runtime = testRuntime({
      emu,
      config: {
        timezone: 'Asia/Shanghai',
        jobGroups: DEMO_REGISTRY,
        schedules: [
          {
            name: 'peak',
            jobGroupIds: ['1', '2'],
            windows: [{ days: 'mon-fri', from: '07:30', to: '21:00', set: { planedJobCount: 5 } }],
          },
        ],
      },
    });
    const scheduler = createSchedulerHandler({
      runtime: () => runtime,
      now: () => Date.parse('2026-06-01T02:00:00Z'),
    });
    const noRole = { ...fcContext(), credentials: {} };

    // Act
    const quiet = (await scheduler(
      timerEvent('2026-06-01T02:00:00Z', { action: 'reconcile' }),
      noRole,
    )) as TickSummary;
    const error = await rejection(
      scheduler(timerEvent('2026-06-01T02:00:00Z', { action: 'stop', jobGroupIds: ['1', '2'] }), noRole),
    );

    // Assess
    expect(quiet.counts.due).toBe(0);
    expect(error).toMatchObject({ code: 'RECONCILE_FAILED' });
    expect((error.details as { summary: TickSummary }).summary.failed.map((f) => f.code)).toEqual([
      'CREDENTIALS_MISSING',
      'CREDENTIALS_MISSING',
    ]);
    expect(emu.stats.requests).toBe(0);
  });
});

describe('the deployed handler export', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'scheduler-'));
    writeFileSync(
      path.join(dir, 'autopilot.yaml'),
      'timezone: Asia/Shanghai\njobGroups:\n  "3": { jobGroupName: JobGroupName, algoLibId: "2", resourceProfileId: "23" }\n',
    );
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    resetRuntime();
  });

  it('reads env and the AUTOPILOT_CONFIG file once, with credentials from the FC context', async () => {
    // Prepare
    vi.stubEnv('CITYVISUAL_ENDPOINT', emu.url);
    vi.stubEnv('AUTOPILOT_CONFIG', path.join(dir, 'autopilot.yaml'));
    vi.stubEnv('CITYVISUAL_INSTANCE_ID', '');
    vi.stubEnv('ALIBABA_CLOUD_ACCESS_KEY_ID', '');
    resetRuntime();

    // Act
    const summary = (await handler(timerFixture('scale.json'), fcContext())) as TickSummary;

    // Assess: registry mode sends every identity field ModifyJobGroup requires
    expect(summary.counts.applied).toBe(1);
    expect(emu.calls.at(-1)?.params).toMatchObject({
      Action: 'ModifyJobGroup',
      JobGroupId: '3',
      JobGroupName: 'JobGroupName',
      AlgoLibId: '2',
      ResourceProfileId: '23',
      PlanedJobCount: '4',
    });
  });
});
