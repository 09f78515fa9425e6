import { describe, expect, it } from 'vitest';
import {
  claimEventOrder,
  leaseHolder,
  leaseOf,
  readEventOrder,
  settleEventOrder,
} from '../../../shared/events/order.js';
import { KEYS } from '../../../shared/state/keys.js';
import { createMemoryStore } from '../../../shared/state/memory.js';

const T0 = Date.parse('2026-12-02T09:40:00Z');
const AT_0942 = Date.parse('2026-12-02T09:42:00Z');

describe('event order leases', () => {
  it("drops only its holder's lease: one taken over after it ran out is ended by its own holder", async () => {
    // Prepare: A's lease ran out while A was still sending; B took the group over
    const store = createMemoryStore({ now: () => T0 });
    const a = leaseHolder('3', ['a']);
    const b = leaseHolder('3', ['b']);
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

  it('refuses another holder while a lease is in force, and lets the same holder take its own over', async () => {
    const store = createMemoryStore({ now: () => T0 });
    const mine = leaseHolder('3', ['x', 'y']);
    await claimEventOrder(store, '3', undefined, { until: T0 + 30_000, by: mine }, T0);
    const record = await readEventOrder(store, '3');

    const other = await claimEventOrder(
      store,
      '3',
      record,
      { until: T0 + 30_000, by: leaseHolder('3', ['z']) },
      T0,
    );
    // The holder is a digest of the group and the events, in any order
    const again = await claimEventOrder(
      store,
      '3',
      record,
      { until: T0 + 40_000, by: leaseHolder('3', ['y', 'x']) },
      T0,
    );

    expect(other).toEqual({ ok: false, until: T0 + 30_000 });
    expect(again.ok).toBe(true);
    expect(leaseHolder('3', ['x'])).not.toBe(leaseHolder('4', ['x']));
  });

  it('shortens its lease to the linger time after a send that may still land, never lengthens it', async () => {
    const store = createMemoryStore({ now: () => T0 });
    const by = leaseHolder('3', ['a']);
    const claimed = await claimEventOrder(store, '3', undefined, { until: T0 + 60_000, by }, T0);
    if (!claimed.ok) throw new Error('claim should succeed');

    await settleEventOrder(store, '3', by, { lingerUntil: T0 + 10_000 }, claimed.record, T0);
    const lingering = await readEventOrder(store, '3');

    expect(leaseOf(lingering, T0)).toEqual({ until: T0 + 10_000, by });
    expect(KEYS.eventOrder('3')).toBe(lingering?.key);
  });
});
