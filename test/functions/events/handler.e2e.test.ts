import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../functions/events/handler.js';
import { DEMO_CREDENTIAL } from '../../../local/emulator/index.js';
import type { EventsSummary } from '../../../shared/events/index.js';
import {
  EVENTS_CONFIG,
  eventsContext,
  jsonBuffer,
  modifyCalls,
  useEmulatorEnv,
  useEventsEmulator,
} from '../../shared/events/harness.js';
import { fixture } from '../../shared/rules/helpers.js';
import { expectFailure } from '../../support/failure.js';

const { emu, logs } = useEventsEmulator();

const deliver = (name: string, context = eventsContext()): Promise<EventsSummary> =>
  handler(fixture(`eventbridge/${name}`), context);

const auditLines = () => logs.lines.filter((line) => line.audit === true);
const linesWith = (msg: string) => logs.lines.filter((line) => line.msg === msg);

describe('events function: deliveries shaped like EventBridge', () => {
  it('applies a single custom CloudEvent through a rule with values taken from the event', async () => {
    // Act
    const summary = await deliver('custom-scale.json');

    // Assess
    const [write] = modifyCalls(emu);
    expect(summary.events).toEqual([
      {
        index: 0,
        id: 'evt-5d0c1b7e-93a4-4e8b-b0f2-7c6d5e4f3a21',
        source: 'com.example.capacity',
        type: 'com.example.jobgroup.scale',
        outcome: 'applied',
        rules: [{ rule: 'per-group-command', ok: true, changes: 1 }],
        changes: [
          {
            rule: 'per-group-command',
            jobGroupId: '3',
            action: 'scale',
            outcome: 'applied',
            requestId: write?.requestId,
          },
        ],
      },
    ]);
    expect(summary.counts).toEqual({
      total: 1,
      applied: 1,
      unchanged: 0,
      unmatched: 0,
      invalid: 0,
      'failed-permanent': 0,
      'failed-retryable': 0,
    });
    expect(write?.params).toMatchObject({
      JobGroupId: '3',
      JobGroupName: 'JobGroupName',
      PlanedJobCount: '24',
    });
    expect(emu.jobGroup('3')?.PlanedJobCount).toBe(24);
  });

  it('writes the summary once (info) and one audit line per change naming the event and the rule', async () => {
    // Act
    await deliver('custom-scale.json');

    // Assess
    const summaries = linesWith('events processed');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ level: 'info', counts: { applied: 1, total: 1 } });
    expect(auditLines()).toEqual([
      expect.objectContaining({
        msg: 'event change',
        who: 'event:com.example.capacity/evt-5d0c1b7e-93a4-4e8b-b0f2-7c6d5e4f3a21',
        rule: 'per-group-command',
        jobGroupId: '3',
        action: 'scale',
        outcome: 'applied',
        cityVisualRequestId: modifyCalls(emu)[0]?.requestId,
      }),
    ]);
  });

  it('paces a delivery at limits.qps: after the first two, its calls at least 1/qps apart', async () => {
    // Prepare: the test config with a limit of 5 calls a second
    const config = path.join(mkdtempSync(path.join(tmpdir(), 'events-limits-')), 'events.yaml');
    writeFileSync(config, `${readFileSync(EVENTS_CONFIG, 'utf8')}\nlimits: { qps: 5 }\n`);
    useEmulatorEnv(emu, { extra: { AUTOPILOT_CONFIG: config } });

    // Act: two changes, each a live read and a write
    const summary = await deliver('kafka-batch.json');

    // Assess: four calls; a burst of two, then one every 200 ms
    expect(summary.counts.applied).toBe(2);
    const at = emu.calls.map((call) => call.at).sort((a, b) => a - b);
    expect(at).toHaveLength(4);
    expect((at[3] as number) - (at[0] as number)).toBeGreaterThanOrEqual(400 - 15);
  });

  it('reports every event of a batched array, acknowledging a permanent failure among them', async () => {
    // Act: group "11" of the third event does not exist in CityVisual.
    const summary = await deliver('batch.json');

    // Assess
    expect(summary.events.map((event) => [event.id, event.outcome])).toEqual([
      ['evt-batch-0001', 'applied'],
      ['evt-batch-0002', 'applied'],
      ['evt-batch-0003', 'failed-permanent'],
    ]);
    expect(summary.events[2]?.changes).toEqual([
      expect.objectContaining({
        rule: 'builtin:command',
        changeIndex: 0,
        jobGroupId: '11',
        outcome: 'failed-permanent',
        code: 'InvalidJobGroupId.NotFound',
      }),
    ]);
    expect(emu.jobGroup('3')?.PlanedJobCount).toBe(24);
    // The second event's data came as a JSON string with count "6".
    expect(emu.jobGroup('7')?.PlanedJobCount).toBe(6);
    expect(
      modifyCalls(emu)
        .map((call) => call.params.JobGroupId)
        .sort(),
    ).toEqual(['3', '7']);
  });

  it('applies a Kafka batch (array of JSON-encoded CloudEvent strings)', async () => {
    // Act
    const summary = await deliver('kafka-batch.json');

    // Assess
    expect(summary.events.map((event) => [event.id, event.outcome])).toEqual([
      ['kafka-orders-0-1042', 'applied'],
      ['kafka-orders-0-1043', 'applied'],
    ]);
    expect(emu.jobGroup('3')?.PlanedJobCount).toBe(30);
    expect(emu.jobGroup('7')?.PlanedJobCount).toBe(8);
  });

  it('scales up on a CloudMonitor alarm and back down on its recovery', async () => {
    // Act
    const alarm = await deliver('cms-alarm.json');
    const afterAlarm = emu.jobGroup('3')?.PlanedJobCount;
    const recovery = await deliver('cms-alarm-recovered.json');

    // Assess
    expect(alarm.events[0]).toMatchObject({
      outcome: 'applied',
      rules: [{ rule: 'backlog-scale-up', ok: true }],
    });
    expect(afterAlarm).toBe(30);
    expect(recovery.events[0]).toMatchObject({
      outcome: 'applied',
      rules: [{ rule: 'backlog-recovered', ok: true }],
    });
    expect(emu.jobGroup('3')?.PlanedJobCount).toBe(10);
  });

  it('applies the built-in command event change by change: one bad change never blocks the others', async () => {
    // Act
    const summary = await deliver('command-one-bad-change.json');

    // Assess
    const [event] = summary.events;
    expect(event?.outcome).toBe('invalid');
    expect(event?.rules).toEqual([
      { rule: 'builtin:command', changeIndex: 0, ok: true, changes: 1 },
      expect.objectContaining({
        rule: 'builtin:command',
        changeIndex: 1,
        ok: false,
        changes: 0,
        code: 'INVALID_INPUT',
        field: 'planedJobCount',
      }),
      { rule: 'builtin:command', changeIndex: 2, ok: true, changes: 1 },
    ]);
    expect(event?.changes.map((change) => [change.changeIndex, change.jobGroupId, change.outcome])).toEqual([
      [0, '1', 'applied'],
      [2, '8', 'applied'],
    ]);
    expect(emu.jobGroup('1')?.PlanedJobCount).toBe(12);
    expect(emu.jobGroup('8')?.Status).toBe('stopped');
    expect(emu.jobGroup('2')?.PlanedJobCount).toBe(2);
    expect(emu.calls.some((call) => call.params.JobGroupId === '2')).toBe(false);
    expect(linesWith('event invalid')[0]).toMatchObject({
      level: 'warn',
      id: 'cmd-2e7d9f40-5b3a-4c18-8f6e-9a0b1c2d3e4f',
    });
  });

  it('acknowledges a command event from a source not in events.commandSources, logging the source, with no upstream call', async () => {
    // Prepare: the test config lists only com.example.runbooks.
    const event = {
      specversion: '1.0',
      id: 'cmd-from-elsewhere',
      source: 'com.example.capacity',
      type: 'autopilot.jobgroup.changes',
      data: { changes: [{ jobGroupId: '3', action: 'scale', planedJobCount: 9 }] },
    };

    // Act
    const summary = await handler(jsonBuffer(event), eventsContext());

    // Assess
    expect(summary.events).toEqual([
      expect.objectContaining({ outcome: 'unmatched', code: 'COMMAND_SOURCE_NOT_ALLOWED', changes: [] }),
    ]);
    expect(emu.calls).toEqual([]);
    expect(linesWith('command event not applied: its source is not in events.commandSources')).toEqual([
      expect.objectContaining({ level: 'warn', id: 'cmd-from-elsewhere', source: 'com.example.capacity' }),
    ]);
  });

  it('acknowledges an event no rule matches, with a debug line and no upstream call', async () => {
    // Prepare
    const event = {
      id: 'evt-unrelated-1',
      source: 'acs.ecs',
      specversion: '1.0',
      type: 'ecs:Instance:StateChange',
      data: { state: 'Running' },
    };

    // Act
    const summary = await handler(jsonBuffer(event), eventsContext());

    // Assess
    expect(summary.events).toEqual([
      {
        index: 0,
        id: 'evt-unrelated-1',
        source: 'acs.ecs',
        type: 'ecs:Instance:StateChange',
        outcome: 'unmatched',
        rules: [],
        changes: [],
      },
    ]);
    expect(emu.stats.requests).toBe(0);
    expect(linesWith('event matched no rule')).toEqual([
      expect.objectContaining({ level: 'debug', id: 'evt-unrelated-1' }),
    ]);
  });

  it('acknowledges a `from` path the event lacks as invalid, logged with the event id, with no upstream call', async () => {
    // Prepare
    const event = {
      id: 'evt-no-group',
      source: 'com.example.capacity',
      specversion: '1.0',
      type: 'com.example.jobgroup.scale',
      data: { count: 5 },
    };

    // Act
    const summary = await handler(jsonBuffer(event), eventsContext());

    // Assess
    expect(summary.events[0]).toMatchObject({
      id: 'evt-no-group',
      outcome: 'invalid',
      changes: [],
      rules: [
        {
          rule: 'per-group-command',
          ok: false,
          code: 'RULE_PATH_MISSING',
          field: 'jobGroupId',
          message: expect.stringContaining('data.jobGroupId'),
        },
      ],
    });
    expect(emu.stats.requests).toBe(0);
    expect(linesWith('event invalid')).toEqual([
      expect.objectContaining({ level: 'warn', id: 'evt-no-group', source: 'com.example.capacity' }),
    ]);
  });

  it.each([
    ['bytes that are not JSON', Buffer.from('\u0000not json'), 'INVALID_JSON'],
    ['JSON that is not a CloudEvent', jsonBuffer({ hello: 'world' }), 'INVALID_INPUT'],
    [
      'a CloudEvent of another spec version',
      jsonBuffer({ id: 'x', source: 's', specversion: '0.3', type: 't' }),
      'INVALID_INPUT',
    ],
  ])('acknowledges %s as invalid', async (_name, buffer, code) => {
    // Act
    const summary = await handler(buffer, eventsContext());

    // Assess
    expect(summary.events).toEqual([expect.objectContaining({ index: 0, outcome: 'invalid', code })]);
    expect(emu.stats.requests).toBe(0);
  });

  it('signs with the FC context credentials when the function has a role', async () => {
    // Prepare
    useEmulatorEnv(emu, { envCredentials: false });

    // Act
    const summary = await deliver(
      'custom-scale.json',
      eventsContext({ credentials: { ...DEMO_CREDENTIAL } }),
    );

    // Assess
    expect(summary.counts.applied).toBe(1);
    expect(emu.jobGroup('3')?.PlanedJobCount).toBe(24);
  });
});

describe('events function: redelivery and failures', () => {
  it('yields the same final state on redelivery, and sends no second ModifyJobGroup (live reads)', async () => {
    // Act
    const first = await deliver('custom-scale.json');
    const writesAfterFirst = modifyCalls(emu).length;
    const second = await deliver('custom-scale.json');

    // Assess
    expect(first.events[0]?.outcome).toBe('applied');
    expect(second.events[0]?.outcome).toBe('unchanged');
    expect(second.events[0]?.changes[0]).toMatchObject({ outcome: 'unchanged', requestId: null });
    expect(writesAfterFirst).toBe(1);
    expect(modifyCalls(emu)).toHaveLength(1);
    expect(emu.jobGroup('3')?.PlanedJobCount).toBe(24);
  });

  it('sends nothing at all on redelivery to a warm instance without live reads (registry)', async () => {
    // Prepare
    useEmulatorEnv(emu, { live: false });

    // Act
    await deliver('kafka-batch.json');
    const requestsAfterFirst = emu.stats.requests;
    const second = await deliver('kafka-batch.json');

    // Assess
    expect(requestsAfterFirst).toBe(2);
    expect(emu.stats.requests).toBe(2);
    expect(second.counts.unchanged).toBe(2);
    expect(emu.jobGroup('3')?.PlanedJobCount).toBe(30);
  });

  it('fails the invocation with a retryable summary when CityVisual throttles past the retries', async () => {
    // Prepare
    emu.setFaults({ throttleRate: 1 });

    // Act
    const error = await expectFailure(deliver('custom-scale.json'));

    // Assess
    expect(error.code).toBe('EVENTS_RETRYABLE_FAILURE');
    expect(error.retryable).toBe(true);
    const summary = error.details?.summary as EventsSummary;
    expect(summary.counts['failed-retryable']).toBe(1);
    expect(summary.events[0]?.changes).toEqual([
      expect.objectContaining({ jobGroupId: '3', outcome: 'failed-retryable', reason: 'throttled' }),
    ]);
    expect(emu.stats.throttled).toBe(2); // CITYVISUAL_MAX_ATTEMPTS=2
    expect(modifyCalls(emu)).toHaveLength(0);
    expect(linesWith('invocation failed')[0]).toMatchObject({ error: { code: 'EVENTS_RETRYABLE_FAILURE' } });
  });

  it('still applies the other events of a batch that fails retryably, so the redelivery is cheap', async () => {
    // Prepare: one attempt per call; the first request (group 3 or 7, whichever goes first) answers 503.
    useEmulatorEnv(emu, { live: false, extra: { CITYVISUAL_MAX_ATTEMPTS: '1' } });
    emu.setFaults({ script: ['unavailable'] });

    // Act
    const error = await expectFailure(deliver('kafka-batch.json', eventsContext()));
    const summary = error.details?.summary as EventsSummary;

    // Assess
    expect(summary.counts).toMatchObject({ total: 2, applied: 1, 'failed-retryable': 1 });
    expect(summary.events.flatMap((event) => event.changes.map((change) => change.reason))).toContain(
      'upstream',
    );

    // Act: FC redelivers; the applied event is free now.
    emu.setFaults({});
    const redelivered = await deliver('kafka-batch.json');

    // Assess
    expect(redelivered.counts).toMatchObject({ applied: 1, unchanged: 1 });
    expect(emu.jobGroup('3')?.PlanedJobCount).toBe(30);
    expect(emu.jobGroup('7')?.PlanedJobCount).toBe(8);
  });

  it('acknowledges a permanent 404 from ModifyJobGroup, keeping the RequestId of the refusal', async () => {
    // Prepare: "99" is in the registry but not in CityVisual.
    useEmulatorEnv(emu, { live: false });
    const event = {
      id: 'evt-ghost',
      source: 'com.example.capacity',
      specversion: '1.0',
      type: 'com.example.jobgroup.scale',
      data: { jobGroupId: '99', count: 4 },
    };

    // Act
    const summary = await handler(jsonBuffer(event), eventsContext());

    // Assess
    expect(summary.events[0]).toMatchObject({
      outcome: 'failed-permanent',
      changes: [
        {
          jobGroupId: '99',
          outcome: 'failed-permanent',
          code: 'InvalidJobGroupId.NotFound',
          requestId: expect.stringMatching(/^[0-9A-F-]{36}$/),
        },
      ],
    });
    expect(emu.stats.requests).toBe(1);
    expect(linesWith('event change failed')).toEqual([
      expect.objectContaining({ level: 'warn', id: 'evt-ghost' }),
    ]);
  });

  it('fails retryably with reason deadline when CityVisual answers after the invocation deadline', async () => {
    // Prepare: a 3 s function timeout leaves 1 s of work; CityVisual takes 1.5 s.
    emu.setFaults({ latencyMs: 1500 });
    const context = eventsContext({ function: { name: 'events', timeout: 3 } });

    // Act
    const error = await expectFailure(deliver('custom-scale.json', context));

    // Assess
    const summary = error.details?.summary as EventsSummary;
    expect(error.code).toBe('EVENTS_RETRYABLE_FAILURE');
    expect(summary.events[0]?.changes[0]).toMatchObject({ outcome: 'failed-retryable', reason: 'deadline' });
  });
});
