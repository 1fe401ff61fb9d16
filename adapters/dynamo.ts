import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { config, localClientOptions } from './config.ts';

let client: DynamoDBDocumentClient | undefined;

/** The module's one DynamoDB document client. */
export function documentClient(): DynamoDBDocumentClient {
  client ??= DynamoDBDocumentClient.from(
    new DynamoDBClient(localClientOptions(config.dynamodbEndpoint())),
    { marshallOptions: { removeUndefinedValues: true } },
  );
  return client;
}
