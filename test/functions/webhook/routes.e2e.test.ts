import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { handler } from '../../../functions/webhook/handler.js';
import {
  type Answer,
  applyEnv,
  applyRegistryEnv,
  auditLines,
  bearer,
  httpEvent,
  invoke,
  signed,
  upstreamDuring,
  useWebhookEmulator,
} from './helpers.js';

const { emu, logs } = useWebhookEmulator();

/** Parameters of the last recorded call without pop-core's common signing ones. */
function lastCallParams(action: string): Record<string, string> {
  const call = emu.calls.filter((c) => c.action === action).at(-1);
  const common = new Set(['Action', 'Version', 'Format', 'SignatureMethod', 'SignatureVersion', 'Timestamp']);
  return Object.fromEntries(Object.entries(call?.params ?? {}).filter(([key]) => !common.has(key)));
}

function expectJsonError(answer: Answer, status: number, code: string): void {
  expect(answer.status).toBe(status);
  expect(answer.headers['Content-Type']).toMatch(/^application\/json/);
  expect(answer.json.error).toMatchObject({ code, message: expect.any(String) });
}

describe('single-group routes, end to end against the emulator', () => {
  it('scales a group and answers with CityVisual RequestId and the exact parameters sent', async () => {
    const { result, calls } = await upstreamDuring(emu, () => invoke(handler, signed(httpEvent('scale'))));

    expect(result.status).toBe(200);
    expect(calls).toEqual(['DescribeJobGroups', 'ModifyJobGroup']);
    const modify = emu.calls.at(-1)!;
    expect(result.json).toEqual({
      jobGroupId: '3',
      changed: true,
      dryRun: false,
      requestId: modify.requestId,
      applied: {
        AlgoLibId: '2',
        JobGroupId: '3',
        JobGroupName: 'JobGroupName',
        ResourceProfileId: '23',
        PlanedJobCount: '12',
        RegionId: 'cn-shanghai',
      },
    });
    expect(lastCallParams('ModifyJobGroup')).toEqual(result.json.applied);
    expect(emu.jobGroup('3')?.PlanedJobCount).toBe(12);
  });

  it('reads a base64-encoded body exactly as signed', async () => {
    const answer = await invoke(handler, signed(httpEvent('scale-base64')));

    expect(answer.status).toBe(200);
    expect(answer.json.applied).toMatchObject({ PlanedJobCount: '12' });
  });

  it.each([
    ['stop', '1', 'Stopped', 'stopped'],
    ['start', '7', 'Running', 'running'],
  ])('%s sets Status on group %s', async (action, id, status, live) => {
    const answer = await invoke(
      handler,
      signed(httpEvent(action, { path: `/v1/job-groups/${id}/${action}` })),
    );

    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ jobGroupId: id, changed: true, applied: { Status: status } });
    expect(emu.jobGroup(id)?.Status).toBe(live);
  });

  it('PATCH sends only the fields that differ from the live group', async () => {
    const answer = await invoke(handler, signed(httpEvent('modify')));

    expect(answer.status).toBe(200);
    expect(answer.json.applied).toEqual({
      AlgoLibId: '2',
      JobGroupId: '3',
      JobGroupName: 'JobGroupName',
      ResourceProfileId: '23',
      PlanedJobCount: '6',
      RegionId: 'cn-shanghai',
      'JobGroupParams.1.Key': 'ES_ENABLE',
      'JobGroupParams.1.Value': 'False',
      'JobGroupParams.2.Key': 'SCHEDULE_FLOW_START_TIME',
      'JobGroupParams.2.Value': 'Latest',
    });
    expect(lastCallParams('ModifyJobGroup')).toEqual(answer.json.applied);
    expect(emu.jobGroup('3')).toMatchObject({ PlanedJobCount: 6, Status: 'running' });
  });

  it('PATCH renames a group', async () => {
    const answer = await invoke(
      handler,
      signed(httpEvent('modify', { body: '{"jobGroupName": "城东-Renamed_3"}' })),
    );

    expect(answer.status).toBe(200);
    expect(emu.jobGroup('3')?.JobGroupName).toBe('城东-Renamed_3');
  });

  it('GET /healthz answers without auth or upstream call', async () => {
    const before = auditLines(logs.lines).length;

    const { result, requests } = await upstreamDuring(emu, () => invoke(handler, httpEvent('healthz')));

    expect(result.status).toBe(200);
    expect(result.json).toEqual({ status: 'ok' });
    expect(requests).toBe(0);
    expect(auditLines(logs.lines)).toHaveLength(before);
  });

  it('GET /healthz answers 503 CONFIG_INVALID naming the variable while the function could not serve', async () => {
    applyEnv({ WEBHOOK_SECRETS: undefined, WEBHOOK_TOKENS: undefined, CITYVISUAL_ENDPOINT: 'not a url' });

    const { result, requests } = await upstreamDuring(emu, () => invoke(handler, httpEvent('healthz')));

    expect(result.status).toBe(503);
    expect(result.json).toMatchObject({ status: 'unavailable', error: { code: 'CONFIG_INVALID' } });
    expect(result.json.error?.message).toContain('CITYVISUAL_ENDPOINT');
    expect(requests).toBe(0);
  });

  it('HEAD /healthz answers like GET, without a body (health checks that probe with HEAD)', async () => {
    const get = await invoke(handler, httpEvent('healthz'));
    const { result, requests } = await upstreamDuring(emu, () =>
      invoke(handler, httpEvent('healthz', { method: 'HEAD' })),
    );

    expect(result.status).toBe(200);
    expect(result.headers).toEqual(get.headers);
    expect(result.body).toBe('');
    expect(requests).toBe(0);
  });

  it.each([
    ['/nope', 404],
    ['/v1/job-groups/3/scale', 405],
  ])('HEAD %s answers %i with the headers and no body', async (path, status) => {
    const answer = await invoke(handler, httpEvent('healthz', { method: 'HEAD', path }));

    expect(answer.status).toBe(status);
    expect(answer.headers['Content-Type']).toMatch(/^application\/json/);
    expect(answer.body).toBe('');
  });
});

describe('dry run', () => {
  it('validates and plans, sends no write, and returns the exact ModifyJobGroup parameters', async () => {
    const { result, calls } = await upstreamDuring(emu, () =>
      invoke(handler, signed(httpEvent('scale-dry-run'))),
    );

    expect(result.status).toBe(200);
    expect(result.json).toEqual({
      jobGroupId: '3',
      changed: true,
      dryRun: true,
      requestId: null,
      applied: {
        AlgoLibId: '2',
        JobGroupId: '3',
        JobGroupName: 'JobGroupName',
        ResourceProfileId: '23',
        JobCount: '4',
        PlanedJobCount: '12',
        RegionId: 'cn-shanghai',
      },
    });
    expect(calls).toEqual(['DescribeJobGroups']);
    expect(emu.jobGroup('3')?.PlanedJobCount).toBe(10);
  });

  it('never shows credentials or signing parameters', async () => {
    const answer = await invoke(handler, signed(httpEvent('scale-dry-run')));

    for (const forbidden of [
      'AccessKeyId',
      'Signature',
      'SignatureNonce',
      'SecurityToken',
      'LOCALDEVKEYID',
    ]) {
      expect(answer.body).not.toContain(forbidden);
    }
  });

  it('applies to every change of a batch', async () => {
    const { result, calls } = await upstreamDuring(emu, () =>
      invoke(handler, signed(httpEvent('batch', { query: { dryRun: 'true' } }))),
    );

    expect(result.status).toBe(207);
    expect(result.json.dryRun).toBe(true);
    expect((result.json.results as Array<{ dryRun: boolean }>).map((r) => r.dryRun)).toEqual([
      true,
      true,
      true,
    ]);
    expect(calls).not.toContain('ModifyJobGroup');
  });

  it.each([
    [{ dryRun: 'maybe' }, 'dryRun: must be true or false'],
    [{ dry_run: 'true' }, 'did you mean "dryRun"?'],
    [{ dryrun: 'true' }, 'did you mean "dryRun"?'],
  ])('refuses the query %o before any call (a misspelt dry run never writes)', async (query, message) => {
    const { result, requests } = await upstreamDuring(emu, () =>
      invoke(handler, signed(httpEvent('scale', { query }))),
    );

    expectJsonError(result, 400, 'INVALID_INPUT');
    expect(result.json.error?.message).toContain(message);
    expect(requests).toBe(0);
  });
});

describe('no-op', () => {
  it('answers changed:false and sends nothing when the live group already matches', async () => {
    const { result, calls } = await upstreamDuring(emu, () =>
      invoke(handler, signed(httpEvent('scale', { body: '{"planedJobCount": 10}' }))),
    );

    expect(result.status).toBe(200);
    expect(result.json).toEqual({
      jobGroupId: '3',
      changed: false,
      dryRun: false,
      requestId: null,
      applied: {},
    });
    expect(calls).toEqual(['DescribeJobGroups']);
  });

  it('with live reads, a repeated request (a new webhook-id) is free', async () => {
    await invoke(handler, signed(httpEvent('stop', { path: '/v1/job-groups/1/stop' })));
    const { result, calls } = await upstreamDuring(emu, () =>
      invoke(handler, signed(httpEvent('stop', { path: '/v1/job-groups/1/stop' }))),
    );

    expect(result.json.changed).toBe(false);
    expect(calls).not.toContain('ModifyJobGroup');
  });

  it('without live reads, a repeated request (a new webhook-id) is sent: nothing remembered decides it', async () => {
    applyRegistryEnv({
      '3': { jobGroupName: 'JobGroupName', algoLibId: '2', resourceProfileId: '23' },
    });

    const first = await upstreamDuring(emu, () => invoke(handler, signed(httpEvent('scale'))));
    const second = await upstreamDuring(emu, () => invoke(handler, signed(httpEvent('scale'))));

    expect(first.calls).toEqual(['ModifyJobGroup']);
    expect(second.calls).toEqual(['ModifyJobGroup']);
    expect(second.result.json.changed).toBe(true);
  });
});

describe('batch', () => {
  it('answers 207 with one result per change, in order', async () => {
    const answer = await invoke(handler, signed(httpEvent('batch')));

    expect(answer.status).toBe(207);
    const results = answer.json.results as Array<Record<string, unknown>>;
    expect(results.map((r) => [r.index, r.jobGroupId, r.action, r.status])).toEqual([
      [0, '3', 'scale', 200],
      [1, '7', 'start', 200],
      [2, '8', 'set-params', 200],
    ]);
    expect(answer.json).toMatchObject({ succeeded: 3, failed: 0, dryRun: false });
    expect(emu.jobGroup('8')?.JobGroupParams).toContainEqual({ Key: 'ES_ENABLE', Value: 'True' });
  });

  it('paces a batch at limits.qps: all its calls, after the first two, at least 1/qps apart', async () => {
    // Prepare: registry mode (one write per change) and a limit of 5 calls a second
    const dir = mkdtempSync(path.join(tmpdir(), 'webhook-limits-'));
    const config = path.join(dir, 'autopilot.json');
    const registry = { jobGroupName: 'FleetGroup', algoLibId: '2', resourceProfileId: '23' };
    writeFileSync(
      config,
      JSON.stringify({
        jobGroups: {
          '1': { ...registry, jobGroupName: 'CrossroadsNorth' },
          '3': { ...registry, jobGroupName: 'JobGroupName' },
          '4': { jobGroupName: 'Vehicle-Flow_West', algoLibId: '5', resourceProfileId: '24' },
          '7': { jobGroupName: 'ParkingLotB', algoLibId: '5', resourceProfileId: '31' },
        },
        limits: { qps: 5 },
      }),
    );
    applyEnv({ CITYVISUAL_INSTANCE_ID: undefined, AUTOPILOT_CONFIG: config });
    const changes = ['1', '3', '4', '7'].map((jobGroupId) => ({
      jobGroupId,
      action: 'scale',
      planedJobCount: 6,
    }));

    // Act
    const answer = await invoke(handler, signed(httpEvent('batch', { body: JSON.stringify({ changes }) })));

    // Assess: four writes; a burst of two, then one every 200 ms
    expect(answer.json).toMatchObject({ succeeded: 4, failed: 0 });
    const at = emu.calls.map((call) => call.at).sort((a, b) => a - b);
    expect(at).toHaveLength(4);
    expect((at[3] as number) - (at[0] as number)).toBeGreaterThanOrEqual(400 - 15);
  });

  it('reports each failure in place and still applies every valid change', async () => {
    const changes = [
      { jobGroupId: '1', action: 'scale', planedJobCount: 2 },
      { jobGroupId: '99', action: 'stop' },
      { jobGroupId: 'bad id', action: 'stop' },
      { jobGroupId: '4', action: 'scale', plannedJobCount: 3 },
      { jobGroupId: '7', action: 'stop' },
      { jobGroupId: '5', action: 'modify', algoLibId: '999' },
      { jobGroupId: '4', action: 'start' },
      { action: 'explode' },
      42,
    ];
    const { result, calls } = await upstreamDuring(emu, () =>
      invoke(handler, signed(httpEvent('batch', { body: JSON.stringify({ changes }) }))),
    );

    expect(result.status).toBe(207);
    const results = result.json.results as Array<Record<string, unknown> & { error?: { code: string } }>;
    expect(
      results.map((r) => [r.index, r.status, r.error?.code ?? (r.changed ? 'changed' : 'unchanged')]),
    ).toEqual([
      [0, 200, 'changed'],
      [1, 404, 'InvalidJobGroupId.NotFound'],
      [2, 400, 'INVALID_JOB_GROUP_ID'],
      [3, 400, 'INVALID_INPUT'],
      [4, 200, 'unchanged'],
      [5, 404, 'InvalidAlgoLibId.NotFound'],
      [6, 200, 'changed'],
      [7, 400, 'INVALID_INPUT'],
      [8, 400, 'INVALID_INPUT'],
    ]);
    expect(results[3]?.error).toMatchObject({
      field: 'changes[3].plannedJobCount',
      message: expect.stringContaining('did you mean "planedJobCount"?'),
    });
    expect(result.json).toMatchObject({ succeeded: 3, failed: 6, retryable: 0 });
    expect(result.headers['Retry-After']).toBeUndefined();
    expect(emu.jobGroup('1')?.PlanedJobCount).toBe(2);
    expect(emu.jobGroup('4')?.Status).toBe('running');
    // Three writes were sent; the emulator records the two it accepted (group 5's was refused: 404).
    expect(calls.filter((c) => c === 'ModifyJobGroup')).toHaveLength(2);
  });

  it('answers 429 with Retry-After and every result when a change was throttled past the retries', async () => {
    emu.setFaults({ throttleRate: 1 });
    const changes = [
      { jobGroupId: '3', action: 'scale', planedJobCount: 20 },
      { jobGroupId: 'bad id', action: 'stop' },
    ];

    const answer = await invoke(handler, signed(httpEvent('batch', { body: JSON.stringify({ changes }) })));

    expect(answer.status).toBe(429);
    const results = answer.json.results as Array<{ status: number; error?: Record<string, unknown> }>;
    expect(results.map((r) => [r.status, r.error?.code])).toEqual([
      [429, 'Throttling'],
      [400, 'INVALID_JOB_GROUP_ID'],
    ]);
    expect(answer.json).toMatchObject({ succeeded: 0, failed: 2, retryable: 1 });
    expect(answer.headers['Retry-After']).toBe(String(results[0]?.error?.retryAfterSeconds));
  });

  it('answers 503 with Retry-After when a change hit CityVisual 5xx, beside the changes it applied', async () => {
    // Changes to one group run in order: the first is read and written, the second's read stays 503.
    emu.setFaults({ script: ['ok', 'ok', 'unavailable', 'unavailable', 'unavailable', 'unavailable'] });
    const changes = [
      { jobGroupId: '3', action: 'scale', planedJobCount: 20 },
      { jobGroupId: '3', action: 'scale', planedJobCount: 21 },
    ];

    const answer = await invoke(handler, signed(httpEvent('batch', { body: JSON.stringify({ changes }) })));

    expect(answer.status).toBe(503);
    expect(Number(answer.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    const results = answer.json.results as Array<{ status: number; error?: { code: string } }>;
    expect(results.map((r) => [r.status, r.error?.code])).toEqual([
      [200, undefined],
      [503, 'ServiceUnavailable'],
    ]);
    expect(answer.json).toMatchObject({ succeeded: 1, failed: 1, retryable: 1 });
    expect(emu.jobGroup('3')?.PlanedJobCount).toBe(20);
  });

  it('answers 429 when any retryable failure was throttling, even beside a 5xx', async () => {
    emu.setFaults({ script: [...Array(4).fill('unavailable'), ...Array(4).fill('throttle')] });
    const changes = [
      { jobGroupId: '3', action: 'scale', planedJobCount: 20 },
      { jobGroupId: '3', action: 'scale', planedJobCount: 21 },
    ];

    const answer = await invoke(handler, signed(httpEvent('batch', { body: JSON.stringify({ changes }) })));

    expect(answer.status).toBe(429);
    const results = answer.json.results as Array<{ error?: { code: string } }>;
    expect(results.map((r) => r.error?.code)).toEqual(['ServiceUnavailable', 'Throttling']);
  });

  it.each([
    [429, 'throttle'],
    [503, 'unavailable'],
  ] as const)(
    'a batch answered %i (%s) leaves its webhook-id free: the retry runs, and its final answer is stored',
    async (status, fault) => {
      emu.setFaults({ script: Array(4).fill(fault) });
      const event = signed(
        httpEvent('batch', {
          body: JSON.stringify({ changes: [{ jobGroupId: '3', action: 'scale', planedJobCount: 20 }] }),
        }),
      );

      const first = await invoke(handler, event);
      const retry = await invoke(handler, event);
      const { result: again, requests } = await upstreamDuring(emu, () => invoke(handler, event));

      expect(first.status).toBe(status);
      expect(first.headers['Idempotent-Replayed']).toBeUndefined();
      expect(retry.status).toBe(207);
      expect(retry.headers['Idempotent-Replayed']).toBeUndefined();
      expect(retry.json).toMatchObject({ succeeded: 1, failed: 0 });
      expect(emu.jobGroup('3')?.PlanedJobCount).toBe(20);
      expect(again.status).toBe(207);
      expect(again.headers['Idempotent-Replayed']).toBe('true');
      expect(again.body).toBe(retry.body);
      expect(requests).toBe(0);
    },
  );

  it('gives a failing change the same error body a single route would answer', async () => {
    const single = await invoke(handler, signed(httpEvent('stop', { path: '/v1/job-groups/99/stop' })));
    const batch = await invoke(
      handler,
      signed(httpEvent('batch', { body: '{"changes": [{"jobGroupId": "99", "action": "stop"}]}' })),
    );

    expect(single.status).toBe(404);
    const [entry] = batch.json.results as Array<{ status: number; error: unknown }>;
    expect(entry).toMatchObject({ status: single.status, error: single.json.error });
  });

  it('applies changes to one group in request order', async () => {
    const changes = [
      { jobGroupId: '3', action: 'scale', planedJobCount: 20 },
      { jobGroupId: '1', action: 'scale', planedJobCount: 9 },
      { jobGroupId: '3', action: 'scale', planedJobCount: 21 },
    ];
    const answer = await invoke(handler, signed(httpEvent('batch', { body: JSON.stringify({ changes }) })));

    expect(answer.json.succeeded).toBe(3);
    expect(emu.jobGroup('3')?.PlanedJobCount).toBe(21);
  });

  it.each([
    ['no changes key', '{}', 'changes'],
    ['an empty list', '{"changes": []}', 'changes'],
    [
      'more than 500 changes',
      JSON.stringify({ changes: Array(501).fill({ jobGroupId: '3', action: 'stop' }) }),
      'changes',
    ],
    [
      'an unknown envelope field',
      '{"changes": [{"jobGroupId": "3", "action": "stop"}], "chnages": 1}',
      'chnages',
    ],
    ['a list instead of an object', '[{"jobGroupId": "3", "action": "stop"}]', '(root)'],
  ])('refuses a batch with %s (400, nothing sent)', async (_case, body, field) => {
    const { result, requests } = await upstreamDuring(emu, () =>
      invoke(handler, signed(httpEvent('batch', { body }))),
    );

    expectJsonError(result, 400, 'INVALID_INPUT');
    expect(result.json.error?.field).toBe(field);
    expect(requests).toBe(0);
  });
});

describe('HTTP errors', () => {
  it.each([
    '/',
    '/v1',
    '/v1/nope',
    '/v1/job-groups/3/explode',
    '/v2/batch',
    '/v1/job-groups/3/scale/x',
    '/healthz/x',
  ])('answers 404 for the unknown route %s', async (path) => {
    const answer = await invoke(handler, bearer(httpEvent('scale', { path })));

    expectJsonError(answer, 404, 'ROUTE_NOT_FOUND');
  });

  it.each([
    ['GET', '/v1/batch', 'POST'],
    ['PUT', '/v1/job-groups/3', 'PATCH, GET, HEAD'],
    ['DELETE', '/v1/job-groups/3', 'PATCH, GET, HEAD'],
    ['GET', '/v1/job-groups/3/scale', 'POST'],
    ['PATCH', '/v1/job-groups/3/stop', 'POST'],
    ['POST', '/healthz', 'GET, HEAD'],
  ])('answers 405 with Allow for %s %s', async (method, path, allow) => {
    const answer = await invoke(handler, bearer(httpEvent('scale', { method, path })));

    expectJsonError(answer, 405, 'METHOD_NOT_ALLOWED');
    expect(answer.headers.Allow).toBe(allow);
  });

  it.each([
    ['a plain body', (body: string) => httpEvent('scale', { body })],
    [
      'a base64 body',
      (body: string) => {
        const event = httpEvent('scale');
        event.body = Buffer.from(body).toString('base64');
        event.isBase64Encoded = true;
        return event;
      },
    ],
  ])('answers 413 for %s over 1 MiB, before auth and parsing', async (_case, make) => {
    const body = `{"planedJobCount": 1, "pad": "${'x'.repeat(1024 * 1024)}"}`;
    const { result, requests } = await upstreamDuring(emu, () => invoke(handler, make(body)));

    expectJsonError(result, 413, 'PAYLOAD_TOO_LARGE');
    expect(requests).toBe(0);
  });

  it.each([
    ['text/plain', '{"planedJobCount": 3}'],
    ['application/xml', '<planedJobCount>3</planedJobCount>'],
    ['application/x-www-form-urlencoded', 'planedJobCount=3'],
    ['application/json; charset=latin1', '{"planedJobCount": 3}'],
    ['application/jsonp', '{"planedJobCount": 3}'],
    [undefined, '{"planedJobCount": 3}'],
  ])('answers 415 for Content-Type %s', async (contentType, body) => {
    const event = httpEvent('scale', { body, headers: { 'Content-Type': contentType } });
    const { result, requests } = await upstreamDuring(emu, () => invoke(handler, signed(event)));

    expectJsonError(result, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(requests).toBe(0);
  });

  it.each([['application/json; charset=utf-8'], ['application/merge-patch+json'], ['Application/JSON']])(
    'accepts Content-Type %s',
    async (contentType) => {
      const answer = await invoke(
        handler,
        signed(httpEvent('scale', { headers: { 'Content-Type': contentType } })),
      );

      expect(answer.status).toBe(200);
    },
  );

  it.each([
    ['broken JSON', Buffer.from('{"planedJobCount": ')],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d])],
  ])('answers 400 INVALID_JSON for %s', async (_case, bytes) => {
    const event = httpEvent('scale');
    event.body = bytes.toString('base64');
    event.isBase64Encoded = true;
    const { result, requests } = await upstreamDuring(emu, () => invoke(handler, signed(event)));

    expectJsonError(result, 400, 'INVALID_JSON');
    expect(requests).toBe(0);
  });

  it.each([
    ['deeply nested arrays', `${'['.repeat(100_000)}${']'.repeat(100_000)}`],
    ['deeply nested objects with __proto__', `${'{"__proto__":'.repeat(50_000)}1${'}'.repeat(50_000)}`],
  ])('answers 400 for %s without a call', async (_case, body) => {
    const { result, requests } = await upstreamDuring(emu, () =>
      invoke(handler, signed(httpEvent('scale', { body }))),
    );

    expect(result.status).toBe(400);
    expect(requests).toBe(0);
  });

  it('answers 429 with Retry-After when CityVisual throttles past our retries', async () => {
    emu.setFaults({ throttleRate: 1 });

    const { result, requests } = await upstreamDuring(emu, () => invoke(handler, signed(httpEvent('scale'))));

    expectJsonError(result, 429, 'Throttling');
    expect(Number(result.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
    expect(result.json.error?.retryAfterSeconds).toBe(Number(result.headers['Retry-After']));
    expect(requests).toBe(4);
    expect(emu.stats.throttled).toBe(4);
  });

  it('answers 503 with Retry-After when CityVisual stays unavailable', async () => {
    emu.setFaults({ script: ['unavailable', 'unavailable', 'unavailable', 'unavailable'] });

    const answer = await invoke(handler, signed(httpEvent('scale')));

    expectJsonError(answer, 503, 'ServiceUnavailable');
    expect(answer.headers['Retry-After']).toBeDefined();
  });

  it('recovers within its retries when throttling passes', async () => {
    emu.setFaults({ script: ['throttle', 'ok'] });

    const answer = await invoke(handler, signed(httpEvent('scale')));

    expect(answer.status).toBe(200);
  });
});

describe('validation before any upstream call', () => {
  it.each([
    ['a space', 'bad%20id'],
    ['65 characters', 'a'.repeat(65)],
    ['a dot', 'grp.1'],
    ['a Chinese character', '%E4%B8%AD'],
    ['an encoded slash', 'a%2Fb'],
    ['a malformed escape', '%E4%B8'],
    ['an emoji', '%F0%9F%98%80'],
  ])('answers 400 INVALID_JOB_GROUP_ID for an id with %s, with no call at all', async (_case, id) => {
    const { result, requests } = await upstreamDuring(emu, () =>
      invoke(handler, signed(httpEvent('scale', { path: `/v1/job-groups/${id}/scale` }))),
    );

    expectJsonError(result, 400, 'INVALID_JOB_GROUP_ID');
    expect(result.json.error?.field).toBe('jobGroupId');
    expect(requests).toBe(0);
    expect(emu.stats.requests).toBe(0);
  });

  it.each([
    ['negative', '-1'],
    ['fractional', '1.5'],
    ['over the limit', '10001'],
    ['an unsafe integer', '9007199254740993'],
    ['huge', '1e400'],
    ['a string', '"12"'],
    ['null', 'null'],
    ['a boolean', 'true'],
    ['an array', '[12]'],
    ['an object', '{"value": 12}'],
  ])('refuses a %s planedJobCount (no coercion, nothing sent)', async (_case, value) => {
    const { result, requests } = await upstreamDuring(emu, () =>
      invoke(handler, signed(httpEvent('scale', { body: `{"planedJobCount": ${value}}` }))),
    );

    expectJsonError(result, 400, 'INVALID_INPUT');
    expect(result.json.error?.field).toBe('planedJobCount');
    expect(requests).toBe(0);
  });

  it('names an unknown field and suggests the near miss', async () => {
    const answer = await invoke(handler, signed(httpEvent('scale', { body: '{"plannedJobCount": 12}' })));

    expectJsonError(answer, 400, 'INVALID_INPUT');
    expect(answer.json.error).toMatchObject({
      field: 'plannedJobCount',
      message: 'plannedJobCount: unknown field "plannedJobCount" (did you mean "planedJobCount"?)',
    });
  });

  it.each([
    ['stop with a body field', 'stop', '/v1/job-groups/7/stop', '{"force": true}', 'force'],
    ['PATCH with nothing to change', 'modify', '/v1/job-groups/3', '{}', '(root)'],
    ['PATCH with a misspelt status', 'modify', '/v1/job-groups/3', '{"statsu": "Running"}', 'statsu'],
    [
      'PATCH with an unsupported param key',
      'modify',
      '/v1/job-groups/3',
      '{"params": {"FOO_ENABLE": true}}',
      'params.FOO_ENABLE',
    ],
    ['PATCH with empty params (nothing to set)', 'modify', '/v1/job-groups/3', '{"params": {}}', 'params'],
    [
      'PATCH with a malformed name',
      'modify',
      '/v1/job-groups/3',
      '{"jobGroupName": "1-starts-with-digit"}',
      'jobGroupName',
    ],
    ['PATCH with an unknown status', 'modify', '/v1/job-groups/3', '{"status": "Paused"}', 'status'],
  ])('refuses %s (400, field named, nothing sent)', async (_case, fixture, path, body, field) => {
    const { result, requests } = await upstreamDuring(emu, () =>
      invoke(handler, signed(httpEvent(fixture, { path, body }))),
    );

    expectJsonError(result, 400, 'INVALID_INPUT');
    expect(result.json.error?.field).toBe(field);
    expect(requests).toBe(0);
  });

  it('answers a body with a huge unknown key in a few hundred bytes, the key escaped and cut short', async () => {
    const key = `${'k'.repeat(512 * 1024)}\u202e`;
    const { result, requests } = await upstreamDuring(emu, () =>
      invoke(handler, signed(httpEvent('scale', { body: JSON.stringify({ [key]: 1, planedJobCount: 3 }) }))),
    );

    expectJsonError(result, 400, 'INVALID_INPUT');
    expect(result.json.error?.field).toBe(`${'k'.repeat(40)}…(524289 characters)`);
    expect(result.body.length).toBeLessThan(1000);
    expect(requests).toBe(0);
  });

  it('refuses __proto__ keys by name: no pollution, no smuggled field, nothing sent', async () => {
    const { result, requests } = await upstreamDuring(emu, async () => [
      await invoke(handler, signed(httpEvent('scale', { body: '{"__proto__": {"planedJobCount": 12}}' }))),
      await invoke(
        handler,
        signed(httpEvent('scale', { body: '{"planedJobCount": 12, "__proto__": {"polluted": true}}' })),
      ),
      await invoke(handler, signed(httpEvent('modify', { body: '{"params": {"constructor": true}}' }))),
    ]);

    for (const answer of result) {
      expectJsonError(answer, 400, 'INVALID_INPUT');
      expect(['__proto__', 'constructor']).toContain(answer.json.error?.field);
    }
    expect(requests).toBe(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers 404 JOB_GROUP_NOT_REGISTERED with how to register, when neither live reads nor the registry know the group', async () => {
    applyRegistryEnv({
      '3': { jobGroupName: 'JobGroupName', algoLibId: '2', resourceProfileId: '23' },
    });

    const { result, requests } = await upstreamDuring(emu, () =>
      invoke(handler, signed(httpEvent('scale', { path: '/v1/job-groups/42/scale' }))),
    );

    expectJsonError(result, 404, 'JOB_GROUP_NOT_REGISTERED');
    expect(result.json.error?.message).toContain('CITYVISUAL_INSTANCE_ID');
    expect(result.json.error?.message).toContain('AUTOPILOT_CONFIG');
    expect(result.json.error?.message).toContain('jobGroups."42"');
    expect(requests).toBe(0);
  });
});
