import { afterEach, describe, expect, it } from 'vitest';
import { createFc3Invoker } from '../../../shared/fanout/fc3.js';
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
