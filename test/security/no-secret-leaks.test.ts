import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCityVisualClient } from '../../shared/cityvisual/client.js';
import type { ModifyJobGroupRequest } from '../../shared/cityvisual/contract.js';
import { setLogSink } from '../../shared/log.js';
import { useEmulator } from '../support/emulator.js';

/**
 * Drives every kind of outcome through the real client with distinctive STS credentials, captures
 * every log line, every byte written to stdout/stderr and every error object, and looks for the
 * secret, the security token and every signature that went over the wire.
 */
const STS = {
  accessKeyId: 'STS.LEAKCHECKKEYID',
  accessKeySecret: 'leak-check-secret-9f8e7d6c5b4a',
  securityToken: 'leak-check-security-token-CAIS1234567890abcdef',
};

const emu = useEmulator({ credentials: [STS], reset: 'never' });
let proxy: http.Server;
let proxyUrl: string;
const signatures = new Set<string>();

beforeAll(async () => {
  // A recording proxy in front of the emulator: it sees each signed body, so we know every signature.
  proxy = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString();
    const signature = new URLSearchParams(body).get('Signature');
    if (signature) signatures.add(signature);
    const upstream = await fetch(`${emu.url}/`, {
      method: req.method ?? 'POST',
      headers: { 'content-type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded' },
      body,
    }).catch(() => undefined);
    if (!upstream) {
      req.socket.destroy();
      return;
    }
    res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
});
afterAll(async () => {
  proxy.closeAllConnections();
  await new Promise((resolve) => proxy.close(resolve));
});

const request: ModifyJobGroupRequest = {
  AlgoLibId: '2',
  JobGroupId: '1',
  JobGroupName: 'CrossroadsNorth',
  ResourceProfileId: '23',
};

describe('secrets never leave', () => {
  it('no log line, output or error object of any outcome contains a secret, token or signature', async () => {
    const captured: string[] = [];
    const previousSink = setLogSink((line) => captured.push(line));
    const previousLevel = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = 'debug';
    const writes = {
      out: process.stdout.write.bind(process.stdout),
      err: process.stderr.write.bind(process.stderr),
    };
    const tap =
      (original: typeof process.stdout.write) =>
      (chunk: unknown, ...rest: unknown[]): boolean => {
        captured.push(String(chunk));
        return (original as (c: unknown, ...r: unknown[]) => boolean)(chunk, ...rest);
      };
    process.stdout.write = tap(writes.out) as typeof process.stdout.write;
    process.stderr.write = tap(writes.err) as typeof process.stderr.write;
    const errors: unknown[] = [];
    try {
      const client = (endpoint: string, credentials = STS) =>
        createCityVisualClient({
          endpoint,
          credentials,
          baseDelayMs: 1,
          maxDelayMs: 5,
          timeoutMs: 300,
          maxAttempts: 3,
        });
      const attempt = async (fn: () => Promise<unknown>) => {
        try {
          await fn();
        } catch (error) {
          errors.push(error);
        }
      };
      await attempt(() => client(proxyUrl).modifyJobGroup({ ...request, PlanedJobCount: 3 }));
      await attempt(() => client(proxyUrl).describeJobGroup('cv-demo-instance', '1'));
      await attempt(() => client(proxyUrl).modifyJobGroup({ ...request, JobGroupId: '999' }));
      await attempt(() => client(proxyUrl).modifyJobGroup({ ...request, AlgoLibId: '404' }));
      await attempt(() =>
        client(proxyUrl, { ...STS, accessKeySecret: `${STS.accessKeySecret}-wrong` }).modifyJobGroup(request),
      );
      await attempt(() =>
        client(proxyUrl, { ...STS, securityToken: `${STS.securityToken}-wrong` }).modifyJobGroup(request),
      );
      for (const faults of [{ throttleRate: 1 }, { errorRate: 1 }, { resetRate: 1 }, { hangRate: 1 }]) {
        emu.setFaults(faults);
        await attempt(() => client(proxyUrl).modifyJobGroup(request));
      }
      emu.setFaults({});
      await attempt(() => client('http://127.0.0.1:9').modifyJobGroup(request));
    } finally {
      process.stdout.write = writes.out;
      process.stderr.write = writes.err;
      setLogSink(previousSink);
      if (previousLevel === undefined) delete process.env.LOG_LEVEL;
      else process.env.LOG_LEVEL = previousLevel;
    }

    expect(errors.length).toBeGreaterThanOrEqual(9);
    expect(signatures.size).toBeGreaterThanOrEqual(10);
    expect(captured.length).toBeGreaterThan(0);
    const haystack = [
      ...captured,
      ...errors.flatMap((error) => [
        inspect(error, { showHidden: true, depth: 10 }),
        JSON.stringify(error),
        JSON.stringify((error as { toPublic?: () => unknown }).toPublic?.()),
        String((error as Error).message),
      ]),
    ].join('\n');
    const needles = [
      STS.accessKeySecret,
      STS.securityToken,
      ...signatures,
      encodeURIComponent(STS.securityToken),
    ];
    for (const needle of needles) expect(haystack).not.toContain(needle);
    expect(haystack).not.toMatch(/Signature=|SecurityToken=/);
  });
});
