import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BatchGetIncomplete, batchGetById } from '../../adapters/batch-get.ts';
import { useTestEnv } from './support/lambda.ts';

useTestEnv();
const ddb = mockClient(DynamoDBDocumentClient);
const TABLE = 'requests-test';

afterEach(() => {
  ddb.reset();
  vi.useRealTimers();
});

const keysAsked = () =>
  ddb
    .commandCalls(BatchGetCommand)
    .map((call) =>
      (call.args[0].input.RequestItems?.[TABLE]?.Keys ?? []).map(
        (key) => key.id,
      ),
    );

describe('Function: batchGetById', () => {
  it('asks again for unprocessed keys and returns the items in key order', async () => {
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: {
          [TABLE]: [
            { id: 'c', n: 3 },
            { id: 'a', n: 1 },
          ],
        },
        UnprocessedKeys: { [TABLE]: { Keys: [{ id: 'b' }] } },
      })
      .resolvesOnce({ Responses: { [TABLE]: [{ id: 'b', n: 2 }] } });

    const items = await batchGetById(TABLE, ['a', 'b', 'c', 'gone']);

    expect(items.map((item) => item.id)).toEqual(['a', 'b', 'c']);
    expect(keysAsked()).toEqual([['a', 'b', 'c', 'gone'], ['b']]);
  });

  it('throws BatchGetIncomplete when keys stay unprocessed', async () => {
    ddb.on(BatchGetCommand).resolves({
      Responses: { [TABLE]: [] },
      UnprocessedKeys: { [TABLE]: { Keys: [{ id: 'a' }] } },
    });

    vi.useFakeTimers();

    const answer = expect(batchGetById(TABLE, ['a'])).rejects.toBeInstanceOf(
      BatchGetIncomplete,
    );
    await vi.runAllTimersAsync();

    await answer;
    expect(keysAsked()).toHaveLength(8);
  });

  it('refuses more keys than one call may carry', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => String(i));

    await expect(batchGetById(TABLE, ids)).rejects.toThrow(RangeError);
    expect(keysAsked()).toEqual([]);
  });
});
