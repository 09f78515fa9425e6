import { describe, expect, it } from 'vitest';
import { FLEET_HISTORY_SCAN, type HistoryEntry, readHistory } from '../../../shared/history/index.js';
import { KEYS } from '../../../shared/state/keys.js';
import { createMemoryStore } from '../../../shared/state/memory.js';
import type { StateStore } from '../../../shared/state/store.js';

const T0 = Date.parse('2026-11-01T00:00:00Z');

/** `count` records of `jobGroupId`, one a minute from `start`; the n-th has requestId `<group>-<n>`. */
async function seed(store: StateStore, jobGroupId: string, count: number, start = T0): Promise<void> {
  for (let n = 0; n < count; n++) {
    const at = start + n * 60_000;
    const entry: HistoryEntry = {
      at: new Date(at).toISOString(),
      jobGroupId,
      source: { kind: 'webhook', who: 'ops', route: 'POST /v1/job-groups/:jobGroupId/scale' },
      sent: { JobGroupId: jobGroupId, PlanedJobCount: String(n) },
      set: { planedJobCount: n },
      requestId: `${jobGroupId}-${n}`,
    };
    await store.create(KEYS.history(jobGroupId, at, `u${n}`), entry as never, { expiresAt: undefined });
  }
}

describe('readHistory', () => {
  it("answers a group's newest records however long its history, reading only as many rows", async () => {
    // Prepare: more records of group 3 than a fleet-wide read looks at, and an older group 2
    const store = createMemoryStore();
    await seed(store, '2', 5);
    await seed(store, '3', FLEET_HISTORY_SCAN + 50);
    const listed: unknown[] = [];
    const counting: StateStore = {
      ...store,
      list: async (prefix, options) => {
        const rows = await store.list(prefix, options);
        listed.push(rows.length);
        return rows;
      },
    };

    // Act: a few minutes after the last record (the read is bounded at the 30 days records are kept)
    const now = T0 + (FLEET_HISTORY_SCAN + 55) * 60_000;
    const read = await readHistory(counting, { jobGroupId: '3', limit: 3 }, now);

    // Assess
    const last = FLEET_HISTORY_SCAN + 49;
    expect(read.records.map((r) => r.requestId)).toEqual([`3-${last}`, `3-${last - 1}`, `3-${last - 2}`]);
    expect(read.truncated).toBe(false);
    expect(listed).toEqual([3]);
    // `since` keeps what is at or after it
    const since = T0 + (last - 1) * 60_000;
    const recent = await readHistory(store, { jobGroupId: '3', since, limit: 10 }, now);
    expect(recent.records.map((r) => r.requestId)).toEqual([`3-${last}`, `3-${last - 1}`]);
  });

  it('reads no row older than since, or than any record still kept', async () => {
    // Prepare: 40 records 40 days back (the table keeps expired rows until its TTL), 30 since, 2 recent
    const store = createMemoryStore();
    const now = T0 + 40 * 86_400_000;
    await seed(store, '5', 40, T0);
    await seed(store, '5', 30, T0 + 10 * 86_400_000);
    await seed(store, '5', 2, now - 120_000);
    const read: string[] = [];
    const recording: StateStore = {
      ...store,
      list: async (prefix, options) => {
        const rows = await store.list(prefix, options);
        read.push(...rows.map((row) => (row.value as unknown as HistoryEntry).at));
        return rows;
      },
    };

    // Act
    const recent = await readHistory(recording, { jobGroupId: '5', since: now - 3_600_000 }, now);
    const all = await readHistory(recording, { jobGroupId: '5', limit: 1_000 }, now);

    // Assess: the first read saw only its 2 rows; the second stopped 31 days back, before T0's 40
    expect(recent.records).toHaveLength(2);
    expect(all.records).toHaveLength(32);
    expect(read).toHaveLength(34);
  });

  it('says when a read over every group found more records than it looks at', async () => {
    const store = createMemoryStore();
    await seed(store, '1', 10);
    const small = await readHistory(store, { limit: 2 });
    expect(small).toEqual({
      records: [expect.objectContaining({ requestId: '1-9' }), expect.objectContaining({ requestId: '1-8' })],
      truncated: false,
    });

    await seed(store, '2', FLEET_HISTORY_SCAN, T0 + 3_600_000);
    const big = await readHistory(store, { limit: 2 });
    expect(big.truncated).toBe(true);
    expect(big.records).toHaveLength(2);
  });
});
