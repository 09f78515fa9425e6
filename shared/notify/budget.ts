import { toAutopilotError } from '../errors.js';
import { logger } from '../log.js';
import { KEYS } from '../state/keys.js';
import type { StateStore, StoredRecord } from '../state/store.js';

/** What the store keeps per limited channel: the sends of the last minute, a cool-down, digests held back. */
interface BudgetValue {
  /** Epoch ms of each send in the last minute (at most `perMinute` of them). */
  readonly sent: readonly number[];
  /** Epoch ms until which the robot is left alone (it answered "too fast"). */
  readonly throttledUntil?: number;
  /** Digests not sent since the last one that was: the next one sent says so. */
  readonly heldBack?: number;
}

export type Reservation =
  | { readonly granted: true; readonly heldBack: number }
  | { readonly granted: false; readonly reason: 'budget' | 'throttled' };

const WINDOW_MS = 60_000;
/** The record outlives its last use by an hour (then nothing of it matters). */
const KEEP_MS = 3_600_000;
const MAX_ATTEMPTS = 8;

/** Counters of this instance, for when the store cannot be reached (never more permissive than the store's). */
const local = new Map<string, BudgetValue>();
let warned = false;

function read(record: StoredRecord | undefined): BudgetValue {
  const value = record?.value as Partial<BudgetValue> | undefined;
  return {
    sent: Array.isArray(value?.sent) ? value.sent.filter((t): t is number => typeof t === 'number') : [],
    ...(typeof value?.throttledUntil === 'number' && { throttledUntil: value.throttledUntil }),
    ...(typeof value?.heldBack === 'number' && { heldBack: value.heldBack }),
  };
}

type Step<R> = (current: BudgetValue) => { next: BudgetValue; result: R };

/** Compare-and-set of a channel's record, retried on a concurrent writer; this instance's map without a store. */
async function change<R>(
  store: StateStore | undefined,
  channel: string,
  now: number,
  step: Step<R>,
): Promise<R> {
  const key = KEYS.notifyBudget(channel);
  const fallback = () => {
    const { next, result } = step(local.get(key) ?? { sent: [] });
    local.set(key, next);
    return result;
  };
  if (!store) return fallback();
  try {
    let record = await store.get(key);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const { next, result } = step(read(record));
      const expiresAt = Math.max(now, next.throttledUntil ?? 0) + KEEP_MS;
      const written = record
        ? await store.update(key, { ...next }, { expectedVersion: record.version, expiresAt })
        : await store.create(key, { ...next }, { expiresAt });
      if (written.ok) return result;
      record = 'existing' in written ? written.existing : written.current;
    }
  } catch (thrown) {
    if (!warned) {
      warned = true;
      logger.warn('notification budget not readable in the state store; counting in this instance', {
        code: toAutopilotError(thrown).code,
      });
    }
  }
  return fallback();
}

/** A channel's record as it is (this instance's counters when the store cannot be read). */
async function peek(store: StateStore | undefined, channel: string): Promise<BudgetValue> {
  const key = KEYS.notifyBudget(channel);
  if (store) {
    try {
      return read(await store.get(key));
    } catch {
      // change() below logs the store failure once and falls back the same way.
    }
  }
  return local.get(key) ?? { sent: [] };
}

/**
 * Takes one send from a channel's budget: at most `perMinute` sends in any 60 s (a sliding window, kept
 * in the shared store so every instance and function counts against the same robot), none while the
 * robot cools down. A refusal counts the digest as held back; a grant hands over (and clears) that count.
 * Without `perMinute` (a channel with no budget) only the cool-down applies. An unreachable store falls
 * back to this instance's counters.
 *
 * @example
 * const slot = await reserveSend(store, 'ops-dingtalk', 18, Date.now());
 * if (slot.granted) send(); // slot.heldBack: digests not sent since the last one
 */
export async function reserveSend(
  store: StateStore | undefined,
  channel: string,
  perMinute: number | undefined,
  now: number,
): Promise<Reservation> {
  const limited = perMinute !== undefined;
  if (!limited) {
    // No per-minute budget: only a cool-down (or digests it held back) needs the record written, so a
    // look comes first and an unlimited channel costs one read per send, not one write.
    const current = await peek(store, channel);
    const cooling = current.throttledUntil !== undefined && current.throttledUntil > now;
    if (!cooling && !current.heldBack) return { granted: true, heldBack: 0 };
  }
  return change<Reservation>(store, channel, now, (current) => {
    const sent = limited ? current.sent.filter((at) => at > now - WINDOW_MS && at <= now + WINDOW_MS) : [];
    const throttled = current.throttledUntil !== undefined && current.throttledUntil > now;
    if (throttled || (limited && sent.length >= perMinute)) {
      return {
        next: { ...current, sent, heldBack: (current.heldBack ?? 0) + 1 },
        result: { granted: false, reason: throttled ? 'throttled' : 'budget' },
      };
    }
    const { heldBack: _held, ...rest } = current;
    return {
      next: { ...rest, sent: limited ? [...sent, now] : [] },
      result: { granted: true, heldBack: current.heldBack ?? 0 },
    };
  });
}

/** After a robot answered "too fast": nothing goes to it before `until`. */
export async function coolDown(
  store: StateStore | undefined,
  channel: string,
  until: number,
  now: number,
): Promise<void> {
  await change(store, channel, now, (current) => ({
    next: { ...current, throttledUntil: Math.max(until, current.throttledUntil ?? 0) },
    result: undefined,
  }));
}

/** Forget this instance's fallback counters (tests). */
export function resetLocalBudgets(): void {
  local.clear();
  warned = false;
}
