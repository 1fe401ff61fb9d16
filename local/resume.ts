import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { approvalWindow } from '../adapters/sfn.ts';
import type { LocalStepFunctions } from './sfn-runner.ts';
import { localDynamoClient } from './tables.ts';

const RESUMABLE = ['PENDING_APPROVAL', 'APPROVED', 'EXECUTING'];

/** The workflow input that picks a request up where it stopped. */
function resumeInput(
  item: Record<string, unknown>,
  approvalTimeoutSeconds: number,
  waitScale: number,
): Record<string, unknown> | undefined {
  const base = {
    requestId: item.requestId,
    ...approvalWindow(approvalTimeoutSeconds),
  };
  if (RESUMABLE.includes(String(item.status))) {
    return {
      ...base,
      autoApproved: item.status !== 'PENDING_APPROVAL',
      ...(item.durationMinutes !== undefined
        ? { durationMinutes: item.durationMinutes }
        : {}),
    };
  }
  if (item.status === 'SUCCEEDED' && typeof item.expiresAt === 'string') {
    // A time-bound change still holding its lock: wait out what is left of
    // its (scaled) time, then revert. The runner scales durationMinutes.
    const fullMs = Number(item.durationMinutes ?? 0) * 60_000;
    const succeededAt = Date.parse(item.expiresAt) - fullMs;
    const dueAt = succeededAt + fullMs * waitScale;
    const left = Math.max(0, dueAt - Date.now());
    return {
      ...base,
      autoApproved: true,
      durationMinutes: left / 60_000 / waitScale,
      recorded: { timeBound: true, expiresAt: item.expiresAt },
    };
  }
  return undefined;
}

/**
 * Executions live in the runner's memory, requests in DynamoDB Local's
 * files: after a restart, restart the workflow of every request that was
 * still waiting or executing, so none stays open (and locked) for ever.
 * A resumed approval wait gets a fresh window; the Slack message already
 * posted is reused; a time-bound change waits out what is left of its
 * time and is reverted. Returns how many were resumed.
 */
export async function resumeOpenRequests(
  endpoint: string,
  requestsTable: string,
  sfn: LocalStepFunctions,
  approvalTimeoutSeconds: number,
  waitScale = 1,
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
        const input =
          item.kind === 'REQUEST'
            ? resumeInput(item, approvalTimeoutSeconds, waitScale)
            : undefined;
        if (input === undefined) continue;
        sfn.startExecution(String(item.requestId), JSON.stringify(input));
        resumed += 1;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  } finally {
    client.destroy();
  }
  return resumed;
}
