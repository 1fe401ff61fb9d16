import {
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { postMessage, updateMessage } from '../../adapters/slack.ts';
import type { StoredRequest } from '../../core/request.ts';
import {
  causeMessage,
  handler,
  type RecordResultInput,
} from '../../functions/record-result/handler.ts';
import {
  auditPuts,
  lockDelete,
  onlyTransaction,
  transactions,
  updatedFields,
} from './support/dynamo.ts';
import { lambdaContext, useTestEnv } from './support/lambda.ts';
import { REQUEST_ID, requestItem, storedRequest } from './support/requests.ts';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});
vi.mock('../../adapters/slack.ts', () => ({
  postMessage: vi.fn(),
  updateMessage: vi.fn(),
}));

useTestEnv();
const ddb = mockClient(DynamoDBDocumentClient);
const SLACK = { channel: 'C0DEMO', ts: '1700000000.000100' };
const ACCESS_ENTRY = { kubernetesGroups: ['viewers', 'deployers'] };

function given(overrides: Partial<StoredRequest> = {}) {
  ddb.on(GetCommand).resolves({
    Item: requestItem(
      storedRequest({
        status: 'EXECUTING',
        executionAttempts: 1,
        slack: SLACK,
        ...overrides,
      }),
    ),
  });
}

/** One outcome of the workflow, without the request id every one carries. */
type Outcome = RecordResultInput extends infer T
  ? T extends RecordResultInput
    ? Omit<T, 'requestId'>
    : never
  : never;

const record = (input: Outcome) =>
  handler(
    { requestId: REQUEST_ID, ...input } as RecordResultInput,
    lambdaContext,
  );

beforeEach(() => {
  given();
  ddb.on(TransactWriteCommand).resolves({});
  vi.mocked(postMessage).mockResolvedValue(SLACK);
  vi.mocked(updateMessage).mockResolvedValue();
});

afterEach(() => {
  ddb.reset();
  vi.resetAllMocks();
});

describe('Function: record-result', () => {
  it.each([
    ['ServerException', 'ServerError'],
    ['ThrottlingException', 'Throttled'],
    ['ResourceNotFoundException', 'NotFound'],
    ['InvalidParameterException', 'InvalidParameter'],
    ['InvalidRequestException', 'InvalidRequest'],
    ['Drifted', 'Drifted'],
  ])(
    'records %s as FAILED with code %s and releases the lock',
    async (name, code) => {
      const result = await record({
        outcome: 'failed',
        error: { Error: name, Cause: JSON.stringify({ errorMessage: 'boom' }) },
      });

      expect(result).toEqual({
        timeBound: false,
        expiresAt: null,
        status: 'FAILED',
      });
      const items = onlyTransaction(ddb);
      expect(updatedFields(items)).toMatchObject({
        status: 'FAILED',
        error: { code, message: 'boom' },
      });
      expect(auditPuts(items)[0]?.event).toMatchObject({
        type: 'EXECUTION_FAILED',
        details: { code, error: name, attempts: 1 },
      });
      expect(lockDelete(items)).toMatchObject({
        Key: { id: storedRequest().lockId },
        ConditionExpression: 'attribute_not_exists(id) OR requestId = :id',
      });
    },
  );

  it('records SUCCEEDED with the entry and releases the lock of a permanent change', async () => {
    const result = await record({
      outcome: 'succeeded',
      result: { accessEntry: ACCESS_ENTRY },
    });

    expect(result).toEqual({
      timeBound: false,
      expiresAt: null,
      status: 'SUCCEEDED',
    });
    const items = onlyTransaction(ddb);
    expect(updatedFields(items)).toMatchObject({
      status: 'SUCCEEDED',
      result: { accessEntry: ACCESS_ENTRY },
    });
    expect(auditPuts(items)[0]?.event.type).toBe('EXECUTION_SUCCEEDED');
    expect(lockDelete(items)).toBeDefined();
  });

  it('keeps the lock of a time-bound change and returns when it expires', async () => {
    given({ durationMinutes: 120 });
    const before = Date.now();

    const result = await record({
      outcome: 'succeeded',
      result: { accessEntry: ACCESS_ENTRY },
    });

    expect(result.timeBound).toBe(true);
    const expires = Date.parse(result.expiresAt ?? '');
    expect(expires - before).toBeGreaterThanOrEqual(120 * 60_000);
    expect(expires - before).toBeLessThan(120 * 60_000 + 5_000);
    expect(lockDelete(onlyTransaction(ddb))).toBeUndefined();
  });

  it('records EXPIRED for a request that timed out waiting', async () => {
    given({ status: 'PENDING_APPROVAL' });

    const result = await record({ outcome: 'expired' });

    expect(result.status).toBe('EXPIRED');
    const items = onlyTransaction(ddb);
    expect(auditPuts(items)[0]?.event.type).toBe('EXPIRED');
    expect(lockDelete(items)).toBeDefined();
  });

  it('records a revert with its outcome and the before-state', async () => {
    given({ status: 'SUCCEEDED', durationMinutes: 120 });

    const result = await record({
      outcome: 'reverted',
      revert: { outcome: 'reverted' },
    });

    expect(result.status).toBe('REVERTED');
    expect(auditPuts(onlyTransaction(ddb))[0]?.event).toMatchObject({
      type: 'REVERTED',
      details: { outcome: 'reverted', to: storedRequest().before },
    });
  });

  it('changes nothing when the request can no longer reach the status', async () => {
    given({ status: 'CANCELLED' });

    const result = await record({
      outcome: 'failed',
      error: { Error: 'ServerException' },
    });

    expect(result.status).toBe('CANCELLED');
    expect(transactions(ddb)).toHaveLength(0);
  });

  it('posts the result in the thread and updates the approval message', async () => {
    await record({
      outcome: 'failed',
      error: { Error: 'Drifted', Cause: 'The access entry changed' },
    });

    expect(postMessage).toHaveBeenCalledWith(
      'C0DEMO',
      ':x: Execution failed (Drifted): The access entry changed',
      [],
      SLACK.ts,
    );
    expect(vi.mocked(updateMessage).mock.calls[0]?.[1]).toContain('FAILED');
  });

  it('still records the result when Slack is down', async () => {
    vi.mocked(postMessage).mockRejectedValue(new Error('slack down'));

    const result = await record({ outcome: 'failed', error: { Error: 'X' } });

    expect(result.status).toBe('FAILED');
    expect(transactions(ddb)).toHaveLength(1);
  });
});

describe('Function: causeMessage', () => {
  it('reads errorMessage from a Lambda error cause', () => {
    const cause = JSON.stringify({
      errorType: 'Drifted',
      errorMessage: 'moved',
    });

    expect(causeMessage({ Error: 'Drifted', Cause: cause })).toBe('moved');
  });

  it('keeps a plain cause and falls back to the error name', () => {
    expect(causeMessage({ Error: 'E', Cause: 'plain text' })).toBe(
      'plain text',
    );
    expect(causeMessage({ Error: 'States.Timeout' })).toBe('States.Timeout');
  });
});
