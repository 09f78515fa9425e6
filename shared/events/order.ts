import { toAutopilotError } from '../errors.js';
import { logger } from '../log.js';
import { KEYS } from '../state/keys.js';
import type { StateStore, StoredRecord } from '../state/store.js';

/**
 * Per job group, the time of the newest event applied to it, and which events (source and id) carried
 * that time: an older event is stale, a copy of one of those is a redelivery. Kept 30 days (FC gives up
 * redelivering long before).
 */
export interface EventOrderRecord {
  readonly time: string;
  readonly events: readonly string[];
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
  const time = Date.parse(value.time);
  return Number.isFinite(time) ? { time, events: new Set(value.events) } : undefined;
}

/**
 * Moves the group's record forward to `time` (never back): compare-and-set, retried on a concurrent
 * writer. A store failure is logged: the change happened; without the record an older redelivery could
 * still apply later, which is what the log line warns about.
 */
export async function advanceEventOrder(
  store: StateStore,
  jobGroupId: string,
  time: number,
  events: readonly string[],
  previous: StoredRecord | undefined,
  now = Date.now(),
): Promise<void> {
  const key = KEYS.eventOrder(jobGroupId);
  let current = previous;
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      const order = orderOf(current);
      if (order && order.time > time) return;
      const kept = order && order.time === time ? [...order.events] : [];
      const merged = [...new Set([...kept, ...events])].slice(-MAX_EVENTS_AT_ONE_TIME);
      const value = { time: new Date(time).toISOString(), events: merged };
      const expiresAt = now + ORDER_MS;
      const result = current
        ? await store.update(key, value, { expectedVersion: current.version, expiresAt })
        : await store.create(key, value, { expiresAt });
      if (result.ok) return;
      current = 'existing' in result ? result.existing : result.current;
    }
  } catch (thrown) {
    logger.warn('event order record not written', { jobGroupId, code: toAutopilotError(thrown).code });
  }
}
