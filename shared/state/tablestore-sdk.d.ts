/**
 * The part of the `tablestore` SDK (5.6.x, untyped: aliyun-tablestore-nodejs-sdk issue open since 2018)
 * that shared/state/tablestore.ts uses. Only that file imports the SDK.
 */
declare module 'tablestore' {
  export interface ClientConfig {
    accessKeyId: string;
    accessKeySecret: string;
    securityToken?: string;
    stsToken?: string;
    endpoint: string;
    instancename: string;
    maxRetries?: number;
    httpOptions?: { timeout?: number; maxSockets?: number };
  }
  export interface Int64 {
    toNumber(): number;
  }
  export type CellValue = string | number | boolean | Buffer | Int64;
  export interface SdkRow {
    primaryKey?: Array<{ name: string; value: CellValue }>;
    attributes?: Array<{ columnName: string; columnValue: CellValue; timestamp?: unknown }>;
  }
  export type PrimaryKey = Array<Record<string, CellValue>>;
  export class Client {
    constructor(config: ClientConfig);
    getRow(params: Record<string, unknown>): Promise<{ row: SdkRow }>;
    putRow(params: Record<string, unknown>): Promise<{ row: SdkRow }>;
    updateRow(params: Record<string, unknown>): Promise<{ row: SdkRow }>;
    deleteRow(params: Record<string, unknown>): Promise<{ row: SdkRow }>;
    getRange(
      params: Record<string, unknown>,
    ): Promise<{ rows: SdkRow[]; nextStartPrimaryKey: Array<{ name: string; value: CellValue }> | null }>;
    /** One list per table asked, each row in the order asked; a row may fail alone (`isOk` false). */
    batchGetRow(params: Record<string, unknown>): Promise<{
      tables: Array<
        Array<SdkRow & { isOk: boolean; errorCode?: string | null; errorMessage?: string | null }>
      >;
    }>;
    createTable(params: Record<string, unknown>): Promise<unknown>;
    describeTable(params: Record<string, unknown>): Promise<{
      tableMeta?: { tableName?: string; primaryKey?: Array<{ name: string; type: number }> };
      tableOptions?: { timeToLive?: number; maxVersions?: number };
    }>;
  }
  export class Condition {
    constructor(rowExistence: number, columnCondition: ColumnCondition | null);
  }
  export class ColumnCondition {}
  export class SingleColumnCondition extends ColumnCondition {
    constructor(
      columnName: string,
      columnValue: CellValue,
      comparator: number,
      passIfMissing?: boolean,
      latestVersionOnly?: boolean,
    );
  }
  export class CompositeCondition extends ColumnCondition {
    constructor(combinator: number);
    addSubCondition(condition: ColumnCondition): void;
  }
  export const RowExistenceExpectation: { IGNORE: number; EXPECT_EXIST: number; EXPECT_NOT_EXIST: number };
  export const ComparatorType: {
    EQUAL: number;
    NOT_EQUAL: number;
    GREATER_THAN: number;
    GREATER_EQUAL: number;
    LESS_THAN: number;
    LESS_EQUAL: number;
  };
  export const LogicalOperator: { NOT: number; AND: number; OR: number };
  export const Direction: { FORWARD: string; BACKWARD: string };
  export const PrimaryKeyType: { INTEGER: number; STRING: number; BINARY: number };
  export const Long: { fromNumber(n: number): Int64 };
  export const DefaultRetryPolicy: { maxRetryTimes: number };
  const TableStore: {
    Client: typeof Client;
    Condition: typeof Condition;
    SingleColumnCondition: typeof SingleColumnCondition;
    CompositeCondition: typeof CompositeCondition;
    RowExistenceExpectation: typeof RowExistenceExpectation;
    ComparatorType: typeof ComparatorType;
    LogicalOperator: typeof LogicalOperator;
    Direction: typeof Direction;
    PrimaryKeyType: typeof PrimaryKeyType;
    Long: typeof Long;
    DefaultRetryPolicy: typeof DefaultRetryPolicy;
  };
  export default TableStore;
}
