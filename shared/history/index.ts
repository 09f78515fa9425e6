import { randomBytes } from 'node:crypto';
import { toAutopilotError } from '../errors.js';
import type { Target } from '../jobgroup/target.js';
import { logger } from '../log.js';
import { KEYS } from '../state/keys.js';
import type { StateStore, StoredRecord, StoredValue } from '../state/store.js';

/** How long history is kept (issue: 30 days); the Tablestore table's TTL collects rows later still. */
export const HISTORY_DAYS = 30;
const HISTORY_MS = HISTORY_DAYS * 86_400_000;

/** Who or what decided a change, as the history and the audit name it (never a secret). */
export type ChangeSource =
  | { readonly kind: 'webhook'; readonly who: string; readonly route: string }
  | { readonly kind: 'schedule'; readonly schedule: string; readonly window: string }
  | { readonly kind: 'rule'; readonly rules: readonly string[]; readonly eventIds: readonly string[] }
  | { readonly kind: 'scheduler'; readonly action: string; readonly trigger: string };

/** A hold's part of a history record: one per create, extension, release and expiry. */
export interface HoldEvent {
  readonly event: 'created' | 'extended' | 'released' | 'expired';
  readonly id: string;
  readonly kind: 'pin' | 'pause' | 'skip';
  readonly until: string;
  readonly reason: string;
  readonly who: string;
  readonly schedule?: string;
  readonly window?: string;
  readonly date?: string;
}

/**
 * One record of what happened to a group: an applied change (`sent` holds what was sent), or, with
 * `hold`, a hold made, extended, released or ended (`sent` is then empty; `set` is a pin's fields).
 */
export interface HistoryEntry {
  readonly at: string;
  readonly jobGroupId: string;
  readonly source: ChangeSource;
  /** The ModifyJobGroup parameters sent. */
  readonly sent: Readonly<Record<string, string>>;
  readonly set: Target;
  /** With live reads: the fields' values before the change. */
  readonly previous?: Readonly<Record<string, unknown>>;
  /** CityVisual's RequestId of the write; for a hold record, the FC request id of the invocation. */
  readonly requestId: string;
  readonly hold?: HoldEvent;
}

/**
 * A view of `store` whose history records ({@link appendHistory}) also go onto `journal`, in order: what
 * one invocation did, for its notification digest, without a second read of the store. Each invocation
 * makes its own view of the store its dependencies use; everything else is the store itself. (An
 * AsyncLocalStorage did this before: once entered it slows every promise of the process, ~10 % of a warm
 * webhook request.)
 *
 * @example
 * const journal: HistoryEntry[] = [];
 * const summary = await reconcile(input, withJournal(deps, journal));
 * // journal: each change applied and each hold that ended in this tick
 */
export function journaling(store: StateStore, journal: HistoryEntry[]): StateStore {
  return new JournalingStore(store, journal);
}

/** `deps` with its store, when it has one, a {@link journaling} view onto `journal`. */
export function withJournal<D extends { readonly store?: StateStore }>(deps: D, journal: HistoryEntry[]): D {
  return deps.store ? { ...deps, store: journaling(deps.store, journal) } : deps;
}

/**
 * At most this many history writes of one view in flight; the next record waits for the oldest. Few:
 * they share the keep-alive sockets with the calls the invocation still has to make.
 */
const MAX_PENDING_HISTORY = 4;

/** The view {@link journaling} makes: every call goes to the store as it is. */
class JournalingStore implements StateStore {
  readonly kind: StateStore['kind'];
  /** History writes started and not yet finished, oldest first (each removes itself when done). */
  readonly pending = new Set<Promise<void>>();
  constructor(
    private readonly store: StateStore,
    readonly journal: HistoryEntry[],
  ) {
    this.kind = store.kind;
  }
  get(key: string) {
    return this.store.get(key);
  }
  getMany(keys: readonly string[]) {
    return this.store.getMany(keys);
  }
  create(...args: Parameters<StateStore['create']>) {
    return this.store.create(...args);
  }
  update(...args: Parameters<StateStore['update']>) {
    return this.store.update(...args);
  }
  delete(...args: Parameters<StateStore['delete']>) {
    return this.store.delete(...args);
  }
  list(...args: Parameters<StateStore['list']>) {
    return this.store.list(...args);
  }
}

// Random hex drawn a few thousand characters at a time: one crypto call per record cost more than
// the record.
let pool = '';
let offset = 0;
/** 8 random hex characters: two records of one group in one millisecond still get two keys. */
function uniqueSuffix(): string {
  if (offset + 8 > pool.length) {
    pool = randomBytes(4096).toString('hex');
    offset = 0;
  }
  offset += 8;
  return pool.slice(offset - 8, offset);
}

/**
 * Appends one history record. The change it records has already happened: a store failure here is
 * logged (with the request id, so the audit line still tells) and does not turn the change into an error.
 * The record also goes to the journal of the view it is written through ({@link journaling}), stored or not;
 * through such a view the write runs on while this returns, and {@link historyWritten} awaits it.
 */
export async function appendHistory(store: StateStore, entry: HistoryEntry): Promise<void> {
  if (store instanceof JournalingStore) {
    // The invocation goes on (its answer, its next group) while the record is written; it awaits
    // historyWritten() before it answers or ends, so no record is left behind.
    store.journal.push(entry);
    // Re-checked after each wake: lanes waiting together must not all add their write at once.
    while (store.pending.size >= MAX_PENDING_HISTORY) await Promise.race(store.pending);
    const write: Promise<void> = writeHistory(store, entry).finally(() => {
      store.pending.delete(write);
    });
    store.pending.add(write);
    return;
  }
  await writeHistory(store, entry);
}

/**
 * Resolves once every history record appended through `store` — a {@link journaling} view; anything
 * else has nothing pending — is written (or logged as not written), or at `deadline` (epoch ms), with a
 * warning naming how many were still being written: the invocation must still answer in time. Never
 * rejects.
 */
export async function historyWritten(store: StateStore | undefined, deadline?: number): Promise<void> {
  // Usually every write has finished by the time the answer is ready: nothing to wait for, no timer.
  if (!(store instanceof JournalingStore) || store.pending.size === 0) return;
  const pending = store.pending.size;
  const all = (async () => {
    while (store.pending.size > 0) await Promise.all([...store.pending]);
  })();
  if (deadline === undefined) return all;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), Math.max(0, deadline - Date.now()));
  });
  try {
    if ((await Promise.race([all, late])) === 'late') {
      logger.warn('history records still being written at the deadline', { pending });
    }
  } finally {
    clearTimeout(timer);
  }
}

/** One history record into the store; a failure is logged, never thrown. */
async function writeHistory(store: StateStore, entry: HistoryEntry): Promise<void> {
  const at = Date.parse(entry.at);
  const key = KEYS.history(entry.jobGroupId, at, uniqueSuffix());
  try {
    // Every adapter copies the value when the call is made (the contract tests it): no copy here.
    // Kept from the change's own time, so a read can tell from the key alone which rows have expired.
    await store.create(key, entry as unknown as StoredValue, { expiresAt: at + HISTORY_MS });
  } catch (thrown) {
    logger.warn('history record not written', {
      jobGroupId: entry.jobGroupId,
      requestId: entry.requestId,
      code: toAutopilotError(thrown).code,
    });
  }
}

export interface HistoryQuery {
  readonly jobGroupId?: string;
  /** Epoch ms: only records at or after it. */
  readonly since?: number;
  /** Newest first, at most this many (default 100, at most 1,000). */
  readonly limit?: number;
}

/**
 * A record expires {@link HISTORY_MS} after its `at` (records written before that rule, after their
 * write: within their invocation); one older than that by this is gone.
 */
const EXPIRY_SLACK_MS = 60_000;

/** Rows a read over every group looks at, at most (its keys sort by group before time). */
export const FLEET_HISTORY_SCAN = 10_000;

export interface HistoryRead {
  /** Newest first, at most the query's limit. */
  readonly records: HistoryEntry[];
  /**
   * A read over every group found more than {@link FLEET_HISTORY_SCAN} records: it looked at that many
   * (in group order), so newer records of other groups may be missing. A group's own read never is.
   */
  readonly truncated: boolean;
}

/**
 * History records, newest first. One group's keys end in the record's time, so its read goes backward
 * and reads only as many rows as it answers, however long the group's history; a read over every group
 * sorts what it found (at most {@link FLEET_HISTORY_SCAN} rows) and says when there was more.
 */
export async function readHistory(
  store: StateStore,
  query: HistoryQuery = {},
  now = Date.now(),
): Promise<HistoryRead> {
  const asked = query.limit !== undefined && Number.isFinite(query.limit) ? Math.floor(query.limit) : 100;
  const limit = Math.min(Math.max(1, asked), 1_000);
  const since = query.since;
  const recent = (entry: HistoryEntry) => since === undefined || Date.parse(entry.at) >= since;
  if (query.jobGroupId !== undefined) {
    // Rows older than `since`, or than any record still kept, are never read: the table removes
    // expired rows only at its TTL (months later), and a quiet group's newest rows are those.
    const oldest = Math.max(since ?? 0, now - HISTORY_MS - EXPIRY_SLACK_MS);
    const rows = await store.list(KEYS.historyPrefix(query.jobGroupId), {
      reverse: true,
      limit,
      after: KEYS.history(query.jobGroupId, Math.ceil(oldest) - 1, '~'),
    });
    return {
      records: rows.map((row) => row.value as unknown as HistoryEntry).filter(recent),
      truncated: false,
    };
  }
  const rows: StoredRecord[] = await store.list(KEYS.historyPrefix(), { limit: FLEET_HISTORY_SCAN + 1 });
  return {
    records: rows
      .slice(0, FLEET_HISTORY_SCAN)
      .map((row) => row.value as unknown as HistoryEntry)
      .filter(recent)
      .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0))
      .slice(0, limit),
    truncated: rows.length > FLEET_HISTORY_SCAN,
  };
}
