import { BatchGetCommand } from '@aws-sdk/lib-dynamodb';
import { documentClient } from './dynamo.ts';

/** The most keys one BatchGetItem call may ask for. */
export const BATCH_GET_MAX = 100;

const MAX_TRIES = 8;

/** Thrown when DynamoDB keeps leaving keys unprocessed. */
export class BatchGetIncomplete extends Error {
  constructor(
    readonly table: string,
    readonly unprocessed: number,
  ) {
    super(
      `BatchGetItem left ${unprocessed} keys of ${table} unprocessed ` +
        `after ${MAX_TRIES} tries`,
    );
    this.name = 'BatchGetIncomplete';
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Reads the items of `ids` (the table's `id` key), at most
 * {@link BATCH_GET_MAX} of them, and returns those that exist in the
 * order of `ids`. DynamoDB may leave keys unprocessed under throttling:
 * they are asked for again with exponential backoff and jitter, and
 * {@link BatchGetIncomplete} is thrown when some are still left.
 */
export async function batchGetById(
  table: string,
  ids: readonly string[],
): Promise<Record<string, unknown>[]> {
  if (ids.length > BATCH_GET_MAX) {
    throw new RangeError(`at most ${BATCH_GET_MAX} keys, got ${ids.length}`);
  }
  const found = new Map<string, Record<string, unknown>>();
  let keys: Record<string, unknown>[] = [...new Set(ids)].map((id) => ({
    id,
  }));
  for (let attempt = 1; keys.length > 0; attempt++) {
    if (attempt > 1) {
      if (attempt > MAX_TRIES) throw new BatchGetIncomplete(table, keys.length);
      await pause(Math.random() * 25 * 2 ** attempt);
    }
    const { Responses, UnprocessedKeys } = await documentClient().send(
      new BatchGetCommand({ RequestItems: { [table]: { Keys: keys } } }),
    );
    for (const item of Responses?.[table] ?? []) {
      found.set(item.id as string, item);
    }
    keys = (UnprocessedKeys?.[table]?.Keys ?? []) as typeof keys;
  }
  return ids.flatMap((id) => {
    const item = found.get(id);
    return item === undefined ? [] : [item];
  });
}
