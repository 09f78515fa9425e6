import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { AutopilotError } from '../errors.js';
import { checkKey } from './keys.js';
import type {
  CreateResult,
  StateStore,
  StoredRecord,
  StoredValue,
  UpdateOptions,
  UpdateResult,
  WriteOptions,
} from './store.js';

export interface MemoryStoreOptions {
  readonly now?: () => number;
  /** A JSON file the records are written to after every change and read from at start (survives a restart of `npm start`). */
  readonly file?: string;
  /** At most this many live records; a create past it sweeps expired ones first, then fails closed. */
  readonly maxRecords?: number;
}

/**
 * A deep copy of a JSON value with what JSON would keep (undefined members dropped). Plain objects,
 * arrays and primitives are copied directly; anything else (a Date, a non-finite number) goes
 * through JSON as before. A JSON round trip cost a warm webhook request ~20 µs on its three writes.
 */
function copyJson(value: unknown): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'object') return undefined;
  if (Array.isArray(value)) return value.map((item) => copyJson(item) ?? null);
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return JSON.parse(JSON.stringify(value));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = copyJson((value as Record<string, unknown>)[key]);
    if (item !== undefined) out[key] = item;
  }
  return out;
}

/**
 * The embedded store: one Map, shared by every function that runs in this process (`npm start` runs all
 * of them in one). Bounded: past `maxRecords` live records a create answers STATE_UNAVAILABLE rather
 * than forget a live one (a forgotten webhook id could be replayed).
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): StateStore {
  const now = options.now ?? Date.now;
  const maxRecords = options.maxRecords ?? 100_000;
  const records = new Map<string, StoredRecord>();
  // Keys by concern (the part up to the first '/'): a prefix read scans its concern, not every record
  // (a hold lookup on each webhook request must not grow with the history).
  const concerns = new Map<string, Set<string>>();
  const concernOf = (key: string) => key.slice(0, key.indexOf('/') + 1);
  const put = (record: StoredRecord) => {
    records.set(record.key, record);
    const concern = concernOf(record.key);
    const keys = concerns.get(concern) ?? new Set<string>();
    keys.add(record.key);
    concerns.set(concern, keys);
  };
  const drop = (key: string) => {
    records.delete(key);
    concerns.get(concernOf(key))?.delete(key);
  };
  if (options.file) {
    try {
      const saved = JSON.parse(readFileSync(options.file, 'utf8')) as StoredRecord[];
      for (const record of saved) put(record);
    } catch {
      // No file yet, or one this process cannot read: start empty.
    }
  }
  const live = (key: string): StoredRecord | undefined => {
    const record = records.get(key);
    if (record === undefined) return undefined;
    if (record.expiresAt !== undefined && record.expiresAt <= now()) {
      drop(key);
      return undefined;
    }
    return record;
  };
  const flush = () => {
    if (!options.file) return;
    pending = undefined;
    mkdirSync(path.dirname(options.file), { recursive: true });
    const temp = `${options.file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify([...records.values()]));
    renameSync(temp, options.file);
  };
  // Written at most every 200 ms (and at exit), not on every change: a whole-file rewrite per change
  // made a fleet tick of npm start quadratic in its record count.
  let pending: NodeJS.Timeout | undefined;
  const persist = () => {
    if (!options.file || pending) return;
    pending = setTimeout(flush, 200);
    pending.unref();
  };
  if (options.file) process.once('exit', () => pending && flush());
  const make = (key: string, value: StoredValue, version: number, write: WriteOptions): StoredRecord => ({
    key,
    // A copy: what is stored cannot change with the caller's object, as in a real store.
    value: copyJson(value) as StoredValue,
    version,
    ...(write.expiresAt !== undefined && { expiresAt: write.expiresAt }),
  });
  const sweep = () => {
    const t = now();
    for (const [key, record] of records)
      if (record.expiresAt !== undefined && record.expiresAt <= t) drop(key);
  };

  return {
    kind: 'memory',
    async get(key) {
      checkKey(key);
      return live(key);
    },
    async getMany(keys) {
      for (const key of keys) checkKey(key);
      const out = new Map<string, StoredRecord>();
      for (const key of keys) {
        const record = live(key);
        if (record) out.set(key, record);
      }
      return out;
    },
    async create(key, value, write): Promise<CreateResult> {
      checkKey(key);
      const existing = live(key);
      if (existing) return { ok: false, existing };
      if (records.size >= maxRecords) sweep();
      if (records.size >= maxRecords) {
        throw new AutopilotError('STATE_UNAVAILABLE', {
          message: `The embedded state store holds its maximum of ${maxRecords} live records.`,
          retryAfterSeconds: 60,
        });
      }
      const record = make(key, value, 1, write);
      put(record);
      persist();
      return { ok: true, record };
    },
    async update(key, value, write: UpdateOptions): Promise<UpdateResult> {
      checkKey(key);
      const current = live(key);
      if (current?.version !== write.expectedVersion) return { ok: false, current };
      const record = make(key, value, current.version + 1, write);
      put(record);
      persist();
      return { ok: true, record };
    },
    async delete(key, deleteOptions = {}) {
      checkKey(key);
      const current = live(key);
      if (!current) return false;
      if (deleteOptions.expectedVersion !== undefined && current.version !== deleteOptions.expectedVersion)
        return false;
      drop(key);
      persist();
      return true;
    },
    async list(prefix, listOptions = {}) {
      const limit = Math.floor(listOptions.limit ?? 1_000);
      if (!(limit > 0)) return [];
      const out: StoredRecord[] = [];
      const concern = prefix.includes('/') ? concerns.get(concernOf(prefix)) : undefined;
      const candidates = prefix.includes('/') ? [...(concern ?? [])] : [...records.keys()];
      const { after } = listOptions;
      const keys = candidates
        .filter((k) => k.startsWith(prefix) && (after === undefined || k > after))
        .sort();
      if (listOptions.reverse === true) keys.reverse();
      for (const key of keys) {
        const record = live(key);
        if (record) out.push(record);
        if (out.length >= limit) break;
      }
      return out;
    },
  };
}
