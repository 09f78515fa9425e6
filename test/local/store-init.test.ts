import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../local/cli.js';
import { startTablestoreEmulator, type TablestoreEmulator } from '../../local/tablestore/server.js';

let emulator: TablestoreEmulator;
beforeAll(async () => {
  emulator = await startTablestoreEmulator({
    accessKeyId: 'ak',
    accessKeySecret: 'sk',
    instance: 'autopilot1',
  });
});
afterAll(async () => {
  await emulator.close();
});

async function run(argv: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    env: {
      TABLESTORE_ENDPOINT: emulator.url,
      TABLESTORE_INSTANCE: 'autopilot1',
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'ak',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'sk',
      ...env,
    },
    cwd: process.cwd(),
  });
  return { code, stdout, stderr };
}

describe('autopilot store init', () => {
  it('creates the table with one STRING primary key pk and a 400-day TTL, then finds it on a second run', async () => {
    const first = await run(['store', 'init']);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toContain('created: table autopilot_state on autopilot1');
    expect(emulator.tables()).toContainEqual({
      name: 'autopilot_state',
      primaryKey: [{ name: 'pk', type: 2 }],
      timeToLive: 400 * 86_400,
      maxVersions: 1,
    });
    const second = await run(['store', 'init']);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('exists: table autopilot_state');
  });

  it('takes the TTL in days and the table from TABLESTORE_TABLE', async () => {
    const result = await run(['store', 'init', '--ttl-days', '40'], { TABLESTORE_TABLE: 'other_state' });
    expect(result.code).toBe(0);
    expect(emulator.tables().find((t) => t.name === 'other_state')?.timeToLive).toBe(40 * 86_400);
  });

  it('refuses a TTL that is not a whole number of days as a usage error', async () => {
    expect((await run(['store', 'init', '--ttl-days', 'x'])).code).toBe(2);
  });

  it('exits 1 naming STATE_UNAVAILABLE when the credentials are refused', async () => {
    const result = await run(['store', 'init'], { ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'wrong' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('STATE_UNAVAILABLE');
    expect(result.stderr).toContain('OTSAuthFailed');
  });

  it('exits 1 when TABLESTORE_INSTANCE is missing', async () => {
    const result = await run(['store', 'init'], { TABLESTORE_INSTANCE: '' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('TABLESTORE_INSTANCE');
  });
});
