import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  stack = await startTestStack({ APPROVAL_TIMEOUT_SECONDS: '4' });
});

afterAll(async () => {
  await stack?.stop();
});

describe('Approval reminder', () => {
  it('reminds in the thread half-way, and an approval after it still counts', async () => {
    const principal = await newPrincipal(stack);
    const { body } = await api(stack, 'POST', '/requests', {
      as: 'alice@example.com',
      body: {
        clusterName: 'demo',
        principalArn: principal,
        kubernetesGroups: ['viewers', 'deployers'],
        reason: 'OPS-5 remind me',
      },
    });
    const requestId = String(body.requestId);
    const message = await waitForApprovalMessage(stack, requestId);

    const reminder = await waitForCall(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.args.thread_ts === message.ts &&
        String(c.args.text).includes('Still waiting'),
    );
    await slackClick(stack, requestId, 'carol@example.com', 'approve');
    const done = await waitForStatus(stack, requestId);

    expect(String(reminder.args.text)).toContain('1 more approval');
    expect(done.status).toBe('SUCCEEDED');
    const types = await auditTypes(stack, requestId);
    expect(types.filter((t) => t === 'APPROVAL_REQUESTED')).toHaveLength(2);
  });
});

async function waitForCall(
  matches: (call: LocalStack['slack']['calls'][number]) => boolean,
) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const call = stack.slack.calls.find(matches);
    if (call) return call;
    if (Date.now() > deadline) throw new Error('no such Slack call');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
