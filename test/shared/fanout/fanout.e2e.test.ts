import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSchedulerHandler } from '../../../functions/scheduler/handler.js';
import {
  DEMO_CREDENTIAL,
  type Emulator,
  makeFleetSeed,
  startEmulator,
} from '../../../local/emulator/index.js';
import { fanoutFromEnv } from '../../../shared/fanout/from-env.js';
import type { TickSummary } from '../../../shared/scheduler/index.js';
import {
  captureLogs,
  fcContext,
  modifyCalls,
  rejection,
  testRuntime,
  timerEvent,
} from '../../functions/scheduler/helpers.js';
import { type StandIn, type StandInOptions, startFc2StandIn, startFc3StandIn } from './stand-ins.js';

const FLEET = 12;
const seed = makeFleetSeed(FLEET);
const IDS = seed.jobGroups.map((group) => group.JobGroupId);
// Monday 07:30 Asia/Shanghai: every group of the schedule goes to 20.
const TICK = '2026-05-31T23:30:00Z';
const SHARD_TRIGGERS = [1, 2, 3].map((i) => `reconcile-every-5m#shard-${i}-of-3`);

let emu: Emulator;
let standIn: StandIn | undefined;
let logs: ReturnType<typeof captureLogs>;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, seed });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => {
  emu.reset();
  logs = captureLogs();
});
afterEach(async () => {
  logs.restore();
  await standIn?.close();
  standIn = undefined;
});

/** The scheduler as deployed (fan-out from env), on a fleet of 12 in shards of 5, against the emulator. */
function deployedScheduler(env: Record<string, string>) {
  const runtime = testRuntime({
    emu,
    env: { ...env, CITYVISUAL_MAX_ATTEMPTS: '1' },
    config: {
      timezone: 'Asia/Shanghai',
      jobGroups: Object.fromEntries(
        seed.jobGroups.map((g) => [
          g.JobGroupId,
          { jobGroupName: g.JobGroupName, algoLibId: g.AlgoLibId, resourceProfileId: g.ResourceProfileId },
        ]),
      ),
      reconcile: { shardSize: 5 },
      schedules: [
        {
          name: 'fleet',
          jobGroupIds: IDS,
          windows: [{ days: 'mon-fri', from: '07:30', to: '21:00', set: { planedJobCount: 20 } }],
        },
      ],
    },
  });
  return createSchedulerHandler({
    runtime: () => runtime,
    now: () => Date.parse(TICK),
    fanoutFor: fanoutFromEnv,
  });
}

const triggerOf = (body: Buffer) => (JSON.parse(body.toString()) as { triggerName: string }).triggerName;

/**
 * "FC": accepts each shard (202), then runs the scheduler handler with exactly that event, and — as
 * FC's async retry does — runs it again (up to 3 times) when the invocation fails.
 */
async function startFc(
  kind: 'fc2' | 'fc3',
  scheduler: (event: Buffer, context: ReturnType<typeof fcContext>) => Promise<unknown>,
  answer?: StandInOptions['answer'],
) {
  const runs: string[] = [];
  const onAccepted = async (body: Buffer) => {
    for (let attempt = 1; attempt <= 3; attempt++) {
      runs.push(triggerOf(body));
      try {
        return await scheduler(body, fcContext({ requestId: `shard-run-${runs.length}` }));
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
  };
  const start = kind === 'fc3' ? startFc3StandIn : startFc2StandIn;
  standIn = await start({
    accessKeySecret: DEMO_CREDENTIAL.accessKeySecret,
    onAccepted,
    ...(answer && { answer }),
  });
  return { standIn, runs };
}

const appliedOnce = () => {
  const writes = modifyCalls(emu).map((call) => call.JobGroupId);
  return { writes: writes.length, distinct: new Set(writes).size };
};

describe.each(['fc3', 'fc2'] as const)('scheduler fan-out through the %s invoker', (kind) => {
  const env = (url: string): Record<string, string> => ({
    FANOUT_INVOKER: kind,
    FANOUT_ENDPOINT: url,
    FANOUT_ACCOUNT_ID: '1234567890123456',
    ...(kind === 'fc2' && { FANOUT_SERVICE_NAME: 'autopilot' }),
  });

  it('hands 3 shards to FC, each shard run applies its groups: every group applied exactly once', async () => {
    // Prepare: the stand-in "FC" runs the same deployed handler for each shard.
    let scheduler: ReturnType<typeof deployedScheduler> | undefined;
    const fc = await startFc(kind, (event, context) =>
      (scheduler as NonNullable<typeof scheduler>)(event, context),
    );
    scheduler = deployedScheduler(env(fc.standIn.url));

    // Act
    const summary = (await scheduler(timerEvent(TICK, { action: 'reconcile' }), fcContext())) as TickSummary;
    await fc.standIn.settled();

    // Assess: the parent delegated all 12; FC got 3 signed async invocations; each ran once.
    expect(summary).toMatchObject({
      delegated: { shards: 3, jobGroupIds: 12 },
      counts: { due: 12, applied: 0, delegated: 12 },
    });
    expect(fc.standIn.received.map((r) => [r.signatureValid, r.headers['x-fc-invocation-type']])).toEqual([
      [true, 'Async'],
      [true, 'Async'],
      [true, 'Async'],
    ]);
    expect(fc.runs.sort()).toEqual(SHARD_TRIGGERS);
    expect(appliedOnce()).toEqual({ writes: 12, distinct: 12 });
    expect(IDS.every((id) => emu.jobGroup(id)?.PlanedJobCount === 20)).toBe(true);
  });

  it("a shard whose run fails is retried alone (FC's async retry); the others run once", async () => {
    // Prepare: the first CityVisual call of all fails (500); the scheduler makes one attempt per call.
    let scheduler: ReturnType<typeof deployedScheduler> | undefined;
    const fc = await startFc(kind, (event, context) =>
      (scheduler as NonNullable<typeof scheduler>)(event, context),
    );
    scheduler = deployedScheduler(env(fc.standIn.url));
    emu.setFaults({ script: ['internal'] });

    // Act
    await scheduler(timerEvent(TICK, { action: 'reconcile' }), fcContext());
    await fc.standIn.settled();

    // Assess: 4 runs = 3 shards + 1 retry of the shard that failed; every group applied once.
    expect(fc.runs).toHaveLength(4);
    const counts = new Map<string, number>();
    for (const trigger of fc.runs) counts.set(trigger, (counts.get(trigger) ?? 0) + 1);
    expect([...counts.values()].sort()).toEqual([1, 1, 2]);
    expect(IDS.every((id) => emu.jobGroup(id)?.PlanedJobCount === 20)).toBe(true);
    expect(appliedOnce()).toEqual({ writes: 12, distinct: 12 });
  });

  it('a shard FC refuses fails the tick for its groups only; the accepted shards are delegated', async () => {
    // Prepare: FC refuses shard 2 (403).
    let scheduler: ReturnType<typeof deployedScheduler> | undefined;
    const fc = await startFc(
      kind,
      (event, context) => (scheduler as NonNullable<typeof scheduler>)(event, context),
      (request) =>
        triggerOf(request.body).includes('#shard-2-')
          ? { status: 403, code: 'AccessDenied' }
          : { status: 202 },
    );
    scheduler = deployedScheduler(env(fc.standIn.url));

    // Act
    const error = await rejection(scheduler(timerEvent(TICK, { action: 'reconcile' }), fcContext()));
    await fc.standIn.settled();

    // Assess
    const summary = (error.details as { summary: TickSummary }).summary;
    expect(error).toMatchObject({ code: 'RECONCILE_FAILED', retryable: false });
    expect(summary.delegated).toEqual({ shards: 2, jobGroupIds: 7 });
    expect(summary.failed.map((f) => [f.jobGroupId, f.code])).toEqual(
      ['6', '7', '8', '9', '10'].map((id) => [id, 'FANOUT_REJECTED']),
    );
    expect(summary.counts).toMatchObject({ due: 12, failed: 5, delegated: 7 });
    expect(appliedOnce()).toEqual({ writes: 7, distinct: 7 });
  });

  it('shards that fail differently keep their own codes; one retryable failure makes the tick retryable', async () => {
    // Prepare: FC refuses shard 1 (403) and is unavailable for shard 2 (503) on every attempt.
    let scheduler: ReturnType<typeof deployedScheduler> | undefined;
    const fc = await startFc(
      kind,
      (event, context) => (scheduler as NonNullable<typeof scheduler>)(event, context),
      (request) => {
        const trigger = triggerOf(request.body);
        if (trigger.includes('#shard-1-')) return { status: 403, code: 'AccessDenied' };
        if (trigger.includes('#shard-2-')) return { status: 503, code: 'ServiceUnavailable' };
        return { status: 202 };
      },
    );
    scheduler = deployedScheduler(env(fc.standIn.url));

    // Act
    const error = await rejection(scheduler(timerEvent(TICK, { action: 'reconcile' }), fcContext()));
    await fc.standIn.settled();

    // Assess
    const summary = (error.details as { summary: TickSummary }).summary;
    expect(error).toMatchObject({ code: 'RECONCILE_INCOMPLETE', retryable: true });
    expect(summary.failed.map((f) => [f.jobGroupId, f.code, f.retryable])).toEqual([
      ...['1', '2', '3', '4', '5'].map((id) => [id, 'FANOUT_REJECTED', false]),
      ...['6', '7', '8', '9', '10'].map((id) => [id, 'FANOUT_UNAVAILABLE', true]),
    ]);
    expect(summary.delegated).toEqual({ shards: 1, jobGroupIds: 2 });
  });

  /**
   * A tick whose fan-out fails part-way (FC unavailable for shard 3 during the first run only), then
   * FC's async retry of that tick on a fresh instance (no memory of the first run).
   */
  async function tickFailingPartWayThenRetried(extraEnv: Record<string, string>) {
    let scheduler: ReturnType<typeof deployedScheduler> | undefined;
    let firstRun = true;
    const fc = await startFc(
      kind,
      (event, context) => (scheduler as NonNullable<typeof scheduler>)(event, context),
      (request) =>
        firstRun && triggerOf(request.body).includes('#shard-3-')
          ? { status: 503, code: 'ServiceUnavailable' }
          : { status: 202 },
    );
    const tickEnv = { ...env(fc.standIn.url), ...extraEnv };
    scheduler = deployedScheduler(tickEnv);
    const failed = await rejection(scheduler(timerEvent(TICK, { action: 'reconcile' }), fcContext()));
    await fc.standIn.settled();
    firstRun = false;
    scheduler = deployedScheduler(tickEnv);
    const retried = (await scheduler(timerEvent(TICK, { action: 'reconcile' }), fcContext())) as TickSummary;
    await fc.standIn.settled();
    return { fc, failed, retried };
  }

  it('with task ids, FC retrying a tick whose fan-out failed part-way applies only what is still due', async () => {
    const { fc, failed, retried } = await tickFailingPartWayThenRetried({ FANOUT_TASK_IDS: 'on' });

    // Shards 1 and 2 ran once and wrote their records; the retry finds only shard 3's groups due (no
    // more than a shard: worked inline); every group once
    expect(failed).toMatchObject({ code: 'RECONCILE_INCOMPLETE' });
    expect(retried.delegated).toBeUndefined();
    expect(retried.due).toEqual(['11', '12']);
    expect([...fc.runs].sort()).toEqual(SHARD_TRIGGERS.slice(0, 2));
    expect(appliedOnce()).toEqual({ writes: 12, distinct: 12 });
    const taskIds = fc.standIn.received.map(
      (r) => r.headers[kind === 'fc3' ? 'x-fc-async-task-id' : 'x-fc-stateful-async-invocation-id'],
    );
    expect(
      taskIds.every((id) => typeof id === 'string' && /^shard-\d+-[123]of3-[0-9a-f]{24}$/.test(id)),
    ).toBe(true);
    expect(fc.standIn.received.every((r) => r.signatureValid)).toBe(true);
  });

  it('without task ids, the same retry also applies only what is still due (the store says the rest ran)', async () => {
    const { fc, retried } = await tickFailingPartWayThenRetried({});

    expect(fc.runs.filter((run) => run === SHARD_TRIGGERS[0])).toHaveLength(1);
    expect(retried.due).toEqual(['11', '12']);
    expect(appliedOnce()).toEqual({ writes: 12, distinct: 12 });
  });

  it('a shard FC throttles is resubmitted alone; the tick succeeds', async () => {
    let scheduler: ReturnType<typeof deployedScheduler> | undefined;
    let throttled = 0;
    const fc = await startFc(
      kind,
      (event, context) => (scheduler as NonNullable<typeof scheduler>)(event, context),
      (request) => {
        if (triggerOf(request.body).includes('#shard-3-') && throttled++ === 0) {
          return { status: 429, code: 'ResourceThrottled' };
        }
        return { status: 202 };
      },
    );
    scheduler = deployedScheduler(env(fc.standIn.url));

    const summary = (await scheduler(timerEvent(TICK, { action: 'reconcile' }), fcContext())) as TickSummary;
    await fc.standIn.settled();

    expect(summary.counts).toMatchObject({ failed: 0, delegated: 12 });
    expect(
      fc.standIn.received.map((r) => triggerOf(r.body)).filter((t) => t.includes('#shard-3-')),
    ).toHaveLength(2);
    expect(appliedOnce()).toEqual({ writes: 12, distinct: 12 });
  });
});
