import { describe, expect, it } from 'vitest';
import {
  type AlertAuditFacts,
  type AlertWebhookBody,
  type AlertWebhookResponse,
  handleAlertWebhook,
} from '../../../shared/events/index.js';
import type { AlertTool } from '../../../shared/rules/index.js';
import { rulesSection } from '../../../shared/rules/section.js';
import { getRuntime } from '../../../shared/runtime.js';
import { fixture } from '../rules/helpers.js';
import { jsonBuffer, modifyCalls, testInvocation, useEventsEmulator } from './harness.js';

const { emu, logs } = useEventsEmulator();

const payload = (tool: AlertTool): Record<string, unknown> =>
  JSON.parse(fixture(`alerts/${tool === 'alertmanager' ? 'alertmanager-v4' : 'grafana'}.json`).toString());

const post = (tool: AlertTool, body: unknown, facts?: AlertAuditFacts): Promise<AlertWebhookResponse> =>
  handleAlertWebhook(tool, body, testInvocation(), getRuntime([rulesSection]), {
    via: 'token:alertmanager',
    ...(facts && { facts }),
  });

function okBody(response: AlertWebhookResponse): AlertWebhookBody {
  if (response.status === 400) throw new Error(`expected 200/207, got 400: ${JSON.stringify(response.body)}`);
  return response.body;
}

/** The payload with one alert's labels changed. */
function withLabels(tool: AlertTool, index: number, labels: Record<string, string>): Record<string, unknown> {
  const body = payload(tool);
  const alerts = body.alerts as Array<{ labels: Record<string, string> }>;
  alerts[index]!.labels = { ...alerts[index]!.labels, ...labels };
  return body;
}

describe('handleAlertWebhook: each alert goes through the rules as an event', () => {
  it.each([
    ['alertmanager', 'am-backlog-firing', 'am-backlog-resolved', 'prometheus.alertmanager'],
    ['grafana', 'grafana-backlog-firing', 'grafana-backlog-resolved', 'grafana'],
  ] as const)(
    'answers 200 for a %s payload: firing scales up, resolved scales back',
    async (tool, firing, resolved, source) => {
      // Prepare
      const facts: AlertAuditFacts = { jobGroupIds: [], cityVisualRequestIds: [] };

      // Act: the raw body bytes, exactly as the route has them.
      const response = await post(
        tool,
        fixture(`alerts/${tool === 'alertmanager' ? 'alertmanager-v4' : 'grafana'}.json`),
        facts,
      );

      // Assess
      expect(response.status).toBe(200);
      const body = okBody(response);
      expect(body.tool).toBe(tool);
      expect(body.retryable).toBe(false);
      expect(body.counts).toMatchObject({ total: 2, applied: 2 });
      expect(
        body.alerts.map((alert) => [alert.index, alert.source, alert.outcome, alert.rules[0]?.rule]),
      ).toEqual([
        [0, source, 'applied', firing],
        [1, source, 'applied', resolved],
      ]);
      expect(emu.jobGroup('3')?.PlanedJobCount).toBe(30); // label target_count "30"
      expect(emu.jobGroup('7')?.PlanedJobCount).toBe(2);
      expect(facts).toEqual({
        jobGroupIds: ['3', '7'],
        cityVisualRequestIds: expect.arrayContaining(modifyCalls(emu).map((call) => call.requestId)),
        outcome: 'ok',
      });
      expect(logs.lines.filter((line) => line.audit === true)).toEqual([
        expect.objectContaining({
          who: `event:${source}/${body.alerts[0]?.id}`,
          via: 'token:alertmanager',
          rule: firing,
        }),
        expect.objectContaining({
          who: `event:${source}/${body.alerts[1]?.id}`,
          via: 'token:alertmanager',
          rule: resolved,
        }),
      ]);
    },
  );

  it('answers 200 with every alert unchanged when the same notification is sent again', async () => {
    // Act
    await post('alertmanager', payload('alertmanager'));
    const writes = modifyCalls(emu).length;
    const again = okBody(await post('alertmanager', payload('alertmanager')));

    // Assess
    expect(again.counts).toMatchObject({ total: 2, unchanged: 2 });
    expect(modifyCalls(emu)).toHaveLength(writes);
  });

  it('answers 200 when no rule matches an alert (acknowledged, nothing sent)', async () => {
    // Act
    const response = await post('alertmanager', withLabels('alertmanager', 0, { alertname: 'DiskFull' }));

    // Assess
    expect(response.status).toBe(200);
    expect(okBody(response).alerts[0]?.outcome).toBe('unmatched');
  });

  it('answers 207 when a label holds an invalid job group id, and sends nothing for that alert', async () => {
    // Act
    const response = await post('grafana', withLabels('grafana', 0, { jobgroup: '../3' }));

    // Assess
    expect(response.status).toBe(207);
    const body = okBody(response);
    expect(body.alerts[0]).toMatchObject({
      outcome: 'invalid',
      rules: [{ rule: 'grafana-backlog-firing', ok: false, code: 'INVALID_INPUT', field: 'jobGroupId' }],
    });
    expect(body.alerts[1]?.outcome).toBe('applied');
    expect(emu.calls.some((call) => call.params.JobGroupId === '../3')).toBe(false);
  });

  it('answers 207 (not retryable) when CityVisual has no such job group', async () => {
    // Prepare
    const facts: AlertAuditFacts = { jobGroupIds: [], cityVisualRequestIds: [] };

    // Act
    const response = await post('alertmanager', withLabels('alertmanager', 0, { jobgroup: '42' }), facts);

    // Assess
    expect(response.status).toBe(207);
    const body = okBody(response);
    expect(body.retryable).toBe(false);
    expect(body.alerts[0]?.changes[0]).toMatchObject({ jobGroupId: '42', outcome: 'failed-permanent' });
    expect(facts.outcome).toBe('partial');
  });

  it('answers 207 with retryable: true when CityVisual throttles past the retries', async () => {
    // Prepare
    emu.setFaults({ throttleRate: 1 });

    // Act
    const response = await post('alertmanager', payload('alertmanager'));

    // Assess
    expect(response.status).toBe(207);
    const body = okBody(response);
    expect(body.retryable).toBe(true);
    expect(body.counts['failed-retryable']).toBe(2);
  });

  it.each([
    ['alertmanager', Buffer.from('{"version": "4", '), 'INVALID_JSON'],
    ['alertmanager', jsonBuffer({ ...payload('alertmanager'), version: '3' }), 'INVALID_INPUT'],
    ['grafana', jsonBuffer({ receiver: 'x', status: 'firing', alerts: [] }), 'INVALID_INPUT'],
    ['grafana', jsonBuffer(payload('alertmanager')), 'INVALID_INPUT'],
  ] as const)('answers 400 for an unreadable %s payload, with no upstream call', async (tool, body, code) => {
    // Act
    const response = await post(tool, body);

    // Assess
    expect(response.status).toBe(400);
    expect(response.body).toEqual({ error: { code, message: expect.any(String) } });
    expect(emu.stats.requests).toBe(0);
  });
});
