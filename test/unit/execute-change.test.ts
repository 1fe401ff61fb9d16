import {
  DescribeAccessEntryCommand,
  EKSClient,
  ServerException,
  UpdateAccessEntryCommand,
} from '@aws-sdk/client-eks';
import {
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StoredRequest } from '../../core/request.ts';
import { handler } from '../../functions/execute-change/handler.ts';
import {
  auditPuts,
  onlyTransaction,
  transactions,
  updatedFields,
} from './support/dynamo.ts';
import { lambdaContext, useTestEnv } from './support/lambda.ts';
import {
  BEFORE_MODIFIED_AT,
  CLUSTER,
  PRINCIPAL,
  REQUEST_ID,
  requestItem,
  storedRequest,
} from './support/requests.ts';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

useTestEnv();
const ddb = mockClient(DynamoDBDocumentClient);
const eks = mockClient(EKSClient);
const USERNAME = 'developers:{{SessionName}}';
const APPLIED_AT = '2025-01-03T00:00:00.000Z';

function given(overrides: Partial<StoredRequest> = {}) {
  ddb.on(GetCommand).resolves({
    Item: requestItem(storedRequest({ status: 'APPROVED', ...overrides })),
  });
}

function entryNow(groups: string[], modifiedAt = BEFORE_MODIFIED_AT) {
  eks.on(DescribeAccessEntryCommand).resolves({
    accessEntry: {
      clusterName: CLUSTER,
      principalArn: PRINCIPAL,
      kubernetesGroups: groups,
      username: USERNAME,
      modifiedAt: new Date(modifiedAt),
    },
  });
}

const execute = (mode: 'apply' | 'revert' = 'apply') =>
  handler({ requestId: REQUEST_ID, mode }, lambdaContext);

beforeEach(() => {
  given();
  entryNow(['viewers']);
  ddb.on(TransactWriteCommand).resolves({});
  eks.on(UpdateAccessEntryCommand).callsFake((input) => ({
    accessEntry: { ...input, modifiedAt: new Date(APPLIED_AT) },
  }));
});

afterEach(() => {
  ddb.reset();
  eks.reset();
  vi.resetAllMocks();
});

describe('Function: execute-change', () => {
  it('sends UpdateAccessEntry with the approved groups and the request id as token', async () => {
    const result = await execute();

    const updates = eks.commandCalls(UpdateAccessEntryCommand);
    expect(updates.map((call) => call.args[0].input)).toEqual([
      {
        clusterName: CLUSTER,
        principalArn: PRINCIPAL,
        kubernetesGroups: ['viewers', 'deployers'],
        username: USERNAME,
        clientRequestToken: REQUEST_ID,
      },
    ]);
    expect(result).toMatchObject({
      accessEntry: { modifiedAt: APPLIED_AT, clientRequestToken: REQUEST_ID },
    });
  });

  it('records EXECUTING and an EXECUTION_STARTED event before calling EKS', async () => {
    await execute();

    const items = onlyTransaction(ddb);
    expect(updatedFields(items)).toMatchObject({
      status: 'EXECUTING',
      executionAttempts: 1,
    });
    expect(auditPuts(items)[0]?.event).toMatchObject({
      type: 'EXECUTION_STARTED',
      details: { attempt: 1 },
    });
  });

  it('fails as Drifted and sends no UpdateAccessEntry when the groups changed', async () => {
    entryNow(['viewers', 'admins']);

    await expect(execute()).rejects.toMatchObject({
      name: 'Drifted',
      changes: ['kubernetesGroups [viewers] → [viewers, admins]'],
    });
    expect(eks.commandCalls(UpdateAccessEntryCommand)).toHaveLength(0);
  });

  it('fails as Drifted when only modifiedAt moved', async () => {
    entryNow(['viewers'], '2025-01-02T12:00:00.000Z');

    await expect(execute()).rejects.toMatchObject({
      name: 'Drifted',
      message: expect.stringContaining(
        `modifiedAt ${BEFORE_MODIFIED_AT} → 2025-01-02T12:00:00.000Z`,
      ),
    });
    expect(eks.commandCalls(UpdateAccessEntryCommand)).toHaveLength(0);
  });

  it('repeats the call with the same token when an earlier attempt already applied it', async () => {
    given({ status: 'EXECUTING', executionAttempts: 1 });
    entryNow(['deployers', 'viewers'], APPLIED_AT);

    await execute();

    expect(updatedFields(onlyTransaction(ddb)).executionAttempts).toBe(2);
    expect(
      eks.commandCalls(UpdateAccessEntryCommand)[0]?.args[0].input
        .clientRequestToken,
    ).toBe(REQUEST_ID);
  });

  it('rethrows ServerException under its own name for the state machine to retry', async () => {
    eks
      .on(UpdateAccessEntryCommand)
      .rejects(new ServerException({ message: 'internal', $metadata: {} }));

    await expect(execute()).rejects.toMatchObject({ name: 'ServerException' });
  });

  it('refuses a request that is not approved and calls EKS not at all', async () => {
    given({ status: 'CANCELLED' });

    await expect(execute()).rejects.toMatchObject({
      name: 'TransitionRefused',
      message: 'Request is CANCELLED, not approved',
    });
    expect(transactions(ddb)).toHaveLength(0);
    expect(eks.calls()).toHaveLength(0);
  });

  describe('revert', () => {
    const applied = {
      status: 'SUCCEEDED' as const,
      result: { accessEntry: { modifiedAt: APPLIED_AT } },
    };

    it('sets the before-state back with a token of its own', async () => {
      given(applied);
      entryNow(['viewers', 'deployers'], APPLIED_AT);

      const result = await execute('revert');

      expect(result).toMatchObject({ outcome: 'reverted' });
      expect(
        eks.commandCalls(UpdateAccessEntryCommand)[0]?.args[0].input,
      ).toEqual({
        clusterName: CLUSTER,
        principalArn: PRINCIPAL,
        kubernetesGroups: ['viewers'],
        username: USERNAME,
        clientRequestToken: `${REQUEST_ID}-revert`,
      });
      expect(transactions(ddb)).toHaveLength(0);
    });

    it('skips the revert when someone changed the entry after our change', async () => {
      given(applied);
      entryNow(['viewers', 'deployers', 'admins'], '2025-01-04T00:00:00.000Z');

      const result = await execute('revert');

      expect(result).toEqual({
        outcome: 'skipped',
        reason: expect.stringContaining('kubernetesGroups'),
      });
      expect(eks.commandCalls(UpdateAccessEntryCommand)).toHaveLength(0);
    });
  });
});
