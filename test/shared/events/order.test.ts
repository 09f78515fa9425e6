import { describe, expect, it } from 'vitest';
import { claimEventOrder, leaseOf, readEventOrder, settleEventOrder } from '../../../shared/events/order.js';
import { createMemoryStore } from '../../../shared/state/memory.js';

const T0 = Date.parse('2026-12-02T09:40:00Z');
const AT_0942 = Date.parse('2026-12-02T09:42:00Z');

describe('event order leases', () => {
  it("drops only its holder's lease: one taken over after it ran out is ended by its own holder", async () => {
    // Prepare: A's lease ran out while A was still sending; B took the group over
    const store = createMemoryStore({ now: () => T0 });
    const a = 'token-a';
    const b = 'token-b';
    const claimedA = await claimEventOrder(store, '3', undefined, { until: T0 + 1_000, by: a }, T0);
    const claimedB = await claimEventOrder(
      store,
      '3',
      await readEventOrder(store, '3'),
      { until: T0 + 60_000, by: b },
      T0 + 2_000,
    );
    if (!claimedA.ok || !claimedB.ok) throw new Error('both claims should succeed');

    // Act: A settles late (moving the record forward, keeping B's lease), then B settles
    await settleEventOrder(
      store,
      '3',
      a,
      { applied: { time: AT_0942, events: ['a'] } },
      claimedA.record,
      T0 + 2_500,
    );
    const between = await readEventOrder(store, '3');
    await settleEventOrder(store, '3', b, {}, claimedB.record, T0 + 3_000);
    const after = await readEventOrder(store, '3');

    // Assess
    expect(leaseOf(between, T0 + 2_500)).toEqual({ until: T0 + 60_000, by: b });
    expect(between?.value).toMatchObject({ time: '2026-12-02T09:42:00.000Z', events: ['a'] });
    expect(leaseOf(after, T0 + 3_000)).toBeUndefined();
    expect(after?.value).toEqual({ time: '2026-12-02T09:42:00.000Z', events: ['a'] });
  });

  it('refuses every claim while a lease is in force, and takes an ended one over', async () => {
    const store = createMemoryStore({ now: () => T0 });
    await claimEventOrder(store, '3', undefined, { until: T0 + 30_000, by: 'first' }, T0);
    const record = await readEventOrder(store, '3');

    const during = await claimEventOrder(store, '3', record, { until: T0 + 60_000, by: 'second' }, T0 + 1);
    const stale = await claimEventOrder(store, '3', undefined, { until: T0 + 60_000, by: 'third' }, T0 + 1);
    const after = await claimEventOrder(
      store,
      '3',
      record,
      { until: T0 + 90_000, by: 'second' },
      T0 + 30_000,
    );

    expect(during).toEqual({ ok: false, until: T0 + 30_000 });
    // A claim from an old read (here: none) loses to the record as it is
    expect(stale).toEqual({ ok: false, until: T0 + 30_000 });
    expect(after.ok).toBe(true);
    expect(leaseOf(await readEventOrder(store, '3'), T0 + 30_000)).toEqual({
      until: T0 + 90_000,
      by: 'second',
    });
  });

  it.each([
    ['keeps its lease until the linger end', T0 + 10_000, T0 + 10_000],
    ['keeps it even past the end it had (its holder is alive to say so)', T0 + 90_000, T0 + 90_000],
  ])('after a send that may still land, %s', async (_, lingerUntil, kept) => {
    const store = createMemoryStore({ now: () => T0 });
    const by = 'token';
    const claimed = await claimEventOrder(store, '3', undefined, { until: T0 + 60_000, by }, T0);
    if (!claimed.ok) throw new Error('claim should succeed');

    await settleEventOrder(store, '3', by, { lingerUntil }, claimed.record, T0);

    expect(leaseOf(await readEventOrder(store, '3'), T0)).toEqual({ until: kept, by });
  });
});
