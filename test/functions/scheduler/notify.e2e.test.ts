import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { createSchedulerHandler } from '../../../functions/scheduler/handler.js';
import type { ConfigFileSchema } from '../../../shared/config/file.js';
import type { TickSummary } from '../../../shared/scheduler/index.js';
import { KEYS } from '../../../shared/state/keys.js';
import { createMemoryStore } from '../../../shared/state/memory.js';
import { useMemoryStore } from '../../../shared/state/select.js';
import { useEmulator } from '../../support/emulator.js';
import { applyEnv, snapshotEnv } from '../../support/env.js';
import { useLogCapture } from '../../support/logs.js';
import { ROBOT_CHANNELS, robotNeedles, useRobots } from '../../support/robots.js';
import { fcContext, modifyCalls, rejection, testRuntime, timerEvent } from './helpers.js';

const INSTANCE = 'cv-demo-instance';
// Monday 07:30 Asia/Shanghai: the weekday-peak window starts.
const PEAK_START = '2026-05-31T23:30:00Z';

const emu = useEmulator({ port: 0 });
const robots = useRobots();
const logs = useLogCapture('file');
const errors: unknown[] = [];

let restoreEnv: () => void;
beforeAll(() => {
  restoreEnv = snapshotEnv(Object.keys(robots.env));
  applyEnv(robots.env);
});
afterAll(() => restoreEnv());

type Channel = (typeof ROBOT_CHANNELS)[number] & Record<string, unknown>;

/** Groups 1 and 2 scale 4 → 10 and 2 → 10, group 3 is already there, group 99 does not exist. */
function peakConfig(
  channels: readonly Channel[],
  jobGroupIds: readonly string[] = ['1', '2', '3', '99'],
): z.input<typeof ConfigFileSchema> {
  return {
    timezone: 'Asia/Shanghai',
    schedules: [
      {
        name: 'downtown',
        jobGroupIds: [...jobGroupIds],
        windows: [
          { name: 'weekday-peak', days: 'mon-fri', from: '07:30', to: '21:00', set: { planedJobCount: 10 } },
        ],
      },
    ],
    notify: { channels: [...channels] },
  };
}

async function tick(
  config: z.input<typeof ConfigFileSchema>,
  options: { timeout?: number; payload?: unknown; at?: string } = {},
) {
  const runtime = testRuntime({ emu, config, instanceId: INSTANCE });
  const at = options.at ?? PEAK_START;
  const scheduler = createSchedulerHandler({ runtime: () => runtime, now: () => Date.parse(at) });
  const started = Date.now();
  const error = await rejection(
    scheduler(
      timerEvent(at, options.payload ?? { action: 'reconcile' }),
      fcContext({ timeout: options.timeout ?? 60 }),
    ),
  );
  errors.push(error);
  return {
    error,
    summary: (error.details as { summary: TickSummary }).summary,
    elapsed: Date.now() - started,
  };
}

const dingtalkText = (index = 0) =>
  (robots.dingtalk.messages[index]!.body as { markdown: { text: string } }).markdown.text;

describe('a scheduler tick that applies and fails changes', () => {
  it('sends one digest to each channel, with the changes from → to, the failure and what to do', async () => {
    // Act
    const { error, summary } = await tick(peakConfig(ROBOT_CHANNELS));

    // Assess: the tick itself is as it would be without notifications
    expect(error).toMatchObject({ code: 'RECONCILE_FAILED' });
    expect(summary.applied.map((entry) => entry.jobGroupId)).toEqual(['1', '2']);
    expect(summary.failed).toMatchObject([{ jobGroupId: '99', code: 'InvalidJobGroupId.NotFound' }]);
    // One message per channel, each verified by its robot
    expect(
      [robots.dingtalk, robots.feishu, robots.wecom, robots.receiver].map((r) => r.messages.length),
    ).toEqual([1, 1, 1, 1]);
    const text = dingtalkText();
    expect(text).toContain('#### jobgroup-autopilot: 2 changed, 1 failed');
    expect(text).toContain('Scheduler reconcile tick (reconcile-every-5m) · 2026-06-01 07:30 Asia/Shanghai');
    expect(text).toContain('- **1** planedJobCount 4 → 10 · schedule downtown (weekday-peak)');
    expect(text).toContain('- **2** planedJobCount 2 → 10 · schedule downtown (weekday-peak)');
    expect(text).toContain(
      '- `InvalidJobGroupId.NotFound` (1): 99: The job group does not exist in CityVisual; check the id.',
    );
    expect(text).not.toContain('**3**');
    expect(robots.receiver.messages[0]?.body).toMatchObject({
      type: 'autopilot.digest',
      origin: { kind: 'tick', requestId: 'c0ffee00-0000-4000-8000-000000000001' },
      counts: { applied: 2, failed: 1, holds: 0 },
      applied: [
        {
          jobGroupId: '1',
          fields: [{ field: 'planedJobCount', from: 4, to: 10 }],
          requestId: summary.applied[0]?.requestId,
        },
        { jobGroupId: '2', fields: [{ field: 'planedJobCount', from: 2, to: 10 }] },
      ],
      failed: [{ code: 'InvalidJobGroupId.NotFound', jobGroupIds: ['99'] }],
    });
    // Counted in the summary (and so in the error FC's failure destination gets)
    expect(summary.notify).toMatchObject({ sent: 4, failed: 0, skipped: 0 });
    const line = logs.lines.filter((l) => l.msg === 'scheduler tick').at(-1);
    expect(line).toMatchObject({ notify: { sent: 4 } });
  });

  it('a channel answering errors and one hanging neither delay the tick past its deadline nor change its outcome', async () => {
    // Prepare: DingTalk answers 500 every time, Feishu never answers; a 3 s function leaves a 1 s deadline
    robots.dingtalk.setFault({ kind: 'answer', status: 500, body: { errcode: -1 } });
    robots.feishu.setFault({ kind: 'hang' });
    const deadlineMs = 1_000;

    // Act
    const { error, summary, elapsed } = await tick(peakConfig(ROBOT_CHANNELS), { timeout: 3 });

    // Assess
    // notify.timeoutMs is 3 s: only the deadline can have stopped the hanging channel this early.
    expect(elapsed).toBeLessThan(deadlineMs + 600);
    expect(error).toMatchObject({ code: 'RECONCILE_FAILED' });
    expect(summary.applied.map((entry) => entry.jobGroupId)).toEqual(['1', '2']);
    expect(summary.failed.map((entry) => entry.code)).toEqual(['InvalidJobGroupId.NotFound']);
    expect(modifyCalls(emu)).toEqual([
      { JobGroupId: '1', PlanedJobCount: '10' },
      { JobGroupId: '2', PlanedJobCount: '10' },
    ]);
    expect(summary.notify).toMatchObject({ sent: 2, failed: 2 });
    const byName = Object.fromEntries((summary.notify?.channels ?? []).map((c) => [c.channel, c]));
    expect(byName['ops-dingtalk']).toMatchObject({
      status: 'failed',
      code: 'NOTIFY_UNAVAILABLE',
      channelCode: 500,
      attempts: 2,
    });
    expect(byName['ops-feishu']).toMatchObject({ status: 'failed', code: 'NOTIFY_UNAVAILABLE' });
    expect(robots.wecom.messages).toHaveLength(1);
    expect(robots.receiver.messages).toHaveLength(1);
  });

  it('a tick with nothing to report sends nothing', async () => {
    // Prepare: 22:00 local, no window: nothing to set, nothing due
    const config = peakConfig(ROBOT_CHANNELS);

    const runtime = testRuntime({ emu, config, instanceId: INSTANCE });
    const scheduler = createSchedulerHandler({
      runtime: () => runtime,
      now: () => Date.parse('2026-06-01T14:00:00Z'),
    });
    const summary = (await scheduler(
      timerEvent('2026-06-01T14:00:00Z', { action: 'reconcile' }),
      fcContext(),
    )) as TickSummary;

    expect(summary.notify).toBeUndefined();
    expect(robots.dingtalk.requests() + robots.receiver.requests()).toBe(0);
  });
});

describe('rate limit and size', () => {
  it('respects a channel budget across ticks, with the counter in the state store', async () => {
    // Prepare: a shared store, as every instance has; at most 2 messages a minute to the robot
    const store = createMemoryStore();
    useMemoryStore(store);
    const config = peakConfig([{ ...ROBOT_CHANNELS[0], perMinute: 2 }]);
    const scale = (count: number) => ({ action: 'scale', jobGroupId: '99', planedJobCount: count });

    // Act: three ticks in a row, each failing group 99
    const summaries = [];
    for (const count of [5, 6, 7]) summaries.push((await tick(config, { payload: scale(count) })).summary);

    // Assess
    expect(summaries.map((s) => s.notify?.channels[0]?.status)).toEqual(['sent', 'sent', 'skipped']);
    expect(summaries[2]?.notify?.channels[0]).toMatchObject({ code: 'NOTIFY_RATE_LIMITED' });
    expect(robots.dingtalk.messages).toHaveLength(2);
    const record = await store.get(KEYS.notifyBudget('ops-dingtalk'));
    expect(record?.value).toMatchObject({ sent: [expect.any(Number), expect.any(Number)], heldBack: 1 });
  });

  it('cuts a digest too long for the channel with "…and N more"', async () => {
    const config = peakConfig(
      [{ ...ROBOT_CHANNELS[0], maxBytes: 500 }],
      ['1', '2', '4', '5', '6', '7', '8', '99'],
    );

    const { summary } = await tick(config);

    const text = dingtalkText();
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(500);
    const omitted = summary.notify?.channels[0]?.omitted ?? 0;
    expect(omitted).toBeGreaterThan(0);
    expect(text).toContain(`…and ${omitted} more`);
    expect(text).toContain('InvalidJobGroupId.NotFound');
  });
});

describe('secrets', () => {
  it('no log line or error of these ticks holds a token, key or secret of a channel', () => {
    expect(logs.raw.length).toBeGreaterThan(10);
    const haystack = [...logs.raw, ...errors.map((error) => JSON.stringify(error))].join('\n');
    for (const needle of robotNeedles()) expect(haystack).not.toContain(needle);
    expect(haystack).not.toMatch(/access_token|[?&]key=|sign=/);
  });
});
