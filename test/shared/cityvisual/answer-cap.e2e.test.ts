import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { DEMO_CREDENTIAL } from '../../../local/emulator/index.js';
import { createCityVisualClient, MAX_ANSWER_BYTES } from '../../../shared/cityvisual/client.js';
import { expectFailure } from '../../support/failure.js';
import { startHostileEndpoint } from '../../support/hostile-endpoint.js';

const TOTAL = 128 * 1024 * 1024;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

const describeOnce = (endpoint: string) =>
  createCityVisualClient({
    endpoint,
    credentials: DEMO_CREDENTIAL,
    maxAttempts: 1,
    timeoutMs: 20_000,
  }).describeJobGroups({ instanceId: 'cv-demo-instance' });

describe('CityVisual answers are read up to MAX_ANSWER_BYTES', () => {
  it('drops the connection of an endless chunked answer and fails as UPSTREAM_UNREADABLE', async () => {
    const endpoint = await startHostileEndpoint({ totalBytes: TOTAL });
    closers.push(endpoint.close);
    const rssBefore = process.memoryUsage().rss;

    expect((await expectFailure(describeOnce(endpoint.url))).code).toBe('UPSTREAM_UNREADABLE');

    await endpoint.sent[0]?.closed;
    expect(endpoint.sent[0]?.finished).toBe(false);
    // Loopback socket buffers hold a few MiB at most; the client read nothing past the cap.
    expect(endpoint.sent[0]?.bytes).toBeLessThan(32 * 1024 * 1024);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
  });

  it('refuses an answer whose Content-Length is over the cap before reading its body', async () => {
    const endpoint = await startHostileEndpoint({
      totalBytes: TOTAL,
      headers: { 'content-length': String(TOTAL + 16) },
    });
    closers.push(endpoint.close);

    expect((await expectFailure(describeOnce(endpoint.url))).code).toBe('UPSTREAM_UNREADABLE');

    await endpoint.sent[0]?.closed;
    expect(endpoint.sent[0]?.finished).toBe(false);
    expect(endpoint.sent[0]?.bytes).toBeLessThan(32 * 1024 * 1024);
  });

  it('never inflates a compressed answer (a gzip bomb fails as not-JSON)', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * MAX_ANSWER_BYTES, ' '));
    const server = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(bomb);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const rssBefore = process.memoryUsage().rss;

    expect((await expectFailure(describeOnce(url))).code).toBe('UPSTREAM_UNREADABLE');

    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(32 * 1024 * 1024);
  });
});
