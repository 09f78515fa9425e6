import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTablestoreEmulator, type TablestoreEmulator } from '../../../local/tablestore/server.js';
import { createTablestoreStore, ensureTable } from '../../../shared/state/tablestore.js';
import { describeStoreContract } from './contract.js';

const credentials = { accessKeyId: 'test-ak', accessKeySecret: 'test-secret', securityToken: 'test-sts' };
const instance = 'autopilot-test';
let emulator: TablestoreEmulator;
let tableCount = 0;

beforeAll(async () => {
  emulator = await startTablestoreEmulator({ ...credentials, instance });
});
afterAll(async () => {
  await emulator.close();
});

/** A fresh table per test, made as `store init` makes it. */
async function freshStore(options: { requestTimeoutMs?: number; secret?: string } = {}) {
  const table = `state_${++tableCount}`;
  await ensureTable({ endpoint: emulator.url, instance, table, credentials });
  const clock = { now: Date.UTC(2026, 11, 2, 12) };
  const store = createTablestoreStore({
    endpoint: emulator.url,
    instance,
    table,
    credentials: { ...credentials, ...(options.secret !== undefined && { accessKeySecret: options.secret }) },
    now: () => clock.now,
    ...(options.requestTimeoutMs !== undefined && { requestTimeoutMs: options.requestTimeoutMs }),
  });
  return { store, clock, table };
}

describeStoreContract('tablestore (through the wire emulator)', freshStore);

describe('tablestore store', () => {
  it('pages past expired rows the table still holds in a few requests, not one per row', async () => {
    // Prepare: 300 rows past their expiry (the table's TTL has not removed them) under one live row
    const { store, clock } = await freshStore();
    await store.create('e/000', { live: true }, { expiresAt: undefined });
    for (let i = 1; i <= 300; i++)
      await store.create(`e/${String(i).padStart(3, '0')}`, { i }, { expiresAt: clock.now + 1_000 });
    clock.now += 2_000;
    const before = emulator.requests.GetRange ?? 0;

    // Act: the newest live row, going backward through the expired ones
    const rows = await store.list('e/', { reverse: true, limit: 1 });

    // Assess: 1, 2, 4, … rows a page, at most 100 a page here (the service: 5,000)
    expect(rows.map((r) => r.key)).toEqual(['e/000']);
    expect((emulator.requests.GetRange ?? 0) - before).toBeLessThanOrEqual(10);
  });

  it('getMany reads 100 rows to a BatchGetRow request, and fails closed when one row fails alone', async () => {
    const { store } = await freshStore();
    const keys = Array.from({ length: 201 }, (_, i) => `b/${i}`);
    await store.create('b/7', { n: 7 }, { expiresAt: undefined });
    const before = emulator.requests.BatchGetRow ?? 0;

    const found = await store.getMany(keys);
    const requests = (emulator.requests.BatchGetRow ?? 0) - before;
    emulator.inject('row-busy');
    const failed = await store.getMany(keys).then(
      () => undefined,
      (error: unknown) => error as { code?: string; message?: string; upstream?: unknown },
    );

    expect([...found.values()]).toEqual([{ key: 'b/7', value: { n: 7 }, version: 1 }]);
    expect(requests).toBe(3);
    expect(failed).toMatchObject({ code: 'STATE_UNAVAILABLE', upstream: { code: 'OTSServerBusy' } });
    expect(failed?.message).toContain('BatchGetRow');
  });

  it('stores one row per record: pk, value as JSON, version and expiresAt as integers', async () => {
    const { store, table, clock } = await freshStore();
    await store.create('sched/g1', { n: 1 }, { expiresAt: clock.now + 5_000 });
    expect(emulator.rows(table)).toEqual([
      {
        key: 'sched/g1',
        columns: {
          value: { type: 'string', value: '{"n":1}' },
          version: { type: 'int', value: 1 },
          expiresAt: { type: 'int', value: clock.now + 5_000 },
        },
      },
    ]);
  });

  it('an update of an expired record fails even at its version, and create replaces the stale row', async () => {
    const { store, clock, table } = await freshStore();
    await store.create('t/x', { n: 1 }, { expiresAt: clock.now + 10 });
    clock.now += 10;
    expect(await store.update('t/x', { n: 2 }, { expectedVersion: 1, expiresAt: undefined })).toEqual({
      ok: false,
      current: undefined,
    });
    expect(await store.delete('t/x')).toBe(false);
    expect(emulator.rows(table)).toHaveLength(1); // the backend still holds it, as Tablestore does before its TTL
    expect((await store.create('t/x', { n: 3 }, { expiresAt: undefined })).ok).toBe(true);
  });

  it('fails closed with STATE_UNAVAILABLE when the service answers 503, and sends one request (no SDK retries)', async () => {
    const { store } = await freshStore();
    const before = emulator.requests.GetRow ?? 0;
    emulator.inject('unavailable');
    await expect(store.get('t/a')).rejects.toMatchObject({
      code: 'STATE_UNAVAILABLE',
      retryable: true,
      upstream: { code: 'OTSServerBusy', httpStatus: 503 },
    });
    expect((emulator.requests.GetRow ?? 0) - before).toBe(1);
  });

  it('fails closed when the connection is closed, without retrying', async () => {
    const { store } = await freshStore();
    const before = emulator.requests.PutRow ?? 0;
    emulator.inject('close');
    await expect(store.create('t/a', {}, { expiresAt: undefined })).rejects.toMatchObject({
      code: 'STATE_UNAVAILABLE',
    });
    expect((emulator.requests.PutRow ?? 0) - before).toBe(1);
  });

  it('fails closed when the service hangs past the request timeout', async () => {
    const { store } = await freshStore({ requestTimeoutMs: 200 });
    emulator.inject('hang');
    const started = Date.now();
    // The SDK reports its own timeout as a NetworkingError.
    await expect(store.get('t/a')).rejects.toMatchObject({ code: 'STATE_UNAVAILABLE' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('fails closed when nothing listens at the endpoint', async () => {
    const down = await startTablestoreEmulator({ ...credentials });
    const url = down.url;
    await down.close();
    const store = createTablestoreStore({ endpoint: url, instance, table: 't', credentials });
    await expect(store.list('t/')).rejects.toMatchObject({
      code: 'STATE_UNAVAILABLE',
      upstream: { code: 'NetworkingError' },
    });
  });

  it('the emulator refuses a wrong signature, and the store reports it without the service message', async () => {
    const { store } = await freshStore({ secret: 'wrong-secret' });
    const error = await store.get('t/a').catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'STATE_UNAVAILABLE',
      upstream: { code: 'OTSAuthFailed', httpStatus: 403 },
    });
    expect(String((error as Error).message)).not.toContain('Signature mismatch');
  });
});
