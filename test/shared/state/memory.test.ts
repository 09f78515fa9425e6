import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AutopilotError } from '../../../shared/errors.js';
import { createMemoryStore } from '../../../shared/state/memory.js';
import { describeStoreContract } from './contract.js';

describeStoreContract('memory', async () => {
  const clock = { now: Date.UTC(2026, 11, 2, 12) };
  return { store: createMemoryStore({ now: () => clock.now }), clock };
});

describe('memory store', () => {
  it('keeps its records in a file across a restart when given one', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'state-')), 'state', 'store.json');
    const first = createMemoryStore({ file });
    await first.create('hold/3/a', { kind: 'pin' }, { expiresAt: Date.now() + 60_000 });
    // Writes are coalesced: at most every 200 ms.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const second = createMemoryStore({ file });
    expect((await second.get('hold/3/a'))?.value).toEqual({ kind: 'pin' });
  });

  it('fails closed when full of live records instead of forgetting one', async () => {
    const clock = { now: 0 };
    const store = createMemoryStore({ maxRecords: 2, now: () => clock.now });
    await store.create('a', {}, { expiresAt: 100 });
    await store.create('b', {}, { expiresAt: undefined });
    await expect(store.create('c', {}, { expiresAt: undefined })).rejects.toMatchObject({
      code: 'STATE_UNAVAILABLE',
    });
    clock.now = 100;
    expect((await store.create('c', {}, { expiresAt: undefined })).ok).toBe(true);
  });

  it('refuses a malformed key as a bug, not as input', async () => {
    const store = createMemoryStore();
    await expect(store.get('has space')).rejects.toBeInstanceOf(AutopilotError);
  });
});
