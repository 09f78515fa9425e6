import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../../functions/webhook/handler.js';
import { makeFleetSeed } from '../../../local/emulator/seed.js';
import { useEmulator } from '../../support/emulator.js';
import {
  applyEnv,
  auditLines,
  bearer,
  CI_TOKEN,
  captureLogs,
  httpEvent,
  invoke,
  upstreamDuring,
  webhookEnv,
} from './helpers.js';

// What Alertmanager and Grafana really send, beyond the happy path (issue: real alert inputs).
const fixture = (name: string) =>
  JSON.parse(
    readFileSync(path.resolve(import.meta.dirname, '../../events/alerts', `${name}.json`), 'utf8'),
  ) as Record<string, unknown> & { alerts: Array<Record<string, unknown>> };
const RULES = path.resolve(import.meta.dirname, '../../config/events.yaml');

type Alert = { status: 'firing' | 'resolved'; jobgroup: string; target?: string; instance: string };

/** An Alertmanager v4 notification for StreamBacklogHigh alerts, in the order given (by labels). */
function notification(alerts: readonly Alert[], extra: Record<string, unknown> = {}): string {
  const base = fixture('alertmanager-v4');
  return JSON.stringify({
    ...base,
    status: alerts.some((alert) => alert.status === 'firing') ? 'firing' : 'resolved',
    alerts: alerts.map((alert, index) => ({
      status: alert.status,
      labels: {
        alertname: 'StreamBacklogHigh',
        team: 'video',
        jobgroup: alert.jobgroup,
        target_count: alert.target ?? '8',
        instance: alert.instance,
      },
      annotations: { summary: `backlog on ${alert.jobgroup}` },
      startsAt: '2024-05-20T01:00:00.000Z',
      endsAt: alert.status === 'resolved' ? '2024-05-20T01:30:00.000Z' : '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.monitoring:9090/graph',
      fingerprint: `f${String(index).padStart(15, '0')}`,
    })),
    ...extra,
  });
}

const hook = (
  tool: 'alertmanager' | 'grafana',
  body: string,
  options: { query?: Record<string, string>; method?: string; auth?: string } = {},
) => {
  const event = httpEvent('stop', {
    path: `/v1/hooks/${tool}`,
    body,
    ...(options.query && { query: options.query }),
    ...(options.method && { method: options.method }),
  });
  if (options.auth !== undefined) {
    event.headers.Authorization = options.auth;
    return event;
  }
  return bearer(event);
};

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('alert notifications as the tools send them', () => {
  const emu = useEmulator();
  beforeAll(() => applyEnv(webhookEnv(emu, { AUTOPILOT_CONFIG: RULES })));
  const writes = () => emu.calls.filter((call) => call.action === 'ModifyJobGroup');

  it('firing beats resolved for one group, whatever the order of the alerts in the notification', async () => {
    // Alertmanager sorts by labels: the resolved alert of instance cv-gateway-2 comes after the firing one.
    const body = notification([
      { status: 'firing', jobgroup: '3', target: '30', instance: 'cv-gateway-1:9100' },
      { status: 'resolved', jobgroup: '3', instance: 'cv-gateway-2:9100' },
    ]);

    const answer = await invoke(handler, hook('alertmanager', body));

    expect(answer.status).toBe(200);
    expect(emu.jobGroup('3')?.PlanedJobCount).toBe(30);
    const [firing, resolved] = answer.json.alerts as Array<{
      changes: Array<{ outcome: string; superseded?: boolean; message?: string }>;
    }>;
    expect(firing?.changes[0]).toMatchObject({ outcome: 'applied' });
    expect(resolved?.changes[0]).toMatchObject({ outcome: 'unchanged', superseded: true });
    expect(resolved?.changes[0]?.message).toContain('firing wins over resolved');
  });

  it('among firing alerts for one group the largest count wins, in either order', async () => {
    const alerts = (jobgroup: string): Alert[] => [
      { status: 'firing', jobgroup, target: '25', instance: 'a' },
      { status: 'firing', jobgroup, target: '12', instance: 'b' },
    ];

    const answer = await invoke(handler, hook('alertmanager', notification(alerts('4'))));
    await invoke(handler, hook('alertmanager', notification(alerts('6').reverse())));

    expect(emu.jobGroup('4')?.PlanedJobCount).toBe(25);
    expect(emu.jobGroup('6')?.PlanedJobCount).toBe(25);
    expect(writes()).toHaveLength(2);
    expect(JSON.stringify(answer.json)).toContain('largest count');
  });

  it('a lone resolved alert still applies (firing wins only where one fires)', async () => {
    await invoke(
      handler,
      hook('alertmanager', notification([{ status: 'resolved', jobgroup: '5', instance: 'a' }])),
    );

    expect(emu.jobGroup('5')?.PlanedJobCount).toBe(2);
  });

  it('accepts more than 1,000 alerts: the bound is on the changes they lead to, not on the alerts', async () => {
    const alerts: Alert[] = Array.from({ length: 1_200 }, (_, index) => ({
      status: 'firing',
      jobgroup: String(1 + (index % 4)),
      target: String(10 + (index % 7)),
      instance: `gw-${index}`,
    }));

    const answer = await invoke(handler, hook('alertmanager', notification(alerts)));

    expect(answer.status).toBe(200);
    expect((answer.json.alerts as unknown[]).length).toBe(1_200);
    expect(writes().length).toBeLessThanOrEqual(4);
    expect(emu.jobGroup('1')?.PlanedJobCount).toBe(16);
  });

  it('reports what the sender truncated, in the answer and as a warning', async () => {
    const logs = captureLogs();
    try {
      const body = notification([{ status: 'firing', jobgroup: '6', target: '9', instance: 'a' }], {
        truncatedAlerts: 37,
      });

      const answer = await invoke(handler, hook('alertmanager', body));

      expect(answer.json).toMatchObject({ truncatedAlerts: 37 });
      expect(logs.lines.find((line) => String(line.msg).includes('truncated'))).toMatchObject({
        level: 'warn',
        tool: 'alertmanager',
        truncatedAlerts: 37,
      });
    } finally {
      logs.restore();
    }
  });

  it('?dryRun=true answers the changes that would be applied and sends and stores nothing', async () => {
    const body = notification([{ status: 'firing', jobgroup: '3', target: '30', instance: 'a' }]);

    const { result, calls } = await upstreamDuring(emu, () =>
      invoke(handler, hook('alertmanager', body, { query: { dryRun: 'true' } })),
    );
    const real = await invoke(handler, hook('alertmanager', body));

    expect(result.status).toBe(200);
    expect(result.json).toMatchObject({
      dryRun: true,
      alerts: [{ changes: [{ outcome: 'applied', planned: { PlanedJobCount: '30' } }] }],
    });
    expect(calls).not.toContain('ModifyJobGroup');
    // Nothing was stored either: the real notification afterwards is not "already applied".
    expect(real.json).toMatchObject({ dryRun: false, alerts: [{ changes: [{ outcome: 'applied' }] }] });
    expect(emu.jobGroup('3')?.PlanedJobCount).toBe(30);
  });

  it("Grafana's own fields reach the rules, and its PUT is accepted", async () => {
    const body = fixture('grafana');

    const put = await invoke(handler, hook('grafana', JSON.stringify(body), { method: 'PUT' }));
    const putOther = await invoke(handler, hook('alertmanager', notification([]), { method: 'PUT' }));

    expect(put.status).toBe(200);
    expect(emu.jobGroup('3')?.PlanedJobCount).toBe(30);
    expect(putOther.status).toBe(405);
  });

  describe('Basic auth, as Alertmanager basic_auth and Grafana send it', () => {
    it('is accepted on the alert hooks when the password is a token; the user names the caller', async () => {
      const logs = captureLogs();
      try {
        const body = notification([{ status: 'firing', jobgroup: '7', target: '11', instance: 'a' }]);

        const answer = await invoke(
          handler,
          hook('alertmanager', body, { auth: basic('am-prod', CI_TOKEN) }),
        );

        expect(answer.status).toBe(200);
        expect(emu.jobGroup('7')?.PlanedJobCount).toBe(11);
        const line = auditLines(logs.lines).findLast((l) => l.msg === 'webhook request');
        expect(line).toMatchObject({ who: 'am-prod', via: 'basic', account: 'ci', status: 200 });
        expect(JSON.stringify(logs.lines)).not.toContain(CI_TOKEN);
      } finally {
        logs.restore();
      }
    });

    it.each([
      ['a wrong password', () => basic('am-prod', 'tok_wrong_0000000000000000000000000000'), 'alertmanager'],
      ['no colon', () => `Basic ${Buffer.from(CI_TOKEN).toString('base64')}`, 'alertmanager'],
      ['not base64', () => 'Basic !!!', 'alertmanager'],
    ])('refuses %s with 401 and no upstream call', async (_, auth, tool) => {
      const body = notification([{ status: 'firing', jobgroup: '7', target: '11', instance: 'a' }]);

      const { result, requests } = await upstreamDuring(emu, () =>
        invoke(handler, hook(tool as 'alertmanager', body, { auth: auth() })),
      );

      expect(result.status).toBe(401);
      expect(requests).toBe(0);
    });

    it('is refused on every other route, with a message that says where it works', async () => {
      const event = httpEvent('scale');
      event.headers.Authorization = basic('ops', CI_TOKEN);

      const { result, requests } = await upstreamDuring(emu, () => invoke(handler, event));

      expect(result.status).toBe(401);
      expect(result.json.error?.message).toContain('only on the alert hooks');
      expect(requests).toBe(0);
    });
  });
});

describe('an incident past the batch limit: 600 groups in one notification', () => {
  const emu = useEmulator({ seed: makeFleetSeed(600) });
  // The account's quota is the emulator's here: this request may send 1,000 calls a second.
  const fastRules = path.join(mkdtempSync(path.join(tmpdir(), 'alert-rules-')), 'events.yaml');
  writeFileSync(fastRules, `${readFileSync(RULES, 'utf8')}\nlimits: { qps: 1000 }\n`);
  beforeAll(() =>
    applyEnv(webhookEnv(emu, { AUTOPILOT_CONFIG: fastRules, CITYVISUAL_INSTANCE_ID: 'cv-fleet-instance' })),
  );

  it('applies 500 groups, answers 503 with Retry-After saying why, and the resend applies the rest', async () => {
    const body = notification(
      Array.from({ length: 600 }, (_, index) => ({
        status: 'firing' as const,
        jobgroup: String(index + 1),
        target: '40',
        instance: `gw-${index}`,
      })),
    );

    const first = await invoke(handler, hook('alertmanager', body));
    const afterFirst = emu.calls.filter((call) => call.action === 'ModifyJobGroup').length;
    const second = await invoke(handler, hook('alertmanager', body));

    expect(first.status).toBe(503);
    expect(first.headers['Retry-After']).toBeDefined();
    const deferred = (first.json.alerts as Array<{ changes: Array<{ code?: string; message?: string }> }>)
      .flatMap((alert) => alert.changes)
      .filter((change) => change.code === 'TOO_MANY_CHANGES');
    expect(deferred).toHaveLength(100);
    expect(deferred[0]?.message).toContain('more than 500 job groups');
    expect(afterFirst).toBe(500);
    expect(second.status).toBe(200);
    expect(emu.calls.filter((call) => call.action === 'ModifyJobGroup').length).toBe(600);
    expect(emu.jobGroup('600')?.PlanedJobCount).toBe(40);
  }, 60_000);
});
