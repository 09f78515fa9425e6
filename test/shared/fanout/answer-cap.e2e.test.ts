import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { createFc2Invoker } from '../../../shared/fanout/fc2.js';
import { createFc3Invoker, MAX_ANSWER_BYTES } from '../../../shared/fanout/fc3.js';
import { buildShardEvent } from '../../../shared/scheduler/fanout.js';
import { expectFailure } from '../../support/failure.js';
import { type HostileEndpoint, startHostileEndpoint } from '../../support/hostile-endpoint.js';

const EVENT = buildShardEvent(
  { tick: new Date('2026-06-01T00:00:00Z'), trigger: 'reconcile-every-5m' },
  { jobGroupIds: ['1'] },
  0,
  1,
);

let endpoint: HostileEndpoint | undefined;
afterEach(async () => {
  await endpoint?.close();
  endpoint = undefined;
});

describe('fc3 invoker reads FC answers up to MAX_ANSWER_BYTES', () => {
  it.each([202, 503])('drops an endless %i answer and fails as FANOUT_UNAVAILABLE', async (status) => {
    endpoint = await startHostileEndpoint({ status, totalBytes: 128 * 1024 * 1024 });
    const invoker = createFc3Invoker({
      accountId: '1234567890123456',
      region: 'cn-shanghai',
      functionName: 'autopilot-scheduler',
      credentials: { accessKeyId: 'FANOUTTESTKEYID', accessKeySecret: 'fanout-test-secret' },
      endpoint: endpoint.url,
      timeoutMs: 20_000,
    });

    const error = await expectFailure(invoker.invokeAsync(EVENT));

    expect(error.code).toBe('FANOUT_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    await endpoint.sent[0]?.closed;
    expect(endpoint.sent[0]?.finished).toBe(false);
    expect(endpoint.sent[0]?.bytes).toBeLessThan(32 * 1024 * 1024);
  });
});

describe('fc2 invoker (@alicloud/fc2, no transport seam) reads FC answers up to MAX_ANSWER_BYTES', () => {
  const fc2 = (url: string) =>
    createFc2Invoker({
      accountId: '1234567890123456',
      region: 'cn-shanghai',
      serviceName: 'autopilot',
      functionName: 'autopilot-scheduler',
      credentials: { accessKeyId: 'FANOUTTESTKEYID', accessKeySecret: 'fanout-test-secret' },
      endpoint: url,
      timeoutMs: 20_000,
    });

  it.each([202, 503])('drops an endless %i answer and fails as FANOUT_UNAVAILABLE', async (status) => {
    endpoint = await startHostileEndpoint({ status, totalBytes: 128 * 1024 * 1024 });

    const error = await expectFailure(fc2(endpoint.url).invokeAsync(EVENT));

    expect(error.code).toBe('FANOUT_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    await endpoint.sent[0]?.closed;
    expect(endpoint.sent[0]?.finished).toBe(false);
    expect(endpoint.sent[0]?.bytes).toBeLessThan(32 * 1024 * 1024);
  });

  it('never inflates a gzip bomb (the capped agent takes the encoding away)', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * MAX_ANSWER_BYTES, ' '));
    const server = http.createServer((req, res) => {
      req.resume();
      res.writeHead(202, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(bomb);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const before = process.memoryUsage().rss;
    try {
      const error = await expectFailure(
        fc2(`http://127.0.0.1:${(server.address() as AddressInfo).port}`).invokeAsync(EVENT),
      );

      expect(error.code).toBe('FANOUT_UNAVAILABLE');
      expect(process.memoryUsage().rss - before).toBeLessThan(48 * 1024 * 1024);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('still reads a normal answer', async () => {
    const server = http.createServer((req, res) => {
      req.resume();
      res.writeHead(202, { 'x-fc-request-id': 'req-fc2-ok', 'content-type': 'text/plain' }).end('');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const receipt = await fc2(`http://127.0.0.1:${(server.address() as AddressInfo).port}`).invokeAsync(
        EVENT,
      );

      expect(receipt).toEqual({ requestId: 'req-fc2-ok' });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
