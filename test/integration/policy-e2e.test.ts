import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import {
  api,
  auditTypes,
  entryOf,
  newPrincipal,
  slackClick,
  startTestStack,
  waitForApprovalMessage,
  waitForStatus,
} from '../support/stack.ts';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack?.stop();
});

async function submit(body: Record<string, unknown>) {
  return api(stack, 'POST', '/requests', {
    as: 'alice@example.com',
    body: { clusterName: 'demo', reason: 'OPS-4 policy', ...body },
  });
}

/** The ephemeral answers Slack showed to one user. */
function ephemeralsTo(userId: string): string[] {
  return stack.slack.calls
    .filter((c) => c.method === 'chat.postEphemeral' && c.args.user === userId)
    .map((c) => String(c.args.text));
}

async function statusOf(requestId: string) {
  const { body } = await api(stack, 'GET', `/requests/${requestId}`, {
    as: 'auditor@example.com',
  });
  return body;
}

describe('Default policies, end to end', () => {
  it('refuses a requester approving their own request; nothing changes', async () => {
    const principal = await newPrincipal(stack);
    const { body } = await submit({
      principalArn: principal,
      kubernetesGroups: ['viewers', 'deployers'],
    });
    const requestId = String(body.requestId);
    await waitForApprovalMessage(stack, requestId);

    const click = await slackClick(
      stack,
      requestId,
      'alice@example.com',
      'approve',
    );

    expect(click.status).toBe(200);
    const request = await statusOf(requestId);
    expect(request.status).toBe('PENDING_APPROVAL');
    expect(request.approvals).toEqual([]);
    expect(ephemeralsTo('U0ALICE').at(-1)).toMatch(/may not decide/);
    expect((await entryOf(stack, principal))?.kubernetesGroups).toEqual([
      'viewers',
    ]);
    expect((await auditTypes(stack, requestId)).at(-1)).toBe(
      'POLICY_EVALUATED',
    );
  });

  it('refuses a non-approver', async () => {
    const principal = await newPrincipal(stack);
    const { body } = await submit({
      principalArn: principal,
      kubernetesGroups: ['viewers', 'deployers'],
    });
    const requestId = String(body.requestId);
    await waitForApprovalMessage(stack, requestId);

    await slackClick(stack, requestId, 'dave@example.com', 'approve');

    const request = await statusOf(requestId);
    expect(request.status).toBe('PENDING_APPROVAL');
    expect(ephemeralsTo('U0DAVE').at(-1)).toMatch(/platform-approvers/);
  });

  it('needs bob and carol to add cluster-admins', async () => {
    const principal = await newPrincipal(stack);
    const { body } = await submit({
      principalArn: principal,
      kubernetesGroups: ['viewers', 'cluster-admins'],
    });
    const requestId = String(body.requestId);
    expect(body.approvalsRequired).toBe(2);
    const message = await waitForApprovalMessage(stack, requestId);

    await slackClick(stack, requestId, 'bob@example.com', 'approve');
    const afterOne = await statusOf(requestId);
    await slackClick(stack, requestId, 'bob@example.com', 'approve');
    const afterRepeat = await statusOf(requestId);
    await slackClick(stack, requestId, 'carol@example.com', 'approve');
    const done = await waitForStatus(stack, requestId);

    expect(afterOne.status).toBe('PENDING_APPROVAL');
    expect(afterRepeat.approvals).toHaveLength(1);
    const update = stack.slack.calls.find(
      (c) =>
        c.method === 'chat.update' &&
        c.args.ts === message.ts &&
        JSON.stringify(c.args.blocks).includes('1 of 2'),
    );
    expect(update).toBeDefined();
    expect(done.status).toBe('SUCCEEDED');
    expect((await entryOf(stack, principal))?.kubernetesGroups).toEqual([
      'viewers',
      'cluster-admins',
    ]);
  });

  it('approves a change that only removes groups automatically', async () => {
    const principal = await newPrincipal(stack, ['viewers', 'deployers']);

    const { status, body } = await submit({
      principalArn: principal,
      kubernetesGroups: ['viewers'],
    });
    const done = await waitForStatus(stack, String(body.requestId));

    expect(status).toBe(202);
    expect(body.status).toBe('APPROVED');
    expect(body.approvalsRequired).toBe(0);
    expect(done.status).toBe('SUCCEEDED');
    expect((await entryOf(stack, principal))?.kubernetesGroups).toEqual([
      'viewers',
    ]);
  });

  it('denies durationMinutes over 7 days with the reason', async () => {
    const principal = await newPrincipal(stack);

    const { status, body } = await submit({
      principalArn: principal,
      kubernetesGroups: ['viewers', 'deployers'],
      durationMinutes: 7 * 24 * 60 + 1,
    });

    expect(status).toBe(403);
    const error = body.error as { code: string; reasons: string[] };
    expect(error.code).toBe('PolicyDenied');
    expect(error.reasons.join(' ')).toMatch(/7 days/);
  });
});
