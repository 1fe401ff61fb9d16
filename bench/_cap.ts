import { startDynamo } from '../local/dynamodb.ts';
import { ensureTables } from '../local/tables.ts';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
const d = await startDynamo({});
try {
  await ensureTables(d.endpoint, { requests: 'rrr', audit: 'aaa' });
  const c = DynamoDBDocumentClient.from(new DynamoDBClient({ endpoint: d.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
  const t = async (label: string, items: any[]) => { const o = await c.send(new TransactWriteCommand({ TransactItems: items, ReturnConsumedCapacity: 'INDEXES' })); console.log(label, JSON.stringify(o.ConsumedCapacity)); };
  await t('3 put same table', [1,2,3].map(i => ({ Put: { TableName: 'aaa', Item: { requestId: 'q', seq: i, x: 'y' } } })));
  await t('2 put r + 3 put a', [{ Put: { TableName: 'rrr', Item: { id: 'm1' } } }, { Put: { TableName: 'rrr', Item: { id: 'm2' } } }, ...[1,2,3].map(i => ({ Put: { TableName: 'aaa', Item: { requestId: 'w', seq: i } } }))]);
  await t('1 put', [{ Put: { TableName: 'rrr', Item: { id: 'a1', x: 'y' } } }]);
  await t('2 put', [{ Put: { TableName: 'rrr', Item: { id: 'a2', x: 'y' } } }, { Put: { TableName: 'aaa', Item: { requestId: 'a2', seq: 1 } } }]);
  await t('1 put 1.5KB', [{ Put: { TableName: 'rrr', Item: { id: 'a3', x: 'y'.repeat(1500) } } }]);
  await t('update 1.5KB', [{ Update: { TableName: 'rrr', Key: { id: 'a3' }, UpdateExpression: 'SET z = :z', ExpressionAttributeValues: { ':z': 1 } } }]);
  await t('delete', [{ Delete: { TableName: 'rrr', Key: { id: 'a1' } } }]);
  await t('delete missing', [{ Delete: { TableName: 'rrr', Key: { id: 'zz' } } }]);
  const o = await c.send(new PutCommand({ TableName: 'rrr', Item: { id: 'b', x: 'y' }, ReturnConsumedCapacity: 'TOTAL' })); console.log('plain put', JSON.stringify(o.ConsumedCapacity));
  const u = await c.send(new UpdateCommand({ TableName: 'rrr', Key: { id: 'a3' }, UpdateExpression: 'SET z = :z', ExpressionAttributeValues: { ':z': 2 }, ReturnConsumedCapacity: 'TOTAL' })); console.log('plain update 1.5KB', JSON.stringify(u.ConsumedCapacity));
} finally { await d.stop(); }
