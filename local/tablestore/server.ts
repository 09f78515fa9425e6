/**
 * A Tablestore wire emulator for dev and tests: an HTTP server on loopback that the real `tablestore` SDK
 * talks to. Requests are decoded with the SDK's own protobuf messages and PlainBuffer reader, answers
 * encoded with its own encoders, so what passes here is what the SDK sends and reads. The signature is
 * checked as the service does (HMAC-SHA1 over path, method and the sorted `x-ots-*` headers), and a
 * failed condition answers HTTP 403 with a protobuf `Error` `OTSConditionCheckFail`, as the service does.
 *
 * Supported: CreateTable, DescribeTable, PutRow, GetRow, UpdateRow (PUT cells only), DeleteRow, GetRange
 * (forward), BatchGetRow (at most 100 rows, no two alike in a table), row existence expectations, single and composite column conditions. Not: TTL collection
 * (rows stay until deleted, as a real table's rows do until its TTL passes), versions, filters on reads.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo, Socket } from 'node:net';

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: the SDK ships no types; its internals are used as they are.
type Any = any;
const TableStore: Any = require('tablestore');
const protos: Any = require('tablestore/lib/protocol/tablestore_compiled_proto.js');
const pb: Any = protos.main.proto;
const filterPb: Any = protos.filter.proto;

export interface TablestoreEmulatorOptions {
  readonly host?: string;
  /** Default 0 (ephemeral). */
  readonly port?: number;
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  /** When set, requests must carry it as `x-ots-ststoken`. */
  readonly securityToken?: string;
  /** The instance name requests must carry (`x-ots-instancename`); default any. */
  readonly instance?: string;
}

/**
 * A fault answered to the next requests: HTTP 503 (OTSServerBusy), no answer at all, a closed socket, or
 * (`row-busy`) a BatchGetRow answered 200 whose first row failed alone with OTSServerBusy, as the service
 * may (any other operation gets the 503).
 */
export type TablestoreFault = 'unavailable' | 'hang' | 'close' | 'row-busy';

/** A cell as stored: its value with the SDK's type. */
export type EmulatedCell =
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'double'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'blob'; readonly value: Buffer };

export interface EmulatedRow {
  readonly key: string;
  readonly columns: Readonly<Record<string, EmulatedCell>>;
}

export interface EmulatedTable {
  readonly name: string;
  readonly primaryKey: ReadonlyArray<{ name: string; type: number }>;
  readonly timeToLive: number;
  readonly maxVersions: number;
}

export interface TablestoreEmulator {
  readonly url: string;
  /** Requests received per operation (`PutRow`, …), including refused and faulted ones. */
  readonly requests: Record<string, number>;
  /** Answers the next `count` requests (default 1) with `fault`. */
  inject(fault: TablestoreFault, count?: number): void;
  /** The rows of `table` in key order. */
  rows(table: string): EmulatedRow[];
  /** Puts a row as stored (e.g. one already expired), bypassing conditions. */
  putRaw(table: string, row: EmulatedRow): void;
  tables(): EmulatedTable[];
  close(): Promise<void>;
}

class OtsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const conditionFailed = () => new OtsError(403, 'OTSConditionCheckFail', 'Condition check failed.');
const noTable = () => new OtsError(404, 'OTSObjectNotExist', 'Requested table does not exist.');

/** The SDK's signature: base64 HMAC-SHA1 of `path\nMETHOD\n\n` + sorted `x-ots-*:value` lines + `\n`. */
export function otsSignature(
  secret: string,
  path: string,
  method: string,
  headers: Record<string, string>,
): string {
  const canonical = Object.keys(headers)
    .filter((name) => /^x-ots-/i.test(name) && name.toLowerCase() !== 'x-ots-signature')
    .sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1))
    .map((name) => `${name.toLowerCase()}:${headers[name]}`)
    .join('\n');
  const stringToSign = `${[path, `${method}\n`, ...(canonical ? [canonical] : [])].join('\n')}\n`;
  return createHmac('sha1', secret).update(stringToSign, 'utf8').digest('base64');
}

const toCell = (value: unknown): EmulatedCell => {
  if (typeof value === 'string') return { type: 'string', value };
  if (typeof value === 'boolean') return { type: 'bool', value };
  if (typeof value === 'number') return { type: 'double', value };
  if (Buffer.isBuffer(value)) return { type: 'blob', value };
  if (value && typeof (value as { toNumber?: unknown }).toNumber === 'function')
    return { type: 'int', value: (value as { toNumber(): number }).toNumber() };
  throw new OtsError(400, 'OTSParameterInvalid', 'Unsupported cell value.');
};
const fromCell = (cell: EmulatedCell): unknown =>
  cell.type === 'int' ? TableStore.Long.fromNumber(cell.value) : cell.value;

/** A condition's column value: the SDK's `writeColumnValue` (type byte, then the value). */
function readConditionValue(bytes: Buffer): EmulatedCell {
  const type = bytes[0];
  if (type === 0x0) return { type: 'int', value: Number(bytes.readBigInt64LE(1)) };
  if (type === 0x1) return { type: 'double', value: bytes.readDoubleLE(1) };
  if (type === 0x2) return { type: 'bool', value: bytes[1] === 1 };
  const size = bytes.readUInt32LE(1);
  const raw = bytes.subarray(5, 5 + size);
  if (type === 0x3) return { type: 'string', value: raw.toString('utf8') };
  return { type: 'blob', value: Buffer.from(raw) };
}

function compare(a: EmulatedCell, b: EmulatedCell): number | undefined {
  if (a.type === 'blob' || b.type === 'blob') {
    return a.type === b.type ? Buffer.compare(a.value as Buffer, b.value as Buffer) : undefined;
  }
  if (a.type === 'string' || b.type === 'string') {
    return a.type === b.type
      ? Buffer.compare(Buffer.from(a.value as string), Buffer.from(b.value as string))
      : undefined;
  }
  const x = Number(a.value);
  const y = Number(b.value);
  return x === y ? 0 : x < y ? -1 : 1;
}

/** Evaluates a `Filter` (protobuf bytes) against a row's columns, as a row condition. */
function passes(filterBytes: Uint8Array, columns: Record<string, EmulatedCell>): boolean {
  const filter = filterPb.Filter.decode(filterBytes);
  if (filter.type === filterPb.FilterType.FT_SINGLE_COLUMN_VALUE) {
    const single = filterPb.SingleColumnValueFilter.decode(filter.filter);
    const cell = columns[single.columnName];
    if (cell === undefined) return !single.filterIfMissing;
    const order = compare(cell, readConditionValue(Buffer.from(single.columnValue)));
    if (order === undefined) return false;
    const ct = filterPb.ComparatorType;
    switch (single.comparator) {
      case ct.CT_EQUAL:
        return order === 0;
      case ct.CT_NOT_EQUAL:
        return order !== 0;
      case ct.CT_GREATER_THAN:
        return order > 0;
      case ct.CT_GREATER_EQUAL:
        return order >= 0;
      case ct.CT_LESS_THAN:
        return order < 0;
      case ct.CT_LESS_EQUAL:
        return order <= 0;
      default:
        throw new OtsError(400, 'OTSParameterInvalid', 'Unknown comparator.');
    }
  }
  if (filter.type === filterPb.FilterType.FT_COMPOSITE_COLUMN_VALUE) {
    const composite = filterPb.CompositeColumnValueFilter.decode(filter.filter);
    const results = (composite.subFilters as Array<Record<string, unknown>>).map((sub) =>
      passes(filterPb.Filter.encode(filterPb.Filter.create(sub)).finish(), columns),
    );
    const lo = filterPb.LogicalOperator;
    if (composite.combinator === lo.LO_AND) return results.every(Boolean);
    if (composite.combinator === lo.LO_OR) return results.some(Boolean);
    if (composite.combinator === lo.LO_NOT) return !results[0];
  }
  throw new OtsError(400, 'OTSParameterInvalid', 'Unsupported column condition.');
}

function readRowBytes(bytes: Uint8Array): {
  primaryKey: Array<{ name: string; value: unknown }>;
  attributes: Array<{ columnName: string; columnValue: unknown }>;
} {
  // The SDK's stream reads `{buffer, offset, limit}` (what it makes of a protobufjs field).
  const buffer = Buffer.from(bytes);
  const input = new TableStore.PlainBufferInputStream({ buffer, offset: 0, limit: buffer.length });
  try {
    return new TableStore.PlainBufferCodedInputStream(input).readRow();
  } catch {
    throw new OtsError(
      400,
      'OTSParameterInvalid',
      'The row is not readable PlainBuffer (only PUT cells are supported).',
    );
  }
}

/** Starts the emulator; resolves once it listens. */
export async function startTablestoreEmulator(
  options: TablestoreEmulatorOptions,
): Promise<TablestoreEmulator> {
  const tables = new Map<string, { meta: EmulatedTable; rows: Map<string, Record<string, EmulatedCell>> }>();
  const requests: Record<string, number> = {};
  const faults: TablestoreFault[] = [];
  const sockets = new Set<Socket>();

  const table = (name: string) => {
    const found = tables.get(name);
    if (!found) throw noTable();
    return found;
  };
  const sortedKeys = (rows: Map<string, unknown>) =>
    [...rows.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const stringKey = (pk: Array<{ name: string; value: unknown }>, meta: EmulatedTable): string => {
    const name = meta.primaryKey[0]?.name;
    const first = pk[0];
    if (pk.length !== 1 || !first || first.name !== name || typeof first.value !== 'string') {
      throw new OtsError(400, 'OTSParameterInvalid', 'Validate PK name or type fail.');
    }
    return first.value;
  };
  const serializeRow = (meta: EmulatedTable, key: string, columns: Record<string, EmulatedCell>): Buffer =>
    TableStore.PlainBufferBuilder.serializeForPutRow(
      [{ [meta.primaryKey[0]?.name ?? 'pk']: key }],
      Object.entries(columns).map(([name, cell]) => ({ [name]: fromCell(cell) })),
    );
  const consumed = (read: number, write: number) => ({ capacityUnit: { read, write } });
  const checkCondition = (condition: Any, current: Record<string, EmulatedCell> | undefined) => {
    const ree = pb.RowExistenceExpectation;
    if (condition?.rowExistence === ree.EXPECT_EXIST && current === undefined) throw conditionFailed();
    if (condition?.rowExistence === ree.EXPECT_NOT_EXIST && current !== undefined) throw conditionFailed();
    if (condition?.columnCondition && condition.columnCondition.length > 0 && current !== undefined) {
      if (!passes(condition.columnCondition, current)) throw conditionFailed();
    }
  };

  const operations: Record<string, (body: Buffer, fault?: TablestoreFault) => Uint8Array> = {
    CreateTable(body) {
      const request = pb.CreateTableRequest.decode(body);
      const name: string = request.tableMeta.tableName;
      if (tables.has(name))
        throw new OtsError(409, 'OTSObjectAlreadyExist', 'Requested table already exists.');
      tables.set(name, {
        meta: {
          name,
          primaryKey: request.tableMeta.primaryKey.map((k: Any) => ({ name: k.name, type: k.type })),
          timeToLive: request.tableOptions?.timeToLive ?? -1,
          maxVersions: request.tableOptions?.maxVersions ?? 1,
        },
        rows: new Map(),
      });
      return pb.CreateTableResponse.encode(pb.CreateTableResponse.create({})).finish();
    },
    DescribeTable(body) {
      const { meta } = table(pb.DescribeTableRequest.decode(body).tableName);
      return pb.DescribeTableResponse.encode(
        pb.DescribeTableResponse.create({
          tableMeta: { tableName: meta.name, primaryKey: meta.primaryKey },
          reservedThroughputDetails: { capacityUnit: { read: 0, write: 0 }, lastIncreaseTime: 0 },
          tableOptions: { timeToLive: meta.timeToLive, maxVersions: meta.maxVersions },
          tableStatus: pb.TableStatus.ACTIVE,
        }),
      ).finish();
    },
    GetRow(body) {
      const request = pb.GetRowRequest.decode(body);
      const t = table(request.tableName);
      const key = stringKey(readRowBytes(request.primaryKey).primaryKey, t.meta);
      const columns = t.rows.get(key);
      return pb.GetRowResponse.encode(
        pb.GetRowResponse.create({
          consumed: consumed(1, 0),
          row: columns ? serializeRow(t.meta, key, columns) : Buffer.alloc(0),
        }),
      ).finish();
    },
    PutRow(body) {
      const request = pb.PutRowRequest.decode(body);
      const t = table(request.tableName);
      const row = readRowBytes(request.row);
      const key = stringKey(row.primaryKey, t.meta);
      checkCondition(request.condition, t.rows.get(key));
      t.rows.set(key, Object.fromEntries(row.attributes.map((a) => [a.columnName, toCell(a.columnValue)])));
      return pb.PutRowResponse.encode(pb.PutRowResponse.create({ consumed: consumed(0, 1) })).finish();
    },
    UpdateRow(body) {
      const request = pb.UpdateRowRequest.decode(body);
      const t = table(request.tableName);
      const row = readRowBytes(request.rowChange);
      const key = stringKey(row.primaryKey, t.meta);
      const current = t.rows.get(key);
      checkCondition(request.condition, current);
      const next = { ...(current ?? {}) };
      for (const a of row.attributes) next[a.columnName] = toCell(a.columnValue);
      t.rows.set(key, next);
      return pb.UpdateRowResponse.encode(pb.UpdateRowResponse.create({ consumed: consumed(0, 1) })).finish();
    },
    DeleteRow(body) {
      const request = pb.DeleteRowRequest.decode(body);
      const t = table(request.tableName);
      const buffer = Buffer.from(request.primaryKey);
      // A delete row carries a delete marker the reader accepts; its primary key is all we need.
      const key = stringKey(readRowBytes(buffer).primaryKey, t.meta);
      checkCondition(request.condition, t.rows.get(key));
      t.rows.delete(key);
      return pb.DeleteRowResponse.encode(pb.DeleteRowResponse.create({ consumed: consumed(0, 1) })).finish();
    },
    BatchGetRow(body, fault) {
      const request = pb.BatchGetRowRequest.decode(body);
      const asked: Any[] = request.tables ?? [];
      if (asked.length === 0) throw new OtsError(400, 'OTSParameterInvalid', 'No table is specified.');
      const total = asked.reduce((n: number, t: Any) => n + (t.primaryKey?.length ?? 0), 0);
      if (total > 100) {
        throw new OtsError(400, 'OTSParameterInvalid', 'Rows count exceeds the upper limit: 100.');
      }
      const names = new Set<string>();
      const tablesOut = asked.map((item: Any) => {
        if (names.has(item.tableName))
          throw new OtsError(400, 'OTSParameterInvalid', 'Duplicated table name.');
        names.add(item.tableName);
        const t = table(item.tableName);
        const keys: string[] = (item.primaryKey ?? []).map((pk: Uint8Array) =>
          stringKey(readRowBytes(pk).primaryKey, t.meta),
        );
        if (keys.length === 0) throw new OtsError(400, 'OTSParameterInvalid', 'No row is specified.');
        if (new Set(keys).size !== keys.length) {
          throw new OtsError(400, 'OTSParameterInvalid', 'Duplicated primary key.');
        }
        return {
          tableName: item.tableName,
          rows: keys.map((key, index) => {
            if (fault === 'row-busy' && index === 0) {
              return { isOk: false, error: { code: 'OTSServerBusy', message: 'Server is busy.' } };
            }
            const columns = t.rows.get(key);
            return {
              isOk: true,
              consumed: consumed(1, 0),
              row: columns ? serializeRow(t.meta, key, columns) : Buffer.alloc(0),
            };
          }),
        };
      });
      return pb.BatchGetRowResponse.encode(pb.BatchGetRowResponse.create({ tables: tablesOut })).finish();
    },
    GetRange(body) {
      const request = pb.GetRangeRequest.decode(body);
      const t = table(request.tableName);
      const backward = request.direction === pb.Direction.BACKWARD;
      if (!backward && request.direction !== pb.Direction.FORWARD) {
        throw new OtsError(400, 'OTSParameterInvalid', 'Invalid direction.');
      }
      const start = Buffer.from(stringKey(readRowBytes(request.inclusiveStartPrimaryKey).primaryKey, t.meta));
      const end = Buffer.from(stringKey(readRowBytes(request.exclusiveEndPrimaryKey).primaryKey, t.meta));
      const order = Buffer.compare(start, end);
      // As the service: FORWARD needs start < end, BACKWARD start > end.
      if (backward ? order <= 0 : order >= 0) {
        throw new OtsError(
          400,
          'OTSParameterInvalid',
          backward
            ? 'The start primary key must be greater than the end primary key when reading BACKWARD.'
            : 'The start primary key must be less than the end primary key when reading FORWARD.',
        );
      }
      // The service answers at most 5,000 rows (or 4 MB) per page; 100 here so paging is exercised.
      const pageSize = Math.min(request.limit || 5_000, 100);
      const inRange = sortedKeys(t.rows).filter((k) => {
        const key = Buffer.from(k);
        return backward
          ? Buffer.compare(key, start) <= 0 && Buffer.compare(key, end) > 0
          : Buffer.compare(key, start) >= 0 && Buffer.compare(key, end) < 0;
      });
      if (backward) inRange.reverse();
      const page = inRange.slice(0, pageSize);
      const next = inRange[pageSize];
      const chunks = page.map((k) => serializeRow(t.meta, k, t.rows.get(k) ?? {}));
      // One header, then each row without its own header: what the SDK's readRows expects.
      const rows =
        chunks.length === 0
          ? Buffer.alloc(0)
          : Buffer.concat([chunks[0] as Buffer, ...chunks.slice(1).map((c) => c.subarray(4))]);
      return pb.GetRangeResponse.encode(
        pb.GetRangeResponse.create({
          consumed: consumed(page.length, 0),
          rows,
          ...(next !== undefined && {
            nextStartPrimaryKey: TableStore.PlainBufferBuilder.serializePrimaryKey([
              { [t.meta.primaryKey[0]?.name ?? 'pk']: next },
            ]),
          }),
        }),
      ).finish();
    },
  };

  const answerError = (res: ServerResponse, error: OtsError, requestId: string) => {
    const body = pb.Error.encode(pb.Error.create({ code: error.code, message: error.message })).finish();
    res.writeHead(error.status, {
      'content-type': 'application/x-protobuf',
      'x-ots-requestid': requestId,
      'content-length': body.length,
    });
    res.end(Buffer.from(body));
  };

  const verify = (req: IncomingMessage, body: Buffer) => {
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([, v]) => typeof v === 'string') as Array<[string, string]>,
    );
    if (headers['x-ots-accesskeyid'] !== options.accessKeyId) {
      throw new OtsError(403, 'OTSAuthFailed', 'The AccessKeyID is disabled or does not exist.');
    }
    if (options.securityToken !== undefined && headers['x-ots-ststoken'] !== options.securityToken) {
      throw new OtsError(403, 'OTSAuthFailed', 'The security token is invalid.');
    }
    if (options.instance !== undefined && headers['x-ots-instancename'] !== options.instance) {
      throw new OtsError(403, 'OTSAuthFailed', 'The instance is not found.');
    }
    const md5 = createHash('md5').update(body).digest('base64');
    if (headers['x-ots-contentmd5'] !== md5) {
      throw new OtsError(400, 'OTSInvalidPK', 'Content-MD5 mismatch.');
    }
    const expected = Buffer.from(
      otsSignature(options.accessKeySecret, req.url ?? '', req.method ?? '', headers),
    );
    const got = Buffer.from(headers['x-ots-signature'] ?? '');
    if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
      throw new OtsError(403, 'OTSAuthFailed', 'Signature mismatch.');
    }
  };

  let counter = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const operation = (req.url ?? '/').slice(1);
      requests[operation] = (requests[operation] ?? 0) + 1;
      const requestId = `emu-${(++counter).toString(16).padStart(8, '0')}`;
      const fault = faults.shift();
      if (fault === 'hang') return;
      if (fault === 'close') {
        req.socket.destroy();
        return;
      }
      if (fault === 'unavailable' || (fault === 'row-busy' && operation !== 'BatchGetRow')) {
        answerError(res, new OtsError(503, 'OTSServerBusy', 'Server is busy.'), requestId);
        return;
      }
      const body = Buffer.concat(chunks);
      try {
        verify(req, body);
        const handler = req.method === 'POST' ? operations[operation] : undefined;
        if (!handler) throw new OtsError(400, 'OTSUnsupportOperation', 'Unsupported operation.');
        const answer = Buffer.from(handler(body, fault));
        res.writeHead(200, {
          'content-type': 'application/x-protobuf',
          'x-ots-requestid': requestId,
          'content-length': answer.length,
        });
        res.end(answer);
      } catch (error) {
        answerError(
          res,
          error instanceof OtsError ? error : new OtsError(500, 'OTSInternalServerError', 'Internal error.'),
          requestId,
        );
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    requests,
    inject(fault, count = 1) {
      for (let i = 0; i < count; i++) faults.push(fault);
    },
    rows(name) {
      const t = tables.get(name);
      if (!t) return [];
      return sortedKeys(t.rows).map((key) => ({ key, columns: { ...(t.rows.get(key) ?? {}) } }));
    },
    putRaw(name, row) {
      table(name).rows.set(row.key, { ...row.columns });
    },
    tables: () => [...tables.values()].map((t) => t.meta),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
