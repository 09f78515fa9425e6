/**
 * The one memory every instance and every function shares (ARCHITECTURE, State): exactly the
 * operations the product needs, each atomic on one record. Adapters: `memory` (embedded: `npm start`,
 * tests) and `tablestore` (deployed). A record that has expired does not exist for any operation, even
 * while the backend still holds it (Tablestore's TTL collects rows a day or more later).
 *
 * Every method throws `AutopilotError('STATE_UNAVAILABLE')` (retryable) when the store cannot be
 * reached or answers something it cannot read: callers fail closed and send nothing.
 */
export interface StateStore {
  /** Which adapter this is, for logs and status. */
  readonly kind: 'memory' | 'tablestore';
  /** The record under `key`, or undefined when there is none or it has expired. */
  get(key: string): Promise<StoredRecord | undefined>;
  /**
   * Writes `value` under `key` only if no live record is there (an expired one is replaced).
   * Answers the record written (version 1), or the live record that prevented it.
   */
  create(key: string, value: StoredValue, options: WriteOptions): Promise<CreateResult>;
  /**
   * Replaces the record under `key` only if its current version is `expectedVersion` (compare-and-set);
   * the new record has version `expectedVersion + 1`. Answers it, or the current record (undefined
   * when there is none) that made the condition fail.
   */
  update(key: string, value: StoredValue, options: UpdateOptions): Promise<UpdateResult>;
  /** Deletes the record under `key` (only at `expectedVersion` when given); true when one was deleted. */
  delete(key: string, options?: { readonly expectedVersion?: number }): Promise<boolean>;
  /**
   * The live records under `keys`, by key (a key read once however often it is named; one with no live
   * record is absent). For a known set of rows among many (a shard's groups): Tablestore reads them
   * 100 to a request instead of the whole prefix.
   */
  getMany(keys: readonly string[]): Promise<Map<string, StoredRecord>>;
  /**
   * Live records whose key starts with `prefix`, in key order (descending with `reverse`: the newest
   * first of keys that end in a time, such as history), at most `limit` (default 1,000).
   */
  list(prefix: string, options?: ListOptions): Promise<StoredRecord[]>;
}

export interface ListOptions {
  /** At most this many records (default 1,000). */
  readonly limit?: number;
  /** Descending key order: the last keys under the prefix first. */
  readonly reverse?: boolean;
  /**
   * Only keys after this one (exclusive; it starts with the prefix): where a read going backward stops,
   * or where one going forward starts. A read of keys that end in a time passes the oldest it can use,
   * so rows past their expiry that the table has not yet removed are never paged through.
   */
  readonly after?: string;
}

/** A JSON object: what the product stores (serialised by the adapter). */
export type StoredValue = { readonly [field: string]: unknown };

export interface StoredRecord {
  readonly key: string;
  readonly value: StoredValue;
  /** 1 when created, +1 on every update. */
  readonly version: number;
  /** Epoch ms after which the record no longer exists; undefined: kept until deleted. */
  readonly expiresAt?: number;
}

export interface WriteOptions {
  /** Epoch ms after which the record no longer exists (CLARIFICATIONS 9: time-limited things end on their own). */
  readonly expiresAt: number | undefined;
}

export interface UpdateOptions extends WriteOptions {
  readonly expectedVersion: number;
}

export type CreateResult =
  | { readonly ok: true; readonly record: StoredRecord }
  | { readonly ok: false; readonly existing: StoredRecord };

export type UpdateResult =
  | { readonly ok: true; readonly record: StoredRecord }
  | { readonly ok: false; readonly current: StoredRecord | undefined };

/** Keys are printable ASCII (they are primary keys in Tablestore and must sort as bytes). */
export const STORE_KEY = /^[\x21-\x7e]{1,512}$/;
