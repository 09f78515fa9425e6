import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTablestoreEmulator, type TablestoreEmulator } from '../../../local/tablestore/server.js';
import { parseEnv } from '../../../shared/config/env.js';
import { toInvocation } from '../../../shared/fc/context.js';
import { stateStoreFor, tablestoreEndpoint } from '../../../shared/state/select.js';
import { ensureTable } from '../../../shared/state/tablestore.js';

const sts = { accessKeyId: 'STS.role', accessKeySecret: 'role-secret', securityToken: 'role-token' };
let emulator: TablestoreEmulator;
beforeAll(async () => {
  emulator = await startTablestoreEmulator({ ...sts, instance: 'autopilot' });
  await ensureTable({
    endpoint: emulator.url,
    instance: 'autopilot',
    table: 'autopilot_state',
    credentials: sts,
  });
});
afterAll(async () => {
  await emulator.close();
});

describe('stateStoreFor with STATE_STORE=tablestore', () => {
  it("uses the invocation's STS credentials (the emulator checks key, signature and token)", async () => {
    const env = parseEnv({
      STATE_STORE: 'tablestore',
      TABLESTORE_INSTANCE: 'autopilot',
      TABLESTORE_ENDPOINT: emulator.url,
    });
    const store = stateStoreFor(
      env,
      toInvocation({ credentials: sts, accountId: '123', function: { timeout: 10 } }),
    );
    expect(store.kind).toBe('tablestore');
    expect((await store.create('t/sel', { ok: true }, { expiresAt: undefined })).ok).toBe(true);
    expect(emulator.rows('autopilot_state').map((r) => r.key)).toContain('t/sel');
  });

  it('defaults the endpoint to the public endpoint of the instance in CITYVISUAL_REGION', () => {
    const env = parseEnv({
      STATE_STORE: 'tablestore',
      TABLESTORE_INSTANCE: 'autopilot',
      CITYVISUAL_REGION: 'cn-beijing',
    });
    expect(tablestoreEndpoint(env)).toBe('https://autopilot.cn-beijing.ots.aliyuncs.com');
  });

  it('fails with CREDENTIALS_MISSING without a role or ALIBABA_CLOUD_* keys', () => {
    const saved = { ...process.env };
    delete process.env.ALIBABA_CLOUD_ACCESS_KEY_ID;
    delete process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET;
    try {
      const env = parseEnv({ STATE_STORE: 'tablestore', TABLESTORE_INSTANCE: 'autopilot' });
      expect(() => stateStoreFor(env, toInvocation({}))).toThrow(
        expect.objectContaining({ code: 'CREDENTIALS_MISSING' }),
      );
    } finally {
      process.env = saved;
    }
  });
});
