import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { handler } from '../../../functions/events/handler.js';
import { AutopilotError, isErrorCode } from '../../../shared/errors.js';
import { type EventReport, type EventsSummary, handleAlertWebhook } from '../../../shared/events/index.js';
import { COMMAND_EVENT_TYPE } from '../../../shared/rules/index.js';
import { rulesSection } from '../../../shared/rules/section.js';
import { getRuntime } from '../../../shared/runtime.js';
import {
  eventsContext,
  jsonBuffer,
  saveEnv,
  testInvocation,
  useEmulatorEnv,
} from '../../shared/events/harness.js';
import { useEmulator } from '../../support/emulator.js';
import { silenceLogs } from '../../support/logs.js';

// Registry mode (no live reads): every change that passes validation is exactly one request, so the
// emulator's request counter can be reconciled with the reports one to one.
const REGISTERED = ['1', '2', '3', '4', '5', '6', '7', '8', '99'] as const;
const RUNS = 3000;

const emu = useEmulator({ reset: 'never' });
let restoreEnv: () => void;
let restoreSink: () => void;

beforeAll(() => {
  restoreEnv = saveEnv();
  useEmulatorEnv(emu, { live: false, extra: { LOG_LEVEL: 'error' } });
  restoreSink = silenceLogs();
});
afterAll(() => {
  restoreSink();
  restoreEnv();
});

/** What a ModifyJobGroup that went through our validation looks like (an independent oracle). */
const count = z.string().regex(/^(0|[1-9][0-9]*)$/);
const ValidModifyParamsSchema = z.looseObject({
  Action: z.literal('ModifyJobGroup'),
  JobGroupId: z.enum(REGISTERED),
  JobGroupName: z.string().min(2).max(128),
  AlgoLibId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  ResourceProfileId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  PlanedJobCount: count.optional(),
  JobCount: count.optional(),
  StreamPerJob: count.optional(),
  Status: z.enum(['Running', 'Stopped']).optional(),
});

/** Refusals that validated input can still get (the group or a resource does not exist, a name is taken). */
const UPSTREAM_REFUSALS_OF_VALID_INPUT = new Set([
  'InvalidJobGroupId.NotFound',
  'InvalidAlgoLibId.NotFound',
  'InvalidResourceProfileId.NotFound',
  'InvalidName.Duplicate',
]);

const hostileText = fc.oneof(
  fc.constantFrom(...REGISTERED, '42', '', ' 3', '3\n', '../3', '3/../7', '__proto__', 'constructor'),
  fc.constantFrom(
    'a'.repeat(65),
    '３',
    '3;DROP',
    '%33',
    'undefined',
    'null',
    '-1',
    '1e3',
    '12',
    '0x10',
    '1.5',
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
);
const countish = fc.oneof(
  fc.integer({ min: -5, max: 1100 }),
  fc.constantFrom(0, 1, 30, 999, 1000, 1001, 2 ** 31, -0, 1e21),
  fc.double(),
  hostileText,
  fc.constantFrom(null, true, false),
  fc.array(fc.integer(), { maxLength: 2 }),
);
// Mostly plausible values, so that many events pass validation and the API path is exercised too.
const groupId = fc.oneof(
  { arbitrary: fc.constantFrom(...REGISTERED, '42'), weight: 4 },
  { arbitrary: fc.oneof(hostileText, fc.integer()), weight: 1 },
);
const jobCount = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 40 }), weight: 3 },
  { arbitrary: fc.integer({ min: 0, max: 40 }).map(String), weight: 1 },
  { arbitrary: countish, weight: 2 },
);
const hostileChange = fc.record(
  {
    action: fc.constantFrom('scale', 'stop', 'start', 'set-params', 'modify', 'launch', ''),
    jobGroupId: groupId,
    planedJobCount: countish,
    jobCount: countish,
    status: fc.constantFrom('Running', 'Stopped', 'running', 'paused'),
    params: fc.dictionary(
      fc.constantFrom('ES_ENABLE', 'RDS_ENABLE', 'SCHEDULE_FLOW_START_TIME', 'X', '__proto__'),
      fc.oneof(fc.boolean(), fc.constantFrom('Latest', 'Oldest', 'True'), fc.integer()),
    ),
    jobGroupName: fc.constantFrom('Renamed', 'x', 'http://evil', '名字'),
    algoLibId: fc.constantFrom('2', '999', ''),
  },
  { requiredKeys: [] },
);
const changeArb = fc.oneof(
  fc.record({ action: fc.constant('scale'), jobGroupId: groupId, planedJobCount: jobCount }),
  fc.record({ action: fc.constantFrom('stop', 'start'), jobGroupId: groupId }),
  fc.record({
    action: fc.constant('set-params'),
    jobGroupId: groupId,
    params: fc.record(
      { ES_ENABLE: fc.boolean(), SCHEDULE_FLOW_START_TIME: fc.constantFrom('Latest', 'Oldest', 'Newest') },
      { requiredKeys: [] },
    ),
  }),
  hostileChange,
  fc.jsonValue({ maxDepth: 2 }),
);
const dataArb = fc.oneof(
  { arbitrary: fc.record({ jobGroupId: groupId, count: jobCount }), weight: 4 },
  { arbitrary: fc.record({ jobGroupId: groupId, count: jobCount }, { requiredKeys: [] }), weight: 1 },
  {
    arbitrary: fc.record({
      changes: fc.oneof(fc.array(changeArb, { minLength: 1, maxLength: 4 }), fc.jsonValue({ maxDepth: 1 })),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      alertName: fc.constantFrom('stream-backlog', 'other'),
      alertState: fc.constantFrom('ALERT', 'OK', 'INSUFFICIENT_DATA', 1),
    }),
    weight: 1,
  },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 },
);
const eventArb = fc
  .record(
    {
      id: fc.oneof({ arbitrary: fc.uuid(), weight: 10 }, fc.string({ maxLength: 20 }), fc.integer()),
      source: fc.oneof(
        {
          arbitrary: fc.constantFrom('acs.cms', 'com.example.capacity', 'prometheus.alertmanager'),
          weight: 10,
        },
        fc.constantFrom('', 7),
      ),
      specversion: fc.oneof({ arbitrary: fc.constant('1.0'), weight: 10 }, fc.constantFrom('0.3', 1)),
      type: fc.oneof(
        {
          arbitrary: fc.constantFrom('com.example.jobgroup.scale', COMMAND_EVENT_TYPE, 'cms:Alarm:Alert'),
          weight: 6,
        },
        fc.string({ maxLength: 10 }),
      ),
      data: dataArb,
      datacontenttype: fc.oneof(
        { arbitrary: fc.constant('application/json'), weight: 5 },
        fc.constant('text/plain'),
      ),
      stringData: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, fc.constant(true)),
    },
    { requiredKeys: ['id', 'source', 'specversion', 'type', 'data', 'stringData'] },
  )
  .map(({ stringData, ...event }) => (stringData ? { ...event, data: JSON.stringify(event.data) } : event));

const deliveryArb: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  fc.string({ maxLength: 200 }).map((text) => Buffer.from(text)),
  fc.jsonValue({ maxDepth: 4 }).map(jsonBuffer),
  { arbitrary: eventArb.map(jsonBuffer), weight: 4 },
  { arbitrary: fc.array(eventArb, { maxLength: 6 }).map(jsonBuffer), weight: 3 },
  {
    arbitrary: fc
      .array(
        eventArb.map((event) => JSON.stringify(event)),
        { maxLength: 6 },
      )
      .map(jsonBuffer),
    weight: 2,
  },
  fc
    .array(
      fc.oneof(
        eventArb,
        eventArb.map((e) => JSON.stringify(e)),
        fc.jsonValue({ maxDepth: 2 }),
      ),
      {
        maxLength: 6,
      },
    )
    .map(jsonBuffer),
  // Prototype pollution attempts in the raw text, before and inside data.
  eventArb.map((event) =>
    Buffer.from(
      `{"__proto__":{"type":"${COMMAND_EVENT_TYPE}","polluted":true},"constructor":{"prototype":{"x":1}},${JSON.stringify(event).slice(1)}`,
    ),
  ),
  fc.constantFrom(
    Buffer.alloc(0),
    Buffer.from('null'),
    Buffer.from('[]'),
    Buffer.from('"x"'),
    Buffer.from('['.repeat(5000)),
  ),
);

/**
 * Every change that reached CityVisual has the RequestId of its answer. The changes of one delivery to
 * one group are merged into one request; when CityVisual refuses a merged change for good, they are
 * sent again one by one, so a group can cost more requests than the RequestIds reported.
 */
const reached = (reports: readonly EventReport[]) =>
  reports.flatMap((report) => report.changes).filter((change) => change.requestId !== null);

function assessCalls(reports: readonly EventReport[], requestsBefore: number, callsBefore: number): void {
  const changes = reached(reports);
  expect(emu.stats.requests - requestsBefore).toBeGreaterThanOrEqual(
    new Set(changes.map((change) => change.requestId)).size,
  );
  const newCalls = emu.calls.slice(callsBefore);
  for (const call of newCalls) {
    const valid = ValidModifyParamsSchema.safeParse(call.params);
    expect(valid.success, JSON.stringify(call.params)).toBe(true);
  }
  // Every write CityVisual accepted is reported (a refused merged write is not a call), and every
  // applied change names an accepted write.
  const ids = new Set(changes.map((change) => change.requestId));
  for (const call of newCalls) expect(ids.has(call.requestId)).toBe(true);
  const callIds = new Set(newCalls.map((call) => call.requestId));
  for (const change of changes.filter((c) => c.outcome === 'applied')) {
    expect(callIds.has(change.requestId as string)).toBe(true);
  }
  for (const change of changes) {
    if (change.outcome !== 'applied') expect(UPSTREAM_REFUSALS_OF_VALID_INPUT).toContain(change.code);
  }
}

describe('events function under fuzzed deliveries', () => {
  it(`never crashes with a non-table error and never sends unvalidated input (${RUNS} deliveries)`, async () => {
    let invocations = 0;
    const seen: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(deliveryArb, async (buffer) => {
        // Prepare
        const requestsBefore = emu.stats.requests;
        const callsBefore = emu.calls.length;
        invocations++;

        // Act
        let summary: EventsSummary;
        try {
          summary = await handler(buffer, eventsContext());
        } catch (error) {
          // Assess: only table errors fail the invocation (none expected without faults, but a table
          // error is the contract).
          expect(error).toBeInstanceOf(AutopilotError);
          expect(isErrorCode((error as AutopilotError).code)).toBe(true);
          summary = (error as AutopilotError).details?.summary as EventsSummary;
          expect(summary).toBeDefined();
        }

        // Assess
        expect(summary.counts.total).toBe(summary.events.length);
        assessCalls(summary.events, requestsBefore, callsBefore);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        for (const event of summary.events) seen[event.outcome] = (seen[event.outcome] ?? 0) + 1;
      }),
      { numRuns: RUNS },
    );
    expect(invocations).toBe(RUNS);
    // The fuzz reached the outcomes that need no fault, and CityVisual itself (hundreds of writes).
    expect(Object.keys(seen)).toEqual(
      expect.arrayContaining(['applied', 'failed-permanent', 'invalid', 'unmatched']),
    );
    expect(emu.calls.length).toBeGreaterThan(50);
  });
});

const SHORT_FUNCTION = { name: 'events', handler: 'index.handler', memory: 512, timeout: 10 };

describe('events function under fuzzed deliveries and injected faults', () => {
  it('fails only with EVENTS_RETRYABLE_FAILURE, exactly when some event failed retryably (300 deliveries)', async () => {
    // Prepare: one attempt per call, and CityVisual failing a third of the requests.
    useEmulatorEnv(emu, { live: false, extra: { LOG_LEVEL: 'error', CITYVISUAL_MAX_ATTEMPTS: '1' } });
    emu.setFaults({ throttleRate: 0.15, errorRate: 0.1, resetRate: 0.1, seed: 7 });
    let failedInvocations = 0;
    try {
      await fc.assert(
        fc.asyncProperty(deliveryArb, async (buffer) => {
          const callsBefore = emu.calls.length;

          // Act
          let summary: EventsSummary;
          let failed = false;
          try {
            // A 10 s timeout leaves no time to wait out a group's lease (kept 10 s after a reset or
            // timeout): such a group fails retryably at once, which is part of what is checked here.
            summary = await handler(buffer, eventsContext({ function: SHORT_FUNCTION }));
          } catch (error) {
            expect(error).toBeInstanceOf(AutopilotError);
            expect((error as AutopilotError).code).toBe('EVENTS_RETRYABLE_FAILURE');
            summary = (error as AutopilotError).details?.summary as EventsSummary;
            failed = true;
            failedInvocations++;
          }

          // Assess
          expect(failed).toBe(summary.counts['failed-retryable'] > 0);
          for (const call of emu.calls.slice(callsBefore)) {
            expect(ValidModifyParamsSchema.safeParse(call.params).success).toBe(true);
          }
        }),
        { numRuns: 300 },
      );
    } finally {
      emu.setFaults({});
      useEmulatorEnv(emu, { live: false, extra: { LOG_LEVEL: 'error' } });
    }
    expect(failedInvocations).toBeGreaterThan(0);
  });
});

const alertArb = fc.record(
  {
    status: fc.constantFrom('firing', 'resolved', 'pending'),
    labels: fc.dictionary(
      fc.constantFrom('alertname', 'jobgroup', 'target_count', 'grafana_folder', 'team'),
      fc.oneof(fc.constantFrom('StreamBacklogHigh', 'Stream backlog', 'CityVisual'), hostileText),
    ),
    annotations: fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })),
    startsAt: fc.constantFrom('2024-05-20T01:15:00Z', ''),
    endsAt: fc.constant('2024-05-20T01:30:00Z'),
    fingerprint: fc.string({ maxLength: 16 }),
  },
  { requiredKeys: ['status', 'labels', 'startsAt'] },
);
const alertBodyArb: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 100 }).map((bytes) => Buffer.from(bytes)),
  fc.jsonValue({ maxDepth: 3 }).map(jsonBuffer),
  fc
    .record({
      version: fc.constantFrom('4', '1', '3', 4),
      receiver: fc.constant('jobgroup-autopilot'),
      status: fc.constantFrom('firing', 'resolved'),
      alerts: fc.array(alertArb, { maxLength: 5 }),
    })
    .map(jsonBuffer),
);

describe('handleAlertWebhook under fuzzed bodies', () => {
  it('always answers 200, 207 or 400, and sends only validated changes (1000 bodies)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('alertmanager', 'grafana') as fc.Arbitrary<'alertmanager' | 'grafana'>,
        alertBodyArb,
        async (tool, body) => {
          // Prepare
          const requestsBefore = emu.stats.requests;
          const callsBefore = emu.calls.length;

          // Act
          const response = await handleAlertWebhook(tool, body, testInvocation(), getRuntime([rulesSection]));

          // Assess
          expect([200, 207, 400]).toContain(response.status);
          if (response.status === 400) {
            expect(emu.stats.requests).toBe(requestsBefore);
            return;
          }
          assessCalls(response.body.alerts, requestsBefore, callsBefore);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
