import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { AwsStub } from 'aws-sdk-client-mock';

type Item = Record<string, AttributeValue>;

/**
 * An in-memory stand-in for the Powertools idempotency table: a Put on an
 * existing key fails with the old item, as the layer's condition makes it
 * do while the record has not expired; Update applies its SET list.
 */
export function fakeIdempotencyTable(
  // biome-ignore lint/suspicious/noExplicitAny: the mock's own generics
  client: AwsStub<any, any, DynamoDBClient['config']> | AwsStub<any, any, any>,
) {
  const items = new Map<string, Item>();
  const keyOf = (key: Item | undefined) => JSON.stringify(key?.id);

  client.on(PutItemCommand).callsFake((input: { Item: Item }) => {
    const old = items.get(keyOf(input.Item));
    if (old) {
      throw new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: old,
      });
    }
    items.set(keyOf(input.Item), input.Item);
    return {};
  });
  client
    .on(UpdateItemCommand)
    .callsFake(
      (input: {
        Key: Item;
        UpdateExpression: string;
        ExpressionAttributeNames: Record<string, string>;
        ExpressionAttributeValues: Item;
      }) => {
        const item: Item = { ...items.get(keyOf(input.Key)), ...input.Key };
        const set = input.UpdateExpression.replace(/^SET /, '');
        for (const assignment of set.split(', ')) {
          const [name = '', value = ''] = assignment.split(' = ');
          const field = input.ExpressionAttributeNames[name] ?? name;
          const attribute = input.ExpressionAttributeValues[value];
          if (attribute) item[field] = attribute;
        }
        items.set(keyOf(input.Key), item);
        return {};
      },
    );
  client.on(DeleteItemCommand).callsFake((input: { Key: Item }) => {
    items.delete(keyOf(input.Key));
    return {};
  });
  client.on(GetItemCommand).callsFake((input: { Key: Item }) => ({
    Item: items.get(keyOf(input.Key)),
  }));
  return items;
}
