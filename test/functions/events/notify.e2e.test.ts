import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { handler } from '../../../functions/events/handler.js';
import type { EventsSummary } from '../../../shared/events/index.js';
import { eventsContext, jsonBuffer, useEmulatorEnv } from '../../shared/events/harness.js';
import { useEmulator } from '../../support/emulator.js';
import { applyEnv, snapshotEnv } from '../../support/env.js';
import { expectFailure } from '../../support/failure.js';
import { useLogCapture } from '../../support/logs.js';
import { ROBOT_CHANNELS, robotNeedles, useRobots } from '../../support/robots.js';

const emu = useEmulator();
const robots = useRobots();
const logs = useLogCapture('test');

/** Rules: a command source, and a CloudMonitor alarm that scales group 3 and pins it for 2 hours. */
function writeConfig(): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'events-notify-')), 'autopilot.json');
  writeFileSync(
    file,
    JSON.stringify({
      timezone: 'Asia/Shanghai',
      events: { commandSources: ['com.example.runbooks'] },
      rules: [
        // The `then` key spelled as an entry: no object literal here is thenable.
        Object.fromEntries([
          ['name', 'backlog-scale-up'],
          ['match', { source: 'acs.cms', type: ['cms:Alarm:Alert'], data: { alertState: 'ALERT' } }],
          ['then', { action: 'scale', planedJobCount: 30, jobGroupIds: ['3'], holdFor: '2h' }],
        ]),
      ],
      notify: { channels: [ROBOT_CHANNELS[0], ROBOT_CHANNELS[3]] },
    }),
  );
  return file;
}

let restoreEnv: () => void;
let config: string;
beforeAll(() => {
  restoreEnv = snapshotEnv([...Object.keys(robots.env), 'AUTOPILOT_CONFIG', 'CITYVISUAL_ENDPOINT']);
  config = writeConfig();
});
afterAll(() => restoreEnv());
beforeEach(() => {
  useEmulatorEnv(emu, { extra: { AUTOPILOT_CONFIG: config } });
  applyEnv(robots.env);
});

const event = (id: string, fields: Record<string, unknown>) => ({
  specversion: '1.0',
  id,
  time: new Date().toISOString(),
  datacontenttype: 'application/json',
  ...fields,
});
const command = (id: string, changes: unknown[]) =>
  event(id, { source: 'com.example.runbooks', type: 'autopilot.jobgroup.changes', data: { changes } });
const alarm = (id: string) =>
  event(id, { source: 'acs.cms', type: 'cms:Alarm:Alert', data: { alertState: 'ALERT' } });

describe('events function notifications', () => {
  it('sends one digest for the delivery: every change, the pin its rule made, and the failure', async () => {
    // Act: a batch of two events, one failing for group 99
    const summary = (await handler(
      jsonBuffer([
        alarm('a-1'),
        command('c-1', [
          { jobGroupId: '4', action: 'scale', planedJobCount: 9 },
          { jobGroupId: '99', action: 'stop' },
        ]),
      ]),
      eventsContext(),
    )) as EventsSummary;

    // Assess
    expect(summary.counts).toMatchObject({ applied: 1, 'failed-permanent': 1 });
    expect(summary.notify).toMatchObject({ sent: 2, failed: 0 });
    expect(robots.dingtalk.messages).toHaveLength(1);
    expect(robots.receiver.messages).toHaveLength(1);
    const text = (robots.dingtalk.messages[0]!.body as { markdown: { text: string } }).markdown.text;
    expect(text).toContain('Event delivery of 2 events');
    expect(text).toMatch(/- \*\*3\*\* planedJobCount 10 → 30 · rule backlog-scale-up \(event a-1\)/);
    expect(text).toMatch(/- \*\*4\*\* planedJobCount \d+ → 9 · rule builtin:command \(event c-1\)/);
    expect(text).toContain('- **3** pin planedJobCount=30 created, until');
    expect(text).toContain('`InvalidJobGroupId.NotFound` (1): 99');
    expect(robots.receiver.messages[0]?.body).toMatchObject({
      origin: { kind: 'events' },
      counts: { applied: 2, failed: 1, holds: 1 },
      holds: [{ jobGroupId: '3', event: 'created', kind: 'pin', set: { planedJobCount: 30 } }],
    });
  });

  it('sends the digest before failing a delivery for FC to retry, and the failure keeps its code', async () => {
    // Prepare: CityVisual throttles everything
    emu.setFaults({ throttleRate: 1 });

    // Act
    const error = await expectFailure(
      handler(jsonBuffer(command('c-2', [{ jobGroupId: '4', action: 'stop' }])), eventsContext()),
    );

    // Assess
    expect(error.code).toBe('EVENTS_RETRYABLE_FAILURE');
    const summary = (error.details as { summary: EventsSummary }).summary;
    expect(summary.notify).toMatchObject({ sent: 2 });
    expect(robots.receiver.messages[0]?.body).toMatchObject({
      counts: { applied: 0, failed: 1 },
      failed: [{ code: expect.stringMatching(/^Throttling/), jobGroupIds: ['4'] }],
    });
  });

  it('a delivery that changes nothing sends nothing', async () => {
    const summary = (await handler(
      jsonBuffer(event('u-1', { source: 'nobody', type: 'nothing.matches' })),
      eventsContext(),
    )) as EventsSummary;

    expect(summary.notify).toBeUndefined();
    expect(robots.dingtalk.requests() + robots.receiver.requests()).toBe(0);
  });

  it('a hanging channel does not keep the delivery past its deadline, and nothing of it is logged', async () => {
    robots.dingtalk.setFault({ kind: 'hang' });
    const started = Date.now();

    const summary = (await handler(
      jsonBuffer(command('c-3', [{ jobGroupId: '4', action: 'scale', planedJobCount: 9 }])),
      eventsContext({ function: { name: 'events', handler: 'index.handler', memory: 512, timeout: 3 } }),
    )) as EventsSummary;

    expect(Date.now() - started).toBeLessThan(1_600);
    expect(summary.counts.applied).toBe(1);
    expect(summary.notify).toMatchObject({ sent: 1, failed: 1 });
    const haystack = logs.raw.join('\n');
    for (const needle of robotNeedles()) expect(haystack).not.toContain(needle);
  });
});
