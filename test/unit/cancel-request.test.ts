import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import {
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { updateMessage } from '../../adapters/slack.ts';
import type { StoredRequest } from '../../core/request.ts';
import { handler } from '../../functions/cancel-request/handler.ts';
import {
  auditPuts,
  lockDelete,
  onlyTransaction,
  transactions,
  updatedFields,
} from './support/dynamo.ts';
import {
  answer,
  httpEvent,
  lambdaContext,
  useTestEnv,
} from './support/lambda.ts';
import {
  REQUEST_ID,
  REQUESTER,
  requestItem,
  storedRequest,
} from './support/requests.ts';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});
vi.mock('../../adapters/slack.ts', () => ({ updateMessage: vi.fn() }));

useTestEnv();
const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);

function given(overrides: Partial<StoredRequest> = {}) {
  ddb.on(GetCommand).resolves({
    Item: requestItem(storedRequest(overrides)),
  });
}

function cancel(as = REQUESTER) {
  return handler(
    httpEvent({
      method: 'POST',
      path: `/requests/${REQUEST_ID}/cancel`,
      as,
      pathParameters: { requestId: REQUEST_ID },
    }),
    lambdaContext,
  ).then(answer);
}

beforeEach(() => {
  given({ slack: { channel: 'C0DEMO', ts: '1700000000.000100' } });
  ddb.on(TransactWriteCommand).resolves({});
  sfn.on(StopExecutionCommand).resolves({});
  vi.mocked(updateMessage).mockResolvedValue();
});

afterEach(() => {
  ddb.reset();
  sfn.reset();
  vi.resetAllMocks();
});

describe('Function: cancel-request', () => {
  it('answers 200 CANCELLED with status, audit and lock release in one transaction', async () => {
    const { status, body } = await cancel();

    expect(status).toBe(200);
    expect(body.status).toBe('CANCELLED');
    const items = onlyTransaction(ddb);
    expect(updatedFields(items)).toMatchObject({
      status: 'CANCELLED',
      auditSeq: 3,
    });
    expect(items[0]?.Update?.ConditionExpression).toBe('#seq = :seq');
    expect(auditPuts(items)).toEqual([
      {
        event: expect.objectContaining({
          type: 'CANCELLED',
          actor: REQUESTER,
          seq: 3,
        }),
        condition: 'attribute_not_exists(requestId)',
      },
    ]);
    expect(lockDelete(items)?.ExpressionAttributeValues).toEqual({
      ':id': REQUEST_ID,
    });
  });

  it('stops the workflow and shows the cancellation in the Slack message', async () => {
    await cancel();

    expect(sfn.commandCalls(StopExecutionCommand)[0]?.args[0].input).toEqual({
      executionArn: `arn:aws:states:us-east-1:111122223333:execution:access-change:${REQUEST_ID}`,
      error: 'Cancelled',
      cause: `Cancelled by ${REQUESTER}`,
    });
    const [message, text, blocks] =
      vi.mocked(updateMessage).mock.calls[0] ?? [];
    expect(message).toEqual({ channel: 'C0DEMO', ts: '1700000000.000100' });
    expect(text).toContain('CANCELLED');
    expect(JSON.stringify(blocks)).not.toContain('"action_id":"approve"');
  });

  it('still answers 200 when stopping the workflow fails', async () => {
    sfn.on(StopExecutionCommand).rejects(new Error('ExecutionDoesNotExist'));

    const { status } = await cancel();

    expect(status).toBe(200);
  });

  it('answers 409 naming the status when the request is no longer pending', async () => {
    given({ status: 'APPROVED' });

    const { status, body } = await cancel();

    expect(status).toBe(409);
    expect(body.error).toMatchObject({ code: 'Conflict', status: 'APPROVED' });
    expect(transactions(ddb)).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('answers 403 when someone other than the requester cancels', async () => {
    const { status, body } = await cancel('bob@example.com');

    expect(status).toBe(403);
    expect(body.error.code).toBe('PolicyDenied');
    expect(transactions(ddb)).toHaveLength(0);
  });
});
