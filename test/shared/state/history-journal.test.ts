import { afterEach, describe, expect, it } from 'vitest';
import {
  appendHistory,
  type HistoryEntry,
  historyWritten,
  journaling,
  readHistory,
} from '../../../shared/history/index.js';
import { setLogSink } from '../../../shared/log.js';
import { createMemoryStore } from '../../../shared/state/memory.js';
import type { StateStore } from '../../../shared/state/store.js';

const entry = (jobGroupId: string): HistoryEntry => ({
  at: new Date().toISOString(),
  jobGroupId,
  source: { kind: 'webhook', who: 'ops', route: 'POST /v1/job-groups/:jobGroupId/scale' },
  sent: { JobGroupId: jobGroupId, PlanedJobCount: '4' },
  set: { planedJobCount: 4 },
  requestId: `req-${jobGroupId}`,
});

/** The memory store, with every create held until `release()` (or failing, with `fail`). */
function heldStore(options: { fail?: boolean } = {}) {
  const store = createMemoryStore();
  const waiting: Array<() => void> = [];
  let started = 0;
  const held: StateStore = {
    ...store,
    kind: store.kind,
    get: (key) => store.get(key),
    update: (key, value, write) => store.update(key, value, write),
    delete: (key, write) => store.delete(key, write),
    list: (prefix, list) => store.list(prefix, list),
    create: (key, value, write) => {
      started++;
      return new Promise((resolve, reject) => {
        waiting.push(() =>
          options.fail ? reject(new Error('store down')) : resolve(store.create(key, value, write)),
        );
      });
    },
  };
  return {
    store,
    held,
    started: () => started,
    release: () => {
      for (const go of waiting.splice(0)) go();
    },
  };
}

let restore: (() => void) | undefined;
afterEach(() => restore?.());
const captureLogs = () => {
  const lines: Array<Record<string, unknown>> = [];
  const previous = setLogSink((line) => lines.push(JSON.parse(line)));
  restore = () => setLogSink(previous);
  return lines;
};

describe('history through a journaling view', () => {
  it('journals at once, writes on while the caller goes on, and historyWritten waits for the write', async () => {
    const { store, held, release } = heldStore();
    const journal: HistoryEntry[] = [];
    const view = journaling(held, journal);
    await appendHistory(view, entry('3'));
    expect(journal.map((e) => e.jobGroupId)).toEqual(['3']);
    expect((await readHistory(store, { jobGroupId: '3' })).records).toEqual([]);
    let done = false;
    const waited = historyWritten(view).then(() => {
      done = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    release();
    await waited;
    expect((await readHistory(store, { jobGroupId: '3' })).records.map((e) => e.requestId)).toEqual([
      'req-3',
    ]);
  });

  it('keeps at most 4 writes in flight: the fifth record waits for the oldest', async () => {
    const { held, started, release } = heldStore();
    const view = journaling(held, []);
    for (const id of ['1', '2', '3', '4']) await appendHistory(view, entry(id));
    expect(started()).toBe(4);
    let fifth = false;
    const appended = appendHistory(view, entry('5')).then(() => {
      fifth = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(fifth).toBe(false);
    release();
    await appended;
    expect(started()).toBe(5);
    release();
    await historyWritten(view);
  });

  it('stops waiting at the deadline and says how many records were still being written', async () => {
    const logs = captureLogs();
    const { held, release } = heldStore();
    const view = journaling(held, []);
    await appendHistory(view, entry('7'));
    await appendHistory(view, entry('8'));
    const started = Date.now();
    await historyWritten(view, Date.now() + 50);
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(logs).toContainEqual(
      expect.objectContaining({ msg: 'history records still being written at the deadline', pending: 2 }),
    );
    release();
  });

  it('never rejects when the store fails: the record is logged as not written', async () => {
    const logs = captureLogs();
    const { held, release } = heldStore({ fail: true });
    const view = journaling(held, []);
    await appendHistory(view, entry('9'));
    release();
    await expect(historyWritten(view)).resolves.toBeUndefined();
    expect(logs).toContainEqual(
      expect.objectContaining({ msg: 'history record not written', jobGroupId: '9', requestId: 'req-9' }),
    );
  });

  it('writes through the store itself (no view) before returning', async () => {
    const store = createMemoryStore();
    await appendHistory(store, entry('11'));
    expect((await readHistory(store, { jobGroupId: '11' })).records).toHaveLength(1);
    await expect(historyWritten(store)).resolves.toBeUndefined();
  });
});
