import { afterEach, describe, expect, it } from 'vitest';
import { AutopilotError } from '../../../shared/errors.js';
import { createFc2Invoker } from '../../../shared/fanout/fc2.js';
import { createFc3Invoker } from '../../../shared/fanout/fc3.js';
import type { Invoker } from '../../../shared/fanout/invoker.js';
import { buildShardEvent } from '../../../shared/scheduler/fanout.js';
import { type StandIn, type StandInAnswer, startFc2StandIn, startFc3StandIn } from './stand-ins.js';

const KEY = { accessKeyId: 'FANOUTTESTKEYID', accessKeySecret: 'fanout-test-secret' };
const STS = {
  accessKeyId: 'STS.fanouttestkey',
  accessKeySecret: 'fanout-sts-secret',
  securityToken: 'CAIS-token+/=',
};
const EVENT = buildShardEvent(
  { tick: new Date('2026-06-01T00:00:00Z'), trigger: 'reconcile-every-5m' },
  { jobGroupIds: ['1', '2'] },
  0,
  2,
);

let standIn: StandIn | undefined;
afterEach(async () => {
  await standIn?.close();
  standIn = undefined;
});

async function rejection(promise: Promise<unknown>): Promise<AutopilotError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AutopilotError);
    return error as AutopilotError;
  }
  throw new Error('expected a rejection');
}

const fc3 = (url: string, overrides: Partial<Parameters<typeof createFc3Invoker>[0]> = {}): Invoker =>
  createFc3Invoker({
    accountId: '1234567890123456',
    region: 'cn-shanghai',
    functionName: 'autopilot-scheduler',
    credentials: KEY,
    endpoint: url,
    ...overrides,
  });

const fc2 = (url: string, overrides: Partial<Parameters<typeof createFc2Invoker>[0]> = {}): Invoker =>
  createFc2Invoker({
    accountId: '1234567890123456',
    region: 'cn-shanghai',
    serviceName: 'autopilot',
    functionName: 'autopilot-scheduler',
    credentials: KEY,
    endpoint: url,
    ...overrides,
  });

describe('fc3 invoker (FC 3.0 InvokeFunction) against a stand-in of the API', () => {
  it('POSTs the shard event, Async, ACS3-signed, to /2023-03-30/functions/<fn>/invocations', async () => {
    // Prepare
    standIn = await startFc3StandIn({ accessKeySecret: KEY.accessKeySecret });

    // Act
    const receipt = await fc3(standIn.url).invokeAsync(EVENT);

    // Assess
    const [request] = standIn.received;
    expect(request).toMatchObject({
      method: 'POST',
      path: '/2023-03-30/functions/autopilot-scheduler/invocations',
      signatureValid: true,
    });
    expect(request?.headers['x-fc-invocation-type']).toBe('Async');
    expect(request?.headers['x-acs-action']).toBe('InvokeFunction');
    expect(request?.headers['x-acs-version']).toBe('2023-03-30');
    expect(request?.headers.authorization).toMatch(
      /^ACS3-HMAC-SHA256 Credential=FANOUTTESTKEYID,SignedHeaders=[a-z0-9;-]+,Signature=[0-9a-f]{64}$/,
    );
    expect(request?.body.equals(EVENT)).toBe(true);
    expect(receipt).toEqual({ requestId: 'standin-1' });
  });

  it('signs the STS token and the qualifier', async () => {
    standIn = await startFc3StandIn({ accessKeySecret: STS.accessKeySecret });

    await fc3(standIn.url, { credentials: STS, qualifier: 'prod' }).invokeAsync(EVENT);

    const [request] = standIn.received;
    expect(request?.path).toBe('/2023-03-30/functions/autopilot-scheduler/invocations?qualifier=prod');
    expect(request?.headers['x-acs-security-token']).toBe(STS.securityToken);
    expect(request?.headers.authorization).toContain('x-acs-security-token');
    expect(request?.signatureValid).toBe(true);
  });

  it('sends a task id signed, and reports a second invocation with it as a duplicate (409)', async () => {
    standIn = await startFc3StandIn({ accessKeySecret: KEY.accessKeySecret });
    const invoker = fc3(standIn.url);

    const first = await invoker.invokeAsync(EVENT, { taskId: 'shard-1-1of2-abc' });
    const again = await invoker.invokeAsync(EVENT, { taskId: 'shard-1-1of2-abc' });

    expect(first).toEqual({ requestId: 'standin-1' });
    expect(again).toEqual({ duplicate: true, requestId: 'standin-2' });
    expect(standIn.received.map((r) => [r.headers['x-fc-async-task-id'], r.signatureValid])).toEqual([
      ['shard-1-1of2-abc', true],
      ['shard-1-1of2-abc', true],
    ]);
  });

  it('a request signed with another secret is refused, and that is not retryable', async () => {
    standIn = await startFc3StandIn({ accessKeySecret: 'the-right-secret' });

    const error = await rejection(fc3(standIn.url).invokeAsync(EVENT));

    expect(standIn.received[0]?.signatureValid).toBe(false);
    expect(error).toMatchObject({
      code: 'FANOUT_REJECTED',
      retryable: false,
      upstream: { httpStatus: 403, code: 'SignatureNotMatch', requestId: 'standin-1' },
    });
  });

  it.each<[StandInAnswer, string, boolean]>([
    [{ status: 429, code: 'ResourceThrottled' }, 'FANOUT_UNAVAILABLE', true],
    [{ status: 503, code: 'ServiceUnavailable' }, 'FANOUT_UNAVAILABLE', true],
    [{ status: 404, code: 'FunctionNotFound' }, 'FANOUT_REJECTED', false],
    [{ status: 400, code: 'InvalidArgument' }, 'FANOUT_REJECTED', false],
    [{ status: 409, code: 'Conflict' }, 'FANOUT_REJECTED', false], // 409 is a duplicate only with a task id
  ])(
    'maps an answer %j to %s (retryable %s), keeping FC code and request id only',
    async (answer, code, retryable) => {
      standIn = await startFc3StandIn({ accessKeySecret: KEY.accessKeySecret, answer: () => answer });

      const error = await rejection(fc3(standIn.url).invokeAsync(EVENT));

      expect(error).toMatchObject({
        code,
        retryable,
        upstream: { httpStatus: answer.status, code: answer.code },
      });
      expect(error.message).not.toContain('stand-in refused');
    },
  );

  it('a refused connection is FANOUT_UNAVAILABLE (retryable)', async () => {
    standIn = await startFc3StandIn({ accessKeySecret: KEY.accessKeySecret });
    const url = standIn.url;
    await standIn.close();
    standIn = undefined;

    const error = await rejection(fc3(url).invokeAsync(EVENT));

    expect(error).toMatchObject({ code: 'FANOUT_UNAVAILABLE', retryable: true });
  });
});

describe('fc2 invoker (@alicloud/fc2, FC 2.0 API) against a stand-in of the API', () => {
  it('POSTs the shard event, Async, FC-signed, to /2016-08-15/services/<svc>/functions/<fn>/invocations', async () => {
    standIn = await startFc2StandIn({ accessKeySecret: KEY.accessKeySecret });

    const receipt = await fc2(standIn.url).invokeAsync(EVENT);

    const [request] = standIn.received;
    expect(request).toMatchObject({
      method: 'POST',
      path: '/2016-08-15/services/autopilot/functions/autopilot-scheduler/invocations',
      signatureValid: true,
    });
    expect(request?.headers['x-fc-invocation-type']).toBe('Async');
    expect(request?.headers.authorization).toMatch(/^FC FANOUTTESTKEYID:[A-Za-z0-9+/]+=*$/);
    expect(request?.body.equals(EVENT)).toBe(true);
    expect(receipt).toEqual({ requestId: 'standin-1' });
  });

  it('sends and signs the STS token (x-fc-security-token) and the qualifier', async () => {
    standIn = await startFc2StandIn({ accessKeySecret: STS.accessKeySecret });

    await fc2(standIn.url, { credentials: STS, qualifier: 'prod' }).invokeAsync(EVENT);

    const [request] = standIn.received;
    expect(request?.path).toBe(
      '/2016-08-15/services/autopilot.prod/functions/autopilot-scheduler/invocations',
    );
    expect(request?.headers['x-fc-security-token']).toBe(STS.securityToken);
    expect(request?.signatureValid).toBe(true);
  });

  it.each<[StandInAnswer, string, boolean]>([
    [{ status: 429, code: 'ResourceThrottled' }, 'FANOUT_UNAVAILABLE', true],
    [{ status: 500, code: 'InternalServerError' }, 'FANOUT_UNAVAILABLE', true],
    [{ status: 403, code: 'AccessDenied' }, 'FANOUT_REJECTED', false],
    [{ status: 404, code: 'ServiceNotFound' }, 'FANOUT_REJECTED', false],
  ])('maps an answer %j to %s (retryable %s)', async (answer, code, retryable) => {
    standIn = await startFc2StandIn({ accessKeySecret: KEY.accessKeySecret, answer: () => answer });

    const error = await rejection(fc2(standIn.url).invokeAsync(EVENT));

    expect(error).toMatchObject({
      code,
      retryable,
      upstream: { httpStatus: answer.status, requestId: 'standin-1' },
    });
  });

  it('without @alicloud/fc2 installed, says to use the fc3 invoker (not retryable)', async () => {
    const missing = Object.assign(new Error("Cannot find package '@alicloud/fc2'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const invoker = fc2('http://127.0.0.1:9', { loadClient: () => Promise.reject(missing) });

    const error = await rejection(invoker.invokeAsync(EVENT));

    expect(error).toMatchObject({ code: 'FANOUT_REJECTED', retryable: false });
    expect(error.message).toContain('FANOUT_INVOKER=fc3');
  });
});
