import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handler } from '../../../functions/webhook/handler.js';
import { isErrorCode } from '../../../shared/errors.js';
import { useEmulator } from '../../support/emulator.js';
import { silenceLogs } from '../../support/logs.js';
import { applyEnv, CI_TOKEN, fcContext, NEW_SECRET, OLD_SECRET, PLAIN_TOKEN, webhookEnv } from './helpers.js';

/** Codes our own checks answer with: a request refused with one of them must not have reached CityVisual. */
const OUR_REFUSALS = new Set([
  'INVALID_INPUT',
  'INVALID_JSON',
  'INVALID_JOB_GROUP_ID',
  'UNAUTHORIZED',
  'ROUTE_NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
]);
const NUM_RUNS = 10_000;
const signer = new Webhook(NEW_SECRET);

// ---- arbitraries ---------------------------------------------------------------------------------

const jobGroupId = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('1', '2', '3', '4', '5', '6', '7', '8', '99') },
  { weight: 2, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 70 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      '..',
      '/',
      'a/b',
      '%',
      '城',
      '__proto__',
      'constructor',
      'a'.repeat(65),
      '-',
      '\u0000',
    ),
  },
);
const pathId = fc.oneof(
  jobGroupId.map(encodeURIComponent),
  jobGroupId,
  fc.constantFrom('%2F', '%E4%B8', '%00', '%ZZ'),
);

/** Mostly a method with its route (so bodies reach validation), sometimes any method on any path. */
const route = fc.oneof(
  { weight: 6, arbitrary: pathId.map((id) => ['POST', `/v1/job-groups/${id}/scale`] as const) },
  { weight: 2, arbitrary: pathId.map((id) => ['POST', `/v1/job-groups/${id}/stop`] as const) },
  { weight: 2, arbitrary: pathId.map((id) => ['POST', `/v1/job-groups/${id}/start`] as const) },
  { weight: 3, arbitrary: pathId.map((id) => ['PATCH', `/v1/job-groups/${id}`] as const) },
  { weight: 4, arbitrary: fc.constant(['POST', '/v1/batch'] as const) },
  { weight: 1, arbitrary: fc.constant(['GET', '/healthz'] as const) },
  {
    weight: 3,
    arbitrary: fc.tuple(
      fc.oneof(
        fc.constantFrom('GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'post', 'TRACE'),
        fc.string({ maxLength: 10 }),
      ),
      fc.oneof(
        pathId.map((id) => `/v1/job-groups/${id}/scale`),
        pathId.map((id) => `/v1/job-groups/${id}`),
        fc.constantFrom('/healthz', '/', '', '/v1', '/v1/batch', '/v1/batch/', '//v1/batch', '/V1/BATCH'),
        fc.webPath(),
        fc.string({ unit: 'grapheme', maxLength: 40 }),
      ),
    ),
  },
);

const key = fc.constantFrom(
  'planedJobCount',
  'jobCount',
  'streamPerJob',
  'status',
  'params',
  'jobGroupName',
  'algoLibId',
  'resourceProfileId',
  'plannedJobCount',
  'jobGroupId',
  'action',
  'changes',
  'ES_ENABLE',
  'constructor',
  'prototype',
);
const count = fc.oneof(
  fc.integer({ min: -3, max: 12 }),
  fc.integer({ min: 9_990, max: 10_010 }),
  fc.double(),
  fc.constant(Number.MAX_SAFE_INTEGER),
);
const scalar = fc.oneof(
  count,
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    'Running',
    'Stopped',
    'Paused',
    'Latest',
    '12',
    '',
    'JobGroupName',
    '城东-1',
    '1bad',
    'http://x',
  ),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);
const value = fc.oneof(
  { weight: 5, arbitrary: scalar },
  {
    weight: 1,
    arbitrary: fc.dictionary(
      fc.constantFrom('ES_ENABLE', 'RDS_ENABLE', 'SCHEDULE_FLOW_START_TIME', 'GPU', '__proto__'),
      scalar,
      { maxKeys: 3 },
    ),
  },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
);
const objectBody = fc.dictionary(key, value, { maxKeys: 4 }).map((o) => JSON.stringify(o));
const change = fc.record(
  {
    action: fc.constantFrom('scale', 'stop', 'start', 'set-params', 'modify', 'explode'),
    jobGroupId,
    planedJobCount: count,
    params: value,
    status: scalar,
  },
  { requiredKeys: ['action'] },
);
const batchBody = fc
  .array(
    fc.oneof({ weight: 4, arbitrary: change }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) }),
    {
      maxLength: 4,
    },
  )
  .map((changes) => JSON.stringify({ changes }));
const rawNumberBody = fc
  .constantFrom(
    '1e400',
    '-0',
    '9007199254740993',
    '1.0',
    '0.5',
    '-1',
    '10001',
    '1e2',
    '0x10',
    'NaN',
    'Infinity',
    '"12"',
    '[]',
    '{}',
    '1'.repeat(400),
  )
  .map((n) => `{"planedJobCount": ${n}}`);
const hostileBody = fc.constantFrom(
  '{"__proto__": {"planedJobCount": 5}}',
  '{"planedJobCount": 5, "__proto__": {"isAdmin": true}}',
  '{"constructor": {"prototype": {"polluted": 1}}}',
  '{"changes": [{"__proto__": {"action": "stop"}, "jobGroupId": "3"}]}',
  '{"planedJobCount": 5, "planedJobCount": -1}',
  `${'['.repeat(5_000)}${']'.repeat(5_000)}`,
  '\uFEFF{"planedJobCount": 5}',
  '{"planedJobCount": 5}\u0000',
  'null',
  '"string"',
  '',
  ' ',
);
const plausibleBody = fc
  .record(
    {
      planedJobCount: fc.integer({ min: 0, max: 40 }),
      jobCount: fc.integer({ min: 0, max: 40 }),
      streamPerJob: fc.integer({ min: 0, max: 12 }),
      status: fc.constantFrom('Running', 'Stopped'),
      params: fc.record({ ES_ENABLE: fc.boolean() }, { requiredKeys: [] }),
    },
    { requiredKeys: ['planedJobCount'] },
  )
  .map((o) => JSON.stringify(o));
const body = fc.oneof(
  { weight: 3, arbitrary: plausibleBody },
  { weight: 4, arbitrary: objectBody },
  { weight: 3, arbitrary: batchBody },
  { weight: 2, arbitrary: rawNumberBody },
  { weight: 2, arbitrary: hostileBody },
  { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }) },
);

const contentType = fc.oneof(
  { weight: 12, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constant(undefined) },
  fc.constantFrom(
    'application/json; charset=utf-8',
    'application/merge-patch+json',
    'text/plain',
    'application/xml',
    '',
    'application/json; charset=latin1',
    'multipart/form-data; boundary=x',
    'application/json,text/plain',
  ),
);

type Auth = 'bearer' | 'plain-bearer' | 'signed' | 'none' | 'random' | 'bad-signature' | 'old-signed';
const auth = fc.oneof(
  { weight: 14, arbitrary: fc.constant<Auth>('bearer') },
  { weight: 1, arbitrary: fc.constant<Auth>('plain-bearer') },
  { weight: 2, arbitrary: fc.constant<Auth>('signed') },
  { weight: 1, arbitrary: fc.constant<Auth>('old-signed') },
  { weight: 1, arbitrary: fc.constant<Auth>('none') },
  { weight: 1, arbitrary: fc.constant<Auth>('random') },
  { weight: 1, arbitrary: fc.constant<Auth>('bad-signature') },
);

const query = fc.oneof(
  { weight: 6, arbitrary: fc.constant({}) },
  {
    weight: 2,
    arbitrary: fc.record({
      dryRun: fc.constantFrom('true', 'false', '1', '0', '', 'maybe', 'TRUE', 'true,true'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 2 }),
  },
);

const extraHeaders = fc.dictionary(
  fc.oneof(
    fc.constantFrom('X-Forwarded-For', 'Webhook-Id', 'Content-Length', 'Accept'),
    fc.string({ maxLength: 12 }),
  ),
  fc.string({ maxLength: 30 }),
  { maxKeys: 2 },
);

interface Case {
  route: readonly [string, string];
  body: string;
  base64: 'no' | 'encode' | 'random-bytes';
  contentType: string | undefined;
  auth: Auth;
  query: Record<string, string>;
  extraHeaders: Record<string, string>;
  randomBytes: Uint8Array;
  authJunk: string;
}

const wellFormed = fc.record<Case>({
  route,
  body,
  base64: fc.constantFrom('no', 'no', 'no', 'no', 'encode', 'random-bytes'),
  contentType,
  auth,
  query,
  extraHeaders,
  randomBytes: fc.uint8Array({ maxLength: 64 }),
  authJunk: fc.string({ maxLength: 40 }),
});

function toEvent(c: Case): Buffer {
  const [method, path] = c.route;
  const bytes = c.base64 === 'random-bytes' ? Buffer.from(c.randomBytes) : Buffer.from(c.body, 'utf8');
  const headers: Record<string, string> = { ...c.extraHeaders };
  if (c.contentType !== undefined) headers['Content-Type'] = c.contentType;
  const raw = bytes.toString('utf8');
  switch (c.auth) {
    case 'bearer':
      headers.Authorization = `Bearer ${CI_TOKEN}`;
      break;
    case 'plain-bearer':
      headers.Authorization = `Bearer ${PLAIN_TOKEN}`;
      break;
    case 'signed':
    case 'old-signed':
    case 'bad-signature': {
      const id = `msg_${randomUUID()}`;
      const now = new Date();
      headers['Webhook-Id'] = id;
      headers['Webhook-Timestamp'] = String(Math.floor(now.getTime() / 1000));
      headers['Webhook-Signature'] =
        c.auth === 'bad-signature'
          ? `v1,${Buffer.from(c.authJunk).toString('base64')}`
          : (c.auth === 'old-signed' ? new Webhook(OLD_SECRET) : signer).sign(id, now, raw);
      break;
    }
    case 'random':
      headers.Authorization = c.authJunk;
      break;
    case 'none':
      break;
  }
  let decodedPath = path;
  try {
    decodedPath = decodeURIComponent(path);
  } catch {
    // FC would have the decoded form; a malformed one stays raw
  }
  return Buffer.from(
    JSON.stringify({
      version: 'v1',
      rawPath: path,
      body: c.base64 === 'no' ? c.body : bytes.toString('base64'),
      isBase64Encoded: c.base64 !== 'no',
      headers,
      queryParameters: c.query,
      requestContext: {
        accountId: '123',
        domainName: 'x.cn-shanghai.fcapp.run',
        domainPrefix: 'x',
        http: { method, path: decodedPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.1', userAgent: 'fuzz' },
        requestId: 'fuzz',
        time: '2026-11-28T06:41:11Z',
        timeEpoch: '1795848071895',
      },
    }),
  );
}

/** Events that are not a v1 HTTP event at all: bytes, other JSON, wrong field types. */
const malformedEvent = fc.oneof(
  fc.uint8Array({ maxLength: 80 }).map((b) => Buffer.from(b)),
  fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  fc
    .record(
      {
        version: fc.constantFrom('v1', 'v2', 1),
        rawPath: fc.oneof(fc.constant('/v1/batch'), fc.integer()),
        body: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        isBase64Encoded: fc.oneof(fc.boolean(), fc.constant('yes')),
        headers: fc.oneof(
          fc.constant({ Authorization: `Bearer ${CI_TOKEN}` }),
          fc.constant([]),
          fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 1 })),
        ),
        queryParameters: fc.oneof(fc.constant({}), fc.constant({ dryRun: true })),
        requestContext: fc.oneof(
          fc.constant({ http: { method: 'POST' } }),
          fc.constant({}),
          fc.constant({ http: { method: 7 } }),
        ),
      },
      { requiredKeys: [] },
    )
    .map((e) => Buffer.from(JSON.stringify(e))),
);

const anyEvent = fc.oneof(
  { weight: 19, arbitrary: wellFormed.map(toEvent) },
  { weight: 1, arbitrary: malformedEvent },
);

// ---- the property ----------------------------------------------------------------------------------

const emu = useEmulator({ reset: 'never' });
let restoreSink: () => void;

beforeAll(() => {
  applyEnv(webhookEnv(emu));
  restoreSink = silenceLogs();
});
afterAll(() => {
  restoreSink();
});

describe('webhook fuzz', () => {
  it(`survives ${NUM_RUNS} arbitrary and hostile events: no 5xx, JSON errors, no upstream call for refused input`, async () => {
    const context = fcContext();
    const seen = { statuses: new Map<number, number>(), upstream: 0 };

    await fc.assert(
      fc.asyncProperty(anyEvent, async (event) => {
        const before = emu.stats.requests;
        const callsBefore = emu.calls.length;
        const response = (await handler(event, context)) as {
          statusCode: number;
          headers: Record<string, string>;
          body: string;
          isBase64Encoded: boolean;
        };
        const requests = emu.stats.requests - before;
        const writes = emu.calls.slice(callsBefore).filter((call) => call.action === 'ModifyJobGroup').length;
        seen.statuses.set(response.statusCode, (seen.statuses.get(response.statusCode) ?? 0) + 1);
        seen.upstream += requests;

        expect(response.statusCode).toBeGreaterThanOrEqual(200);
        expect(response.statusCode).toBeLessThan(500);
        expect(response.isBase64Encoded).toBe(false);
        expect(response.headers['Content-Type']).toMatch(/^application\/json/);
        if (response.body === '') {
          // Only HEAD answers without a body; it may read (a group's status), never write.
          const sent = JSON.parse(event.toString()) as { requestContext: { http: { method: string } } };
          expect(sent.requestContext.http.method.toUpperCase()).toBe('HEAD');
          expect(writes).toBe(0);
          return;
        }
        const json = JSON.parse(response.body) as {
          error?: { code: unknown; message: unknown };
          results?: Array<{ error?: { code: string } }>;
        };
        if (response.statusCode >= 300) {
          expect(typeof json.error?.message).toBe('string');
          expect(isErrorCode(json.error?.code)).toBe(true);
          if (OUR_REFUSALS.has(json.error?.code as string)) expect(requests).toBe(0);
        }
        if (
          response.statusCode === 207 &&
          json.results!.every((r) => OUR_REFUSALS.has(r.error?.code ?? ''))
        ) {
          expect(requests).toBe(0);
        }
        expect(response.body).not.toContain(CI_TOKEN);
        expect(response.body).not.toContain(NEW_SECRET.slice(6));
      }),
      { numRuns: NUM_RUNS, ...(process.env.FUZZ_SEED && { seed: Number(process.env.FUZZ_SEED) }) },
    );

    // The mix reached every layer: refusals of each kind, successes and real upstream traffic.
    for (const status of [200, 207, 400, 401, 404, 405, 415])
      expect(seen.statuses.get(status) ?? 0).toBeGreaterThan(0);
    expect(seen.upstream).toBeGreaterThan(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  }, 120_000);
});
