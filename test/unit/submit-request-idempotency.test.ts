import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeAccessEntryCommand,
  DescribeClusterCommand,
  EKSClient,
} from '@aws-sdk/client-eks';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  DynamoDBDocumentClient,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadPolicyEngine } from '../../adapters/policy-loader.ts';
import { handler } from '../../functions/submit-request/handler.ts';
import { transactions } from './support/dynamo.ts';
import { fakeIdempotencyTable } from './support/idempotency-table.ts';
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
const idempotencyDb = mockClient(DynamoDBClient);
const eks = mockClient(EKSClient);
const sfn = mockClient(SFNClient);

const BODY = {
  clusterName: CLUSTER,
  principalArn: PRINCIPAL,
  kubernetesGroups: ['viewers', 'deployers'],
  reason: 'OPS-1234 deploy rights for the release week',
};
const KEY = 'release-week-1';

function submit(body: unknown, key: string, as = REQUESTER) {
  return handler(
    httpEvent({
      method: 'POST',
      path: '/requests',
      body,
      as,
      headers: { 'idempotency-key': key },
    }),
    lambdaContext,
  ).then(answer);
}

beforeEach(() => {
  fakeIdempotencyTable(idempotencyDb);
  eks.on(DescribeClusterCommand).resolves({
    cluster: { accessConfig: { authenticationMode: 'API' } },
  });
  eks.on(DescribeAccessEntryCommand).resolves({
    accessEntry: {
      type: 'STANDARD',
      kubernetesGroups: ['viewers'],
      username: 'developers',
      modifiedAt: new Date(BEFORE_MODIFIED_AT),
    },
  });
  vi.mocked(loadPolicyEngine).mockResolvedValue(fakePolicy());
  ddb.on(TransactWriteCommand).resolves({});
  sfn.on(StartExecutionCommand).resolves({ executionArn: 'arn:execution' });
});

afterEach(() => {
  ddb.reset();
  idempotencyDb.reset();
  eks.reset();
  sfn.reset();
  vi.resetAllMocks();
});

describe('Function: submit-request with an Idempotency-Key', () => {
  it('answers the first response again and starts nothing new', async () => {
    const first = await submit(BODY, KEY);
    const second = await submit(BODY, KEY);

    expect(first.status).toBe(202);
    expect(second).toEqual(first);
    expect(transactions(ddb)).toHaveLength(1);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('answers 409 when the key comes back with another body', async () => {
    await submit(BODY, KEY);

    const { status, body } = await submit(
      { ...BODY, reason: 'OPS-9999 something else' },
      KEY,
    );

    expect(status).toBe(409);
    expect(body.error).toMatchObject({ code: 'Conflict', idempotencyKey: KEY });
    expect(transactions(ddb)).toHaveLength(1);
  });

  it("keeps one caller's key apart from another's", async () => {
    const alice = await submit(BODY, KEY);
    ddb.reset();
    ddb.on(TransactWriteCommand).resolves({});

    const carol = await submit(BODY, KEY, 'carol@example.com');

    expect(carol.status).toBe(202);
    expect(carol.body.requestId).not.toBe(alice.body.requestId);
    expect(carol.body.requestedBy).toBe('carol@example.com');
  });

  it('answers 400 for a key that is not 1 to 255 printable characters', async () => {
    const { status, body } = await submit(BODY, 'x'.repeat(256));

    expect(status).toBe(400);
    expect(body.error.issues[0].path).toBe('Idempotency-Key');
    expect(idempotencyDb.calls()).toHaveLength(0);
  });
});
