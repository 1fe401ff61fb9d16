import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { it } from 'vitest';
import { startTestStack } from '../support/stack.ts';
import { documentClient } from '../../adapters/dynamo.ts';
import { tableDefinitions, localDynamoClient } from '../../local/tables.ts';

it('bench', async () => {
  const stack = await startTestStack();
  const c = localDynamoClient(stack.endpoints.dynamodb);
  const full = tableDefinitions({ requests: 'x-r', audit: 'x-a' })[1]!;
  const variants: [string, any][] = [
    ['none', { ...full, TableName: 'v0', GlobalSecondaryIndexes: undefined }],
    ['one', { ...full, TableName: 'v1', GlobalSecondaryIndexes: full.GlobalSecondaryIndexes!.slice(0, 1) }],
    ['three', { ...full, TableName: 'v3' }],
  ];
  for (const [name, def] of variants) {
    await c.send(new CreateTableCommand(def));
    const items = Array.from({ length: 2000 }, (_, i) => ({ requestId: `r-${Math.floor(i / 20)}`, seq: i % 20, day: `2024-03-${String(1 + (i % 28)).padStart(2, '0')}`, atKey: `2024-03-01T${i}`, actor: `a${i % 5}`, principalKey: `p${i % 7}`, details: { n: i }, hash: 'x'.repeat(64), prevHash: 'y'.repeat(64) }));
    const batches: any[] = [];
    for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
    const t = Date.now();
    const worker = async () => { for (let b = batches.shift(); b; b = batches.shift()) { await documentClient().send(new BatchWriteCommand({ RequestItems: { [def.TableName]: b.map((Item: any) => ({ PutRequest: { Item } })) } })); } };
    await Promise.all(Array.from({ length: 8 }, worker));
    console.log(name, Date.now() - t, 'ms for 2000');
  }
  await stack.stop();
}, 120000);
