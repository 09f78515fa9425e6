import { request as httpRequest } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authHeaders, buildCallRequest, call } from '../../../local/call.js';
import { main as cli } from '../../../local/cli.js';
import {
  canonicalHeaderName,
  type FcEventHandler,
  signedCurlExample,
  startWebhookServer,
  type WebhookServer,
} from '../../../local/dev/webhook-server.js';
import { DEMO_CREDENTIAL } from '../../../local/emulator/index.js';
import { useEmulator } from '../../support/emulator.js';
import { useLogCapture } from '../../support/logs.js';
import { CI_TOKEN, NEW_SECRET, OLD_SECRET, webhookEnv } from './helpers.js';

/** Raw HTTP (node:http, so repeated headers and odd bodies go out exactly as written). */
function send(
  url: string,
  options: {
    method?: string;
    path: string;
    headers?: Record<string, string | string[]>;
    body?: Buffer | string;
  },
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      `${url}${options.path}`,
      { method: options.method ?? 'POST', headers: options.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('canonical header names (Go net/http rules)', () => {
  it.each([
    ['content-type', 'Content-Type'],
    ['x-hub-signature-256', 'X-Hub-Signature-256'],
    ['WEBHOOK-ID', 'Webhook-Id'],
    ['authorization', 'Authorization'],
    ['x_custom', 'X_custom'],
    ['bad header', 'bad header'],
  ])('%s → %s', (name, canonical) => {
    expect(canonicalHeaderName(name)).toBe(canonical);
  });
});

describe('the local webhook server turns HTTP into FC v1 events', () => {
  let server: WebhookServer;
  const events: Array<Record<string, unknown> & { headers: Record<string, string> }> = [];
  let reply: unknown = {
    statusCode: 201,
    headers: { 'X-Test': 'yes' },
    body: '{"ok":true}',
    isBase64Encoded: false,
  };

  beforeAll(async () => {
    const handler: FcEventHandler = async (event, context) => {
      expect(Buffer.isBuffer(event)).toBe(true);
      expect(context.function?.timeout).toBe(60);
      events.push(JSON.parse(event.toString('utf8')));
      if (reply instanceof Error) throw reply;
      return reply;
    };
    // requireJson off: these tests pin the FC event shape of any body (the guard has its own tests).
    server = await startWebhookServer({ handler, maxBodyBytes: 2 * 1024 * 1024, requireJson: false });
  });
  afterAll(() => server.close());

  it('canonicalises header names and joins repeated values with commas', async () => {
    await send(server.url, {
      path: '/v1/batch',
      headers: { 'x-hub-signature-256': 'a', 'x-multi': ['one', 'two'], 'content-type': 'application/json' },
      body: '{}',
    });

    const event = events.at(-1)!;
    expect(event.headers).toMatchObject({
      'X-Hub-Signature-256': 'a',
      'X-Multi': 'one,two',
      'Content-Type': 'application/json',
    });
    expect(event.headers).not.toHaveProperty('Connection');
    expect(event).toMatchObject({ version: 'v1', body: '{}', isBase64Encoded: false });
  });

  it('keeps rawPath encoded, decodes requestContext.http.path and joins repeated query values', async () => {
    await send(server.url, { method: 'GET', path: '/v1/job-groups/a%2Fb/scale?dryRun=true&x=1&x=2' });

    expect(events.at(-1)).toMatchObject({
      rawPath: '/v1/job-groups/a%2Fb/scale',
      queryParameters: { dryRun: 'true', x: '1,2' },
      requestContext: { http: { method: 'GET', path: '/v1/job-groups/a/b/scale', protocol: 'HTTP/1.1' } },
    });
    const context = events.at(-1)!.requestContext as { timeEpoch: unknown; requestId: unknown };
    expect(typeof context.timeEpoch).toBe('string');
    expect(typeof context.requestId).toBe('string');
  });

  it.each([
    ['application/octet-stream', Buffer.from([0, 1, 2, 255]), true],
    ['application/json', Buffer.from([0x7b, 0xff, 0x7d]), true],
    [undefined, Buffer.from('{"a":1}'), true],
    ['application/json; charset=utf-8', Buffer.from('{"名":1}'), false],
    ['text/plain', Buffer.from('hello'), false],
  ])('a %s body is base64-encoded: %s (invalid UTF-8 always is)', async (contentType, body, base64) => {
    await send(server.url, { path: '/x', headers: contentType ? { 'content-type': contentType } : {}, body });

    const event = events.at(-1)!;
    expect(event.isBase64Encoded).toBe(base64);
    expect(base64 ? Buffer.from(event.body as string, 'base64') : Buffer.from(event.body as string)).toEqual(
      body,
    );
  });

  it("writes the handler's struct back, decoding a base64 body", async () => {
    reply = {
      statusCode: 202,
      headers: { 'X-Test': 'b64' },
      body: Buffer.from('binary!').toString('base64'),
      isBase64Encoded: true,
    };

    const answer = await send(server.url, { path: '/x' });

    expect(answer.status).toBe(202);
    expect(answer.headers['x-test']).toBe('b64');
    expect(answer.body.toString()).toBe('binary!');
  });

  it('answers 502 with a JSON error when the handler throws', async () => {
    reply = new Error('boom with a secret inside');

    const answer = await send(server.url, { path: '/x' });

    expect(answer.status).toBe(502);
    expect(answer.body.toString()).not.toContain('secret');
    expect(JSON.parse(answer.body.toString()).error.code).toBe('INTERNAL');
  });

  it('answers 413 above its own body limit without calling the handler', async () => {
    const before = events.length;

    const answer = await send(server.url, { path: '/x', body: Buffer.alloc(2 * 1024 * 1024 + 1, 0x61) });

    expect(answer.status).toBe(413);
    expect(events.length).toBe(before);
  });
});

describe('npm start path: real HTTP → the webhook handler → the emulator', () => {
  // Hooks in this order: logs captured before the emulator starts, restored after it closes.
  useLogCapture('file');
  const emu = useEmulator({ reset: 'never' });
  let server: WebhookServer;

  beforeAll(async () => {
    server = await startWebhookServer({
      env: {
        ...webhookEnv(emu),
        ALIBABA_CLOUD_ACCESS_KEY_ID: DEMO_CREDENTIAL.accessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: DEMO_CREDENTIAL.accessKeySecret,
      },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  const env = () => ({ WEBHOOK_URL: server.url, WEBHOOK_SECRETS: `${OLD_SECRET},${NEW_SECRET}` });

  it('`npm run call -- scale 3 12` signs, scales and prints CityVisual RequestId', async () => {
    const { status, body } = await call(['scale', '3', '12'], env());

    expect(status).toBe(200);
    expect(JSON.parse(body)).toMatchObject({
      jobGroupId: '3',
      changed: true,
      requestId: emu.calls.at(-1)!.requestId,
    });
    expect(emu.jobGroup('3')?.PlanedJobCount).toBe(12);
  });

  it.each([
    [['stop', '1'], '1', 'stopped'],
    [['start', '7'], '7', 'running'],
  ])('`npm run call -- %s` changes the status', async (argv, id, status) => {
    const answer = await call(argv, env());

    expect(answer.status).toBe(200);
    expect(emu.jobGroup(id)?.Status).toBe(status);
  });

  it('`npx autopilot history` reads what was applied through the webhook, as lines or JSON', async () => {
    const scaled = JSON.parse((await call(['scale', '5', '14'], env())).body) as { requestId: string };
    const out: string[] = [];
    const io = (extra: Record<string, string> = {}) => ({
      stdout: (text: string) => out.push(text),
      stderr: (text: string) => out.push(`ERR ${text}`),
      env: { ...env(), ...extra },
      cwd: process.cwd(),
    });

    const json = await cli(['history', '--group', '5', '--json'], io());
    const records = JSON.parse(out.join('')) as Array<{ requestId: string; sent: Record<string, string> }>;
    out.length = 0;
    const text = await cli(['history', '--since', '1h'], io());
    const lines = out.join('');
    out.length = 0;
    const wrong = await cli(
      ['history'],
      io({ WEBHOOK_SECRETS: 'whsec_d3JvbmctbG9jYWwtc2VjcmV0LWZvci10ZXN0cy0zMg==' }),
    );

    expect(json).toBe(0);
    expect(records[0]).toMatchObject({ requestId: scaled.requestId, sent: { PlanedJobCount: '14' } });
    expect(text).toBe(0);
    expect(lines).toMatch(
      new RegExp(
        `group 5  PlanedJobCount=14  by webhook \\S+ POST /v1/job-groups/:jobGroupId/scale  \\[${scaled.requestId}\\]`,
      ),
    );
    expect(wrong).toBe(1);
    expect(out.join('')).toContain('HTTP 401 UNAUTHORIZED');
  });

  it('`npx autopilot hold`, `holds`, `status` and `release` drive holds through the webhook', async () => {
    const out: string[] = [];
    const io = {
      stdout: (text: string) => out.push(text),
      stderr: (text: string) => out.push(`ERR ${text}`),
      env: env(),
      cwd: process.cwd(),
    };
    const take = () => {
      const text = out.join('');
      out.length = 0;
      return text;
    };

    const held = await cli(
      ['hold', '6', '--pin', 'planedJobCount=30', '--for', '4h', '--reason', 'festival'],
      io,
    );
    const { hold } = JSON.parse(take()) as { hold: { id: string } };
    const listed = await cli(['holds', '6'], io);
    const holds = JSON.parse(take()) as { holds: Array<{ id: string; reason: string }> };
    const status = await cli(['status', '6'], io);
    const state = JSON.parse(take()) as { desired: { target: { planedJobCount: number } } };
    const released = await cli(['release', hold.id], io);
    take();
    const again = await cli(['release', hold.id], io);
    const refused = await cli(['hold', '6', '--pause', '--for', '9d'], io);
    const both = await cli(['hold', '6', '--pause', '--pin', 'status=Running', '--for', '1h'], io);

    expect([held, listed, status, released]).toEqual([0, 0, 0, 0]);
    expect(emu.jobGroup('6')?.PlanedJobCount).toBe(30);
    expect(holds.holds).toMatchObject([{ id: hold.id, reason: 'festival' }]);
    expect(state.desired.target.planedJobCount).toBe(30);
    expect(again).toBe(1);
    expect(refused).toBe(1);
    expect(take()).toContain('HTTP 400 INVALID_INPUT');
    expect(both).toBe(2);
  });

  it('`--dry-run` plans without writing', async () => {
    const { status, body } = await call(['scale', '4', '30', '--dry-run'], env());

    expect(status).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ dryRun: true, applied: { PlanedJobCount: '30' } });
    expect(emu.jobGroup('4')?.PlanedJobCount).toBe(6);
  });

  it('a bearer token works when no secret is given', async () => {
    const { status } = await call(['batch', '[{"jobGroupId":"8","action":"stop"}]'], {
      WEBHOOK_URL: server.url,
      WEBHOOK_TOKENS: `ci=${CI_TOKEN}`,
    });

    expect(status).toBe(207);
  });

  it('the printed curl example carries a signature the library verifies', async () => {
    const text = signedCurlExample({ url: server.url, secret: NEW_SECRET });
    const header = (name: string) => new RegExp(`-H '${name}: ([^']+)'`).exec(text)?.[1] ?? '';
    const body = /-d '([^']+)'/.exec(text)?.[1] ?? '';

    expect(() =>
      new Webhook(NEW_SECRET).verify(body, {
        'webhook-id': header('webhook-id'),
        'webhook-timestamp': header('webhook-timestamp'),
        'webhook-signature': header('webhook-signature'),
      }),
    ).not.toThrow();
    const answer = await send(server.url, {
      path: '/v1/job-groups/3/scale',
      headers: {
        'content-type': 'application/json',
        'webhook-id': header('webhook-id'),
        'webhook-timestamp': header('webhook-timestamp'),
        'webhook-signature': header('webhook-signature'),
      },
      body,
    });
    expect(answer.status).toBe(200);
  });

  it('answers 404 JSON for an unknown route and 405 with Allow over real HTTP', async () => {
    const missing = await send(server.url, { method: 'GET', path: '/nope' });
    const wrong = await send(server.url, { method: 'GET', path: '/v1/batch' });

    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body.toString()).error.code).toBe('ROUTE_NOT_FOUND');
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBe('POST');
  });
});

describe('the call helper', () => {
  it.each([
    [['scale', '3', '12'], { method: 'POST', path: '/v1/job-groups/3/scale', body: '{"planedJobCount":12}' }],
    [
      ['scale', '3', '12', '4', '5'],
      {
        method: 'POST',
        path: '/v1/job-groups/3/scale',
        body: '{"planedJobCount":12,"jobCount":4,"streamPerJob":5}',
      },
    ],
    [['stop', '7'], { method: 'POST', path: '/v1/job-groups/7/stop', body: '' }],
    [['start', '7', '--dry-run'], { method: 'POST', path: '/v1/job-groups/7/start?dryRun=true', body: '' }],
    [
      ['patch', '3', '{"status":"Stopped"}'],
      { method: 'PATCH', path: '/v1/job-groups/3', body: '{"status":"Stopped"}' },
    ],
    [['healthz'], { method: 'GET', path: '/healthz', body: '' }],
  ])('%j → %o', (argv, expected) => {
    expect(buildCallRequest(argv)).toEqual(expected);
  });

  it.each([[['scale', '3', 'twelve']], [['explode']], [[]], [['patch', '3', '{bad']]])(
    'refuses %j',
    (argv) => {
      expect(() => buildCallRequest(argv)).toThrow();
    },
  );

  it('signs with the newest secret (the last one) of WEBHOOK_SECRETS', () => {
    const headers = authHeaders('{"a":1}', { WEBHOOK_SECRETS: `${OLD_SECRET},${NEW_SECRET}` });

    expect(() => new Webhook(NEW_SECRET).verify('{"a":1}', headers)).not.toThrow();
  });

  it('sends the token part of a name=token entry as bearer', () => {
    expect(authHeaders('', { WEBHOOK_TOKENS: `ci=${CI_TOKEN}` })).toEqual({
      authorization: `Bearer ${CI_TOKEN}`,
    });
  });
});
