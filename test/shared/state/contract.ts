import { describe, expect, it } from 'vitest';
import type { ListOptions, StateStore } from '../../../shared/state/store.js';

/** A store under test and the clock it reads (tests move it to expire records). */
export interface StoreFixture {
  readonly store: StateStore;
  readonly clock: { now: number };
}

/**
 * The one contract every StateStore adapter passes: run against `memory` directly and against
 * `tablestore` through the Tablestore wire emulator.
 */
export function describeStoreContract(name: string, setup: () => Promise<StoreFixture>): void {
  describe(`StateStore contract: ${name}`, () => {
    it('create is create-only: a second create answers the existing record and changes nothing', async () => {
      const { store } = await setup();
      const first = await store.create('t/a', { n: 1 }, { expiresAt: undefined });
      const second = await store.create('t/a', { n: 2 }, { expiresAt: undefined });
      expect(first).toEqual({ ok: true, record: { key: 't/a', value: { n: 1 }, version: 1 } });
      expect(second).toEqual({ ok: false, existing: { key: 't/a', value: { n: 1 }, version: 1 } });
      expect(await store.get('t/a')).toEqual({ key: 't/a', value: { n: 1 }, version: 1 });
    });

    it("keeps what was written, as JSON would: the caller's object changing later changes nothing", async () => {
      const { store } = await setup();
      const value = {
        n: 1,
        nested: { list: ['a', { deep: true }], gone: undefined },
        at: new Date('2026-06-01T00:00:00Z'),
      };
      await store.create('t/c', value, { expiresAt: undefined });
      value.n = 2;
      value.nested.list.push('b');
      (value.nested.list[1] as { deep: boolean }).deep = false;
      expect((await store.get('t/c'))?.value).toEqual({
        n: 1,
        nested: { list: ['a', { deep: true }] },
        at: '2026-06-01T00:00:00.000Z',
      });
    });

    it('keeps the value as it was when the call was made, not when the write went out', async () => {
      const { store } = await setup();
      const created = { n: 1, list: ['a'] };
      const updated = { n: 10 };
      // Not awaited before the change: a deferred writer (history) may go on with its object.
      const creating = store.create('t/m', created, { expiresAt: undefined });
      created.n = 2;
      created.list.push('b');
      const first = await creating;
      const updating = store.update('t/m', updated, { expectedVersion: 1, expiresAt: undefined });
      updated.n = 20;
      const second = await updating;

      expect(first).toEqual({ ok: true, record: { key: 't/m', value: { n: 1, list: ['a'] }, version: 1 } });
      expect(second).toEqual({ ok: true, record: { key: 't/m', value: { n: 10 }, version: 2 } });
      expect((await store.get('t/m'))?.value).toEqual({ n: 10 });
    });

    it('an expired record does not exist: get misses it and create replaces it', async () => {
      const { store, clock } = await setup();
      await store.create('t/e', { n: 1 }, { expiresAt: clock.now + 1_000 });
      expect((await store.get('t/e'))?.expiresAt).toBe(clock.now + 1_000);
      clock.now += 1_000;
      expect(await store.get('t/e')).toBeUndefined();
      const again = await store.create('t/e', { n: 2 }, { expiresAt: undefined });
      expect(again).toEqual({ ok: true, record: { key: 't/e', value: { n: 2 }, version: 1 } });
      expect(await store.list('t/')).toEqual([{ key: 't/e', value: { n: 2 }, version: 1 }]);
    });

    it('update is compare-and-set on the version', async () => {
      const { store } = await setup();
      await store.create('t/u', { n: 1 }, { expiresAt: undefined });
      const ok = await store.update('t/u', { n: 2 }, { expectedVersion: 1, expiresAt: undefined });
      const stale = await store.update('t/u', { n: 3 }, { expectedVersion: 1, expiresAt: undefined });
      const missing = await store.update('t/none', { n: 1 }, { expectedVersion: 1, expiresAt: undefined });
      expect(ok).toEqual({ ok: true, record: { key: 't/u', value: { n: 2 }, version: 2 } });
      expect(stale).toEqual({ ok: false, current: { key: 't/u', value: { n: 2 }, version: 2 } });
      expect(missing).toEqual({ ok: false, current: undefined });
    });

    it('concurrent compare-and-set updates: exactly one wins', async () => {
      const { store } = await setup();
      await store.create('t/race', { n: 0 }, { expiresAt: undefined });
      const results = await Promise.all(
        [1, 2, 3, 4, 5].map((n) =>
          store.update('t/race', { n }, { expectedVersion: 1, expiresAt: undefined }),
        ),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect((await store.get('t/race'))?.version).toBe(2);
    });

    it('concurrent creates: exactly one wins', async () => {
      const { store } = await setup();
      const results = await Promise.all(
        [1, 2, 3, 4].map((n) => store.create('t/claim', { n }, { expiresAt: undefined })),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(1);
    });

    it('delete removes a record, at its version when one is given', async () => {
      const { store } = await setup();
      await store.create('t/d', { n: 1 }, { expiresAt: undefined });
      expect(await store.delete('t/d', { expectedVersion: 7 })).toBe(false);
      expect(await store.get('t/d')).toBeDefined();
      expect(await store.delete('t/d', { expectedVersion: 1 })).toBe(true);
      expect(await store.get('t/d')).toBeUndefined();
      expect(await store.delete('t/d')).toBe(false);
    });

    it('list answers the live records under a prefix in key order, up to the limit', async () => {
      const { store, clock } = await setup();
      for (const key of ['p/b', 'p/a', 'p/c', 'q/a', 'p'])
        await store.create(key, { key }, { expiresAt: undefined });
      await store.create('p/x', { gone: true }, { expiresAt: clock.now + 10 });
      clock.now += 10;
      expect((await store.list('p/')).map((r) => r.key)).toEqual(['p/a', 'p/b', 'p/c']);
      expect((await store.list('p/', { limit: 2 })).map((r) => r.key)).toEqual(['p/a', 'p/b']);
      expect(await store.list('none/')).toEqual([]);
    });

    it('list with reverse answers the same records in descending key order, the limit counted from the end', async () => {
      const { store, clock } = await setup();
      for (const key of ['r/b', 'r/a', 'r/c', 'r', 's/a', 'q/z'])
        await store.create(key, { key }, { expiresAt: undefined });
      await store.create('r/x', { gone: true }, { expiresAt: clock.now + 10 });
      clock.now += 10;
      expect((await store.list('r/', { reverse: true })).map((r) => r.key)).toEqual(['r/c', 'r/b', 'r/a']);
      expect((await store.list('r/', { reverse: true, limit: 2 })).map((r) => r.key)).toEqual(['r/c', 'r/b']);
      expect(await store.list('none/', { reverse: true })).toEqual([]);
    });

    it('list after a key reads only the keys past it, either way; a key equal to the prefix is listed', async () => {
      const { store } = await setup();
      for (const key of ['k/', 'k/1', 'k/2', 'k/3', 'k/4', 'k0', 'j/9'])
        await store.create(key, { key }, { expiresAt: undefined });
      const keys = async (options: ListOptions) => (await store.list('k/', options)).map((r) => r.key);
      expect(await keys({})).toEqual(['k/', 'k/1', 'k/2', 'k/3', 'k/4']);
      expect(await keys({ reverse: true })).toEqual(['k/4', 'k/3', 'k/2', 'k/1', 'k/']);
      expect(await keys({ after: 'k/2' })).toEqual(['k/3', 'k/4']);
      expect(await keys({ after: 'k/2', limit: 1 })).toEqual(['k/3']);
      expect(await keys({ after: 'k/2', reverse: true })).toEqual(['k/4', 'k/3']);
      expect(await keys({ after: 'k/25', reverse: true, limit: 1 })).toEqual(['k/4']);
      // An `after` outside the prefix's keys: below them all reads them all, above them all none.
      expect(await keys({ after: 'j' })).toEqual(['k/', 'k/1', 'k/2', 'k/3', 'k/4']);
      expect(await keys({ after: 'j', reverse: true })).toEqual(['k/4', 'k/3', 'k/2', 'k/1', 'k/']);
      expect(await keys({ after: 'k0' })).toEqual([]);
      expect(await keys({ after: 'k/\x7f', reverse: true })).toEqual([]);
      // No rows asked for, none answered.
      expect(await keys({ limit: 0 })).toEqual([]);
      expect(await keys({ limit: 0.5, reverse: true })).toEqual([]);
    });

    it('keeps values as JSON: nested objects, strings with any characters, numbers', async () => {
      const { store } = await setup();
      const value = { s: '城东 "quoted" \\ \n', nested: { list: [1, 2.5, null, true] }, big: 2 ** 40 };
      await store.create('t/json', value, { expiresAt: undefined });
      expect((await store.get('t/json'))?.value).toEqual(value);
    });

    it('getMany answers the live records of the keys asked, each once, by key', async () => {
      const { store, clock } = await setup();
      await store.create('g/a', { n: 'a' }, { expiresAt: undefined });
      await store.create('g/b', { n: 'b' }, { expiresAt: undefined });
      await store.create('g/gone', { n: 'gone' }, { expiresAt: clock.now + 10 });
      await store.update('g/b', { n: 'b2' }, { expectedVersion: 1, expiresAt: undefined });
      clock.now += 10;

      const found = await store.getMany(['g/b', 'g/missing', 'g/a', 'g/gone', 'g/a']);

      expect([...found.keys()].sort()).toEqual(['g/a', 'g/b']);
      expect(found.get('g/a')).toEqual({ key: 'g/a', value: { n: 'a' }, version: 1 });
      expect(found.get('g/b')).toEqual({ key: 'g/b', value: { n: 'b2' }, version: 2 });
      expect(await store.getMany([])).toEqual(new Map());
    });

    it('getMany reads more keys than one backend request takes', async () => {
      const { store } = await setup();
      const keys = Array.from({ length: 250 }, (_, i) => `gm/${String(i).padStart(4, '0')}`);
      await Promise.all(
        keys.filter((_, i) => i % 2 === 0).map((key) => store.create(key, { key }, { expiresAt: undefined })),
      );

      const found = await store.getMany(keys);

      expect(found.size).toBe(125);
      expect(found.get('gm/0248')?.value).toEqual({ key: 'gm/0248' });
      expect(found.has('gm/0249')).toBe(false);
    });

    it('lists more records than one backend page', async () => {
      const { store } = await setup();
      await Promise.all(
        Array.from({ length: 250 }, (_, i) =>
          store.create(`many/${String(i).padStart(4, '0')}`, { i }, { expiresAt: undefined }),
        ),
      );
      const all = await store.list('many/', { limit: 1_000 });
      expect(all).toHaveLength(250);
      expect(all[249]?.value).toEqual({ i: 249 });
      const newest = await store.list('many/', { limit: 150, reverse: true });
      expect(newest.map((r) => (r.value as { i: number }).i)).toEqual(
        Array.from({ length: 150 }, (_, i) => 249 - i),
      );
    });
  });
}
