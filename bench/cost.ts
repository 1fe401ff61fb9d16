/**
 * What one approved request costs: state transitions, Lambda invocations,
 * audit events, DynamoDB read and write units. Counted on the running
 * local stack without changing the product: a counting middy middleware
 * on each handler the stack has loaded, and a capacity meter on the
 * product's document client.
 */
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FUNCTION_NAMES } from '../functions/routes.ts';
import type { LocalStack } from '../local/stack.ts';
import { ensureTables, localDynamoClient } from '../local/tables.ts';
import { type CapacityMeter, meterCapacity } from './capacity.ts';
import { round } from './stats.ts';

export interface CostResult {
  transitionsPerRequest: number;
  lambdaInvocationsPerRequest: number;
  auditEventsPerRequest: number;
  writeUnitsPerRequest: number;
  readUnitsPerRequest: number;
  /** DynamoDB Local's own figure, which under-counts transactions. */
  writeUnitsReportedByDynamoLocal: number;
  /** Write units by table and `table.index` (GSI). */
  writeUnitsByTarget: Record<string, number>;
  requests: number;
  invocationsByFunction: Record<string, number>;
  /** DynamoDB calls and units per request, by command. */
  dynamoByCommand: Record<string, { calls: number; units: number }>;
}

/** Invocations per function while `counting` is true. */
export interface InvocationCounter {
  counting: boolean;
  counts: Record<string, number>;
  reset(): void;
}

interface MiddyHandler {
  use(middleware: { before: () => void }): unknown;
}

/**
 * Counts invocations of every function, whether the HTTP server or the
 * state machine runner calls it. The stack imported the handlers by the
 * same URLs, so these are the very instances it invokes.
 */
export async function countInvocations(): Promise<InvocationCounter> {
  const counter: InvocationCounter = {
    counting: false,
    counts: {},
    reset() {
      counter.counts = {};
    },
  };
  for (const name of FUNCTION_NAMES) {
    const { handler } = (await import(`../functions/${name}/handler.ts`)) as {
      handler: MiddyHandler;
    };
    if (typeof handler.use !== 'function') {
      throw new Error(`${name}: the handler is not a middy handler`);
    }
    handler.use({
      before: () => {
        if (counter.counting) {
          counter.counts[name] = (counter.counts[name] ?? 0) + 1;
        }
      },
    });
  }
  return counter;
}

/** The meters, installed once the stack has set the environment. */
export async function installMeters(stack: LocalStack): Promise<{
  capacity: CapacityMeter;
  invocations: InvocationCounter;
}> {
  const shadowNames = {
    requests: `${stack.tables.requests}-shadow`,
    audit: `${stack.tables.audit}-shadow`,
  };
  await ensureTables(stack.endpoints.dynamodb, shadowNames);
  const shadow = {
    client: DynamoDBDocumentClient.from(
      localDynamoClient(stack.endpoints.dynamodb),
      { marshallOptions: { removeUndefinedValues: true } },
    ),
    tables: {
      [stack.tables.requests]: shadowNames.requests,
      [stack.tables.audit]: shadowNames.audit,
    },
  };
  const { documentClient } = await import('../adapters/dynamo.ts');
  return {
    capacity: meterCapacity(documentClient(), shadow),
    invocations: await countInvocations(),
  };
}

/**
 * Runs `submitOne` for each request with the meters on, waits for every
 * workflow to end (through the runner, so no polling is billed), and
 * divides what was counted by the number of requests.
 */
export async function measureCost(
  stack: LocalStack,
  meters: { capacity: CapacityMeter; invocations: InvocationCounter },
  requests: number,
  submitOne: (index: number) => Promise<string>,
): Promise<CostResult> {
  const { capacity, invocations } = meters;
  capacity.reset();
  invocations.reset();
  capacity.counting = true;
  invocations.counting = true;
  const ids: string[] = [];
  for (let i = 0; i < requests; i += 5) {
    const batch = Array.from(
      { length: Math.min(5, requests - i) },
      (_, j) => i + j,
    );
    ids.push(...(await Promise.all(batch.map(submitOne))));
  }
  const executions = ids.map((id) => {
    const execution = [...stack.sfn.executions.values()].find(
      (e) => e.name === id,
    );
    if (!execution) throw new Error(`no execution for ${id}`);
    return execution;
  });
  await Promise.all(executions.map((e) => e.done));
  capacity.counting = false;
  invocations.counting = false;

  const failed = executions.filter((e) => e.status !== 'SUCCEEDED');
  if (failed.length > 0) {
    throw new Error(
      `${failed.length} workflows did not succeed: ${failed[0]?.error} ${failed[0]?.cause}`,
    );
  }
  const transitions = executions.reduce((sum, e) => sum + e.transitions, 0);
  const audit = await countAudit(stack, ids);
  const calls = Object.values(invocations.counts).reduce((a, b) => a + b, 0);
  const per = (value: number, digits = 2) => round(value / requests, digits);
  return {
    transitionsPerRequest: per(transitions),
    lambdaInvocationsPerRequest: per(calls),
    auditEventsPerRequest: per(audit),
    writeUnitsPerRequest: per(capacity.writeUnits),
    readUnitsPerRequest: per(capacity.readUnits),
    writeUnitsReportedByDynamoLocal: per(capacity.reportedWriteUnits),
    writeUnitsByTarget: Object.fromEntries(
      Object.entries(capacity.writeUnitsBy).map(([k, v]) => [
        k.replace(/^bench-e2e-/, ''),
        per(v),
      ]),
    ),
    requests,
    invocationsByFunction: Object.fromEntries(
      Object.entries(invocations.counts).map(([k, v]) => [k, per(v)]),
    ),
    dynamoByCommand: Object.fromEntries(
      Object.entries(capacity.calls).map(([k, v]) => [
        k,
        { calls: per(v.calls), units: per(v.units) },
      ]),
    ),
  };
}

/** Audit events of these requests, counted with a client of our own. */
async function countAudit(stack: LocalStack, ids: string[]): Promise<number> {
  const client = localDynamoClient(stack.endpoints.dynamodb);
  let total = 0;
  for (const id of ids) {
    const { Count } = await client.send(
      new QueryCommand({
        TableName: stack.tables.audit,
        KeyConditionExpression: 'requestId = :id',
        ExpressionAttributeValues: { ':id': { S: id } },
        Select: 'COUNT',
      }),
    );
    total += Count ?? 0;
  }
  client.destroy();
  return total;
}
