import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CityVisualClient } from '../../../shared/cityvisual/client.js';
import type { ModifyJobGroupRequest } from '../../../shared/cityvisual/contract.js';
import { parseEnv } from '../../../shared/config/env.js';
import { ConfigFileSchema } from '../../../shared/config/file.js';
import { AutopilotError } from '../../../shared/errors.js';
import { decodeHttpEvent } from '../../../shared/fc/http.js';
import { createFcHandler } from '../../../shared/handler.js';
import { logger } from '../../../shared/log.js';
import type { Runtime } from '../../../shared/runtime.js';
import {
  applyChanges,
  BATCH_CONCURRENCY,
  createWebhookApp,
  registerRoutes,
  WEBHOOK_ROUTES,
  type WebhookRoute,
  webhookRoutes,
} from '../../../shared/webhook/index.js';
import { captureLogs, type LogLine } from '../../support/logs.js';

const TOKEN = 'tok-for-app-tests-0123456789abcdef';
const registry = Object.fromEntries(
  ['1', '2', '3', '4', '5', '6', '7', '8', 'slow', 'fail'].map((id) => [
    id,
    { jobGroupName: `Group-${id}`, algoLibId: '2', resourceProfileId: '23' },
  ]),
);

function runtime(env: Record<string, string> = { WEBHOOK_TOKENS: `ops=${TOKEN}` }): Runtime {
  return {
    env: parseEnv(env),
    config: ConfigFileSchema.parse({ jobGroups: registry }),
  };
}

/** A CityVisualClient fake injected at the seam: records writes, in-flight peak, and fails on request. */
function fakeClient() {
  const state = { writes: [] as ModifyJobGroupRequest[], inFlight: 0, peak: 0, built: 0 };
  const client: CityVisualClient = {
    async modifyJobGroup(request) {
      state.inFlight++;
      state.peak = Math.max(state.peak, state.inFlight);
      await new Promise((resolve) => setTimeout(resolve, request.JobGroupId === 'slow' ? 30 : 5));
      state.inFlight--;
      if (request.JobGroupId === 'fail')
        throw new AutopilotError('InternalError', { upstream: { requestId: 'RID-fail' } });
      state.writes.push(request);
      return { requestId: `RID-${state.writes.length}`, attempts: 1 };
    },
    describeJobGroups: async () => {
      throw new Error('not used: no instance id');
    },
    describeJobGroup: async () => undefined,
  };
  return { client, state };
}

function event(method: string, path: string, body = '', query: Record<string, string> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      version: 'v1',
      rawPath: path,
      body,
      isBase64Encoded: false,
      headers: { Authorization: `Bearer ${TOKEN}`, ...(body && { 'Content-Type': 'application/json' }) },
      queryParameters: query,
      requestContext: { requestId: 'r', http: { method, path } },
    }),
  );
}

let lines: LogLine[];
let restore: () => void;
beforeEach(() => {
  ({ lines, restore } = captureLogs());
});
afterEach(() => {
  restore();
  delete process.env.LOG_LEVEL;
});

function build(routes?: readonly WebhookRoute[], rt = runtime()) {
  const fake = fakeClient();
  const app = createWebhookApp({
    ...(routes && { routes }),
    runtime: () => rt,
    client: () => {
      fake.state.built++;
      return fake.client;
    },
  });
  const handler = createFcHandler({ decode: decodeHttpEvent, errors: 'http', run: app });
  const call = async (buffer: Buffer) => {
    const response = (await handler(buffer, { requestId: 'inv-1' })) as { statusCode: number; body: string };
    return { status: response.statusCode, json: JSON.parse(response.body) };
  };
  return { call, fake };
}

describe('batch execution', () => {
  it(`runs at most ${BATCH_CONCURRENCY} groups at once, keeps request order in the results`, async () => {
    const { call, fake } = build(WEBHOOK_ROUTES);
    const changes = ['slow', '1', '2', '3', '4', '5', '6', '7', '8'].map((id, i) => ({
      jobGroupId: id,
      action: 'scale',
      planedJobCount: i,
    }));

    const { status, json } = await call(event('POST', '/v1/batch', JSON.stringify({ changes })));

    expect(status).toBe(207);
    expect(json.results.map((r: { jobGroupId: string }) => r.jobGroupId)).toEqual(
      changes.map((c) => c.jobGroupId),
    );
    expect(fake.state.peak).toBeLessThanOrEqual(BATCH_CONCURRENCY);
    expect(fake.state.peak).toBeGreaterThan(1);
  });

  it('applies changes to one group one after another, in request order', async () => {
    const fake = fakeClient();
    const counts = [5, 6, 7, 8];

    const results = await applyChanges(
      counts.map((n) => ({ jobGroupId: '3', action: 'scale', planedJobCount: n })),
      {
        deps: () => ({ client: fake.client, registry }),
        dryRun: false,
        deadline: Date.now() + 10_000,
      },
    );

    expect(fake.state.peak).toBe(1);
    expect(fake.state.writes.map((w) => w.PlanedJobCount)).toEqual(counts);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
  });

  it('turns an upstream failure into its entry and goes on (503: the failure is retryable)', async () => {
    const { call } = build(WEBHOOK_ROUTES);
    const changes = [
      { jobGroupId: 'fail', action: 'stop' },
      { jobGroupId: '1', action: 'stop' },
    ];

    const { status, json } = await call(event('POST', '/v1/batch', JSON.stringify({ changes })));

    expect(status).toBe(503);
    expect(json.results).toMatchObject([
      { index: 0, jobGroupId: 'fail', status: 502, error: { code: 'InternalError', requestId: 'RID-fail' } },
      { index: 1, jobGroupId: '1', status: 200, changed: true, requestId: 'RID-1' },
    ]);
    const audit = lines.find((line) => line.audit === true)!;
    expect(audit).toMatchObject({
      who: 'ops',
      action: 'batch',
      jobGroupIds: ['fail', '1'],
      outcome: 'partial',
      status: 503,
      cityVisualRequestIds: ['RID-1'],
    });
  });
});

describe('the CityVisual client is built only when a call is made', () => {
  it.each([
    [
      'a dry run without live reads',
      event('POST', '/v1/job-groups/3/scale', '{"planedJobCount":4}', { dryRun: 'true' }),
      0,
    ],
    ['invalid input', event('POST', '/v1/job-groups/3/scale', '{"planedJobCount":-4}'), 0],
    ['an unknown route', event('POST', '/v1/nope'), 0],
    ['a write', event('POST', '/v1/job-groups/3/scale', '{"planedJobCount":4}'), 1],
  ])('%s builds %i clients', async (_case, buffer, built) => {
    const { call, fake } = build(WEBHOOK_ROUTES);

    await call(buffer);

    expect(fake.state.built).toBe(built);
  });

  it('credentials missing is a 500 without detail only when a call is needed', async () => {
    const app = createWebhookApp({ routes: WEBHOOK_ROUTES, runtime: () => runtime() });
    const handler = createFcHandler({ decode: decodeHttpEvent, errors: 'http', run: app });
    const saved = {
      id: process.env.ALIBABA_CLOUD_ACCESS_KEY_ID,
      secret: process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET,
    };
    delete process.env.ALIBABA_CLOUD_ACCESS_KEY_ID;
    delete process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;

    const dry = (await handler(
      event('POST', '/v1/job-groups/3/scale', '{"planedJobCount":4}', { dryRun: '1' }),
      {},
    )) as {
      statusCode: number;
    };
    const write = (await handler(event('POST', '/v1/job-groups/3/scale', '{"planedJobCount":4}'), {})) as {
      statusCode: number;
      body: string;
    };

    if (saved.id !== undefined) process.env.ALIBABA_CLOUD_ACCESS_KEY_ID = saved.id;
    if (saved.secret !== undefined) process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = saved.secret;
    expect(dry.statusCode).toBe(200);
    expect(write.statusCode).toBe(500);
    expect(JSON.parse(write.body).error.code).toBe('CREDENTIALS_MISSING');
  });
});

describe('audit', () => {
  it('writes the audit line even when LOG_LEVEL hides info and warnings', async () => {
    process.env.LOG_LEVEL = 'error';
    const { call } = build(WEBHOOK_ROUTES);

    await call(event('POST', '/v1/job-groups/7/start'));
    await call(event('POST', '/v1/job-groups/bad.id/start'));

    const audits = lines.filter((line) => line.audit === true);
    expect(audits).toHaveLength(2);
    expect(audits[0]).toMatchObject({
      msg: 'webhook request',
      requestId: 'inv-1',
      who: 'ops',
      via: 'bearer',
      method: 'POST',
      route: '/v1/job-groups/:jobGroupId/start',
      action: 'start',
      jobGroupIds: ['7'],
      dryRun: false,
      status: 200,
      outcome: 'changed',
      cityVisualRequestIds: ['RID-1'],
      latencyMs: expect.any(Number),
    });
    expect(audits[1]).toMatchObject({
      status: 400,
      outcome: 'failed',
      code: 'INVALID_JOB_GROUP_ID',
      jobGroupIds: [],
    });
    expect(lines.some((line) => line.level === 'warn')).toBe(false);
  });

  it('reads LOG_LEVEL once per invocation: a change applies from the next invocation and outside one', async () => {
    const { call } = build(WEBHOOK_ROUTES);
    const done = () => lines.filter((line) => line.msg === 'invocation done').length;

    process.env.LOG_LEVEL = 'debug';
    await call(event('POST', '/v1/job-groups/7/start'));
    expect(done()).toBe(1);
    process.env.LOG_LEVEL = 'info';
    await call(event('POST', '/v1/job-groups/7/stop'));
    expect(done()).toBe(1);
    // A failed invocation ends its reading too: a line written after it reads LOG_LEVEL again.
    await call(event('POST', '/v1/job-groups/bad.id/start'));
    process.env.LOG_LEVEL = 'debug';
    logger.debug('outside an invocation');
    expect(lines.at(-1)).toMatchObject({ level: 'debug', msg: 'outside an invocation' });
    process.env.LOG_LEVEL = 'error';
    logger.warn('hidden');
    expect(lines.some((line) => line.msg === 'hidden')).toBe(false);
  });

  it('writes no audit line for /healthz, unknown routes or wrong methods', async () => {
    const { call } = build(WEBHOOK_ROUTES);

    await call(event('GET', '/healthz'));
    await call(event('POST', '/nope'));
    await call(event('GET', '/v1/batch'));

    expect(lines.filter((line) => line.audit === true)).toEqual([]);
  });
});

describe('extending the route table', () => {
  /** A custom hook route: its own body, our batch use case. */
  const customHookRoute: WebhookRoute = {
    method: 'POST',
    path: '/v1/hooks/custom',
    action: 'custom-hook',
    access: 'authenticated',
    body: 'json',
    async handle(ctx) {
      const alerts = (ctx.body as { alerts?: Array<{ labels?: Record<string, string> }> }).alerts ?? [];
      const changes = alerts.map((alert) => ({
        action: 'scale',
        jobGroupId: alert.labels?.job_group_id,
        planedJobCount: Number(alert.labels?.planed_job_count),
      }));
      const results = await applyChanges(changes, {
        deps: ctx.deps,
        dryRun: ctx.dryRun,
        deadline: ctx.invocation.deadline,
        audit: ctx.audit,
      });
      return { status: 207, body: { results } };
    },
  };

  it('serves an added route with the same auth, parsing, audit and error handling', async () => {
    const { call, fake } = build([...WEBHOOK_ROUTES, customHookRoute]);
    const body = JSON.stringify({ alerts: [{ labels: { job_group_id: '5', planed_job_count: '9' } }] });

    const answer = await call(event('POST', '/v1/hooks/custom', body));
    const wrongMethod = await call(event('GET', '/v1/hooks/custom'));

    expect(answer.status).toBe(207);
    expect(fake.state.writes).toMatchObject([{ JobGroupId: '5', PlanedJobCount: 9 }]);
    expect(wrongMethod.status).toBe(405);
    expect(lines.find((line) => line.audit === true)).toMatchObject({
      action: 'custom-hook',
      jobGroupIds: ['5'],
    });
  });

  it('registerRoutes adds to the default table until it is compiled', () => {
    registerRoutes(customHookRoute);

    expect(webhookRoutes()).toContain(customHookRoute);
    expect(() => registerRoutes(customHookRoute)).toThrow(/already compiled/);
  });
});

describe('refused credentials fail closed', () => {
  it.each([
    [{ WEBHOOK_TOKENS: `ops=${TOKEN},grafana=` }, 'WEBHOOK_TOKENS entry 1'],
    [{ WEBHOOK_TOKENS: 'a' }, 'WEBHOOK_TOKENS entry 0'],
    [{ WEBHOOK_TOKENS: `ops=${TOKEN}`, WEBHOOK_SECRETS: 'whsec_AA==' }, 'WEBHOOK_SECRETS entry 0'],
    [{ WEBHOOK_TOKENS: `ops=${TOKEN}`, WEBHOOK_SECRETS: 'whsec_@@not-base64@@' }, 'WEBHOOK_SECRETS entry 0'],
  ])('with %j every mutating route answers 500 and /healthz 503, naming %s', async (env, named) => {
    const { call, fake } = build(WEBHOOK_ROUTES, runtime(env));

    const scale = await call(event('POST', '/v1/job-groups/1/scale', '{"planedJobCount":1}'));
    const stop = await call(event('POST', '/v1/job-groups/1/stop'));
    const health = await call(event('GET', '/healthz'));

    expect(scale.status).toBe(500);
    expect(stop.status).toBe(500);
    expect(scale.json.error).toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining(named),
    });
    expect(health).toEqual({ status: 503, json: { status: 'unavailable', error: scale.json.error } });
    expect(fake.state.built).toBe(0);
    const logged = lines.filter((line) => JSON.stringify(line).includes('webhook credentials are invalid'));
    expect(logged).toHaveLength(1);
    expect(JSON.stringify(lines)).not.toContain('not-base64');
    expect(JSON.stringify(scale.json)).not.toContain('not-base64');
  });

  it('keeps /healthz ok when the credentials are valid', async () => {
    const { call } = build(WEBHOOK_ROUTES);

    expect(await call(event('GET', '/healthz'))).toEqual({ status: 200, json: { status: 'ok' } });
  });
});
