import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signSlackRequest } from '../../core/slack-signature.ts';
import type { LocalStack } from '../../local/stack.ts';
import {
  api,
  auditTypes,
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

async function pendingRequest(groups: string[]) {
  const principal = await newPrincipal(stack);
  const { body } = await api(stack, 'POST', '/requests', {
    as: 'alice@example.com',
    body: {
      clusterName: 'demo',
      principalArn: principal,
      kubernetesGroups: groups,
      reason: 'OPS-5 Slack approvals',
    },
  });
  const requestId = String(body.requestId);
  await waitForApprovalMessage(stack, requestId);
  return requestId;
}

function postInteraction(headers: Record<string, string>, body: string) {
  return fetch(`${stack.url}/slack/interactions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    },
    body,
  });
}

describe('Slack approvals under pressure', () => {
  it('records two approvers clicking at once and executes once', async () => {
    const requestId = await pendingRequest(['viewers', 'cluster-admins']);

    const clicks = await Promise.all([
      slackClick(stack, requestId, 'bob@example.com', 'approve'),
      slackClick(stack, requestId, 'carol@example.com', 'approve'),
    ]);
    const done = await waitForStatus(stack, requestId);

    expect(clicks.map((c) => c.status)).toEqual([200, 200]);
    expect(done.status).toBe('SUCCEEDED');
    const types = await auditTypes(stack, requestId);
    expect(types.filter((t) => t === 'APPROVED')).toHaveLength(2);
    expect(types.filter((t) => t === 'EXECUTION_STARTED')).toHaveLength(1);
  });

  it('counts a double click by one approver once', async () => {
    const requestId = await pendingRequest(['viewers', 'deployers']);

    await Promise.all([
      slackClick(stack, requestId, 'bob@example.com', 'approve'),
      slackClick(stack, requestId, 'bob@example.com', 'approve'),
    ]);
    const done = await waitForStatus(stack, requestId);

    expect(done.approvals).toHaveLength(1);
    const types = await auditTypes(stack, requestId);
    expect(types.filter((t) => t === 'APPROVED')).toHaveLength(1);
    expect(types.filter((t) => t === 'EXECUTION_STARTED')).toHaveLength(1);
  });

  it('answers a click after the decision with an ephemeral message', async () => {
    const requestId = await pendingRequest(['viewers', 'deployers']);
    await slackClick(stack, requestId, 'bob@example.com', 'reject');

    const late = await slackClick(
      stack,
      requestId,
      'carol@example.com',
      'approve',
    );

    expect(late.status).toBe(200);
    const told = stack.slack.calls.filter(
      (c) => c.method === 'chat.postEphemeral' && c.args.user === 'U0CAROL',
    );
    expect(String(told.at(-1)?.args.text)).toContain('already REJECTED');
    const { body } = await api(stack, 'GET', `/requests/${requestId}`, {
      as: 'auditor@example.com',
    });
    expect(body.status).toBe('REJECTED');
  });

  it('audits a refused decider once, however often they click', async () => {
    const requestId = await pendingRequest(['viewers', 'deployers']);
    const before = (await auditTypes(stack, requestId)).length;

    for (let i = 0; i < 3; i++) {
      await slackClick(stack, requestId, 'dave@example.com', 'approve');
    }

    const types = await auditTypes(stack, requestId);
    expect(types.length).toBe(before + 1);
    expect(types.at(-1)).toBe('POLICY_EVALUATED');
    const told = stack.slack.calls.filter(
      (c) => c.method === 'chat.postEphemeral' && c.args.user === 'U0DAVE',
    );
    expect(told.length).toBeGreaterThanOrEqual(3);
  });

  it('refuses a Slack user without a profile e-mail', async () => {
    const requestId = await pendingRequest(['viewers', 'deployers']);

    const click = await slackClick(stack, requestId, 'U0EVE', 'approve');

    expect(click.status).toBe(200);
    const told = stack.slack.calls.filter(
      (c) => c.method === 'chat.postEphemeral' && c.args.user === 'U0EVE',
    );
    expect(String(told.at(-1)?.args.text)).toMatch(/no e-mail/);
    const { body } = await api(stack, 'GET', `/requests/${requestId}`, {
      as: 'auditor@example.com',
    });
    expect(body.approvals).toEqual([]);
  });

  it('answers 200 to signed but malformed clicks and changes nothing', async () => {
    const requestId = await pendingRequest(['viewers', 'deployers']);
    const click = (user: unknown, value: unknown) =>
      JSON.stringify({
        type: 'block_actions',
        user: { id: user },
        channel: { id: 'C0DEMO' },
        actions: [{ action_id: 'approve', value }],
      });
    const payloads = [
      'null',
      click('U0NOBODY', requestId),
      click('U0BOB', 123),
      click('U0BOB', { a: 1 }),
      click('U0BOB', 'A'.repeat(3000)),
      click(['U0BOB'], requestId),
    ];

    const answers = await Promise.all(
      payloads.map((payload) => {
        const body = new URLSearchParams({ payload }).toString();
        const timestamp = String(Math.floor(Date.now() / 1000));
        return postInteraction(
          {
            'x-slack-request-timestamp': timestamp,
            'x-slack-signature': signSlackRequest(
              'local-signing-secret',
              timestamp,
              body,
            ),
          },
          body,
        );
      }),
    );

    expect(answers.map((a) => a.status)).toEqual(payloads.map(() => 200));
    const { body: request } = await api(
      stack,
      'GET',
      `/requests/${requestId}`,
      {
        as: 'auditor@example.com',
      },
    );
    expect(request.approvals).toEqual([]);
    expect(request.status).toBe('PENDING_APPROVAL');
  });

  it('answers 401 to forged, stale and unsigned requests and changes nothing', async () => {
    const requestId = await pendingRequest(['viewers', 'deployers']);
    const payload = JSON.stringify({
      type: 'block_actions',
      user: { id: 'U0BOB' },
      channel: { id: 'C0DEMO' },
      actions: [{ action_id: 'approve', value: requestId }],
    });
    const body = new URLSearchParams({ payload }).toString();
    const now = Math.floor(Date.now() / 1000);

    const answers = await Promise.all([
      postInteraction(
        {
          'x-slack-request-timestamp': String(now),
          'x-slack-signature': `v0=${'0'.repeat(64)}`,
        },
        body,
      ),
      postInteraction(
        {
          'x-slack-request-timestamp': String(now - 301),
          'x-slack-signature': `v0=${'a'.repeat(64)}`,
        },
        body,
      ),
      postInteraction({}, body),
    ]);

    expect(answers.map((a) => a.status)).toEqual([401, 401, 401]);
    const { body: request } = await api(
      stack,
      'GET',
      `/requests/${requestId}`,
      {
        as: 'auditor@example.com',
      },
    );
    expect(request.status).toBe('PENDING_APPROVAL');
    expect(request.approvals).toEqual([]);
  });
});
