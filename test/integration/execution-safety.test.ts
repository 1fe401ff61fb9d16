import { UpdateAccessEntryCommand } from '@aws-sdk/client-eks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../local/stack.ts';
import {
  api,
  auditTypes,
  eksClient,
  entryOf,
  injectFault,
  newPrincipal,
  slackClick,
  startTestStack,
  waitForApprovalMessage,
  waitForStatus,
} from '../support/stack.ts';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack({ LOCAL_WAIT_SCALE: '0.001' });
});

afterAll(async () => {
  await stack?.stop();
});

// A test that injects more faults than attempts leaves some behind.
afterEach(async () => {
  await fetch(`${stack.endpoints.eks}/_emulator/faults`, { method: 'DELETE' });
});

async function submit(body: Record<string, unknown>, headers = {}) {
  return api(stack, 'POST', '/requests', {
    as: 'alice@example.com',
    body: { clusterName: 'demo', reason: 'OPS-7 safety', ...body },
    headers,
  });
}

/** Submits a change needing one approval and approves it as bob. */
async function submitAndApprove(
  principalArn: string,
  before?: () => Promise<void>,
) {
  const submitted = await submit({
    principalArn,
    kubernetesGroups: ['viewers', 'deployers'],
  });
  expect(submitted.status).toBe(202);
  const requestId = String(submitted.body.requestId);
  await waitForApprovalMessage(stack, requestId);
  await before?.();
  await slackClick(stack, requestId, 'bob@example.com', 'approve');
  return requestId;
}

describe('Execution: retries', () => {
  it('succeeds after two ServerExceptions, with three attempts audited', async () => {
    const principal = await newPrincipal(stack);
    const requestId = await submitAndApprove(principal, () =>
      injectFault(stack, 'UpdateAccessEntry', 'ServerException', 2),
    );

    const done = await waitForStatus(stack, requestId);

    expect(done.status).toBe('SUCCEEDED');
    const types = await auditTypes(stack, requestId);
    expect(types.filter((t) => t === 'EXECUTION_STARTED')).toHaveLength(3);
    expect((await entryOf(stack, principal))?.kubernetesGroups).toEqual([
      'viewers',
      'deployers',
    ]);
  });

  it('fails as ServerError after four attempts', async () => {
    const principal = await newPrincipal(stack);
    const requestId = await submitAndApprove(principal, () =>
      injectFault(stack, 'UpdateAccessEntry', 'ServerException', 5),
    );

    const done = await waitForStatus(stack, requestId);

    expect(done.status).toBe('FAILED');
    expect(done.error).toMatchObject({ code: 'ServerError' });
    const types = await auditTypes(stack, requestId);
    expect(types.filter((t) => t === 'EXECUTION_STARTED')).toHaveLength(4);
    expect(types.at(-1)).toBe('EXECUTION_FAILED');
    expect((await entryOf(stack, principal))?.kubernetesGroups).toEqual([
      'viewers',
    ]);
  });

  it('does not retry an InvalidParameterException', async () => {
    const principal = await newPrincipal(stack);
    const requestId = await submitAndApprove(principal, () =>
      injectFault(stack, 'UpdateAccessEntry', 'InvalidParameterException', 1),
    );

    const done = await waitForStatus(stack, requestId);

    expect(done.error).toMatchObject({ code: 'InvalidParameter' });
    const types = await auditTypes(stack, requestId);
    expect(types.filter((t) => t === 'EXECUTION_STARTED')).toHaveLength(1);
  });
});

describe('Execution: drift', () => {
  it('fails as Drifted and leaves the entry as the other writer left it', async () => {
    const principal = await newPrincipal(stack);
    const requestId = await submitAndApprove(principal, async () => {
      await eksClient(stack).send(
        new UpdateAccessEntryCommand({
          clusterName: 'demo',
          principalArn: principal,
          kubernetesGroups: ['viewers', 'oncall'],
        }),
      );
    });

    const done = await waitForStatus(stack, requestId);

    expect(done.status).toBe('FAILED');
    expect(done.error).toMatchObject({ code: 'Drifted' });
    expect(String((done.error as { message: string }).message)).toContain(
      'oncall',
    );
    expect((await entryOf(stack, principal))?.kubernetesGroups).toEqual([
      'viewers',
      'oncall',
    ]);
  });
});

describe('One open request per cluster and principal', () => {
  it('accepts exactly one of 20 concurrent requests', async () => {
    const principal = await newPrincipal(stack);

    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        submit({ principalArn: principal, kubernetesGroups: ['deployers'] }),
      ),
    );

    const accepted = answers.filter((a) => a.status === 202);
    expect(accepted).toHaveLength(1);
    const refused = answers.filter((a) => a.status === 409);
    expect(refused).toHaveLength(19);
    expect(refused[0]?.body).toMatchObject({
      error: { code: 'Conflict', openRequestId: accepted[0]?.body.requestId },
    });
  });
});

describe('Cancel', () => {
  it('cancels a pending request, stops it and frees the principal', async () => {
    const principal = await newPrincipal(stack);
    const submitted = await submit({
      principalArn: principal,
      kubernetesGroups: ['viewers', 'deployers'],
    });
    const requestId = String(submitted.body.requestId);
    await waitForApprovalMessage(stack, requestId);

    const byOther = await api(stack, 'POST', `/requests/${requestId}/cancel`, {
      as: 'bob@example.com',
    });
    const cancelled = await api(
      stack,
      'POST',
      `/requests/${requestId}/cancel`,
      {
        as: 'alice@example.com',
      },
    );
    const again = await api(stack, 'POST', `/requests/${requestId}/cancel`, {
      as: 'alice@example.com',
    });

    expect(byOther.status).toBe(403);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('CANCELLED');
    expect(again.status).toBe(409);
    expect((await auditTypes(stack, requestId)).at(-1)).toBe('CANCELLED');
    const next = await submit({
      principalArn: principal,
      kubernetesGroups: ['deployers'],
    });
    expect(next.status).toBe(202);
  });
});

describe('Idempotency-Key', () => {
  it('answers the same key and body with the first request', async () => {
    const principal = await newPrincipal(stack);
    const body = { principalArn: principal, kubernetesGroups: ['deployers'] };
    const headers = { 'idempotency-key': `key-${principal}` };

    const first = await submit(body, headers);
    const second = await submit(body, headers);
    const changed = await submit({ ...body, kubernetesGroups: ['x'] }, headers);

    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.requestId).toBe(first.body.requestId);
    expect(changed.status).toBe(409);
  });
});

describe('Time-bound access', () => {
  it('reverts the change when durationMinutes runs out', async () => {
    const principal = await newPrincipal(stack);
    const submitted = await submit({
      principalArn: principal,
      kubernetesGroups: [],
      durationMinutes: 60,
    });
    expect(submitted.body.status).toBe('APPROVED');

    const succeeded = await waitForStatus(
      stack,
      String(submitted.body.requestId),
      ['SUCCEEDED'],
    );
    expect(succeeded.expiresAt).toBeTruthy();
    expect((await entryOf(stack, principal))?.kubernetesGroups).toEqual([]);
    const done = await waitForStatus(stack, String(submitted.body.requestId), [
      'REVERTED',
      'FAILED',
    ]);

    expect(done.status).toBe('REVERTED');
    expect(done.revert).toMatchObject({ outcome: 'reverted' });
    expect((await entryOf(stack, principal))?.kubernetesGroups).toEqual([
      'viewers',
    ]);
  });

  it('skips the revert when someone changed the entry meanwhile', async () => {
    const principal = await newPrincipal(stack);
    const submitted = await submit({
      principalArn: principal,
      kubernetesGroups: [],
      durationMinutes: 120,
    });
    const requestId = String(submitted.body.requestId);
    await waitForStatus(stack, requestId, ['SUCCEEDED']);

    await eksClient(stack).send(
      new UpdateAccessEntryCommand({
        clusterName: 'demo',
        principalArn: principal,
        kubernetesGroups: ['auditors'],
      }),
    );
    const done = await waitForStatus(stack, requestId, ['REVERTED', 'FAILED']);

    expect(done.status).toBe('REVERTED');
    expect(done.revert).toMatchObject({ outcome: 'skipped' });
    expect((await entryOf(stack, principal))?.kubernetesGroups).toEqual([
      'auditors',
    ]);
  });
});
