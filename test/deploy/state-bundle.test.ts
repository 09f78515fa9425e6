import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleOptions } from '../../build.js';
import { codecRoots, slimCodec } from '../../local/bundle/tablestore-members.js';
import { startTablestoreEmulator, type TablestoreEmulator } from '../../local/tablestore/server.js';
import type * as Adapter from '../../shared/state/tablestore.js';
import { ensureTable } from '../../shared/state/tablestore.js';
import { REPO, TEST_BUILD } from './helpers.js';

const credentials = { accessKeyId: 'bundle-ak', accessKeySecret: 'bundle-sk' };
const outdir = path.join(TEST_BUILD, 'state-entry');
let emulator: TablestoreEmulator;
let inputs: Record<string, { bytesInOutput: number }>;
let bytes = 0;
let adapter: typeof Adapter;
let loadMs = 0;

beforeAll(async () => {
  emulator = await startTablestoreEmulator({ ...credentials, instance: 'bundled' });
  const result = await build(
    bundleOptions(path.join(REPO, 'test', 'deploy', 'fixtures', 'state-entry.ts'), outdir),
  );
  const output = Object.entries(result.metafile.outputs).find(([file]) => file.endsWith('index.js'))?.[1];
  inputs = output?.inputs ?? {};
  bytes = output?.bytes ?? 0;
  const load = createRequire(import.meta.url);
  const started = performance.now();
  adapter = load(path.join(outdir, 'index.js')) as typeof Adapter;
  loadMs = performance.now() - started;
}, 60_000);
afterAll(async () => {
  await emulator.close();
});

describe('the tablestore adapter, bundled', () => {
  it('carries only the protobuf messages of the calls the product makes, and no SQL decoding', () => {
    const sdk = Object.entries(inputs).filter(([file]) => file.includes('node_modules/tablestore/'));
    const proto = sdk.find(([file]) => file.endsWith('tablestore_compiled_proto.js'))?.[1].bytesInOutput ?? 0;
    // Naively ~630 KB; the messages of the 6 row operations and the enums they and the SDK use are far less.
    expect(proto).toBeLessThan(60_000);
    const flatbuffers = Object.entries(inputs).filter(([file]) => file.includes('node_modules/flatbuffers/'));
    expect(flatbuffers.reduce((sum, [, input]) => sum + input.bytesInOutput, 0)).toBeLessThan(100);
    // A regression guard on the whole adapter bundle (SDK, protobufjs runtime, our adapter, errors, zod).
    expect(bytes).toBeLessThan(240_000);
  });

  it("carries the SDK's encoder and decoder only for the row calls: every other member throws", () => {
    const sdkFile = (name: string) =>
      Object.entries(inputs).find(([file]) =>
        file.endsWith(`node_modules/tablestore/lib/protocol/${name}`),
      )?.[1].bytesInOutput ?? 0;
    // Naively ~30 KB and ~13 KB minified, most of it search, index, SQL and transactions.
    expect(sdkFile('encoder.js')).toBeLessThan(16_000);
    expect(sdkFile('decoder.js')).toBeLessThan(10_000);
    const source = readFileSync(path.join(REPO, 'node_modules/tablestore/lib/protocol/encoder.js'), 'utf8');
    const slim = slimCodec(source, 'encoder');
    // The row calls and the condition and filter helpers they use stay; search and the rest do not.
    expect(slim.kept).toEqual(
      expect.arrayContaining([...codecRoots('encoder'), '_makeCondition', '_makeColumnCondition']),
    );
    expect(slim.stubbed).toEqual(
      expect.arrayContaining(['encodeSearch', 'encodeSQLQuery', 'encodeBatchWriteRow']),
    );
    expect(slim.kept.filter((name) => slim.stubbed.includes(name))).toEqual([]);
    // search.js is bundled empty: no member kept in either codec may read one of its enums.
    const searchEnums = [
      ...readFileSync(path.join(REPO, 'node_modules/tablestore/lib/search.js'), 'utf8').matchAll(
        /^TableStore\.(\w+) =/gm,
      ),
    ].map((match) => match[1]);
    expect(searchEnums).toEqual(expect.arrayContaining(['QueryType', 'SortOrder', 'IndexStatus']));
    for (const codec of ['encoder', 'decoder'] as const) {
      const kept = slimCodec(
        readFileSync(path.join(REPO, `node_modules/tablestore/lib/protocol/${codec}.js`), 'utf8'),
        codec,
      ).contents;
      expect(searchEnums.filter((name) => kept.includes(`TableStore.${name}`))).toEqual([]);
    }
    expect(
      Object.keys(inputs).find((file) => file.endsWith('node_modules/tablestore/lib/search.js')),
    ).toBeDefined();
    expect(
      Object.entries(inputs).find(([file]) => file.endsWith('node_modules/tablestore/lib/search.js'))?.[1]
        .bytesInOutput,
    ).toBeLessThan(100);
    expect(slim.contents).toContain('tablestore encoder.encodeSearch is not bundled');
    expect(() => slimCodec(source, 'encoder', ['encodeNoSuchCall'])).toThrow(/no member encodeNoSuchCall/);
  });

  it('talks to the emulator: create-only, compare-and-set, list both ways, getMany, delete', async () => {
    const table = 'bundled_state';
    const where = { endpoint: emulator.url, instance: 'bundled', table, credentials };
    // `store init` runs from a terminal with the whole SDK; the bundles carry only the row calls.
    expect((await ensureTable(where)).created).toBe(true);
    const store = adapter.createTablestoreStore(where);
    expect((await store.create('b/1', { n: 1 }, { expiresAt: Date.now() + 60_000 })).ok).toBe(true);
    expect((await store.create('b/1', { n: 2 }, { expiresAt: undefined })).ok).toBe(false);
    expect((await store.update('b/1', { n: 3 }, { expectedVersion: 1, expiresAt: undefined })).ok).toBe(true);
    expect((await store.update('b/1', { n: 4 }, { expectedVersion: 1, expiresAt: undefined })).ok).toBe(
      false,
    );
    expect(await store.list('b/')).toEqual([{ key: 'b/1', value: { n: 3 }, version: 2 }]);
    expect((await store.create('b/2', { n: 5 }, { expiresAt: undefined })).ok).toBe(true);
    expect((await store.list('b/', { reverse: true })).map((r) => r.key)).toEqual(['b/2', 'b/1']);
    expect(await store.delete('b/2')).toBe(true);
    expect(await store.getMany(['b/0', 'b/1'])).toEqual(
      new Map([['b/1', { key: 'b/1', value: { n: 3 }, version: 2 }]]),
    );
    expect(await store.delete('b/1', { expectedVersion: 2 })).toBe(true);
    expect(await store.get('b/1')).toBeUndefined();
  });

  it('fails closed through the bundled SDK too, with one request (its retries are off)', async () => {
    const store = adapter.createTablestoreStore({
      endpoint: emulator.url,
      instance: 'bundled',
      table: 'bundled_state',
      credentials,
    });
    const before = emulator.requests.GetRow ?? 0;
    emulator.inject('unavailable');
    await expect(store.get('b/2')).rejects.toMatchObject({ code: 'STATE_UNAVAILABLE' });
    expect((emulator.requests.GetRow ?? 0) - before).toBe(1);
  });

  it('reports its size and load time', () => {
    console.log(`state-entry bundle: ${(bytes / 1024).toFixed(1)} KB, require ${loadMs.toFixed(1)} ms`);
    expect(loadMs).toBeGreaterThan(0);
  });
});
