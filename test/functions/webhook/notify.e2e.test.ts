import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { handler } from '../../../functions/webhook/handler.js';
import { useEmulator } from '../../support/emulator.js';
import { useLogCapture } from '../../support/logs.js';
import { ROBOT_CHANNELS, robotNeedles, useRobots } from '../../support/robots.js';
import {
  type Answer,
  applyEnv,
  auditLines,
  bearer,
  CI_TOKEN,
  fcContext,
  httpEvent,
  invoke,
  signed,
  webhookEnv,
} from './helpers.js';

const emu = useEmulator();
const robots = useRobots();
const logs = useLogCapture('file');
const answers: Answer[] = [];

const TEST_CONFIG = path.resolve(import.meta.dirname, '../../config/events.yaml');

/** The events test config's rules (for the alert hooks), without its registry (live reads), and two channels. */
function writeConfig(): string {
  const { rules } = parseYaml(readFileSync(TEST_CONFIG, 'utf8')) as { rules: unknown[] };
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'webhook-notify-')), 'autopilot.json');
  writeFileSync(
    file,
    JSON.stringify({
      timezone: 'Asia/Shanghai',
      rules,
      notify: { channels: [ROBOT_CHANNELS[0], ROBOT_CHANNELS[3]] },
    }),
  );
  return file;
}
const config = writeConfig();
beforeEach(() => applyEnv({ ...webhookEnv(emu, { AUTOPILOT_CONFIG: config }), ...robots.env }));

async function send(method: string, rawPath: string, body?: unknown, query?: Record<string, string>) {
  const event = httpEvent('scale', {
    method,
    path: rawPath,
    body: body === undefined ? '' : JSON.stringify(body),
    ...(query && { query }),
  });
  const answer = await invoke(handler, signed(event));
  answers.push(answer);
  return answer;
}

const dingtalkText = () =>
  (robots.dingtalk.messages[0]!.body as { markdown: { text: string } }).markdown.text;

describe('webhook notifications', () => {
  it('sends one digest per request: the changes of a batch and the one that failed, the answer unchanged', async () => {
    // Act
    const answer = await send('POST', '/v1/batch', {
      changes: [
        { jobGroupId: '1', action: 'scale', planedJobCount: 12 },
        { jobGroupId: '99', action: 'stop' },
        { jobGroupId: '2', action: 'scale', planedJobCount: 7 },
      ],
    });

    // Assess
    expect(answer.status).toBe(207);
    expect(answer.json).toMatchObject({ succeeded: 2, failed: 1 });
    expect(answer.json).not.toHaveProperty('notify');
    expect(robots.dingtalk.messages).toHaveLength(1);
    expect(robots.receiver.messages).toHaveLength(1);
    const text = dingtalkText();
    expect(text).toMatch(/Webhook POST \/v1\/batch by webhook:[0-9a-f]{8}/);
    expect(text).toMatch(/- \*\*1\*\* planedJobCount 4 → 12 · webhook:[0-9a-f]{8} via POST \/v1\/batch/);
    expect(text).toContain('- **2** planedJobCount 2 → 7');
    expect(text).toContain('`InvalidJobGroupId.NotFound` (1): 99');
    const audit = auditLines(logs.lines).at(-1);
    expect(audit).toMatchObject({
      msg: 'webhook request',
      route: '/v1/batch',
      notify: { sent: 2, failed: 0 },
    });
  });

  it('tells of a pin made and released, with what each applied', async () => {
    const made = await send('POST', '/v1/job-groups/3/holds', {
      kind: 'pin',
      set: { planedJobCount: 30 },
      for: '2h',
      reason: 'match day',
    });
    const holdId = (made.json.hold as { id: string }).id;
    await send('DELETE', `/v1/holds/${encodeURIComponent(holdId)}`);

    expect(made.status).toBe(201);
    expect(robots.receiver.messages).toHaveLength(2);
    expect(robots.receiver.messages[0]?.body).toMatchObject({
      holds: [{ jobGroupId: '3', event: 'created', kind: 'pin', reason: 'match day' }],
      applied: [{ jobGroupId: '3', fields: [{ field: 'planedJobCount', from: 10, to: 30 }] }],
    });
    expect(robots.receiver.messages[1]?.body).toMatchObject({
      holds: [{ jobGroupId: '3', event: 'released' }],
    });
  });

  it('sends nothing for a dry run, a refused caller, a caller mistake, a read, or a replay', async () => {
    await send('POST', '/v1/job-groups/1/scale', { planedJobCount: 5 }, { dryRun: 'true' });
    const refused = await invoke(
      handler,
      httpEvent('scale', { path: '/v1/job-groups/1/scale', body: '{"planedJobCount":5}' }),
    );
    await send('POST', '/v1/job-groups/1/scale', { planedJobCount: -1 });
    await send('POST', '/v1/job-groups/bad%20id/stop', {});
    await send('GET', '/v1/holds');
    const once = signed(httpEvent('scale', { path: '/v1/job-groups/1/scale', body: '{"planedJobCount":6}' }));
    await invoke(handler, once);
    const before = robots.dingtalk.messages.length;
    await invoke(handler, once);

    expect(refused.status).toBe(401);
    expect(before).toBe(1);
    expect(robots.dingtalk.messages).toHaveLength(1);
    expect(robots.dingtalk.requests()).toBe(1);
  });

  it('an Alertmanager notification is one digest: the firing alert applied, the group that does not exist failed', async () => {
    const payload = readFileSync(
      path.resolve(import.meta.dirname, '../../events/alerts/alertmanager-v4.json'),
      'utf8',
    )
      // The resolved alert names a group CityVisual does not have.
      .replace('"jobgroup": "7"', '"jobgroup": "99"');

    const answer = await invoke(
      handler,
      bearer(httpEvent('stop', { path: '/v1/hooks/alertmanager', body: payload })),
    );
    answers.push(answer);

    expect(answer.status).toBe(207);
    expect(robots.receiver.messages).toHaveLength(1);
    expect(robots.receiver.messages[0]?.body).toMatchObject({
      origin: { kind: 'webhook', title: 'Webhook POST /v1/hooks/alertmanager by ci' },
      applied: [
        {
          jobGroupId: '3',
          fields: [{ field: 'planedJobCount', from: 10, to: 30 }],
          by: expect.stringMatching(/^rule am-backlog-firing/),
        },
      ],
      failed: [{ code: 'InvalidJobGroupId.NotFound', jobGroupIds: ['99'] }],
    });
  });

  it('a request that fails upstream is told, and its answer stays the error', async () => {
    emu.setFaults({ errorRate: 1 });

    const answer = await invoke(
      handler,
      bearer(httpEvent('scale', { path: '/v1/job-groups/1/scale', body: '{"planedJobCount":5}' }), CI_TOKEN),
      fcContext(),
    );
    answers.push(answer);

    expect(answer.status).toBeGreaterThanOrEqual(500);
    expect(dingtalkText()).toMatch(/`[A-Za-z_.]+` \(1\): 1: /);
    expect(dingtalkText()).toContain('by ci');
  });

  it('no log line or answer of these requests holds a token, key or secret of a channel', () => {
    const haystack = [...logs.raw, ...answers.map((answer) => answer.body)].join('\n');
    expect(logs.raw.length).toBeGreaterThan(5);
    for (const needle of robotNeedles()) expect(haystack).not.toContain(needle);
  });
});
