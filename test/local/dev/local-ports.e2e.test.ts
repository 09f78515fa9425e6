import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_WEBHOOK_TOKEN } from '../../../local/dev/defaults.js';
import { type EventsServer, startEventsServer } from '../../../local/dev/events-server.js';
import {
  type FcEventHandler,
  startWebhookServer,
  type WebhookServer,
} from '../../../local/dev/webhook-server.js';
import { type Emulator, startEmulator } from '../../../local/emulator/index.js';

interface Answer {
  status: number;
  headers: Record<string, unknown>;
  json: { error?: { code?: string } } & Record<string, unknown>;
}

/** Raw HTTP with exactly the headers given (Host included, as a rebinding page would send it). */
function send(
  url: string,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}${options.path ?? '/'}`,
      { method: options.method ?? 'POST', headers: options.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json: text ? JSON.parse(text) : {} });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const COMMAND = JSON.stringify({
  specversion: '1.0',
  id: 'e1',
  source: 'ops',
  type: 'autopilot.jobgroup.changes',
  data: { changes: [{ jobGroupId: '8', action: 'scale', planedJobCount: 6 }] },
});

const calls: Buffer[] = [];
const handler: FcEventHandler = async (event) => {
  calls.push(event);
  return { statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"ok":true}' };
};

let events: EventsServer;
let webhook: WebhookServer;
let emulator: Emulator;
beforeAll(async () => {
  events = await startEventsServer({ token: DEV_WEBHOOK_TOKEN, handler });
  webhook = await startWebhookServer({ handler });
  emulator = await startEmulator();
});
afterAll(async () => {
  await events.close();
  await webhook.close();
  await emulator.close();
});

const json = { 'Content-Type': 'application/json' };
const bearer = { Authorization: `Bearer ${DEV_WEBHOOK_TOKEN}` };

describe('the events port of npm start', () => {
  it('applies a CloudEvent POSTed as JSON with the local bearer token', async () => {
    calls.length = 0;

    const answer = await send(events.url, { headers: { ...json, ...bearer }, body: COMMAND });

    expect(answer.status).toBe(200);
    expect(calls.map(String)).toEqual([COMMAND]);
  });

  it.each([
    ['no token', { ...json }, 401, 'UNAUTHORIZED'],
    ['a wrong token', { ...json, Authorization: 'Bearer dev-local-tokeX' }, 401, 'UNAUTHORIZED'],
    [
      'text/plain (a form or fetch without preflight)',
      { ...bearer, 'Content-Type': 'text/plain' },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    ['no content type', { ...bearer }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a foreign Origin', { ...json, ...bearer, Origin: 'https://evil.example' }, 403, 'LOCAL_ORIGIN_REFUSED'],
    ['a rebinding Host', { ...json, ...bearer, Host: 'evil.example:9001' }, 421, 'LOCAL_HOST_REFUSED'],
  ])('refuses a request with %s, as JSON, without calling the function', async (_, headers, status, code) => {
    calls.length = 0;

    const answer = await send(events.url, { headers, body: COMMAND });

    expect({ status: answer.status, code: answer.json.error?.code }).toEqual({ status, code });
    expect(calls).toEqual([]);
  });

  it('refuses a loopback Host naming another port', async () => {
    const answer = await send(events.url, {
      headers: { ...json, ...bearer, Host: `127.0.0.1:${events.port + 1}` },
      body: COMMAND,
    });

    expect(answer.json.error?.code).toBe('LOCAL_HOST_REFUSED');
  });

  it.each(['localhost', '[::1]'])(
    'accepts the loopback name %s with its own port and Origin',
    async (name) => {
      calls.length = 0;
      const own = `${name}:${events.port}`;

      const answer = await send(events.url, {
        headers: { ...json, ...bearer, Host: own, Origin: `http://${own}` },
        body: COMMAND,
      });

      expect(answer.status).toBe(200);
      expect(calls).toHaveLength(1);
    },
  );

  it('answers 405 with Allow for other methods', async () => {
    const answer = await send(events.url, { method: 'GET', headers: bearer });

    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('POST');
    expect(answer.json.error?.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('will not bind to a non-loopback interface', async () => {
    await expect(startEventsServer({ host: '0.0.0.0', token: DEV_WEBHOOK_TOKEN, handler })).rejects.toThrow(
      /loopback only/,
    );
  });
});

describe('the webhook port of npm start', () => {
  it.each([
    ['text/plain', { 'Content-Type': 'text/plain' }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['a foreign Origin', { ...json, Origin: 'http://127.0.0.1.evil.example' }, 403, 'LOCAL_ORIGIN_REFUSED'],
    ['a rebinding Host', { ...json, Host: 'evil.example' }, 421, 'LOCAL_HOST_REFUSED'],
  ])('refuses a request with %s before the function sees it', async (_, headers, status, code) => {
    calls.length = 0;

    const answer = await send(webhook.url, {
      path: '/v1/job-groups/3/scale',
      headers,
      body: '{"planedJobCount":1}',
    });

    expect({ status: answer.status, code: answer.json.error?.code }).toEqual({ status, code });
    expect(calls).toEqual([]);
  });

  it('passes a JSON request from its own origin to the function', async () => {
    calls.length = 0;

    const answer = await send(webhook.url, {
      path: '/v1/job-groups/3/scale',
      headers: { ...json, Origin: webhook.url },
      body: '{"planedJobCount":1}',
    });

    expect(answer.status).toBe(200);
    expect(calls).toHaveLength(1);
  });

  it('will not bind to a non-loopback interface', async () => {
    await expect(startWebhookServer({ host: '0.0.0.0', handler })).rejects.toThrow(/loopback only/);
  });
});

describe('the CityVisual emulator port of npm start', () => {
  it.each([
    ['a foreign Origin', { Origin: 'https://evil.example' }, 403, 'LOCAL_ORIGIN_REFUSED'],
    ['a rebinding Host', { Host: 'evil.example:8787' }, 421, 'LOCAL_HOST_REFUSED'],
  ])('refuses a request with %s before any action runs', async (_, headers, status, code) => {
    const answer = await send(emulator.url, {
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
      body: 'Action=ModifyJobGroup',
    });

    expect({ status: answer.status, code: answer.json.error?.code }).toEqual({ status, code });
    expect(emulator.calls).toEqual([]);
  });

  it('will not bind to a non-loopback interface', async () => {
    await expect(startEmulator({ host: '0.0.0.0' })).rejects.toThrow(/loopback only/);
  });
});
