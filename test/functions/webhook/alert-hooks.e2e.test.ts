import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../../functions/webhook/handler.js';
import { useEmulator } from '../../support/emulator.js';
import {
  applyEnv,
  auditLines,
  bearer,
  captureLogs,
  httpEvent,
  invoke,
  upstreamDuring,
  webhookEnv,
} from './helpers.js';

const alerts = (name: string) =>
  readFileSync(path.resolve(import.meta.dirname, '../../events/alerts', `${name}.json`), 'utf8');
const RULES = path.resolve(import.meta.dirname, '../../config/events.yaml');

const emu = useEmulator({ reset: 'afterEach' });

// The Alertmanager fixture holds a firing alert for group 3 (target 30) and a resolved one for group 7.
const post = (tool: 'alertmanager' | 'grafana', body: string, query: Record<string, string> = {}) =>
  bearer(httpEvent('stop', { path: `/v1/hooks/${tool}`, body, query }));

describe('alert hooks on the webhook function', () => {
  beforeAll(() => applyEnv(webhookEnv(emu, { AUTOPILOT_CONFIG: RULES })));

  it('applies an Alertmanager v4 notification through the rules and answers 200 with per-alert outcomes', async () => {
    const logs = captureLogs();
    try {
      const answer = await invoke(handler, post('alertmanager', alerts('alertmanager-v4')));
      expect(answer.status).toBe(200);
      expect(answer.json).toMatchObject({ tool: 'alertmanager', retryable: false });
      expect(emu.jobGroup('3')?.PlanedJobCount).toBe(30);
      expect(emu.jobGroup('7')?.PlanedJobCount).toBe(2);
      const audit = auditLines(logs.lines).find((line) => line.action === 'alertmanager');
      expect(audit).toMatchObject({ who: 'ci', status: 200 });
    } finally {
      logs.restore();
    }
  });

  it('applies a Grafana notification the same way', async () => {
    const answer = await invoke(handler, post('grafana', alerts('grafana')));
    expect(answer.status).toBe(200);
    expect(emu.calls.filter((call) => call.action === 'ModifyJobGroup').length).toBeGreaterThan(0);
  });

  it('answers Alertmanager 503 with Retry-After when CityVisual throttles past the retries, so it resends', async () => {
    // Alertmanager's webhook notifier retries 5xx only: a 429 would drop the notification.
    emu.setFaults({ throttleRate: 1 });
    const answer = await invoke(handler, post('alertmanager', alerts('alertmanager-v4')));
    expect(answer.status).toBe(503);
    expect(answer.headers['Retry-After']).toBe('30');
    expect(answer.json).toMatchObject({ retryable: true });
  });

  it('answers Grafana 429 with Retry-After when CityVisual throttles past the retries', async () => {
    emu.setFaults({ throttleRate: 1 });
    const answer = await invoke(handler, post('grafana', alerts('grafana')));
    expect(answer.status).toBe(429);
    expect(answer.headers['Retry-After']).toBe('30');
    expect(answer.json).toMatchObject({ tool: 'grafana', retryable: true });
  });

  it('answers Grafana 503 with Retry-After when CityVisual stays unavailable', async () => {
    emu.setFaults({ errorRate: 1 });
    const answer = await invoke(handler, post('grafana', alerts('grafana')));
    expect(answer.status).toBe(503);
    expect(answer.headers['Retry-After']).toBe('30');
  });

  it('answers 400 for a payload that is not an Alertmanager notification, with no upstream call', async () => {
    const { result, requests } = await upstreamDuring(emu, () =>
      invoke(handler, post('alertmanager', '{"hello":"world"}')),
    );
    expect(result.status).toBe(400);
    expect(result.json.error?.code).toBe('INVALID_INPUT');
    expect(requests).toBe(0);
  });

  it('answers 401 without a bearer token', async () => {
    const event = httpEvent('stop', { path: '/v1/hooks/grafana', body: alerts('grafana') });
    const { result, requests } = await upstreamDuring(emu, () => invoke(handler, event));
    expect(result.status).toBe(401);
    expect(requests).toBe(0);
  });
});
