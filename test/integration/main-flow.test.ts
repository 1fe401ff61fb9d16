import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import {
  api,
  entryOf,
  slackClick,
  startTestStack,
  waitForApprovalMessage,
  waitForStatus,
} from '../support/stack.ts';

const DEVELOPERS = 'arn:aws:iam::111122223333:role/developers';
const CI = 'arn:aws:iam::111122223333:role/ci-deployer';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.stop();
});

async function groupsOf(principalArn: string) {
  return (await entryOf(stack, principalArn))?.kubernetesGroups;
}

async function submit(body: Record<string, unknown>, as = 'alice@example.com') {
  return api(stack, 'POST', '/requests', { as, body });
}

describe('Main job: submit, approve in Slack, execute', () => {
  it('executes an approved change and records the whole story', async () => {
    const submitted = await submit({
      clusterName: 'demo',
      principalArn: DEVELOPERS,
      kubernetesGroups: ['viewers', 'deployers'],
      reason: 'OPS-1234 deploy rights for the release week',
    });
    expect(submitted.status).toBe(202);
    expect(submitted.body.status).toBe('PENDING_APPROVAL');
    const requestId = String(submitted.body.requestId);
    await waitForApprovalMessage(stack, requestId);

    const click = await slackClick(
      stack,
      requestId,
      'bob@example.com',
      'approve',
    );
    expect(click.status).toBe(200);
    const done = await waitForStatus(stack, requestId);

    expect(done.status).toBe('SUCCEEDED');
    expect(await groupsOf(DEVELOPERS)).toEqual(['viewers', 'deployers']);
    const audit = await api<{
      events: { type: string; seq: number }[];
      verification: { valid: boolean };
    }>(stack, 'GET', `/requests/${requestId}/audit`, {
      as: 'auditor@example.com',
    });
    const types = audit.body.events.map((event) => event.type);
    expect(types).toEqual([
      'REQUESTED',
      'POLICY_EVALUATED',
      'APPROVAL_REQUESTED',
      'POLICY_EVALUATED',
      'APPROVED',
      'EXECUTION_STARTED',
      'EXECUTION_SUCCEEDED',
    ]);
    expect(audit.body.verification).toEqual({ valid: true });
  });

  it('rejects without touching the entry', async () => {
    const before = await groupsOf(CI);
    const submitted = await submit({
      clusterName: 'demo',
      principalArn: CI,
      kubernetesGroups: ['deployers', 'operators'],
      reason: 'OPS-2 operate the batch jobs',
    });
    const requestId = String(submitted.body.requestId);
    await waitForApprovalMessage(stack, requestId);

    await slackClick(stack, requestId, 'carol@example.com', 'reject');
    const done = await waitForStatus(stack, requestId);

    expect(done.status).toBe('REJECTED');
    expect(done.approvals).toMatchObject([
      { by: 'carol@example.com', decision: 'REJECTED' },
    ]);
    expect(await groupsOf(CI)).toEqual(before);
    const audit = await api<{ events: { type: string }[] }>(
      stack,
      'GET',
      `/requests/${requestId}/audit`,
      { as: 'auditor@example.com' },
    );
    expect(audit.body.events.at(-1)?.type).toBe('REJECTED');
  });

  it('updates the Slack message and threads the result', async () => {
    const submitted = await submit({
      clusterName: 'demo',
      principalArn: 'arn:aws:iam::111122223333:user/alice',
      kubernetesGroups: ['viewers'],
      reason: 'OPS-3 read-only access',
    });
    const requestId = String(submitted.body.requestId);
    const posted = await waitForApprovalMessage(stack, requestId);

    await slackClick(stack, requestId, 'bob@example.com', 'approve');
    await waitForStatus(stack, requestId);

    const calls = stack.slack.calls.filter(
      (call) => call.args.ts === posted.ts || call.args.thread_ts === posted.ts,
    );
    expect(calls.map((call) => call.method)).toContain('chat.update');
    const reply = calls.find((call) => call.args.thread_ts === posted.ts);
    expect(String(reply?.args.text)).toContain('UpdateAccessEntry succeeded');
  });
});
