import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../local/dynamodb.ts';
import {
  type LocalStack,
  type StackOptions,
  startLocalStack,
} from '../../local/stack.ts';
import {
  api,
  auditTypes,
  entryOf,
  newPrincipal,
  slackClick,
  waitForApprovalMessage,
  waitForStatus,
} from '../support/stack.ts';

let stack: LocalStack | undefined;
let dataDir = '';

afterAll(async () => {
  await stack?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function submit(body: Record<string, unknown>) {
  if (!stack) throw new Error('no stack');
  return api(stack, 'POST', '/requests', {
    as: 'alice@example.com',
    body: { clusterName: 'demo', reason: 'OPS-2 restart', ...body },
  });
}

describe('Local stack restart', () => {
  it('resumes pending and time-bound requests after a restart', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'eks-gate-restart-'));
    process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
    // Same ports on both runs: the functions' SDK clients outlive a stack.
    const options: StackOptions = {
      dynamoEndpoint: inject('dynamoEndpoint'),
      tablePrefix: 'restart',
      dataDir,
      port: await freePort(),
      eksPort: await freePort(),
      slackPort: await freePort(),
      sfnPort: await freePort(),
      env: { LOCAL_WAIT_SCALE: '0.002' },
    };
    stack = await startLocalStack(options);
    const timeBound = await newPrincipal(stack, ['viewers', 'deployers']);
    const pending = await newPrincipal(stack);
    const bound = await submit({
      principalArn: timeBound,
      kubernetesGroups: ['viewers'],
      durationMinutes: 60,
    });
    const boundId = String(bound.body.requestId);
    await waitForStatus(stack, boundId, ['SUCCEEDED']);
    const open = await submit({
      principalArn: pending,
      kubernetesGroups: ['viewers', 'deployers'],
    });
    const openId = String(open.body.requestId);
    await waitForApprovalMessage(stack, openId);

    await stack.stop();
    stack = await startLocalStack(options);
    await waitForNewApprovalWait(stack, openId);
    await slackClick(stack, openId, 'bob@example.com', 'approve');

    const approved = await waitForStatus(stack, openId);
    const reverted = await waitForStatus(stack, boundId, [
      'REVERTED',
      'FAILED',
    ]);
    expect(approved.status).toBe('SUCCEEDED');
    expect(reverted.status).toBe('REVERTED');
    expect((await entryOf(stack, timeBound))?.kubernetesGroups).toEqual([
      'viewers',
      'deployers',
    ]);
    expect((await entryOf(stack, pending))?.kubernetesGroups).toEqual([
      'viewers',
      'deployers',
    ]);
  });
});

/**
 * The resumed workflow reuses the Slack message posted before the restart
 * and records a second APPROVAL_REQUESTED once its new wait is open.
 */
async function waitForNewApprovalWait(on: LocalStack, requestId: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const types = await auditTypes(on, requestId);
    if (types.filter((t) => t === 'APPROVAL_REQUESTED').length >= 2) return;
    if (Date.now() > deadline) throw new Error('the wait was not resumed');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
