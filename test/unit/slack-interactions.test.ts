import {
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import {
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadPolicyEngine } from '../../adapters/policy-loader.ts';
import { emailOf, postEphemeral, updateMessage } from '../../adapters/slack.ts';
import type { StoredRequest } from '../../core/request.ts';
import { handler } from '../../functions/slack-interactions/handler.ts';
import {
  auditPuts,
  lockDelete,
  onlyTransaction,
  transactions,
  updatedFields,
} from './support/dynamo.ts';
import {
  answer,
  lambdaContext,
  TEST_ENV,
  useTestEnv,
} from './support/lambda.ts';
import { captureLogs } from './support/logs.ts';
import {
  fakePolicy,
  REQUEST_ID,
  requestItem,
  storedRequest,
} from './support/requests.ts';
import { clickBody, slackEvent } from './support/slack.ts';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
});
vi.mock('../../adapters/policy-loader.ts', () => ({
  loadPolicyEngine: vi.fn(),
}));
vi.mock('../../adapters/slack.ts', () => ({
  emailOf: vi.fn(),
  postEphemeral: vi.fn(),
  updateMessage: vi.fn(),
}));

useTestEnv();
const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const SECRET = TEST_ENV.SLACK_SIGNING_SECRET;
const TASK_TOKEN = `AQCEAAAAKgAAAA${'tok3n'.repeat(40)}`;
const BOB = 'bob@example.com';
const SLACK = { channel: 'C0DEMO', ts: '1700000000.000100' };

function given(overrides: Partial<StoredRequest> = {}) {
  ddb.on(GetCommand).resolves({
    Item: requestItem(
      storedRequest({ taskToken: TASK_TOKEN, slack: SLACK, ...overrides }),
    ),
  });
}

function click(action = 'approve', user = 'U0BOB') {
  const event = slackEvent(clickBody(user, action, REQUEST_ID), {
    secret: SECRET,
  });
  return handler(event, lambdaContext).then(answer);
}

/** The last ephemeral message the clicking user was told. */
function told(): string | undefined {
  return vi.mocked(postEphemeral).mock.calls.at(-1)?.[2];
}

let logs: ReturnType<typeof captureLogs>;

beforeEach(() => {
  logs = captureLogs();
  given();
  ddb.on(TransactWriteCommand).resolves({});
  sfn.on(SendTaskSuccessCommand).resolves({});
  sfn.on(SendTaskFailureCommand).resolves({});
  vi.mocked(loadPolicyEngine).mockResolvedValue(fakePolicy());
  vi.mocked(emailOf).mockImplementation(async (id) =>
    id === 'U0BOB' ? BOB : id === 'U0CAROL' ? 'carol@example.com' : undefined,
  );
  vi.mocked(postEphemeral).mockResolvedValue();
  vi.mocked(updateMessage).mockResolvedValue();
});

afterEach(() => {
  logs.restore();
  ddb.reset();
  sfn.reset();
  vi.resetAllMocks();
});

describe('Function: slack-interactions', () => {
  it('records an approval that reaches the quorum and completes the task token', async () => {
    const { status } = await click();

    expect(status).toBe(200);
    const items = onlyTransaction(ddb);
    expect(updatedFields(items)).toMatchObject({
      status: 'APPROVED',
      approvals: [{ by: BOB, decision: 'APPROVED', at: expect.any(String) }],
    });
    expect(auditPuts(items).map((p) => p.event.type)).toEqual([
      'POLICY_EVALUATED',
      'APPROVED',
    ]);
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input).toEqual({
      taskToken: TASK_TOKEN,
      output: '{"approved":true}',
    });
    expect(vi.mocked(updateMessage).mock.calls[0]?.[0]).toEqual(SLACK);
    expect(told()).toBe('Recorded: APPROVED.');
  });

  it('stays PENDING_APPROVAL after one approval when two are required', async () => {
    given({ approvalsRequired: 2 });

    await click();

    expect(updatedFields(onlyTransaction(ddb)).status).toBe('PENDING_APPROVAL');
    expect(sfn.calls()).toHaveLength(0);
    expect(told()).toBe('Recorded your approval: 1 of 2.');
  });

  it('completes the task token when the second of two approvals arrives', async () => {
    given({
      approvalsRequired: 2,
      approvals: [{ by: 'carol@example.com', decision: 'APPROVED', at: 'x' }],
    });

    await click();

    expect(updatedFields(onlyTransaction(ddb)).status).toBe('APPROVED');
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(1);
  });

  it('rejects with SendTaskFailure error Rejected and frees the lock', async () => {
    await click('reject');

    const items = onlyTransaction(ddb);
    expect(updatedFields(items).status).toBe('REJECTED');
    expect(lockDelete(items)?.Key).toEqual({
      id: storedRequest().lockId,
    });
    expect(sfn.commandCalls(SendTaskFailureCommand)[0]?.args[0].input).toEqual({
      taskToken: TASK_TOKEN,
      error: 'Rejected',
      cause: `Rejected by ${BOB}`,
    });
    expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
  });

  it('changes nothing on a duplicate click by the same approver', async () => {
    given({
      approvalsRequired: 2,
      approvals: [{ by: BOB, decision: 'APPROVED', at: 'x' }],
    });

    const { status } = await click();

    expect(status).toBe(200);
    expect(transactions(ddb)).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
    expect(told()).toBe(
      'You have already decided on this request; nothing changed.',
    );
  });

  it('changes nothing on a click after the request was decided', async () => {
    given({ status: 'APPROVED' });

    await click('reject');

    expect(transactions(ddb)).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
    expect(told()).toBe('This request is already APPROVED; nothing changed.');
  });

  it('audits a policy refusal without changing the status or the workflow', async () => {
    vi.mocked(loadPolicyEngine).mockResolvedValue(
      fakePolicy({
        decision: {
          allowed: false,
          reasons: ['no self-approval'],
          policyIds: ['p'],
        },
      }),
    );

    await click();

    const items = onlyTransaction(ddb);
    expect(updatedFields(items)).not.toHaveProperty('status');
    expect(auditPuts(items).map((p) => p.event.details)).toEqual([
      expect.objectContaining({
        allowed: false,
        reasons: ['no self-approval'],
      }),
    ]);
    expect(sfn.calls()).toHaveLength(0);
    expect(told()).toBe('You may not decide on this request: no self-approval');
  });

  it.each([
    ['a signature made with another secret', 'forged', 0],
    ['a stale timestamp', 'signed', -330],
    ['a timestamp from the future', 'signed', 330],
  ] as const)(
    'answers 401 for %s and changes nothing',
    async (_name, how, skew) => {
      const body = clickBody('U0BOB', 'approve', REQUEST_ID);
      const timestamp = String(Math.floor(Date.now() / 1000) + skew);
      const options =
        how === 'forged'
          ? { secret: 'some-other-secret' }
          : { secret: SECRET, timestamp };

      const result = answer(
        await handler(slackEvent(body, options), lambdaContext),
      );

      expect(result.status).toBe(401);
      expect(result.body.error.code).toBe('Unauthenticated');
      expect(ddb.calls()).toHaveLength(0);
      expect(sfn.calls()).toHaveLength(0);
      expect(emailOf).not.toHaveBeenCalled();
    },
  );

  it('answers 401 when the signature headers are missing', async () => {
    const event = slackEvent(clickBody('U0BOB', 'approve', REQUEST_ID), {
      secret: SECRET,
    });
    event.headers = { 'content-type': 'application/x-www-form-urlencoded' };

    const { status } = answer(await handler(event, lambdaContext));

    expect(status).toBe(401);
    expect(ddb.calls()).toHaveLength(0);
  });

  it('tells the approver when the approval wait had already closed', async () => {
    sfn
      .on(SendTaskSuccessCommand)
      .rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));

    const { status } = await click();

    expect(status).toBe(200);
    expect(told()).toMatch(/approval wait had already ended/);
    expect(updateMessage).not.toHaveBeenCalled();
  });

  it('follows the wait to its new token when the first one closed', async () => {
    const renewed = `${TASK_TOKEN}-reminder`;
    const item = (taskToken: string) =>
      requestItem(storedRequest({ taskToken, slack: SLACK }));
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: item(TASK_TOKEN) })
      .resolves({ Item: item(renewed) });
    sfn
      .on(SendTaskSuccessCommand, { taskToken: TASK_TOKEN })
      .rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));

    await click();

    const tokens = sfn
      .commandCalls(SendTaskSuccessCommand)
      .map((call) => call.args[0].input.taskToken);
    expect(tokens).toEqual([TASK_TOKEN, renewed]);
    expect(told()).toBe('Recorded: APPROVED.');
  });

  it('refuses a Slack user without a profile e-mail before reading anything', async () => {
    const { status } = await click('approve', 'U0NOMAIL');

    expect(status).toBe(200);
    expect(ddb.calls()).toHaveLength(0);
    expect(told()).toMatch(/no e-mail/);
  });

  it('tells the approver when the request does not exist', async () => {
    ddb.on(GetCommand).resolves({});

    await click();

    expect(transactions(ddb)).toHaveLength(0);
    expect(told()).toBe(`There is no request ${REQUEST_ID}.`);
  });

  it('ignores a signed interaction that is not one of our buttons', async () => {
    const body = clickBody('U0BOB', 'approve', REQUEST_ID, 'view_submission');

    const result = answer(
      await handler(slackEvent(body, { secret: SECRET }), lambdaContext),
    );

    expect(result).toEqual({ status: 200, body: {} });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('never logs the task token or the signing secret', async () => {
    await click();
    await handler(
      slackEvent(clickBody('U0BOB', 'approve', REQUEST_ID), {
        secret: 'wrong',
      }),
      lambdaContext,
    );

    const lines = logs.lines();
    expect(lines.some((l) => l.includes('decision recorded'))).toBe(true);
    expect(lines.some((l) => l.includes('refused a Slack request'))).toBe(true);
    expect(lines.filter((l) => l.includes('tok3n'))).toEqual([]);
    expect(lines.filter((l) => l.includes(SECRET))).toEqual([]);
  });
});
