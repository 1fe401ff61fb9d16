/**
 * Counts the DynamoDB capacity the product consumes, without touching the
 * product: a middleware on its one document client asks every call for
 * `ReturnConsumedCapacity: 'TOTAL'` and sums what comes back. Only the
 * serialised copy of the input is changed; the product's objects are not.
 *
 * DynamoDB Local under-reports TransactWriteItems: for several items on
 * one table it reports the units of one item only (three 100-byte puts on
 * one table: 2 units; DynamoDB bills 2 per item, 6). So each transaction
 * is also replayed item by item, each as a transaction of its own, into
 * shadow copies of the tables that receive every write the product makes
 * while metering; DynamoDB Local reports single-item transactions right
 * (size rounding and update-takes-the-larger-image included), and their
 * sum is what DynamoDB bills for the whole transaction.
 */
import {
  type DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';

type TransactItem = NonNullable<
  TransactWriteCommandInput['TransactItems']
>[number];

/** Shadow tables by the product's table names, and a client for them. */
export interface ShadowTables {
  /** A document client: the middleware sees the input before marshalling. */
  client: DynamoDBDocumentClient;
  tables: Record<string, string>;
}

const READS = new Set([
  'GetItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'TransactGetItemsCommand',
]);

interface CapacityEntry {
  CapacityUnits?: number;
}

/** Read and write units consumed while `counting` is true, by command. */
export interface CapacityMeter {
  counting: boolean;
  readUnits: number;
  /** Per item, as DynamoDB bills transactions. */
  writeUnits: number;
  /** As DynamoDB Local reports them. */
  reportedWriteUnits: number;
  /** Transactional write units by table and by its indexes. */
  writeUnitsBy: Record<string, number>;
  calls: Record<string, { calls: number; units: number }>;
  reset(): void;
}

/** Adds the counting middleware to `client`; returns the meter. */
export function meterCapacity(
  client: DynamoDBDocumentClient,
  shadow: ShadowTables,
): CapacityMeter {
  const meter: CapacityMeter = {
    counting: false,
    readUnits: 0,
    writeUnits: 0,
    reportedWriteUnits: 0,
    writeUnitsBy: {},
    calls: {},
    reset() {
      meter.readUnits = 0;
      meter.writeUnits = 0;
      meter.reportedWriteUnits = 0;
      meter.writeUnitsBy = {};
      meter.calls = {};
    },
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = {
        ...(args.input as object),
        ReturnConsumedCapacity: 'TOTAL',
      };
      const result = await next({ ...args, input });
      if (!meter.counting) return result;
      const output = result.output as {
        ConsumedCapacity?: CapacityEntry | CapacityEntry[];
      };
      const consumed = [output.ConsumedCapacity ?? []].flat();
      const units = consumed.reduce(
        (sum, c) => sum + (c.CapacityUnits ?? 0),
        0,
      );
      const name = context.commandName ?? 'unknown';
      let billed = units;
      if (name === 'TransactWriteItemsCommand') {
        const items = (input as { TransactItems?: TransactItem[] })
          .TransactItems;
        billed = await replayItems(shadow, items ?? [], meter.writeUnitsBy);
      }
      if (READS.has(name)) {
        meter.readUnits += units;
      } else {
        meter.writeUnits += billed;
        meter.reportedWriteUnits += units;
      }
      const row = meter.calls[name] ?? { calls: 0, units: 0 };
      meter.calls[name] = row;
      row.calls += 1;
      row.units += billed;
      return result;
    },
    { step: 'serialize', priority: 'high', name: 'benchConsumedCapacity' },
  );
  return meter;
}

/**
 * Writes each item alone into the shadow tables; sums their units, and
 * adds them to `by` under the product's table name and `table.index`.
 */
async function replayItems(
  shadow: ShadowTables,
  items: TransactItem[],
  by: Record<string, number>,
): Promise<number> {
  let units = 0;
  for (const item of items) {
    const copy = structuredClone(item);
    let table = '';
    for (const operation of Object.values(copy)) {
      const target = operation as { TableName?: string } | undefined;
      if (target?.TableName === undefined) continue;
      const renamed = shadow.tables[target.TableName];
      if (renamed === undefined) {
        throw new Error(`no shadow table for ${target.TableName}`);
      }
      table = target.TableName;
      target.TableName = renamed;
    }
    const { ConsumedCapacity } = await shadow.client.send(
      new TransactWriteCommand({
        TransactItems: [copy],
        ReturnConsumedCapacity: 'INDEXES',
      }),
    );
    for (const c of ConsumedCapacity ?? []) {
      units += c.CapacityUnits ?? 0;
      by[table] = (by[table] ?? 0) + (c.Table?.CapacityUnits ?? 0);
      for (const [name, index] of Object.entries(
        c.GlobalSecondaryIndexes ?? {},
      )) {
        const key = `${table}.${name}`;
        by[key] = (by[key] ?? 0) + (index.CapacityUnits ?? 0);
      }
    }
  }
  return units;
}

/**
 * Keeps a copy of the next TransactWriteItems input (as the product
 * built it, before marshalling) so the floor can write the same items.
 */
export function captureTransactWrite(client: DynamoDBDocumentClient): {
  next(): Promise<Record<string, unknown>>;
} {
  let waiting: ((input: Record<string, unknown>) => void) | undefined;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (waiting && context.commandName === 'TransactWriteItemsCommand') {
        waiting(structuredClone(args.input) as Record<string, unknown>);
        waiting = undefined;
      }
      return next(args);
    },
    { step: 'initialize', priority: 'high', name: 'benchCaptureTransact' },
  );
  return {
    next: () =>
      new Promise((resolve) => {
        waiting = resolve;
      }),
  };
}
