import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type AuthenticationMode,
  DescribeAccessEntryCommand,
  DescribeClusterCommand,
  EKSClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-eks';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadPolicyEngine } from '../../adapters/policy-loader.ts';
import { handler } from '../../functions/submit-request/handler.ts';
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
  BEFORE_MODIFIED_AT,
  CLUSTER,
  fakePolicy,
  PRINCIPAL,
  REQUESTER,
} from './support/requests.ts';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});
vi.mock('../../adapters/policy-loader.ts', () => ({
  // The handler warms the engine at import time: answer that call too.
  loadPolicyEngine: vi.fn(() => new Promise(() => undefined)),
}));

useTestEnv();
const ddb = mockClient(DynamoDBDocumentClient);
const eks = mockClient(EKSClient);
const sfn = mockClient(SFNClient);

const BODY = {
  clusterName: CLUSTER,
  principalArn: PRINCIPAL,
  kubernetesGroups: ['viewers', 'deployers'],
  reason: 'OPS-1234 deploy rights for the release week',
  durationMinutes: 120,
};

function submit(body: unknown = BODY, as: string | null = REQUESTER) {
  return handler(
    httpEvent({
      method: 'POST',
      path: '/requests',
      body,
      ...(as ? { as } : {}),
    }),
    lambdaContext,
  ).then(answer);
}

function givenEntry(
  authenticationMode: AuthenticationMode = 'API_AND_CONFIG_MAP',
) {
  eks.on(DescribeClusterCommand).resolves({
    cluster: { name: CLUSTER, accessConfig: { authenticationMode } },
  });
  eks.on(DescribeAccessEntryCommand).resolves({
    accessEntry: {
      clusterName: CLUSTER,
      principalArn: PRINCIPAL,
      type: 'STANDARD',
      kubernetesGroups: ['viewers'],
      username: 'developers:{{SessionName}}',
      modifiedAt: new Date(BEFORE_MODIFIED_AT),
    },
  });
}

beforeEach(() => {
  givenEntry();
  vi.mocked(loadPolicyEngine).mockResolvedValue(fakePolicy());
  ddb.on(TransactWriteCommand).resolves({});
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:execution' });
});

afterEach(() => {
  ddb.reset();
  eks.reset();
  sfn.reset();
  vi.resetAllMocks();
});

describe('Function: submit-request', () => {
  it('answers 202 PENDING_APPROVAL and stores lock, request and audit in one transaction', async () => {
    const { status, body } = await submit();

    expect(status).toBe(202);
    expect(body).toMatchObject({
      status: 'PENDING_APPROVAL',
      requestedBy: REQUESTER,
      approvalsRequired: 1,
      before: { kubernetesGroups: ['viewers'], modifiedAt: BEFORE_MODIFIED_AT },
      after: { kubernetesGroups: ['viewers', 'deployers'] },
    });
    expect(body).not.toHaveProperty('lockId');
    expect(body).not.toHaveProperty('auditHash');
    const items = onlyTransaction(ddb);
    expect(items[0]?.Put).toMatchObject({
      TableName: 'requests-test',
      Item: { id: `lock#${CLUSTER}#${PRINCIPAL}`, requestId: body.requestId },
      ConditionExpression: 'attribute_not_exists(id)',
    });
    expect(items[1]?.Put).toMatchObject({
      Item: { id: body.requestId, kind: 'REQUEST', auditSeq: 2 },
      ConditionExpression: 'attribute_not_exists(id)',
    });
    expect(auditPuts(items).map((p) => [p.event.type, p.condition])).toEqual([
      ['REQUESTED', 'attribute_not_exists(requestId)'],
      ['POLICY_EVALUATED', 'attribute_not_exists(requestId)'],
    ]);
  });

  it('starts the workflow named after the request', async () => {
    const { body } = await submit();

    const [call] = sfn.commandCalls(StartExecutionCommand);
    expect(call?.args[0].input).toMatchObject({
      stateMachineArn:
        'arn:aws:states:us-east-1:111122223333:stateMachine:access-change',
      name: body.requestId,
    });
    expect(JSON.parse(call?.args[0].input.input ?? '')).toEqual({
      requestId: body.requestId,
      autoApproved: false,
      // APPROVAL_TIMEOUT_SECONDS=3600, halved for the reminder
      reminderAfterSeconds: 1800,
      remainingSeconds: 1800,
      durationMinutes: 120,
    });
  });

  it('answers APPROVED and audits the automatic approval when policy approves it', async () => {
    vi.mocked(loadPolicyEngine).mockResolvedValue(
      fakePolicy({ intake: { approvalsRequired: 0, autoApproved: true } }),
    );

    const { status, body } = await submit({ ...BODY, kubernetesGroups: [] });

    expect(status).toBe(202);
    expect(body.status).toBe('APPROVED');
    const types = auditPuts(onlyTransaction(ddb)).map((p) => p.event.type);
    expect(types).toEqual(['REQUESTED', 'POLICY_EVALUATED', 'APPROVED']);
    const input = sfn.commandCalls(StartExecutionCommand)[0]?.args[0].input;
    expect(JSON.parse(input?.input ?? '').autoApproved).toBe(true);
  });

  it('answers 409 naming the open request when the lock is held', async () => {
    ddb.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'Transaction cancelled',
        $metadata: {},
        CancellationReasons: [
          {
            Code: 'ConditionalCheckFailed',
            Item: { requestId: { S: '01JOPENREQUEST' } },
          },
          { Code: 'None' },
        ],
      }),
    );

    const { status, body } = await submit();

    expect(status).toBe(409);
    expect(body.error).toMatchObject({
      code: 'Conflict',
      openRequestId: '01JOPENREQUEST',
    });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('answers 403 PolicyDenied with the reasons and writes nothing', async () => {
    vi.mocked(loadPolicyEngine).mockResolvedValue(
      fakePolicy({
        intake: { allowed: false, reasons: ['durationMinutes over 7 days'] },
      }),
    );

    const { status, body } = await submit();

    expect(status).toBe(403);
    expect(body.error).toMatchObject({
      code: 'PolicyDenied',
      reasons: ['durationMinutes over 7 days'],
    });
    expect(transactions(ddb)).toHaveLength(0);
  });

  it('answers 400 with issues as path and message when reason is missing', async () => {
    const { reason: _reason, ...withoutReason } = BODY;

    const { status, body } = await submit(withoutReason);

    expect(status).toBe(400);
    expect(body.error.code).toBe('ValidationError');
    expect(body.error.issues).toEqual([
      { path: 'reason', message: expect.any(String) },
    ]);
    expect(eks.calls()).toHaveLength(0);
  });

  it('answers 400 for a system: group before asking EKS', async () => {
    const { status, body } = await submit({
      ...BODY,
      kubernetesGroups: ['system:masters'],
    });

    expect(status).toBe(400);
    expect(body.error.issues[0].path).toBe('kubernetesGroups');
    expect(eks.calls()).toHaveLength(0);
  });

  it('answers 400 when the change changes nothing', async () => {
    const { status, body } = await submit({
      ...BODY,
      kubernetesGroups: ['viewers'],
    });

    expect(status).toBe(400);
    expect(body.error.issues).toEqual([
      { path: 'kubernetesGroups', message: 'the change changes nothing' },
    ]);
  });

  it('answers 401 when the caller has no identity', async () => {
    const { status, body } = await submit(BODY, null);

    expect(status).toBe(401);
    expect(body.error.code).toBe('Unauthenticated');
  });

  it('answers 404 when the access entry does not exist', async () => {
    eks
      .on(DescribeAccessEntryCommand)
      .rejects(
        new ResourceNotFoundException({ message: 'not found', $metadata: {} }),
      );

    const { status, body } = await submit();

    expect(status).toBe(404);
    expect(body.error).toMatchObject({
      code: 'NotFound',
      clusterName: CLUSTER,
      principalArn: PRINCIPAL,
    });
  });

  it('answers 422 for a cluster in CONFIG_MAP mode', async () => {
    givenEntry('CONFIG_MAP');

    const { status, body } = await submit();

    expect(status).toBe(422);
    expect(body.error).toMatchObject({
      code: 'UnsupportedEntry',
      authenticationMode: 'CONFIG_MAP',
    });
    expect(eks.commandCalls(DescribeAccessEntryCommand)).toHaveLength(0);
  });

  it('answers 413 for a body over 64 KiB', async () => {
    const { status, body } = await submit({
      ...BODY,
      reason: 'x'.repeat(65 * 1024),
    });

    expect(status).toBe(413);
    expect(body.error.code).toBe('PayloadTooLarge');
  });

  it('closes the request as FAILED and frees the lock when the workflow does not start', async () => {
    ddb.on(GetCommand).callsFake(() => ({
      Item: transactions(ddb)[0]?.[1]?.Put?.Item,
    }));
    sfn.on(StartExecutionCommand).rejects(new Error('sfn down'));

    const { status, body } = await submit();

    expect(status).toBe(503);
    expect(body.error.code).toBe('ServerError');
    const closing = transactions(ddb)[1] ?? [];
    expect(updatedFields(closing)).toMatchObject({
      status: 'FAILED',
      auditSeq: 3,
    });
    expect(auditPuts(closing)[0]?.event.type).toBe('EXECUTION_FAILED');
    expect(lockDelete(closing)?.Key).toEqual({
      id: `lock#${CLUSTER}#${PRINCIPAL}`,
    });
  });
});
