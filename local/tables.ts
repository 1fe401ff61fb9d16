import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';

export interface TableNames {
  requests: string;
  audit: string;
}

/**
 * A GSI keyed on `pk` and sorted by `sk`. `KEYS_ONLY` suits an index on
 * items that change after they are written: an update that leaves the
 * index keys alone then writes nothing to the index.
 */
function index(
  name: string,
  pk: string,
  sk: string,
  projection: 'ALL' | 'KEYS_ONLY',
) {
  return {
    IndexName: name,
    KeySchema: [
      { AttributeName: pk, KeyType: 'HASH' as const },
      { AttributeName: sk, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: projection },
  };
}

const text = (name: string) => ({
  AttributeName: name,
  AttributeType: 'S' as const,
});

/**
 * The tables as template.yaml declares them, for DynamoDB Local. The
 * requests indexes serve `GET /requests` newest first by its most
 * selective filter; they hold keys only, since a request changes at every
 * step of its workflow, and the list reads the items by key. The audit
 * indexes serve `GET /audit` and the export in time order; audit items
 * never change, so they project everything. Every index costs a write
 * per item it holds: lock items carry no attribute an index keys on
 * (adapters/request-query.ts, adapters/audit-query.ts).
 */
export function tableDefinitions(names: TableNames): CreateTableCommandInput[] {
  return [
    {
      TableName: names.requests,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        text('id'),
        text('kind'),
        text('createdAt'),
        text('principalKey'),
        text('requestedBy'),
        text('clusterName'),
      ],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        index('byPrincipal', 'principalKey', 'createdAt', 'KEYS_ONLY'),
        index('byRequester', 'requestedBy', 'createdAt', 'KEYS_ONLY'),
        index('byCluster', 'clusterName', 'createdAt', 'KEYS_ONLY'),
        index('byCreated', 'kind', 'createdAt', 'KEYS_ONLY'),
      ],
    },
    {
      TableName: names.audit,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        text('requestId'),
        { AttributeName: 'seq', AttributeType: 'N' },
        text('day'),
        text('atKey'),
        text('principalKey'),
      ],
      KeySchema: [
        { AttributeName: 'requestId', KeyType: 'HASH' },
        { AttributeName: 'seq', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        index('byDay', 'day', 'atKey', 'ALL'),
        index('byPrincipal', 'principalKey', 'atKey', 'ALL'),
      ],
    },
  ];
}

export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/**
 * Creates the tables that do not exist yet, and the indexes a table kept
 * from an older version (under `.local/`) lacks. Items written before an
 * index existed lack its key attributes and stay out of it: start with
 * `--fresh` to see old data in the lists.
 */
export async function ensureTables(endpoint: string, names: TableNames) {
  const client = localDynamoClient(endpoint);
  try {
    for (const definition of tableDefinitions(names)) {
      try {
        await client.send(new CreateTableCommand(definition));
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
        await addMissingIndexes(client, definition);
      }
    }
  } finally {
    client.destroy();
  }
}

async function addMissingIndexes(
  client: DynamoDBClient,
  definition: CreateTableCommandInput,
) {
  const { Table } = await client.send(
    new DescribeTableCommand({ TableName: definition.TableName }),
  );
  const present = new Set(
    (Table?.GlobalSecondaryIndexes ?? []).map((gsi) => gsi.IndexName),
  );
  for (const gsi of definition.GlobalSecondaryIndexes ?? []) {
    if (present.has(gsi.IndexName)) continue;
    // DynamoDB adds one index per UpdateTable call.
    await client.send(
      new UpdateTableCommand({
        TableName: definition.TableName,
        AttributeDefinitions: definition.AttributeDefinitions,
        GlobalSecondaryIndexUpdates: [{ Create: gsi }],
      }),
    );
  }
}

/** Resolves once DynamoDB Local answers, or throws after `timeoutMs`. */
export async function waitForDynamo(endpoint: string, timeoutMs = 30_000) {
  const client = localDynamoClient(endpoint);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(`DynamoDB Local did not answer at ${endpoint}`, {
            cause: error,
          });
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } finally {
    client.destroy();
  }
}
