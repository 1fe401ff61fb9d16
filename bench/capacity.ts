/**
 * Counts the DynamoDB capacity the product consumes, without touching the
 * product: a middleware on its one document client asks every call for
 * `ReturnConsumedCapacity: 'TOTAL'` and sums what comes back. Only the
 * serialised copy of the input is changed; the product's objects are not.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

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
  writeUnits: number;
  calls: Record<string, { calls: number; units: number }>;
  reset(): void;
}

/** Adds the counting middleware to `client`; returns the meter. */
export function meterCapacity(client: DynamoDBDocumentClient): CapacityMeter {
  const meter: CapacityMeter = {
    counting: false,
    readUnits: 0,
    writeUnits: 0,
    calls: {},
    reset() {
      meter.readUnits = 0;
      meter.writeUnits = 0;
      meter.calls = {};
    },
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = { ...(args.input as object), ReturnConsumedCapacity: 'TOTAL' };
      const result = await next({ ...args, input });
      if (!meter.counting) return result;
      const output = result.output as {
        ConsumedCapacity?: CapacityEntry | CapacityEntry[];
      };
      const consumed = [output.ConsumedCapacity ?? []].flat();
      const units = consumed.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
      const name = context.commandName ?? 'unknown';
      if (READS.has(name)) meter.readUnits += units;
      else meter.writeUnits += units;
      const row = (meter.calls[name] ??= { calls: 0, units: 0 });
      row.calls += 1;
      row.units += units;
      return result;
    },
    { step: 'serialize', priority: 'high', name: 'benchConsumedCapacity' },
  );
  return meter;
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
