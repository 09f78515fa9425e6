import https from 'node:https';
import type { Client, ColumnCondition, SdkRow } from 'tablestore';
import type { Credentials } from '../cityvisual/credentials.js';
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

type Sdk = typeof import('tablestore').default;

/** The table layout: one string primary key; `value` (JSON), `version` (int), `expiresAt` (int ms, optional). */
export const TABLE_LAYOUT = {
  primaryKey: 'pk',
  value: 'value',
  version: 'version',
  expiresAt: 'expiresAt',
} as const;

/** Rows of one BatchGetRow request: the service refuses more than 100. */
const BATCH_GET_ROWS = 100;
/** BatchGetRow requests of one getMany in flight at once. */
const BATCH_GET_LANES = 4;

/** One request's budget when the invocation leaves more; the SDK does not retry (see {@link loadSdk}). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 3_000;

export interface TablestoreStoreOptions {
  /** e.g. `https://<instance>.<region>.ots.aliyuncs.com` */
  readonly endpoint: string;
  readonly instance: string;
  readonly table: string;
  /** This invocation's credentials (STS from the FC context, or ALIBABA_CLOUD_* locally). */
  readonly credentials: Credentials;
  /** Per-request timeout, ms; default {@link DEFAULT_REQUEST_TIMEOUT_MS}, never past `deadline`. */
  readonly requestTimeoutMs?: number;
  /** Epoch ms by which the invocation must be done; a request never waits past it. */
  readonly deadline?: number;
  readonly now?: () => number;
}

let sdk: Promise<Sdk> | undefined;

/**
 * The SDK, loaded on first use (functions that never touch the store never pay its require). Its retry
 * policy is process-global (`maxRetries` in any client's config overwrites it), so it is turned off here,
 * once, for every client: our deadline, not its 20 retries of up to 3 s, decides.
 */
function loadSdk(): Promise<Sdk> {
  sdk ??= import('tablestore').then((module) => {
    const TableStore = ((module as { default?: Sdk }).default ?? module) as Sdk;
    TableStore.DefaultRetryPolicy.maxRetryTimes = 0;
    return TableStore;
  });
  return sdk;
}

/** The SDK reports a failed condition only inside `err.message` (its `code` is the HTTP status). */
function isConditionFailure(error: unknown): boolean {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' && message.includes('OTSConditionCheckFail');
}

/**
 * Any SDK failure → STATE_UNAVAILABLE, keeping only the HTTP status and a Tablestore error code (a fixed
 * `OTS…` name). The SDK's message is never copied: it carries the raw response body.
 */
function unavailable(error: unknown, operation: string): AutopilotError {
  const raw = error as { code?: unknown; statusCode?: unknown; message?: unknown } | null;
  const httpStatus = typeof raw?.code === 'number' ? raw.code : undefined;
  const otsCode =
    typeof raw?.message === 'string' ? /\bOTS[A-Za-z]{2,40}\b/.exec(raw.message)?.[0] : undefined;
  const kind =
    typeof raw?.code === 'string' && /^(NetworkingError|TimeoutError)$/.test(raw.code) ? raw.code : undefined;
  const code = otsCode ?? kind;
  return new AutopilotError('STATE_UNAVAILABLE', {
    message: `The Tablestore state store failed on ${operation}${code ? ` (${code})` : ''}${httpStatus ? ` with HTTP ${httpStatus}` : ''}; nothing was sent.`,
    upstream: { ...(code !== undefined && { code }), ...(httpStatus !== undefined && { httpStatus }) },
    retryAfterSeconds: 5,
    cause: error,
  });
}

const toNumber = (value: unknown): number | undefined => {
  if (typeof value === 'number') return value;
  if (value && typeof (value as { toNumber?: unknown }).toNumber === 'function')
    return (value as { toNumber(): number }).toNumber();
  return undefined;
};

/** A row as the SDK reads it → a record, or STATE_UNAVAILABLE when it is not one of ours. */
function toRecord(row: SdkRow | undefined, operation: string): StoredRecord | undefined {
  if (!row?.primaryKey || row.primaryKey.length === 0) return undefined;
  const key = row.primaryKey[0]?.value;
  const columns = new Map((row.attributes ?? []).map((a) => [a.columnName, a.columnValue]));
  const text = columns.get(TABLE_LAYOUT.value);
  const version = toNumber(columns.get(TABLE_LAYOUT.version));
  const expiresAt = toNumber(columns.get(TABLE_LAYOUT.expiresAt));
  let value: unknown;
  try {
    value = typeof text === 'string' ? JSON.parse(text) : undefined;
  } catch {
    value = undefined;
  }
  if (
    typeof key !== 'string' ||
    value === null ||
    typeof value !== 'object' ||
    Array.isArray(value) ||
    version === undefined ||
    !Number.isSafeInteger(version)
  ) {
    throw new AutopilotError('STATE_UNAVAILABLE', {
      message: `The Tablestore state store holds a row it cannot read (${operation}); nothing was sent.`,
    });
  }
  return { key, value: value as StoredValue, version, ...(expiresAt !== undefined && { expiresAt }) };
}

/**
 * The deployed store: one Tablestore table, one row per record, conditional writes for create-only and
 * compare-and-set. Expiry is checked on every read and inside every condition (`expiresAt > now`, passing
 * when the column is missing): the table's TTL only collects rows a day or more later.
 *
 * @example
 * const store = createTablestoreStore({ endpoint, instance: 'autopilot', table: 'autopilot_state', credentials });
 * const claim = await store.create(KEYS.idempotency('hook', id), { state: 'in-progress' }, { expiresAt: Date.now() + 60_000 });
 */
export function createTablestoreStore(options: TablestoreStoreOptions): StateStore {
  const now = options.now ?? Date.now;
  const { table } = options;
  let client: Client | undefined;
  let TableStore: Sdk | undefined;
  // A cold instance loads the SDK the first time its event loop waits (its first CityVisual answer, say)
  // rather than when its first store call needs it: that wait hides most of the load.
  if (!sdk) setImmediate(() => void loadSdk().catch(() => undefined));

  const sdkAndClient = async (): Promise<[Sdk, Client]> => {
    if (TableStore && client) return [TableStore, client];
    TableStore = await loadSdk();
    const left = options.deadline !== undefined ? options.deadline - now() : Number.POSITIVE_INFINITY;
    const timeout = Math.max(1, Math.min(options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, left));
    client = newClient(TableStore, options, Math.ceil(timeout));
    return [TableStore, client];
  };

  const call = async <T>(operation: string, run: (ts: Sdk, c: Client) => Promise<T>): Promise<T> => {
    const [ts, c] = await sdkAndClient();
    try {
      return await run(ts, c);
    } catch (error) {
      if (isConditionFailure(error)) throw new ConditionFailed();
      throw unavailable(error, operation);
    }
  };

  /** `expiresAt > now`, or no `expiresAt` column: the row is live. */
  const liveCondition = (ts: Sdk): ColumnCondition =>
    new ts.SingleColumnCondition(
      TABLE_LAYOUT.expiresAt,
      ts.Long.fromNumber(now()),
      ts.ComparatorType.GREATER_THAN,
      true,
    );
  /** `expiresAt <= now`: the row has expired (a row without the column never does). */
  const expiredCondition = (ts: Sdk): ColumnCondition =>
    new ts.SingleColumnCondition(
      TABLE_LAYOUT.expiresAt,
      ts.Long.fromNumber(now()),
      ts.ComparatorType.LESS_EQUAL,
      false,
    );
  const versionIs = (ts: Sdk, version: number): ColumnCondition =>
    new ts.SingleColumnCondition(
      TABLE_LAYOUT.version,
      ts.Long.fromNumber(version),
      ts.ComparatorType.EQUAL,
      false,
    );
  const all = (ts: Sdk, ...conditions: ColumnCondition[]): ColumnCondition => {
    const and = new ts.CompositeCondition(ts.LogicalOperator.AND);
    for (const condition of conditions) and.addSubCondition(condition);
    return and;
  };
  const primaryKey = (key: string) => [{ [TABLE_LAYOUT.primaryKey]: key }];
  // A value is serialised once, when the call is made (before any await): a caller that goes on to
  // change its object (a deferred history write, say) cannot change what is stored or answered.
  const columns = (ts: Sdk, text: string, version: number, write: WriteOptions) => [
    { [TABLE_LAYOUT.value]: text },
    { [TABLE_LAYOUT.version]: ts.Long.fromNumber(version) },
    ...(write.expiresAt !== undefined
      ? [{ [TABLE_LAYOUT.expiresAt]: ts.Long.fromNumber(write.expiresAt) }]
      : []),
  ];
  const record = (key: string, text: string, version: number, write: WriteOptions): StoredRecord => ({
    key,
    value: JSON.parse(text) as StoredValue,
    version,
    ...(write.expiresAt !== undefined && { expiresAt: write.expiresAt }),
  });
  const put = (key: string, text: string, version: number, write: WriteOptions, condition: unknown) =>
    call('PutRow', (ts, c) =>
      c.putRow({
        tableName: table,
        condition,
        primaryKey: primaryKey(key),
        attributeColumns: columns(ts, text, version, write),
      }),
    );
  /** The row as stored, expired or not. */
  const readRow = (key: string) =>
    call('GetRow', async (_ts, c) => {
      const answer = await c.getRow({ tableName: table, primaryKey: primaryKey(key), maxVersions: 1 });
      return toRecord(answer.row, 'GetRow');
    });
  const isLive = (r: StoredRecord): boolean => r.expiresAt === undefined || r.expiresAt > now();

  return {
    kind: 'tablestore',
    async get(key) {
      checkKey(key);
      const row = await readRow(key);
      return row && isLive(row) ? row : undefined;
    },
    async getMany(keys) {
      for (const key of keys) checkKey(key);
      const unique = [...new Set(keys)];
      const out = new Map<string, StoredRecord>();
      const batches: string[][] = [];
      for (let i = 0; i < unique.length; i += BATCH_GET_ROWS)
        batches.push(unique.slice(i, i + BATCH_GET_ROWS));
      let next = 0;
      const lane = async () => {
        for (let batch = batches[next++]; batch !== undefined; batch = batches[next++]) {
          const rows = batch;
          const answer = await call('BatchGetRow', (_ts, c) =>
            c.batchGetRow({
              tables: [{ tableName: table, primaryKey: rows.map(primaryKey), maxVersions: 1 }],
            }),
          );
          const found = answer.tables[0] ?? [];
          if (found.length !== rows.length) {
            throw new AutopilotError('STATE_UNAVAILABLE', {
              message: `The Tablestore state store answered ${found.length} rows for ${rows.length} in BatchGetRow; nothing was sent.`,
            });
          }
          for (const row of found) {
            // A row can fail alone (the answer is still 200): the read fails closed as a whole.
            if (!row.isOk)
              throw unavailable({ message: String(row.errorCode ?? 'OTSRowError') }, 'BatchGetRow');
            const r = toRecord(row, 'BatchGetRow');
            if (r && isLive(r)) out.set(r.key, r);
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(BATCH_GET_LANES, batches.length) }, lane));
      return out;
    },
    async create(key, value, write): Promise<CreateResult> {
      checkKey(key);
      const text = JSON.stringify(value);
      const [ts] = await sdkAndClient();
      // A create that finds an expired row replaces it, conditional on that row's version and expiry;
      // if another writer got there first, the next round answers what it wrote. Three rounds at most.
      for (let round = 0; round < 3; round++) {
        try {
          await put(key, text, 1, write, new ts.Condition(ts.RowExistenceExpectation.EXPECT_NOT_EXIST, null));
          return { ok: true, record: record(key, text, 1, write) };
        } catch (error) {
          if (!(error instanceof ConditionFailed)) throw error;
        }
        const existing = await readRow(key);
        if (existing === undefined) continue;
        if (isLive(existing)) return { ok: false, existing }; // deleted meanwhile: try the create-only write again
        try {
          await put(
            key,
            text,
            1,
            write,
            // Still that expired row: a second creator finds the new row live (or without expiresAt) and fails.
            new ts.Condition(
              ts.RowExistenceExpectation.EXPECT_EXIST,
              all(ts, versionIs(ts, existing.version), expiredCondition(ts)),
            ),
          );
          return { ok: true, record: record(key, text, 1, write) };
        } catch (error) {
          if (!(error instanceof ConditionFailed)) throw error;
        }
      }
      const existing = await readRow(key);
      if (existing && isLive(existing)) return { ok: false, existing };
      throw new AutopilotError('STATE_UNAVAILABLE', {
        message: 'The Tablestore state store kept changing under a create; nothing was sent.',
        retryAfterSeconds: 1,
      });
    },
    async update(key, value, write: UpdateOptions): Promise<UpdateResult> {
      checkKey(key);
      const text = JSON.stringify(value);
      const [ts] = await sdkAndClient();
      const next = write.expectedVersion + 1;
      try {
        await put(
          key,
          text,
          next,
          write,
          new ts.Condition(
            ts.RowExistenceExpectation.EXPECT_EXIST,
            all(ts, versionIs(ts, write.expectedVersion), liveCondition(ts)),
          ),
        );
        return { ok: true, record: record(key, text, next, write) };
      } catch (error) {
        if (!(error instanceof ConditionFailed)) throw error;
      }
      const current = await readRow(key);
      return { ok: false, current: current && isLive(current) ? current : undefined };
    },
    async delete(key, deleteOptions = {}) {
      checkKey(key);
      const [ts] = await sdkAndClient();
      const condition =
        deleteOptions.expectedVersion === undefined
          ? liveCondition(ts)
          : all(ts, versionIs(ts, deleteOptions.expectedVersion), liveCondition(ts));
      try {
        await call('DeleteRow', (_ts, c) =>
          c.deleteRow({
            tableName: table,
            primaryKey: primaryKey(key),
            condition: new ts.Condition(ts.RowExistenceExpectation.EXPECT_EXIST, condition),
          }),
        );
        return true;
      } catch (error) {
        if (error instanceof ConditionFailed) return false;
        throw error;
      }
    },
    async list(prefix, listOptions = {}) {
      const limit = Math.floor(listOptions.limit ?? 1_000);
      if (!(limit > 0)) return [];
      // Keys are printable ASCII (0x21-0x7e), so `prefix + 0x7f` sorts after every key under the prefix,
      // and below(prefix) before every one of them (the prefix itself included). An `after` outside
      // that range is moved into it: the range never reaches another prefix's keys, nor runs backward.
      const top = `${prefix}\x7f`;
      const bottom = below(prefix);
      const after =
        listOptions.after === undefined || listOptions.after < bottom ? undefined : listOptions.after;
      if (after !== undefined && after >= top) return [];
      const reverse = listOptions.reverse === true;
      const [ts] = await sdkAndClient();
      const out: StoredRecord[] = [];
      let start: string | undefined = reverse ? top : after !== undefined && after > prefix ? after : prefix;
      const end = reverse ? (after ?? bottom) : top;
      // A page of rows past their expiry (the table removes them only at its TTL) makes the next page
      // larger, so a read that wants one row does not page through them one request each.
      let pageSize = limit;
      while (start !== undefined && out.length < limit) {
        const from: string = start;
        const page = await call('GetRange', (_ts, c) =>
          c.getRange({
            tableName: table,
            direction: reverse ? ts.Direction.BACKWARD : ts.Direction.FORWARD,
            inclusiveStartPrimaryKey: primaryKey(from),
            exclusiveEndPrimaryKey: primaryKey(end),
            limit: Math.min(Math.max(limit - out.length, pageSize), 5_000),
            maxVersions: 1,
          }),
        );
        let dropped = 0;
        for (const row of page.rows) {
          const r = toRecord(row, 'GetRange');
          // Forward from `after`, the range starts at it inclusively: the key itself is left out here.
          if (r && isLive(r) && r.key !== after) out.push(r);
          else dropped++;
          if (out.length >= limit) break;
        }
        if (dropped > 0) pageSize = Math.min(5_000, Math.max(pageSize, page.rows.length) * 2);
        const next = page.nextStartPrimaryKey?.[0]?.value;
        start = typeof next === 'string' ? next : undefined;
      }
      return out;
    },
  };
}

/** A string just below every key that starts with `prefix` (keys are 0x21-0x7e), the prefix included. */
function below(prefix: string): string {
  if (prefix === '') return ' ';
  return `${prefix.slice(0, -1)}${String.fromCharCode(prefix.charCodeAt(prefix.length - 1) - 1)}\x7f`;
}

/** A failed row condition inside this adapter; it never leaves it (it becomes an `ok:false` answer). */
class ConditionFailed extends Error {
  override readonly name = 'ConditionFailed';
}

/** 31 days: a 30-day history fits, and Tablestore's minimum (86,400 s) is far below. */
/**
 * The table TTL only collects rows (expiry is decided by `expiresAt` on every read and condition), and
 * it counts from a row's last write: it must outlast the longest-lived record, the scheduler's
 * per-group record (366 days, rewritten only when the desired state changes), and every hold (≤ 90 d).
 */
export const DEFAULT_TIME_TO_LIVE_SECONDS = 400 * 86_400;

export interface EnsureTableOptions extends Omit<TablestoreStoreOptions, 'now' | 'deadline'> {
  /** Seconds a row is kept after its last write (`time_to_live`); ≥ 86,400, or -1 to keep forever. */
  readonly timeToLiveSeconds?: number;
}

/**
 * Creates the store's table with its primary-key layout and TTL, or finds it there (`npx autopilot store
 * init`); answers whether it was created. A table that exists with another primary key is an error.
 */
export async function ensureTable(
  options: EnsureTableOptions,
): Promise<{ created: boolean; timeToLive: number }> {
  const timeToLive = options.timeToLiveSeconds ?? DEFAULT_TIME_TO_LIVE_SECONDS;
  if (timeToLive !== -1 && (!Number.isInteger(timeToLive) || timeToLive < 86_400)) {
    throw new AutopilotError('INVALID_INPUT', {
      message: 'The table TTL is at least 86400 seconds, or -1 to keep rows forever.',
      field: 'timeToLive',
    });
  }
  const TableStore = await loadSdk();
  const client = newClient(TableStore, options, options.requestTimeoutMs ?? 10_000);
  let created = true;
  try {
    await client.createTable({
      tableMeta: {
        tableName: options.table,
        primaryKey: [{ name: TABLE_LAYOUT.primaryKey, type: 'STRING' }],
      },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive, maxVersions: 1 },
    });
  } catch (error) {
    const message = (error as { message?: unknown } | null)?.message;
    if (!(typeof message === 'string' && message.includes('OTSObjectAlreadyExist'))) {
      throw unavailable(error, 'CreateTable');
    }
    created = false;
  }
  let described: Awaited<ReturnType<Client['describeTable']>>;
  try {
    described = await client.describeTable({ tableName: options.table });
  } catch (error) {
    throw unavailable(error, 'DescribeTable');
  }
  const keys = described.tableMeta?.primaryKey ?? [];
  if (
    keys.length !== 1 ||
    keys[0]?.name !== TABLE_LAYOUT.primaryKey ||
    keys[0]?.type !== TableStore.PrimaryKeyType.STRING
  ) {
    throw new AutopilotError('STATE_UNAVAILABLE', {
      message: `The table ${options.table} exists with another primary key; the store needs one STRING column "${TABLE_LAYOUT.primaryKey}".`,
    });
  }
  return { created, timeToLive: described.tableOptions?.timeToLive ?? timeToLive };
}

let agent: import('node:https').Agent | undefined;
/** A process-wide keep-alive HTTPS agent (FC instances serve many invocations; TLS set-up is not free). */
function keepAliveAgent(): import('node:https').Agent {
  agent ??= new https.Agent({ keepAlive: true, maxSockets: 16 });
  return agent;
}

const endpointIsHttps = (endpoint: string) => endpoint.startsWith('https:');

/** The SDK client: this store's credentials and instance, no SDK retries, one keep-alive agent. */
function newClient(
  TableStore: Sdk,
  options: {
    readonly endpoint: string;
    readonly instance: string;
    readonly credentials: Credentials;
  },
  timeoutMs: number,
): Client {
  return new TableStore.Client({
    accessKeyId: options.credentials.accessKeyId,
    accessKeySecret: options.credentials.accessKeySecret,
    ...(options.credentials.securityToken !== undefined && {
      securityToken: options.credentials.securityToken,
    }),
    endpoint: options.endpoint,
    instancename: options.instance,
    maxRetries: 0,
    // The SDK's own TLS agent opens a connection per call.
    httpOptions: {
      timeout: timeoutMs,
      ...(endpointIsHttps(options.endpoint) && { agent: keepAliveAgent() }),
    },
  });
}
