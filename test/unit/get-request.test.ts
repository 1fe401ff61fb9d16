import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadPolicyEngine } from '../../adapters/policy-loader.ts';
import { handler } from '../../functions/get-request/handler.ts';
import {
  answer,
  httpEvent,
  lambdaContext,
  useTestEnv,
} from './support/lambda.ts';
import {
  fakePolicy,
  intakeChain,
  REQUEST_ID,
  REQUESTER,
  requestItem,
  storedRequest,
} from './support/requests.ts';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});
vi.mock('../../adapters/policy-loader.ts', () => ({
  loadPolicyEngine: vi.fn(),
}));

useTestEnv();
const ddb = mockClient(DynamoDBDocumentClient);

function get(path: string, as = REQUESTER) {
  return handler(
    httpEvent({ path, as, pathParameters: { requestId: REQUEST_ID } }),
    lambdaContext,
  ).then(answer);
}

beforeEach(() => {
  vi.mocked(loadPolicyEngine).mockResolvedValue(fakePolicy());
  ddb.on(GetCommand).resolves({
    Item: requestItem(storedRequest({ taskToken: 'secret-task-token' })),
  });
});

afterEach(() => {
  ddb.reset();
  vi.resetAllMocks();
});

describe('Function: get-request', () => {
  it('answers 200 with the public request, without internal fields', async () => {
    const { status, body } = await get(`/requests/${REQUEST_ID}`);

    expect(status).toBe(200);
    expect(body).toMatchObject({
      requestId: REQUEST_ID,
      status: 'PENDING_APPROVAL',
    });
    for (const field of ['taskToken', 'lockId', 'auditSeq', 'id', 'kind']) {
      expect(body).not.toHaveProperty(field);
    }
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({
      TableName: 'requests-test',
      Key: { id: REQUEST_ID },
      ConsistentRead: true,
    });
  });

  it('answers 404 NotFound for an unknown request', async () => {
    ddb.on(GetCommand).resolves({});

    const { status, body } = await get(`/requests/${REQUEST_ID}`);

    expect(status).toBe(404);
    expect(body.error).toMatchObject({
      code: 'NotFound',
      requestId: REQUEST_ID,
    });
  });

  it('answers 403 PolicyDenied when policy does not let the caller read it', async () => {
    vi.mocked(loadPolicyEngine).mockResolvedValue(
      fakePolicy({
        read: { allowed: false, reasons: ['not yours'], policyIds: [] },
      }),
    );

    const { status, body } = await get(
      `/requests/${REQUEST_ID}`,
      'mallory@example.com',
    );

    expect(status).toBe(403);
    expect(body.error).toEqual({
      code: 'PolicyDenied',
      message: 'Denied by policy',
      reasons: ['not yours'],
    });
  });

  it('asks policy about the caller and the request as stored', async () => {
    const policy = fakePolicy();
    vi.mocked(loadPolicyEngine).mockResolvedValue(policy);

    await get(`/requests/${REQUEST_ID}`, 'Auditor@Example.com');

    expect(policy.evaluateRead).toHaveBeenCalledWith(
      'auditor@example.com',
      expect.objectContaining({
        requestedBy: REQUESTER,
        groupsAdded: ['deployers'],
      }),
    );
  });

  it('answers the audit with a valid verification for an intact chain', async () => {
    const events = intakeChain();
    ddb.on(QueryCommand).resolves({ Items: events });

    const { status, body } = await get(`/requests/${REQUEST_ID}/audit`);

    expect(status).toBe(200);
    expect(body.events.map((e: { seq: number }) => e.seq)).toEqual([1, 2]);
    expect(body.verification).toEqual({ valid: true });
  });

  it('reports where the chain breaks when an event was edited', async () => {
    const [first, second] = intakeChain();
    const edited = { ...second, actor: 'mallory@example.com' };
    ddb.on(QueryCommand).resolves({ Items: [first, edited] });

    const { body } = await get(`/requests/${REQUEST_ID}/audit`);

    expect(body.verification).toEqual({ valid: false, brokenAt: 2 });
  });

  it('reports events cut from the end against the head the request holds', async () => {
    const [first] = intakeChain();
    ddb.on(QueryCommand).resolves({ Items: [first] });

    const { body } = await get(`/requests/${REQUEST_ID}/audit`);

    expect(body.verification).toEqual({ valid: false, brokenAt: 2 });
  });
});
