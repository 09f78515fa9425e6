import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as eventsHandler } from '../../../functions/events/handler.js';
import { createSchedulerHandler } from '../../../functions/scheduler/handler.js';
import { handler as webhook } from '../../../functions/webhook/handler.js';
import { resetRuntime } from '../../../shared/runtime.js';
import type { TickSummary } from '../../../shared/scheduler/index.js';
import { useEmulator } from '../../support/emulator.js';
import { useLogCapture } from '../../support/logs.js';
import { testRuntime, fcContext as timerContext, timerEvent } from '../scheduler/helpers.js';
import { applyEnv, bearer, CI_TOKEN, fcContext, httpEvent, invoke, webhookEnv } from '../webhook/helpers.js';

// Monday 2026-06-01, Asia/Shanghai (UTC+8): peak 07:30-21:00 local. Group 3 is under an enforced
// schedule, group 4 under one without enforce, group 7 under a Berlin night stop (DST on 2026-10-25).
const CONFIG = {
  timezone: 'Asia/Shanghai',
  schedules: [
    {
      name: 'east',
      jobGroupIds: ['3'],
      enforce: true,
      windows: [
        {
          name: 'peak',
          days: 'mon-fri',
          from: '07:30',
          to: '21:00',
          set: { planedJobCount: 20, status: 'Running' },
        },
      ],
      otherwise: { planedJobCount: 2 },
    },
    {
      name: 'west',
      jobGroupIds: ['4'],
      windows: [
        {
          name: 'peak',
          days: 'mon-fri',
          from: '07:30',
          to: '21:00',
          set: { planedJobCount: 10, status: 'Running' },
        },
      ],
      otherwise: { planedJobCount: 1 },
    },
    {
      name: 'berlin',
      timezone: 'Europe/Berlin',
      jobGroupIds: ['7'],
      windows: [
        { name: 'night-stop', days: 'mon-sun', from: '22:00', to: '06:00', set: { status: 'Stopped' } },
      ],
      otherwise: { status: 'Running' },
    },
  ],
  // The `then` key spelled as an entry: no object literal here is thenable.
  rules: [
    Object.fromEntries([
      ['name', 'scale-up'],
      ['match', { type: 'com.example.surge' }],
      ['then', { action: 'scale', planedJobCount: 30, jobGroupIds: ['3', '4'] }],
    ]),
    Object.fromEntries([
      ['name', 'surge-pin'],
      ['match', { type: 'com.example.surge-pin' }],
      ['then', { action: 'scale', planedJobCount: 40, jobGroupId: '3', holdFor: '1h' }],
    ]),
    Object.fromEntries([
      ['name', 'surge-pin-west'],
      ['match', { type: 'com.example.surge-pin-west' }],
      ['then', { action: 'scale', planedJobCount: 40, jobGroupId: '4', holdFor: '1m' }],
    ]),
    Object.fromEntries([
      ['name', 'am-backlog'],
      ['match', { source: 'prometheus.alertmanager', type: 'alertmanager.alert.firing' }],
      [
        'then',
        {
          action: 'scale',
          jobGroupId: { from: 'data.labels.jobgroup' },
          planedJobCount: { from: 'data.labels.target' },
          holdFor: '2h',
        },
      ],
    ]),
    Object.fromEntries([
      ['name', 'calm'],
      ['match', { type: 'com.example.calm' }],
      ['then', { action: 'scale', planedJobCount: 5, jobGroupId: '3' }],
    ]),
  ],
};

// The emulator reads the global Date, so the fake date of these tests reaches its timestamp check too.
const emu = useEmulator({ clock: () => Date.now() });
const logs = useLogCapture('file');

beforeEach(() => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'holds-config-')), 'autopilot.json');
  writeFileSync(file, JSON.stringify(CONFIG));
  applyEnv(webhookEnv(emu, { AUTOPILOT_CONFIG: file }));
  vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-06-01T02:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
  resetRuntime();
});

const at = (iso: string) => vi.setSystemTime(new Date(iso));

async function tick(): Promise<TickSummary> {
  const runtime = testRuntime({ emu, config: CONFIG as never, instanceId: 'cv-demo-instance' });
  const scheduler = createSchedulerHandler({ runtime: () => runtime });
  return (await scheduler(
    timerEvent(new Date().toISOString(), { action: 'reconcile' }),
    timerContext(),
  )) as TickSummary;
}

const send = (method: string, pathName: string, body?: unknown, query: Record<string, string> = {}) =>
  invoke(
    webhook,
    bearer(
      httpEvent('scale', {
        method,
        path: pathName,
        body: body === undefined ? '' : JSON.stringify(body),
        query,
      }),
      CI_TOKEN,
    ),
  );

const hold = (jobGroupId: string, body: unknown, query: Record<string, string> = {}) =>
  send('POST', `/v1/job-groups/${jobGroupId}/holds`, body, query);

async function surge(id: string, type = 'com.example.surge', time = new Date().toISOString()) {
  const event = { id, source: 'ops.test', specversion: '1.0', type, time, data: {} };
  await eventsHandler(Buffer.from(JSON.stringify(event)), {
    ...fcContext(),
    function: { name: 'events', timeout: 60 },
  });
}

const planned = (id: string) => emu.jobGroup(id)?.PlanedJobCount;

describe('holds: pin', () => {
  it('applies its set now and outlives enforce ticks; rules leave the pinned field alone; it ends on its own', async () => {
    // Prepare: the enforced schedule is in force
    await tick();
    expect(planned('3')).toBe(20);

    // Act: pin 30 for 4 h; ticks and a surge rule (30 for group 3 and 4) come during it
    const created = await hold('3', {
      kind: 'pin',
      set: { planedJobCount: 25 },
      for: '4h',
      reason: 'festival',
    });
    at('2026-06-01T02:05:00Z');
    const during = await tick();
    await surge('surge-1');

    // Assess: the pin holds against enforce and the rule; group 4 (not pinned) got the surge
    expect(created.status).toBe(201);
    expect(created.json.hold).toMatchObject({
      id: expect.stringMatching(/^3~[0-9a-f]{12}$/),
      jobGroupId: '3',
      kind: 'pin',
      set: { planedJobCount: 25 },
      from: '2026-06-01T02:00:00.000Z',
      until: '2026-06-01T06:00:00.000Z',
      reason: 'festival',
      who: 'ci',
      secondsLeft: 4 * 3600,
    });
    expect(created.json.applied).toMatchObject({ changed: true, applied: { PlanedJobCount: '25' } });
    expect(during.applied.map((a) => a.jobGroupId)).not.toContain('3');
    expect(planned('3')).toBe(25);
    expect(planned('4')).toBe(30);

    // Act: the hold expires
    at('2026-06-01T06:00:00Z');
    await tick();

    // Assess: the schedule's state is back
    expect(planned('3')).toBe(20);
  });
});

describe('status', () => {
  it('says what is in force and why: pin over schedule, time left, next changes, drift, history', async () => {
    await tick();
    const created = await hold('3', {
      kind: 'pin',
      set: { planedJobCount: 25 },
      for: '4h',
      reason: 'festival',
    });
    const holdId = (created.json.hold as { id: string }).id;
    at('2026-06-01T03:00:00Z');

    const status = await send('GET', '/v1/job-groups/3/status');
    const read = await send('GET', '/v1/job-groups/3');

    expect(status.status).toBe(200);
    expect(read.json).toEqual(status.json);
    expect(status.json).toMatchObject({
      jobGroupId: '3',
      schedule: 'east',
      desired: {
        target: { planedJobCount: 25, status: 'Running' },
        decidedBy: {
          planedJobCount: { by: 'hold', holdId, kind: 'pin' },
          status: { by: 'schedule', schedule: 'east', window: 'peak' },
        },
        paused: false,
      },
      holds: [{ id: holdId, secondsLeft: 3 * 3600 }],
      next: [
        { at: '2026-06-01T06:00:00.000Z', target: { planedJobCount: 20, status: 'Running' } },
        { at: '2026-06-01T13:00:00.000Z', target: { planedJobCount: 2 } },
        { at: '2026-06-01T23:30:00.000Z', target: { planedJobCount: 20, status: 'Running' } },
      ],
      live: { planedJobCount: 25 },
      drift: {},
    });
    const history = status.json.history as Array<{
      source: { kind: string; route?: string };
      hold?: { event: string; id: string };
    }>;
    const routes = history.map(
      (entry) => `${entry.source.route ?? entry.source.kind}${entry.hold ? ` hold ${entry.hold.event}` : ''}`,
    );
    expect(routes.sort()).toEqual([
      'POST /v1/job-groups/:jobGroupId/holds',
      'POST /v1/job-groups/:jobGroupId/holds hold created',
      'schedule',
    ]);
    expect(history.find((entry) => entry.hold)?.hold?.id).toBe(holdId);
  });

  it('shows drift when the live group differs from the desired state', async () => {
    await tick();
    await send('POST', '/v1/job-groups/4/scale', { planedJobCount: 3 });

    const status = await send('GET', '/v1/job-groups/4/status');

    expect(status.json.drift).toEqual({ planedJobCount: { live: 3, desired: 10 } });
  });
});

describe('holds: pause', () => {
  it('stops schedules and rules but never a direct webhook change, which says the hold is there', async () => {
    await tick();
    const paused = await hold('4', { kind: 'pause', for: '12h', reason: 'debugging' });
    at('2026-06-01T13:00:00Z'); // 21:00 local: west's window ends, `otherwise` would set 1

    const summary = await tick();
    await surge('surge-2');
    const direct = await send('POST', '/v1/job-groups/4/scale', { planedJobCount: 7 });

    expect(paused.status).toBe(201);
    expect(summary.due).not.toContain('4');
    expect(direct.status).toBe(200);
    expect(direct.json).toMatchObject({ changed: true, holds: [{ kind: 'pause', reason: 'debugging' }] });
    expect(planned('4')).toBe(7);
  });

  it('expiry restores the schedule state without enforce; two holds on one group: pause wins', async () => {
    await tick();
    await hold('4', { kind: 'pin', set: { planedJobCount: 12 }, for: '3h' });
    await hold('4', { kind: 'pause', for: '1h' });
    at('2026-06-01T02:30:00Z');
    await surge('surge-3');
    const duringPause = planned('4');

    at('2026-06-01T03:00:00Z'); // pause over, pin still in force: the schedule keeps off planedJobCount
    await tick();
    const duringPin = planned('4');
    at('2026-06-01T05:00:00Z'); // both over
    await tick();

    expect(duringPause).toBe(12);
    expect(duringPin).toBe(12);
    expect(planned('4')).toBe(10);
  });

  it('release restores the schedule at once, without a tick, and the hold is gone', async () => {
    await tick();
    const created = await hold('4', { kind: 'pin', set: { planedJobCount: 15 }, for: '3h' });
    const id = (created.json.hold as { id: string }).id;

    const listed = await send('GET', '/v1/holds', undefined, { jobGroupId: '4' });
    const preview = await send('DELETE', `/v1/holds/${encodeURIComponent(id)}`, undefined, {
      dryRun: 'true',
    });
    const afterPreview = planned('4');
    at('2026-06-01T02:01:00Z');
    const released = await send('DELETE', `/v1/holds/${encodeURIComponent(id)}`);
    const again = await send('DELETE', `/v1/holds/${encodeURIComponent(id)}`);

    expect((listed.json.holds as Array<{ id: string }>).map((h) => h.id)).toEqual([id]);
    expect(preview.json).toMatchObject({
      dryRun: true,
      applied: { dryRun: true, applied: { PlanedJobCount: '10' } },
    });
    expect(afterPreview).toBe(15);
    expect(released.status).toBe(200);
    expect(released.json).toMatchObject({
      released: { id, secondsLeft: 0 },
      applied: { changed: true, applied: { PlanedJobCount: '10' } },
      decidedBy: { planedJobCount: { by: 'schedule', schedule: 'west', window: 'peak' } },
    });
    expect(planned('4')).toBe(10);
    expect(again.status).toBe(404);
    expect(again.json.error?.code).toBe('HOLD_NOT_FOUND');
    expect((await send('GET', '/v1/holds')).json.holds).toEqual([]);
    const history = (await send('GET', '/v1/job-groups/4/history')).json.records as Array<{
      hold?: { event: string };
      source: { route?: string };
    }>;
    expect(history.filter((entry) => entry.hold).map((entry) => entry.hold?.event)).toEqual([
      'released',
      'created',
    ]);
  });

  it('releasing a skip of a later occurrence sends nothing and keeps a manual change', async () => {
    await tick();
    const skip = await hold('4', { kind: 'skip', schedule: 'west', window: 'peak', date: '2026-06-03' });
    await send('POST', '/v1/job-groups/4/scale', { planedJobCount: 7 });

    const released = await send(
      'DELETE',
      `/v1/holds/${encodeURIComponent((skip.json.hold as { id: string }).id)}`,
    );
    at('2026-06-01T02:05:00Z');
    await tick();

    expect(released.json).toMatchObject({ applied: null, why: expect.stringContaining('changes nothing') });
    expect(planned('4')).toBe(7);
  });

  it("a release sends the schedule's state without the fields another pin still holds", async () => {
    await tick();
    await hold('4', { kind: 'pin', set: { planedJobCount: 15 }, for: '3h' });
    const stop = await hold('4', { kind: 'pin', set: { status: 'Stopped' }, for: '3h' });
    await send('POST', '/v1/job-groups/4/scale', { planedJobCount: 9 }); // a person, by hand

    const released = await send(
      'DELETE',
      `/v1/holds/${encodeURIComponent((stop.json.hold as { id: string }).id)}`,
    );

    expect(released.json).toMatchObject({ applied: { changed: true, applied: { Status: 'Running' } } });
    expect((released.json.applied as { applied: Record<string, string> }).applied).not.toHaveProperty(
      'PlanedJobCount',
    );
    expect(planned('4')).toBe(9);
  });

  it('a release while another pause holds the group sends nothing', async () => {
    await tick();
    const pin = await hold('4', { kind: 'pin', set: { planedJobCount: 15 }, for: '3h' });
    await hold('4', { kind: 'pause', for: '2h' });
    const writes = emu.calls.filter((c) => c.action === 'ModifyJobGroup').length;

    const released = await send(
      'DELETE',
      `/v1/holds/${encodeURIComponent((pin.json.hold as { id: string }).id)}`,
    );

    expect(released.status).toBe(200);
    expect(released.json).toMatchObject({ applied: null, why: expect.stringContaining('pause') });
    expect(emu.calls.filter((c) => c.action === 'ModifyJobGroup').length).toBe(writes);
  });

  it('an ended hold is recorded once by the next tick: an audit line and a history record', async () => {
    await tick();
    const created = await hold('4', { kind: 'pause', for: '1h', reason: 'debugging' });
    const id = (created.json.hold as { id: string }).id;

    at('2026-06-01T03:00:01Z');
    await tick();
    await tick();

    const lines = logs.lines.filter(
      (line) => line.msg === 'hold ended' && (line.hold as { id?: string } | undefined)?.id === id,
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      audit: true,
      jobGroupIds: ['4'],
      hold: { id, event: 'expired', kind: 'pause' },
    });
    const history = (await send('GET', '/v1/job-groups/4/history')).json.records as Array<{
      hold?: { event: string; id: string };
      source: { kind: string };
    }>;
    expect(history.filter((entry) => entry.hold).map((entry) => entry.hold?.event)).toEqual([
      'expired',
      'created',
    ]);
    expect(history[0]?.source.kind).toBe('scheduler');
    expect((await send('GET', '/v1/holds')).json.holds).toEqual([]);
  });

  it('holds live in the store: a cold start of every function still sees them', async () => {
    await tick();
    await hold('3', { kind: 'pause', for: '12h' });
    resetRuntime(); // a new instance: nothing cached

    at('2026-06-01T13:00:00Z');
    const listed = await send('GET', '/v1/holds');
    const summary = await tick();

    expect((listed.json.holds as unknown[]).length).toBe(1);
    expect(summary.due).not.toContain('3');
  });
});

describe('holds: holdFor in a rule', () => {
  it('pins what the rule set: enforce and other rules keep off, a repeat extends it, then it ends', async () => {
    await tick();
    await surge('pin-1', 'com.example.surge-pin');
    at('2026-06-01T02:30:00Z');
    const during = await tick();

    // The same alert again (same id and time): not applied again, but its pin now ends an hour later
    at('2026-06-01T02:50:00Z');
    await surge('pin-1', 'com.example.surge-pin', '2026-06-01T02:00:00.000Z');
    at('2026-06-01T02:55:00Z');
    await surge('calm-1', 'com.example.calm');
    const heldAgainstCalm = planned('3');
    at('2026-06-01T03:30:00Z'); // past the first hour, inside the extension
    const extended = await tick();
    const heldAfterHour = planned('3');
    at('2026-06-01T03:51:00Z');
    await tick();

    expect(during.applied.map((a) => a.jobGroupId)).not.toContain('3');
    expect(heldAgainstCalm).toBe(40);
    expect(extended.applied.map((a) => a.jobGroupId)).not.toContain('3');
    expect(heldAfterHour).toBe(40);
    expect(planned('3')).toBe(20);
    const events = (
      (await send('GET', '/v1/job-groups/3/history')).json.records as Array<{
        hold?: { event: string; who: string };
      }>
    )
      .filter((entry) => entry.hold)
      .map((entry) => `${entry.hold?.event} ${entry.hold?.who}`);
    expect(events).toEqual(['expired rule:surge-pin', 'extended rule:surge-pin', 'created rule:surge-pin']);
  });

  it('a pin shorter than a tick still hands the group back to its schedule at the next tick, without enforce', async () => {
    await tick(); // west (no enforce) at 10; its record says so
    await surge('west-1', 'com.example.surge-pin-west');
    const pinned = planned('4');

    at('2026-06-01T02:05:00Z'); // the 1-minute pin ended between two ticks
    const next = await tick();

    expect(pinned).toBe(40);
    expect(next.applied.map((a) => a.jobGroupId)).toContain('4');
    expect(planned('4')).toBe(10);
  });

  it('a repeat of the alert after its pin ended applies it again, with a new pin at the value it sends', async () => {
    await tick();
    await surge('pin-1', 'com.example.surge-pin');
    at('2026-06-01T03:05:00Z'); // the hour is over: the enforced schedule takes group 3 back
    await tick();
    const between = planned('3');

    at('2026-06-01T06:00:00Z'); // the same alert again (same id and time), still firing
    await surge('pin-1', 'com.example.surge-pin', '2026-06-01T02:00:00.000Z');
    at('2026-06-01T06:30:00Z');
    await tick();

    expect(between).toBe(20);
    expect(planned('3')).toBe(40);
    const holds = (await send('GET', '/v1/holds', undefined, { jobGroupId: '3' })).json.holds as Array<{
      set: unknown;
      until: string;
    }>;
    expect(holds).toMatchObject([{ set: { planedJobCount: 40 }, until: '2026-06-01T07:00:00.000Z' }]);
  });

  it('an alert pin holds the value actually sent: the largest count of the firing alerts', async () => {
    const notification = {
      version: '4',
      status: 'firing',
      receiver: 'autopilot',
      groupKey: '{}:{}',
      alerts: [
        { labels: { jobgroup: '6', target: '30', instance: 'a' }, at: '2026-06-01T01:00:00Z' },
        { labels: { jobgroup: '6', target: '20', instance: 'b' }, at: '2026-06-01T01:30:00Z' },
      ].map((alert, index) => ({
        status: 'firing',
        labels: { alertname: 'Backlog', ...alert.labels },
        annotations: {},
        startsAt: alert.at,
        endsAt: '0001-01-01T00:00:00Z',
        fingerprint: `fp${index}`,
      })),
    };

    const answer = await send('POST', '/v1/hooks/alertmanager', notification);

    expect(answer.status).toBe(200);
    expect(planned('6')).toBe(30);
    const holds = (await send('GET', '/v1/holds', undefined, { jobGroupId: '6' })).json.holds as Array<{
      set: unknown;
    }>;
    expect(holds).toMatchObject([{ set: { planedJobCount: 30 } }]);
  });

  it('a holdFor longer than holds.maxDuration is a config error naming the rule', async () => {
    const { checkConfig } = await import('../../../shared/config/file.js');
    const rule = Object.fromEntries([
      ['name', 'long'],
      ['match', { type: 'x' }],
      ['then', { action: 'stop', jobGroupId: '3', holdFor: '9d' }],
    ]);
    const bad = Object.fromEntries([
      ['name', 'bad'],
      ['match', { type: 'x' }],
      ['then', { action: 'stop', jobGroupId: '3', holdFor: { from: 'data.for' } }],
    ]);

    expect(checkConfig({ rules: [rule] }).issues).toEqual([
      expect.objectContaining({
        path: 'rules[0].then.holdFor',
        message: expect.stringContaining('holds.maxDuration'),
      }),
    ]);
    expect(checkConfig({ rules: [rule], holds: { maxDuration: '10d' } }).issues).toEqual([]);
    expect(JSON.stringify(checkConfig({ rules: [bad] }).issues)).toMatch(
      /rules\[0\]\.then\.holdFor.*literal duration/,
    );
  });
});

describe('holds: skip', () => {
  it('removes exactly one occurrence of a window, across the autumn DST change', async () => {
    // Prepare: Berlin, Sunday 2026-10-25: the clocks go back at 03:00 CEST; the night stop of the 24th
    // runs 22:00 CEST (20:00Z) to 06:00 CET (05:00Z)
    at('2026-10-24T19:00:00Z');
    await tick();
    const skip = await hold('7', {
      kind: 'skip',
      schedule: 'berlin',
      window: 'night-stop',
      date: '2026-10-24',
    });

    at('2026-10-24T21:00:00Z'); // inside the skipped occurrence
    const inside = await tick();
    const runningInside = emu.jobGroup('7')?.Status;
    at('2026-10-25T21:30:00Z'); // the next night's occurrence (22:30 CET) applies again
    await tick();

    expect(skip.status).toBe(201);
    expect(skip.json.hold).toMatchObject({ kind: 'skip', until: '2026-10-25T05:00:00.000Z' });
    expect(inside.applied.map((a) => a.jobGroupId)).not.toContain('7');
    expect(runningInside).toMatch(/^(running|starting)$/);
    expect(emu.jobGroup('7')?.Status).toMatch(/^(stopped|stopping)$/);
  });
});

describe('holds: bad input', () => {
  it.each([
    [{ kind: 'pin', set: { planedJobCount: 3 }, for: '2h', colour: 'red' }, 'colour'],
    [{ kind: 'pin', set: { plannedJobCount: 3 }, for: '2h' }, 'set.plannedJobCount'],
    [{ kind: 'pin', set: { planedJobCount: 3 }, for: '8d' }, 'for'],
    [{ kind: 'pause', for: '2h', until: '2026-06-01T05:00:00Z' }, 'for'],
    [{ kind: 'pause' }, 'for'],
    [{ kind: 'pause', until: '2026-05-01T00:00:00Z' }, 'until'],
    [{ kind: 'skip', schedule: 'west', window: 'lunch', date: '2026-06-01' }, 'window'],
    [{ kind: 'skip', schedule: 'west', window: 'peak', date: '2026-06-06' }, 'date'],
    [{ kind: 'skip', schedule: 'east', window: 'peak', date: '2026-06-01' }, 'schedule'],
    [{ kind: 'freeze', for: '1h' }, 'kind'],
  ])('refuses %j naming %s, sending and storing nothing', async (body, field) => {
    const before = emu.calls.length;
    const answer = await hold('4', body);

    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.json.error)).toContain(field);
    expect(emu.calls.length).toBe(before);
    expect((await send('GET', '/v1/holds')).json.holds).toEqual([]);
  });

  it('a dry run validates and plans a pin, storing and sending nothing', async () => {
    const before = emu.calls.filter((c) => c.action === 'ModifyJobGroup').length;
    const answer = await hold(
      '3',
      { kind: 'pin', set: { planedJobCount: 40 }, for: '1h' },
      { dryRun: 'true' },
    );

    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      dryRun: true,
      applied: { dryRun: true, applied: { PlanedJobCount: '40' } },
    });
    expect(emu.calls.filter((c) => c.action === 'ModifyJobGroup').length).toBe(before);
    expect((await send('GET', '/v1/holds')).json.holds).toEqual([]);
  });
});
