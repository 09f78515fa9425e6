import { toAutopilotError } from '../errors.js';
import { logger } from '../log.js';
import { KEYS } from '../state/keys.js';
import type { CreateResult, StateStore, StoredRecord, StoredValue, UpdateResult } from '../state/store.js';

/**
 * Per job group, the time of the newest event applied to it, and which events (source and id) carried
 * that time: an older event is stale, a copy of one of those is a redelivery. Kept 30 days (FC gives up
 * redelivering long before). While a delivery sends a change to the group it holds `lease` on the
 * record, so two deliveries never write the same group at once (the later write could be the older
 * event's); a lease ends on its own (30 s, one CityVisual attempt timeout and 5 s after it was
 * taken, or 10 s after a send that may still land).
 */
export interface EventOrderRecord {
  /** Null until an event carrying a time was applied (a record made by a first lease). */
  readonly time: string | null;
  readonly events: readonly string[];
  readonly lease?: { readonly until: string; readonly by: string };
}

const ORDER_MS = 30 * 86_400_000;
/** At most this many event keys kept for one instant (a burst of alerts at the same second). */
const MAX_EVENTS_AT_ONE_TIME = 200;

/** The key of an event for the order record: CloudEvents identify an event by source and id. */
export const eventKey = (source: string | null, id: string | null): string => JSON.stringify([source, id]);

/** The group's order record (a store failure throws STATE_UNAVAILABLE: the caller fails closed). */
export async function readEventOrder(
  store: StateStore,
  jobGroupId: string,
): Promise<StoredRecord | undefined> {
  return store.get(KEYS.eventOrder(jobGroupId));
}

export function orderOf(
  record: StoredRecord | undefined,
): { time: number; events: ReadonlySet<string> } | undefined {
  if (!record) return undefined;
  const value = record.value as unknown as EventOrderRecord;
  const time = typeof value.time === 'string' ? Date.parse(value.time) : Number.NaN;
  return Number.isFinite(time) ? { time, events: new Set(value.events) } : undefined;
}

/** A lease in force on the record (its end, epoch ms, and its holder), or undefined. */
export function leaseOf(
  record: StoredRecord | undefined,
  now: number,
): { until: number; by: string } | undefined {
  const lease = (record?.value as EventOrderRecord | undefined)?.lease;
  const until = typeof lease?.until === 'string' ? Date.parse(lease.until) : Number.NaN;
  return until > now ? { until, by: typeof lease?.by === 'string' ? lease.by : '' } : undefined;
}

export type ClaimResult =
  | { readonly ok: true; readonly record: StoredRecord }
  /** Another delivery holds the lease (until then) or changed the record since it was read. */
  | { readonly ok: false; readonly until?: number };

/**
 * Takes the group's lease for `by` (a token of this claim alone) until `until` (every send of the
 * holder ends before it), by compare-and-set on the record as read. Fails when a lease is in force or
 * the record changed since: the caller sends nothing, and waits or fails retryably, so it is judged
 * again against what the other delivery applied. A store failure throws STATE_UNAVAILABLE.
 */
export async function claimEventOrder(
  store: StateStore,
  jobGroupId: string,
  record: StoredRecord | undefined,
  lease: { readonly until: number; readonly by: string },
  now = Date.now(),
): Promise<ClaimResult> {
  const held = leaseOf(record, now);
  if (held) return { ok: false, until: held.until };
  const base = record?.value as EventOrderRecord | undefined;
  const value = {
    time: base?.time ?? null,
    events: base?.events ?? [],
    lease: { until: new Date(lease.until).toISOString(), by: lease.by },
  };
  const key = KEYS.eventOrder(jobGroupId);
  const expiresAt = Math.max(record?.expiresAt ?? 0, lease.until + ORDER_MS);
  const result = record
    ? await store.update(key, value, { expectedVersion: record.version, expiresAt })
    : await store.create(key, value, { expiresAt });
  if (result.ok) return { ok: true, record: result.record };
  const other = leaseOf('existing' in result ? result.existing : result.current, now);
  return other === undefined ? { ok: false } : { ok: false, until: other.until };
}

export interface Settlement {
  /** The newest event time among the changes sent, and the events that carried it; none: nothing applied. */
  readonly applied?: { readonly time: number; readonly events: readonly string[] };
  /**
   * A write that may still land (its outcome is unknown: no answer, a lost connection, a 5xx): the
   * lease is kept until then, so no other delivery's write can land before it.
   */
  readonly lingerUntil?: number;
}

/**
 * Ends `by`'s lease on the group's record, moving the record forward to what was applied (never back),
 * or only releasing it when nothing was; with `lingerUntil`, the lease is kept until then instead.
 * Compare-and-set from `claimed`, retried on a concurrent writer; a lease of another holder (taken
 * after ours ran out) is kept. A store failure is logged: the change happened; the lease ends at its deadline, and without the
 * record an older redelivery could still apply later, which is what the log line warns about.
 */
export async function settleEventOrder(
  store: StateStore,
  jobGroupId: string,
  by: string,
  settlement: Settlement,
  claimed: StoredRecord,
  now = Date.now(),
): Promise<void> {
  const { applied, lingerUntil } = settlement;
  const key = KEYS.eventOrder(jobGroupId);
  let current: StoredRecord | undefined = claimed;
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      const base: EventOrderRecord | undefined = current?.value as EventOrderRecord | undefined;
      const mine: boolean = base?.lease?.by === by;
      const order = orderOf(current);
      const forward = applied !== undefined && !(order && order.time > applied.time);
      if (!mine && !forward) return;
      let time = base?.time ?? null;
      let events = base?.events ?? [];
      if (forward) {
        const kept = order && order.time === applied.time ? [...order.events] : [];
        time = new Date(applied.time).toISOString();
        events = [...new Set([...kept, ...applied.events])].slice(-MAX_EVENTS_AT_ONE_TIME);
      }
      let lease: EventOrderRecord['lease'] = mine ? undefined : base?.lease;
      if (mine && lingerUntil !== undefined && lingerUntil > now) {
        lease = { until: new Date(lingerUntil).toISOString(), by };
      }
      const value: StoredValue = { time, events, ...(lease && { lease }) } satisfies EventOrderRecord;
      const expiresAt = now + ORDER_MS;
      const result: CreateResult | UpdateResult = current
        ? await store.update(key, value, { expectedVersion: current.version, expiresAt })
        : await store.create(key, value, { expiresAt });
      if (result.ok) return;
      current = 'existing' in result ? result.existing : result.current;
    }
    logger.warn('event order record not written: it kept changing under three attempts', { jobGroupId });
  } catch (thrown) {
    logger.warn('event order record not written', { jobGroupId, code: toAutopilotError(thrown).code });
  }
}
