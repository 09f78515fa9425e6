import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CloudEventSchema } from '../../../shared/fc/eventbridge.js';
import {
  ALERT_EVENT_TYPES,
  ALERT_SOURCES,
  AlertmanagerPayloadSchema,
  alertmanagerToEvents,
  parseAlertWebhook,
} from '../../../shared/rules/alerts.js';
import { evaluateEvent } from '../../../shared/rules/evaluate.js';
import { fixture, rulesFromYaml } from './helpers.js';

const alertmanagerBody = fixture('alerts/alertmanager-v4.json');
const grafanaBody = fixture('alerts/grafana.json');

function eventsOf(tool: 'alertmanager' | 'grafana', body: unknown) {
  const result = parseAlertWebhook(tool, body);
  if (!result.ok) throw new Error(result.message);
  return result.events;
}

describe('Alertmanager webhook → CloudEvents', () => {
  it('makes one event per alert, firing and resolved', () => {
    const events = eventsOf('alertmanager', alertmanagerBody);

    expect(events).toEqual([
      {
        specversion: '1.0',
        id: 'a1b2c3d4e5f60718:2024-05-20T01:15:00.000Z:firing',
        source: 'prometheus.alertmanager',
        type: 'alertmanager.alert.firing',
        subject: 'StreamBacklogHigh',
        time: '2024-05-20T01:15:00.000Z',
        datacontenttype: 'application/json',
        data: {
          status: 'firing',
          labels: {
            alertname: 'StreamBacklogHigh',
            severity: 'critical',
            team: 'video',
            jobgroup: '3',
            target_count: '30',
            instance: 'cv-gateway-1:9100',
          },
          annotations: {
            summary: 'Stream backlog above 1000 for job group 3',
            description: 'Backlog is 1520 frames.',
          },
          startsAt: '2024-05-20T01:15:00.000Z',
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://prometheus.monitoring:9090/graph?g0.expr=stream_backlog+%3E+1000&g0.tab=1',
          fingerprint: 'a1b2c3d4e5f60718',
          receiver: 'jobgroup-autopilot',
          groupKey: '{}/{team="video"}:{alertname="StreamBacklogHigh"}',
          externalURL: 'http://alertmanager.monitoring:9093',
        },
      },
      expect.objectContaining({
        id: '0f1e2d3c4b5a6978:2024-05-20T00:40:00.000Z:resolved',
        type: ALERT_EVENT_TYPES.alertmanager.resolved,
        time: '2024-05-20T01:14:30.000Z',
        data: expect.objectContaining({ status: 'resolved', endsAt: '2024-05-20T01:14:30.000Z' }),
      }),
    ]);
  });

  it('produces events CloudEventSchema accepts', () => {
    for (const event of eventsOf('alertmanager', alertmanagerBody)) {
      expect(CloudEventSchema.safeParse(event).success).toBe(true);
      expect(z.json().optional().safeParse(event.data).success).toBe(true);
    }
  });

  it('gives a redelivered notification the same ids, and a state change a new one', () => {
    const payload = AlertmanagerPayloadSchema.parse(JSON.parse(alertmanagerBody.toString('utf8')));
    const firstAlert = payload.alerts[0]!;

    const first = alertmanagerToEvents(payload).map((event) => event.id);
    const again = alertmanagerToEvents(payload).map((event) => event.id);
    const [resolved] = alertmanagerToEvents({ ...payload, alerts: [{ ...firstAlert, status: 'resolved' }] });

    expect(again).toEqual(first);
    expect(resolved?.id).not.toBe(first[0]);
  });

  it('computes a fingerprint from the labels (order-insensitive) when none is sent', () => {
    const payload = AlertmanagerPayloadSchema.parse(JSON.parse(alertmanagerBody.toString('utf8')));
    const { fingerprint: _, ...alert } = payload.alerts[0]!;
    const reordered = { ...alert, labels: Object.fromEntries(Object.entries(alert.labels).reverse()) };

    const [a, b] = alertmanagerToEvents({ ...payload, alerts: [alert, reordered] });

    expect(a?.id).toMatch(/^[0-9a-f]{16}:2024-05-20T01:15:00.000Z:firing$/);
    expect(b?.id).toBe(a?.id);
  });

  it('accepts a parsed body and text as well as a Buffer', () => {
    const text = alertmanagerBody.toString('utf8');

    expect(eventsOf('alertmanager', text)).toEqual(eventsOf('alertmanager', alertmanagerBody));
    expect(eventsOf('alertmanager', JSON.parse(text))).toEqual(eventsOf('alertmanager', alertmanagerBody));
  });
});

describe('Grafana webhook → CloudEvents', () => {
  it('makes one event per alert, with the Grafana-only fields in data', () => {
    const [firing, resolved] = eventsOf('grafana', grafanaBody);

    expect(firing).toEqual({
      specversion: '1.0',
      id: '57c6d9296de2ad39:2024-05-20T01:15:00Z:firing',
      source: ALERT_SOURCES.grafana,
      type: 'grafana.alert.firing',
      subject: 'Stream backlog',
      time: '2024-05-20T01:15:00Z',
      datacontenttype: 'application/json',
      data: {
        status: 'firing',
        labels: {
          alertname: 'Stream backlog',
          grafana_folder: 'CityVisual',
          jobgroup: '3',
          target_count: '30',
        },
        annotations: { summary: 'Backlog above 1000 on job group 3' },
        startsAt: '2024-05-20T01:15:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'https://grafana.example.com/alerting/grafana/cdn3kq2w1ed4wc/view?orgId=1',
        fingerprint: '57c6d9296de2ad39',
        orgId: 1,
        title: '[FIRING:1, RESOLVED:1] Stream backlog (CityVisual)',
        state: 'alerting',
        message: expect.stringContaining('**Firing**'),
        values: { A: 1520, B: 1 },
        valueString: "[ var='A' labels={jobgroup=3} value=1520 ], [ var='B' labels={jobgroup=3} value=1 ]",
        silenceURL: expect.stringContaining('/alerting/silence/new'),
        dashboardURL: 'https://grafana.example.com/d/cv-streams?orgId=1',
        panelURL: 'https://grafana.example.com/d/cv-streams?orgId=1&viewPanel=4',
        receiver: 'jobgroup-autopilot',
        groupKey: '{}/{}:{alertname="Stream backlog"}',
        externalURL: 'https://grafana.example.com/',
      },
    });
    expect(resolved).toMatchObject({ type: 'grafana.alert.resolved', time: '2024-05-20T01:14:30Z' });
    expect(resolved?.data).not.toHaveProperty('values');
  });

  it("carries the rule's UID: the alert's ruleUID, else its __alert_rule_uid__ label", () => {
    const payload = JSON.parse(grafanaBody.toString('utf8')) as {
      alerts: Array<Record<string, unknown> & { labels: Record<string, string> }>;
    };
    (payload.alerts[0] as Record<string, unknown>).ruleUID = 'cdn3kq2w1ed4wc';
    (payload.alerts[1] as { labels: Record<string, string> }).labels.__alert_rule_uid__ = 'fe1x9b';

    const [first, second] = eventsOf('grafana', JSON.stringify(payload));

    expect(first?.data).toHaveProperty('ruleUID', 'cdn3kq2w1ed4wc');
    expect(second?.data).toHaveProperty('ruleUID', 'fe1x9b');
  });

  it('accepts more than 1,000 alerts and reports what the sender truncated', () => {
    const payload = JSON.parse(grafanaBody.toString('utf8')) as {
      alerts: unknown[];
      truncatedAlerts: number;
    };
    payload.alerts = Array.from({ length: 1_500 }, () => payload.alerts[0]);
    payload.truncatedAlerts = 12;

    const result = parseAlertWebhook('grafana', JSON.stringify(payload));

    expect(result).toMatchObject({ ok: true, truncatedAlerts: 12 });
    expect(result.ok && result.events).toHaveLength(1_500);
  });

  it('produces events CloudEventSchema accepts', () => {
    for (const event of eventsOf('grafana', grafanaBody)) {
      expect(CloudEventSchema.safeParse(event).success).toBe(true);
      expect(z.json().optional().safeParse(event.data).success).toBe(true);
    }
  });
});

describe('parseAlertWebhook: bad bodies', () => {
  const legacyGrafana = { ruleName: 'x', state: 'alerting', evalMatches: [], title: 't' };

  it.each([
    ['a Grafana payload at the Alertmanager route', 'alertmanager' as const, grafanaBody, 'version'],
    ['an Alertmanager payload at the Grafana route', 'grafana' as const, alertmanagerBody, 'version'],
    ['a legacy Grafana payload', 'grafana' as const, legacyGrafana, 'version'],
    [
      'an alert with an unknown status',
      'alertmanager' as const,
      {
        ...JSON.parse(alertmanagerBody.toString('utf8')),
        alerts: [{ status: 'pending', labels: {}, startsAt: 'x' }],
      },
      'alerts[0].status',
    ],
    [
      'a label that is not a string',
      'alertmanager' as const,
      {
        ...JSON.parse(alertmanagerBody.toString('utf8')),
        alerts: [{ status: 'firing', labels: { jobgroup: 3 }, startsAt: 'x' }],
      },
      'alerts[0].labels.jobgroup',
    ],
  ])('rejects %s as INVALID_INPUT naming the field', (_label, tool, body, field) => {
    expect(parseAlertWebhook(tool, body)).toEqual({
      ok: false,
      code: 'INVALID_INPUT',
      message: expect.stringContaining(field),
    });
  });

  it('rejects a body that is not JSON as INVALID_JSON', () => {
    expect(parseAlertWebhook('grafana', Buffer.from('{"alerts": ['))).toEqual({
      ok: false,
      code: 'INVALID_JSON',
      message: expect.any(String),
    });
  });

  it('drops __proto__ and constructor keys from labels', () => {
    const body = alertmanagerBody
      .toString('utf8')
      .replace('"severity": "critical",', '"__proto__": "x", "constructor": "y", "severity": "critical",');

    const [event] = eventsOf('alertmanager', body);

    expect(event?.data).toMatchObject({ labels: expect.any(Object) });
    const labels = (event?.data ?? {}) as { labels?: object };
    expect(Object.keys(labels.labels ?? {})).toEqual([
      'alertname',
      'severity',
      'team',
      'jobgroup',
      'target_count',
      'instance',
    ]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('alerts through the rules', () => {
  const rules = rulesFromYaml(`
- name: backlog-alert
  match:
    source: [prometheus.alertmanager, grafana]
    type: [alertmanager.alert.firing, grafana.alert.firing]
    data: { labels: { alertname: [StreamBacklogHigh, Stream backlog] } }
  then: { action: scale, jobGroupId: { from: data.labels.jobgroup }, planedJobCount: { from: data.labels.target_count } }
- name: backlog-resolved
  match:
    type: [{ prefix: alertmanager.alert.resolved }, grafana.alert.resolved]
  then: { action: scale, jobGroupId: { from: data.labels.jobgroup }, planedJobCount: 10 }
`);

  it.each([
    ['alertmanager' as const, alertmanagerBody],
    ['grafana' as const, grafanaBody],
  ])('scales from %s labels (string counts coerced) and scales back on resolve', (tool, body) => {
    const outcomes = eventsOf(tool, body).map((event) => evaluateEvent(rules, event).matched);

    expect(outcomes).toEqual([
      [
        {
          rule: 'backlog-alert',
          result: { ok: true, changes: [{ action: 'scale', jobGroupId: '3', planedJobCount: 30 }] },
        },
      ],
      [
        {
          rule: 'backlog-resolved',
          result: { ok: true, changes: [{ action: 'scale', jobGroupId: '7', planedJobCount: 10 }] },
        },
      ],
    ]);
  });

  it("matches on Grafana's own fields: the notification's state and orgId, the alert's valueString", () => {
    const grafanaRules = rulesFromYaml(`
- name: grafana-state
  match:
    source: grafana
    data: { state: alerting, orgId: 1, valueString: { prefix: "[ var='A'" } }
  then: { action: scale, jobGroupId: { from: data.labels.jobgroup }, planedJobCount: 12, holdFor: 2h }
`);

    const [firing, resolved] = eventsOf('grafana', grafanaBody);

    expect(evaluateEvent(grafanaRules, firing as never).matched).toEqual([
      {
        rule: 'grafana-state',
        result: {
          ok: true,
          changes: [{ action: 'scale', jobGroupId: '3', planedJobCount: 12 }],
          holdForMs: 7_200_000,
        },
      },
    ]);
    expect(evaluateEvent(grafanaRules, resolved as never).matched).toEqual([]);
  });
});
