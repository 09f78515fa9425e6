import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  otsSignature,
  startTablestoreEmulator,
  type TablestoreEmulator,
} from '../../../local/tablestore/server.js';

// The real SDK, driven directly: what the emulator accepts and answers is what the SDK sends and reads.
const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: the SDK ships no types.
const TableStore: any = require('tablestore');

const credentials = { accessKeyId: 'emu-ak', accessKeySecret: 'emu-sk', securityToken: 'emu-sts' };
let emulator: TablestoreEmulator;
// biome-ignore lint/suspicious/noExplicitAny: the SDK ships no types.
let client: any;

beforeAll(async () => {
  emulator = await startTablestoreEmulator({ ...credentials, instance: 'emu' });
  client = new TableStore.Client({
    ...credentials,
    endpoint: emulator.url,
    instancename: 'emu',
    maxRetries: 0,
  });
  await client.createTable({
    tableMeta: { tableName: 't', primaryKey: [{ name: 'pk', type: 'STRING' }] },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
  });
});
afterAll(async () => {
  await emulator.close();
});

const condition = (expectation: string, column: unknown = null) =>
  new TableStore.Condition(TableStore.RowExistenceExpectation[expectation], column);

describe('Tablestore wire emulator', () => {
  it('answers a failed row condition as the service does: HTTP 403 whose body names OTSConditionCheckFail', async () => {
    const put = (n: number) =>
      client.putRow({
        tableName: 't',
        condition: condition('EXPECT_NOT_EXIST'),
        primaryKey: [{ pk: 'a' }],
        attributeColumns: [{ n: TableStore.Long.fromNumber(n) }],
      });
    await put(1);
    const error = await put(2).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 403 });
    expect(String((error as Error).message)).toContain('OTSConditionCheckFail');
    expect(emulator.rows('t')).toEqual([{ key: 'a', columns: { n: { type: 'int', value: 1 } } }]);
  });

  it('BatchGetRow answers each row in the order asked, and refuses what the service refuses', async () => {
    await client.putRow({
      tableName: 't',
      condition: condition('IGNORE'),
      primaryKey: [{ pk: 'batch-1' }],
      attributeColumns: [{ n: TableStore.Long.fromNumber(1) }],
    });
    const batch = (keys: string[]) =>
      client.batchGetRow({
        tables: [{ tableName: 't', primaryKey: keys.map((pk) => [{ pk }]), maxVersions: 1 }],
      });

    const answer = await batch(['batch-missing', 'batch-1']);
    const tooMany = await batch(Array.from({ length: 101 }, (_, i) => `k${i}`)).catch((e: unknown) => e);
    const twice = await batch(['batch-1', 'batch-1']).catch((e: unknown) => e);

    const rows = answer.tables[0];
    expect(rows.map((row: { isOk: boolean }) => row.isOk)).toEqual([true, true]);
    expect(rows[0].primaryKey).toBeNull();
    expect(rows[1].primaryKey).toEqual([{ name: 'pk', value: 'batch-1' }]);
    expect(rows[1].attributes[0]).toMatchObject({ columnName: 'n' });
    for (const refused of [tooMany, twice]) {
      expect(refused).toMatchObject({ code: 400 });
      expect(String((refused as Error).message)).toContain('OTSParameterInvalid');
    }
  });

  it('UpdateRow puts cells under a column condition', async () => {
    const update = (expected: number) =>
      client.updateRow({
        tableName: 't',
        condition: condition(
          'EXPECT_EXIST',
          new TableStore.SingleColumnCondition(
            'n',
            TableStore.Long.fromNumber(expected),
            TableStore.ComparatorType.EQUAL,
          ),
        ),
        primaryKey: [{ pk: 'a' }],
        updateOfAttributeColumns: [{ PUT: [{ s: 'x' }] }],
      });
    await update(1);
    await expect(update(9)).rejects.toMatchObject({ code: 403 });
    expect(emulator.rows('t')[0]?.columns).toEqual({
      n: { type: 'int', value: 1 },
      s: { type: 'string', value: 'x' },
    });
  });

  it('CreateTable of an existing table is OTSObjectAlreadyExist; DescribeTable of a missing one OTSObjectNotExist', async () => {
    const again = await client
      .createTable({
        tableMeta: { tableName: 't', primaryKey: [{ name: 'pk', type: 'STRING' }] },
        reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
        tableOptions: { timeToLive: -1, maxVersions: 1 },
      })
      .catch((e: unknown) => e);
    expect(String((again as Error).message)).toContain('OTSObjectAlreadyExist');
    const missing = await client.describeTable({ tableName: 'nope' }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: 404 });
    expect(String((missing as Error).message)).toContain('OTSObjectNotExist');
  });

  it('checks the signature (a wrong secret and a missing STS token are refused)', async () => {
    const wrong = new TableStore.Client({
      ...credentials,
      accessKeySecret: 'x',
      endpoint: emulator.url,
      instancename: 'emu',
      maxRetries: 0,
    });
    const noToken = new TableStore.Client({
      accessKeyId: credentials.accessKeyId,
      accessKeySecret: credentials.accessKeySecret,
      endpoint: emulator.url,
      instancename: 'emu',
      maxRetries: 0,
    });
    for (const c of [wrong, noToken]) {
      const error = await c.getRow({ tableName: 't', primaryKey: [{ pk: 'a' }] }).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 403 });
      expect(String((error as Error).message)).toContain('OTSAuthFailed');
    }
  });

  it('signs as the SDK signs: path, method, then the sorted lower-cased x-ots-* headers', () => {
    const headers = {
      'x-ots-date': 'd',
      'X-OTS-AccessKeyId': 'k',
      'content-type': 'ignored',
      'x-ots-signature': 'old',
    };
    // The SDK drops x-ots-signature before signing (addAuthorization); the emulator skips it.
    const { 'x-ots-signature': _old, ...signed } = headers;
    const signer = new TableStore.Signer({ path: '/GetRow', method: 'POST', headers: signed });
    expect(otsSignature('secret', '/GetRow', 'POST', headers)).toBe(
      signer.sign('secret', signer.stringToSign()),
    );
  });
});
