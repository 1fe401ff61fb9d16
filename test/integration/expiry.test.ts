import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import { api, startTestStack, waitForStatus } from '../support/stack.ts';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack({ APPROVAL_TIMEOUT_SECONDS: '2' });
});

afterAll(async () => {
  await stack?.stop();
});

describe('Approval timeout', () => {
  it('expires a request nobody decides on and frees the principal', async () => {
    const body = {
      clusterName: 'demo',
      principalArn: 'arn:aws:iam::111122223333:role/developers',
      kubernetesGroups: ['viewers', 'deployers'],
      reason: 'OPS-9 nobody will answer',
    };
    const submitted = await api(stack, 'POST', '/requests', {
      as: 'alice@example.com',
      body,
    });
    expect(submitted.status).toBe(202);

    const done = await waitForStatus(stack, String(submitted.body.requestId));

    expect(done.status).toBe('EXPIRED');
    const again = await api(stack, 'POST', '/requests', {
      as: 'alice@example.com',
      body,
    });
    expect(again.status).toBe(202);
  });
});
