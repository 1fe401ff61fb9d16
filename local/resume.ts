import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { approvalWindow } from '../adapters/sfn.ts';
import type { LocalStepFunctions } from './sfn-runner.ts';
import { localDynamoClient } from './tables.ts';

const RESUMABLE = ['PENDING_APPROVAL', 'APPROVED', 'EXECUTING'];

/**
 * Executions live in the runner's memory, requests in DynamoDB Local's
 * files: after a restart, restart the workflow of every request that was
 * still waiting or executing, so none stays open (and locked) for ever.
 * A resumed approval wait gets a fresh window; the Slack message already
 * posted is reused. Returns how many were resumed.
 */
export async function resumeOpenRequests(
  endpoint: string,
  requestsTable: string,
  sfn: LocalStepFunctions,
  approvalTimeoutSeconds: number,
): Promise<number> {
  const client = localDynamoClient(endpoint);
  let resumed = 0;
  try {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({
          TableName: requestsTable,
          ExclusiveStartKey: startKey as never,
        }),
      );
      for (const raw of page.Items ?? []) {
        const item = unmarshall(raw);
        if (item.kind !== 'REQUEST' || !RESUMABLE.includes(item.status)) {
          continue;
        }
        sfn.startExecution(
          String(item.requestId),
          JSON.stringify({
            requestId: item.requestId,
            autoApproved: item.status !== 'PENDING_APPROVAL',
            ...approvalWindow(approvalTimeoutSeconds),
            ...(item.durationMinutes !== undefined
              ? { durationMinutes: item.durationMinutes }
              : {}),
          }),
        );
        resumed += 1;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  } finally {
    client.destroy();
  }
  return resumed;
}
