import type { TestProject } from 'vitest/node';
import { startDynamo } from '../local/dynamodb.ts';

/**
 * One DynamoDB Local (in memory) for the whole run: it takes seconds to
 * start, so test files share it and keep apart by table prefix.
 */
export default async function setup(project: TestProject) {
  const dynamo = await startDynamo({});
  project.provide('dynamoEndpoint', dynamo.endpoint);
  return async () => {
    await dynamo.stop();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}
