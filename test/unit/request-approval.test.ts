import {
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import {
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { postMessage } from '../../adapters/slack.ts';
import type { StoredRequest } from '../../core/request.ts';
import { handler } from '../../functions/request-approval/handler.ts';
import {
  auditPuts,
  onlyTransaction,
  transactions,
  updatedFields,
} from './support/dynamo.ts';
import { lambdaContext, useTestEnv } from './support/lambda.ts';
import { captureLogs } from './support/logs.ts';
import { REQUEST_ID, requestItem, storedRequest } from './support/requests.ts';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
});
vi.mock('../../adapters/slack.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../adapters/slack.ts')>()),
  postMessage: vi.fn(),
}));

useTestEnv();
const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const TASK_TOKEN = `AQCEAAAAKgAAAA${'tok3n'.repeat(40)}`;
const POSTED = { channel: 'C0DEMO', ts: '1700000000.000100' };

function given(overrides: Partial<StoredRequest> = {}) {
  ddb.on(GetCommand).resolves({
    Item: requestItem(storedRequest(overrides)),
  });
}

function requestApproval(reminder?: boolean) {
  return handler(
    {
      requestId: REQUEST_ID,
      taskToken: TASK_TOKEN,
      ...(reminder === undefined ? {} : { reminder }),
    },
    lambdaContext,
  );
}

let logs: ReturnType<typeof captureLogs>;

beforeEach(() => {
  logs = captureLogs();
  given();
  ddb.on(TransactWriteCommand).resolves({});
  sfn.on(SendTaskSuccessCommand).resolves({});
  sfn.on(SendTaskFailureCommand).resolves({});
  vi.mocked(postMessage).mockResolvedValue(POSTED);
});

afterEach(() => {
  logs.restore();
  ddb.reset();
  sfn.reset();
  vi.resetAllMocks();
});

describe('Function: request-approval', () => {
  it("posts the approval message with buttons to the cluster's channel", async () => {
    const result = await requestApproval();

    expect(result).toEqual({ waiting: true });
    const [channel, text, blocks] = vi.mocked(postMessage).mock.calls[0] ?? [];
    expect(channel).toBe('C0DEMO');
    expect(text).toContain('PENDING_APPROVAL');
    const serialized = JSON.stringify(blocks);
    expect(serialized).toContain(`"action_id":"approve"`);
    expect(serialized).toContain(`"value":"${REQUEST_ID}"`);
    // createdAt + APPROVAL_TIMEOUT_SECONDS (3600)
    expect(serialized).toContain('*Decide by:* 2025-01-02T01:00:00.000Z');
  });

  it('stores the task token and the message with an APPROVAL_REQUESTED event', async () => {
    await requestApproval();

    const items = onlyTransaction(ddb);
    expect(updatedFields(items)).toMatchObject({
      taskToken: TASK_TOKEN,
      slack: POSTED,
      auditSeq: 3,
    });
    expect(auditPuts(items)[0]?.event).toMatchObject({
      type: 'APPROVAL_REQUESTED',
      actor: 'system',
      details: {
        channel: 'C0DEMO',
        messageTs: POSTED.ts,
        approvalsRequired: 1,
        decideBy: '2025-01-02T01:00:00.000Z',
      },
    });
  });

  it('reuses the message a retried invocation already posted', async () => {
    given({ slack: { channel: 'C0OLD', ts: '1600000000.000001' } });

    await requestApproval();

    expect(postMessage).not.toHaveBeenCalled();
    expect(updatedFields(onlyTransaction(ddb)).slack).toEqual({
      channel: 'C0OLD',
      ts: '1600000000.000001',
    });
  });

  it('reminds in the thread half-way through, with the new token', async () => {
    given({ approvalsRequired: 2, slack: POSTED });

    await requestApproval(true);

    expect(postMessage).toHaveBeenCalledTimes(1);
    expect(postMessage).toHaveBeenCalledWith(
      'C0DEMO',
      ':alarm_clock: Still waiting for 2 more approvals (0 of 2); ' +
        'the request expires at 2025-01-02T01:00:00.000Z.',
      [],
      POSTED.ts,
    );
    const items = onlyTransaction(ddb);
    expect(updatedFields(items).taskToken).toBe(TASK_TOKEN);
    expect(auditPuts(items)[0]?.event.details).toMatchObject({
      reminder: true,
    });
  });

  it('does not wait and writes nothing when the request was cancelled', async () => {
    given({ status: 'CANCELLED' });

    const result = await requestApproval();

    expect(result).toEqual({ waiting: false });
    expect(postMessage).not.toHaveBeenCalled();
    expect(transactions(ddb)).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('passes an approval made between two waits on to the new token', async () => {
    given({ status: 'APPROVED' });

    const result = await requestApproval(true);

    expect(result).toEqual({ waiting: false });
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input).toEqual({
      taskToken: TASK_TOKEN,
      output: '{"approved":true}',
    });
    expect(transactions(ddb)).toHaveLength(0);
  });

  it('passes a rejection made between two waits on as Rejected', async () => {
    given({ status: 'REJECTED' });

    await requestApproval(true);

    expect(
      sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input,
    ).toMatchObject({ taskToken: TASK_TOKEN, error: 'Rejected' });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('never logs the task token', async () => {
    await requestApproval();

    const lines = logs.lines();
    expect(lines.some((line) => line.includes('approval requested'))).toBe(
      true,
    );
    expect(lines.filter((line) => line.includes('tok3n'))).toEqual([]);
  });
});
